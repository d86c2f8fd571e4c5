"""piecepay offer create|accept|decline|withdraw|list"""

from typing import Annotated

import typer

from piecepay.cli import show
from piecepay.cli.lazy import new_app
from piecepay.cli.state import globals_of

app = new_app("Offers: a campaign offered to one worker; accepted, it is a contract.")
OfferArg = Annotated[str, typer.Argument(help="Offer id, or campaign/worker.")]


@app.command("create")
def create(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help="Campaign slug.")],
    worker: Annotated[str, typer.Argument(help="Worker handle.")],
    rate: Annotated[str | None, typer.Option(help="This worker's rate (default: the campaign's).")] = None,
    max_pieces: Annotated[str | None, typer.Option(help="Piece limit of this contract.")] = None,
) -> None:
    """Offer a campaign to a worker."""
    from piecepay.registry import create_offer

    show.one(ctx, "offer", create_offer(globals_of(ctx).session(write=True), campaign, worker, rate, max_pieces))


@app.command("accept")
def accept(ctx: typer.Context, offer: OfferArg) -> None:
    """Accept an offer; prints the new contract."""
    from piecepay.registry import accept_offer

    show.one(ctx, "contract", accept_offer(globals_of(ctx).session(write=True), offer))


@app.command("decline")
def decline(ctx: typer.Context, offer: OfferArg) -> None:
    """Decline an offer (the worker says no)."""
    from piecepay.registry import close_offer

    show.one(ctx, "offer", close_offer(globals_of(ctx).session(write=True), offer, "decline"))


@app.command("withdraw")
def withdraw(ctx: typer.Context, offer: OfferArg) -> None:
    """Withdraw an offer (the client takes it back)."""
    from piecepay.registry import close_offer

    show.one(ctx, "offer", close_offer(globals_of(ctx).session(write=True), offer, "withdraw"))


@app.command("list")
def list_(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign's.")] = None,
    status: Annotated[str | None, typer.Option(help="offered, declined, withdrawn, active or ended.")] = None,
) -> None:
    """List offers and contracts."""
    from piecepay.registry import list_offers

    show.many(ctx, "offer", list_offers(globals_of(ctx).session(write=False), campaign, status))
