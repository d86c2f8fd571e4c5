"""piecepay bill list | bill show: the review queue"""

from typing import Annotated

import typer

from piecepay.cli.invocation import invocation
from piecepay.cli.options import FormatOpt, list_format


def list_bills(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="pending, released or rejected.")] = None,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign's bills.")] = None,
    worker: Annotated[str | None, typer.Option(help="Only this worker's bills.")] = None,
    contract: Annotated[str | None, typer.Option(help="Only this contract's bills.")] = None,
    older_than: Annotated[
        str | None, typer.Option("--older-than", metavar="DAYS", help="Only bills dated more than DAYS days ago.")
    ] = None,
    due_within: Annotated[
        str | None,
        typer.Option(
            "--due-within",
            metavar="DAYS",
            help="Only pending bills whose review window closes within DAYS days (or has closed).",
        ),
    ] = None,
    format: FormatOpt = "table",
) -> None:
    """List bills, oldest first, with their age and the day their review window closes.

    Example: piecepay bill list --status pending --format csv > review.csv
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.queue import bill_queue

    fmt = list_format(format)
    listed = inputs.bill_status(status)
    older = inputs.count(older_than, "--older-than", minimum=0, maximum=inputs.MAX_DAYS)
    due = inputs.count(due_within, "--due-within", minimum=0, maximum=inputs.MAX_DAYS)
    run = invocation(ctx)
    empty = ("no bills out for a revision" if status == "revising" else f"no bills {status}") if status else "no bills"
    if (server := run.remote) is not None:
        asked = {"status": status, "campaign": campaign, "worker": worker, "contract": contract}
        asked.update({"older_than": older_than, "due_within": due_within})
        run.sink.listing("bill", server.get("/api/bills", asked, many=True), fmt=fmt, empty=empty)
        return
    found = bill_queue(run.session(write=False), listed, campaign, worker, contract, older, due)
    run.sink.listing("bill", [documents.queued_bill(q) for q in found], fmt=fmt, empty=empty)


def show_bill(ctx: typer.Context, bill: Annotated[str, typer.Argument(help="Bill id.")]) -> None:
    """Show one bill: every field, when its review window closes, and the entries that moved it.

    Example: piecepay bill show 12
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.queue import bill_detail

    bill_id = inputs.bill_id(bill)
    run = invocation(ctx)
    if (server := run.remote) is not None:
        run.sink.bill_detail(server.get(f"/api/bills/{bill_id}"))
        return
    run.sink.bill_detail(documents.bill_detail(bill_detail(run.session(write=False), bill_id)))
