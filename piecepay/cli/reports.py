"""piecepay report | log"""

from typing import Annotated

import typer

from piecepay.cli.invocation import invocation
from piecepay.cli.options import FormatOpt, list_format


def report(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign.")] = None,
    by: Annotated[str, typer.Option(help="campaign, contract or worker.")] = "campaign",
    format: FormatOpt = "table",
) -> None:
    """Escrow figures: funded, reserved, released, refunded, available, pieces."""
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.reports import report as build_report

    fmt = list_format(format)
    grouping = inputs.grouping(by)
    run = invocation(ctx)
    document = documents.report(build_report(run.session(write=False), campaign, grouping))
    run.sink.report(document, grouping, fmt)


def log(
    ctx: typer.Context,
    contract: Annotated[str | None, typer.Option(help="Only this contract's entries.")] = None,
    last: Annotated[str | None, typer.Option(help="Only the last N entries.")] = None,
    format: FormatOpt = "table",
) -> None:
    """The journal: every entry, oldest first."""
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.reports import journal_log

    count, fmt = inputs.count(last, "--last", maximum=inputs.MAX_LAST), list_format(format)
    run = invocation(ctx)
    found = journal_log(run.session(write=False), contract, count)
    run.sink.listing("log", [documents.log_entry(e) for e in found], fmt=fmt)
