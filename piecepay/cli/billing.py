"""piecepay bill | release | reject"""

from typing import Annotated

import typer

from piecepay.cli import show
from piecepay.cli.options import DateOpt, KeyOpt
from piecepay.cli.state import globals_of


def bill(
    ctx: typer.Context,
    pieces: Annotated[str, typer.Option(help="How many pieces (a multiple of the campaign's step).")],
    contract: Annotated[
        str | None,
        typer.Argument(
            help="Contract id or campaign/worker; may be left out when one contract is active.",
            envvar="PIECEPAY_CONTRACT",
            show_envvar=True,
        ),
    ] = None,
    proof: Annotated[list[str] | None, typer.Option(help="Path or URL of the work; may repeat.")] = None,
    note: Annotated[str | None, typer.Option(help="A note for the client.")] = None,
    minutes: Annotated[str | None, typer.Option(help="Minutes the work took.")] = None,
    date: DateOpt = None,
    key: KeyOpt = None,
) -> None:
    """Bill pieces on the open milestone; the amount is reserved in escrow until released."""
    from piecepay.ledger import bill as bill_pieces

    view = bill_pieces(
        globals_of(ctx).session(write=True),
        contract,
        pieces,
        proofs=proof or [],
        note=note,
        minutes=minutes,
        date_text=date,
        key=key,
    )
    show.one(ctx, "bill", view)


def release(
    ctx: typer.Context,
    bill: Annotated[str, typer.Argument(help="Bill id.")],
    pieces: Annotated[str | None, typer.Option(help="Release only this many pieces; the rest is returned.")] = None,
    date: DateOpt = None,
    key: KeyOpt = None,
) -> None:
    """Release a pending bill to the worker, in full or for fewer pieces."""
    from piecepay.ledger import release as release_bill

    show.one(ctx, "bill", release_bill(globals_of(ctx).session(write=True), bill, pieces, date, key))


def reject(
    ctx: typer.Context,
    bill: Annotated[str, typer.Argument(help="Bill id.")],
    reason: Annotated[str, typer.Option(help="Why, for the worker.")],
    date: DateOpt = None,
    key: KeyOpt = None,
) -> None:
    """Reject a pending bill with a reason; its reservation returns to escrow."""
    from piecepay.ledger import reject as reject_bill

    show.one(ctx, "bill", reject_bill(globals_of(ctx).session(write=True), bill, reason, date, key))
