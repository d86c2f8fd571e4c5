"""piecepay init: the one command that creates a ledger."""

import typer

from piecepay.cli import output
from piecepay.cli.state import default_db_path, globals_of


def init(ctx: typer.Context) -> None:
    """Create a new, empty ledger at --db (or the default path); refuses if a file is there."""
    from piecepay.store.migrations import LATEST_VERSION

    g = globals_of(ctx)
    path = g.db or default_db_path()
    g.create(path)
    facts = {"id": str(path), "path": str(path), "schema_version": LATEST_VERSION}
    if g.json:
        output.json_out(facts)
    else:
        output.object_out(facts, f"Created an empty ledger at {path}", [("schema_version", "schema")])
