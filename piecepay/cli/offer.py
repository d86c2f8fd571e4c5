"""piecepay offer create|accept|decline|withdraw|list"""

from typing import Annotated

import typer

from piecepay.cli.commands import new_app
from piecepay.cli.invocation import invocation
from piecepay.cli.options import DateOpt, FormatOpt, list_format

app = new_app("Offers: a campaign offered to one worker; accepted, it is a contract.")
OfferArg = Annotated[str, typer.Argument(help="Offer id, or campaign/worker.")]
STATUSES = ("offered", "declined", "withdrawn", "active", "ended")


@app.command("create")
def create(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help="Campaign slug.")],
    worker: Annotated[str, typer.Argument(help="Worker handle.")],
    rate: Annotated[str | None, typer.Option(help="This worker's rate (default: the campaign's).")] = None,
    max_pieces: Annotated[str | None, typer.Option(help="Piece limit of this contract.")] = None,
    tier: Annotated[
        list[str] | None,
        typer.Option(
            metavar="N:RATE",
            help="This worker's own tiers (default: the campaign's; 'none' for none): from the N-th piece "
            "released in a period, RATE a piece.",
        ),
    ] = None,
) -> None:
    """Offer a campaign to a worker.

    Example: piecepay offer create photos ana --rate 4.5 --max-pieces 200
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.offers import create_offer

    typed = inputs.rate(rate), inputs.pieces(max_pieces, "max pieces"), inputs.tiers(tier)
    run = invocation(ctx)
    run.sink.record("offer", documents.offer(create_offer(run.session(write=True), campaign, worker, *typed)))


@app.command("accept")
def accept(ctx: typer.Context, offer: OfferArg, date: DateOpt = None) -> None:
    """Accept an offer; prints the new contract. --date backdates the acceptance, so work done
    since then may be billed with its own date.

    Example: piecepay offer accept photos/ana --date 2026-11-02
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.offers import accept_offer

    day = inputs.day(date, "acceptance date")
    run = invocation(ctx)
    run.sink.record("contract", documents.contract(accept_offer(run.session(write=True), offer, day)))


@app.command("decline")
def decline(ctx: typer.Context, offer: OfferArg) -> None:
    """Decline an offer (the worker says no).

    Example: piecepay offer decline 3
    """
    _close(ctx, offer, "decline")


@app.command("withdraw")
def withdraw(ctx: typer.Context, offer: OfferArg) -> None:
    """Withdraw an offer (the client takes it back).

    Example: piecepay offer withdraw 3
    """
    _close(ctx, offer, "withdraw")


def _close(ctx: typer.Context, offer: str, action: str) -> None:
    from piecepay.cli import documents
    from piecepay.models import OfferAction
    from piecepay.operations.offers import close_offer

    run = invocation(ctx)
    run.sink.record("offer", documents.offer(close_offer(run.session(write=True), offer, OfferAction(action))))


@app.command("list")
def list_(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign's.")] = None,
    status: Annotated[str | None, typer.Option(help="offered, declined, withdrawn, active or ended.")] = None,
    format: FormatOpt = "table",
) -> None:
    """List offers and contracts.

    Example: piecepay offer list --campaign photos --status active
    """
    from piecepay.cli import documents
    from piecepay.errors import BadInput
    from piecepay.models import ContractStatus
    from piecepay.operations.offers import offers

    if status is not None and status not in STATUSES:
        raise BadInput(f"status '{status}' is not one of {', '.join(STATUSES)}", "bad_status")
    run = invocation(ctx)
    found = offers(run.session(write=False), campaign, ContractStatus(status) if status else None)
    run.sink.listing("offer", [documents.offer(k) for k in found], fmt=list_format(format))
