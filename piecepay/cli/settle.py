"""piecepay end | payout"""

from typing import Annotated

import typer

from piecepay.cli import show
from piecepay.cli.options import DateOpt, KeyOpt
from piecepay.cli.state import globals_of
from piecepay.errors import BadInput


def end(
    ctx: typer.Context,
    contract: Annotated[str, typer.Argument(help="Contract id, or campaign/worker.")],
    release_pending: Annotated[bool, typer.Option("--release-pending", help="Release pending bills first.")] = False,
    reject_pending: Annotated[bool, typer.Option("--reject-pending", help="Reject pending bills first.")] = False,
    date: DateOpt = None,
    key: KeyOpt = None,
) -> None:
    """End a contract and refund what its escrow has left to the client."""
    from piecepay.ledger import end_contract

    if release_pending and reject_pending:
        raise BadInput("pass --release-pending or --reject-pending, not both", "conflicting_options")
    pending = "release" if release_pending else "reject" if reject_pending else None
    show.one(ctx, "contract", end_contract(globals_of(ctx).session(write=True), contract, pending, date, key))


def payout(
    ctx: typer.Context,
    worker: Annotated[str, typer.Argument(help="Worker handle.")],
    amount: Annotated[str | None, typer.Option(help="How much (default: all that is owed).")] = None,
    currency: Annotated[str | None, typer.Option(help="Which currency, when owed in several.")] = None,
    ref: Annotated[str | None, typer.Option(help="Bank or PayPal reference.")] = None,
    date: DateOpt = None,
    key: KeyOpt = None,
) -> None:
    """Record released earnings paid to a worker outside piecepay."""
    from piecepay.ledger import payout as record_payout

    show.one(
        ctx, "payout", record_payout(globals_of(ctx).session(write=True), worker, amount, currency, ref, date, key)
    )
