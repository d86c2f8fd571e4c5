"""piecepay init: the one command that creates a ledger."""

from typing import Annotated

import typer

from piecepay.cli.invocation import default_db_path, invocation


def init(
    ctx: typer.Context,
    writer: Annotated[
        str | None,
        typer.Option(help="PostgreSQL only: the role piecepay will write with, granted no more than it needs."),
    ] = None,
) -> None:
    """Create a new, empty ledger at --db (or the default path); refuses if one is there.

    Example: piecepay init --db team.db
    """
    from piecepay import inputs
    from piecepay.errors import BadInput
    from piecepay.locations import ServerLedger
    from piecepay.store.migrations import LATEST_VERSION

    run = invocation(ctx)
    where = run.db or default_db_path()
    role = inputs.role(writer) if writer is not None else None
    if role is not None and not isinstance(where, ServerLedger):
        raise BadInput("--writer names a PostgreSQL role; a ledger file has none", "bad_option")
    run.create(where, writer=role)
    shown = str(where)
    document = {"id": shown, "path": shown, "schema_version": LATEST_VERSION}
    run.sink.done(document, f"Created an empty ledger at {shown}", [("schema_version", "schema")])
