"""piecepay report | log"""

from typing import Annotated

import typer

from piecepay.cli.invocation import invocation
from piecepay.cli.options import FormatOpt


def report(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign.")] = None,
    by: Annotated[str, typer.Option(help="campaign, contract or worker.")] = "campaign",
    format: FormatOpt = "table",
) -> None:
    """Escrow figures: funded, reserved, released, refunded, available, pieces."""
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.errors import BadInput
    from piecepay.operations.reports import report as build_report

    if format not in ("table", "json", "csv"):
        raise BadInput(f"--format must be table, json or csv, not '{format}'", "bad_format")
    grouping = inputs.grouping(by)
    run = invocation(ctx)
    document = documents.report(build_report(run.session(write=False), campaign, grouping))
    run.sink.report(document, grouping, None if format == "table" else format)


def log(
    ctx: typer.Context,
    contract: Annotated[str | None, typer.Option(help="Only this contract's entries.")] = None,
    last: Annotated[str | None, typer.Option(help="Only the last N entries.")] = None,
) -> None:
    """The journal: every entry, oldest first."""
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.reports import journal_log

    count = inputs.count(last, "--last", maximum=inputs.MAX_LAST)
    run = invocation(ctx)
    run.sink.listing("log", [documents.log_entry(e) for e in journal_log(run.session(write=False), contract, count)])
