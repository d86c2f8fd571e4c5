"""piecepay init: the one command that creates a ledger."""

import typer

from piecepay.cli.invocation import default_db_path, invocation


def init(ctx: typer.Context) -> None:
    """Create a new, empty ledger at --db (or the default path); refuses if a file is there."""
    from piecepay.store.migrations import LATEST_VERSION

    run = invocation(ctx)
    path = run.db or default_db_path()
    run.create(path)
    document = {"id": str(path), "path": str(path), "schema_version": LATEST_VERSION}
    run.sink.done(document, f"Created an empty ledger at {path}", [("schema_version", "schema")])
