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
    """Escrow figures: funded, reserved, released, refunded, available, pieces.

    Example: piecepay report --by contract --format csv
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.reports import report as build_report

    fmt = list_format(format)
    grouping = inputs.grouping(by)
    run = invocation(ctx)
    if (server := run.remote) is not None:
        document = server.get("/api/report", {"by": by, "campaign": campaign})
    else:
        document = documents.report(build_report(run.session(write=False), campaign, grouping))
    run.sink.report(document, grouping, fmt)


def log(
    ctx: typer.Context,
    contract: Annotated[str | None, typer.Option(help="Only this contract's entries.")] = None,
    last: Annotated[str | None, typer.Option(metavar="N", help="Only the last N entries (of those chosen).")] = None,
    campaign: Annotated[str | None, typer.Option(help="Only the entries of this campaign's contracts.")] = None,
    worker: Annotated[
        str | None, typer.Option(help="Only this worker's: their contracts' entries and payouts.")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="Only entries of this kind (bill, release, top_up…).")] = None,
    since: Annotated[
        str | None, typer.Option("--from", metavar="DATE", help="Only entries dated on or after DATE.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--to", metavar="DATE", help="Only entries dated on or before DATE.")
    ] = None,
    reverse: Annotated[bool, typer.Option("--reverse", help="Newest first.")] = False,
    format: FormatOpt = "table",
) -> None:
    """The journal: every entry, oldest first; in a terminal, a long one goes through a pager.

    Example: piecepay log --worker ana --from 2026-11-01 --kind release
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.reports import journal_log

    count, fmt = inputs.count(last, "--last", maximum=inputs.MAX_LAST), list_format(format)
    dates = inputs.day(since, "--from"), inputs.day(until, "--to")
    run = invocation(ctx)
    found = journal_log(
        run.session(write=False),
        contract,
        count,
        campaign_ref=campaign,
        worker_ref=worker,
        kind=kind,
        since=dates[0],
        until=dates[1],
        newest_first=reverse,
    )
    run.sink.listing("log", [documents.log_entry(e) for e in found], fmt=fmt, empty="no entries", paged=True)
