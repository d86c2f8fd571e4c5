"""piecepay milestone add|list"""

from typing import Annotated

import typer

from piecepay.cli import show
from piecepay.cli.lazy import new_app
from piecepay.cli.options import DateOpt, KeyOpt
from piecepay.cli.state import globals_of

app = new_app("Milestones: escrow top-ups that open a capped billing window.")
ContractArg = Annotated[str, typer.Argument(help="Contract id, or campaign/worker.")]


@app.command("add")
def add(
    ctx: typer.Context,
    contract: ContractArg,
    top_up: Annotated[str | None, typer.Option(help="Money put into escrow (may be 0).")] = None,
    cap: Annotated[str | None, typer.Option(help="Most this milestone may bill (default: the campaign's).")] = None,
    date: DateOpt = None,
    key: KeyOpt = None,
) -> None:
    """Top up the escrow and open the next milestone (closing the open one)."""
    from piecepay.ledger import add_milestone

    show.one(ctx, "milestone", add_milestone(globals_of(ctx).session(write=True), contract, top_up, cap, date, key))


@app.command("list")
def list_(ctx: typer.Context, contract: ContractArg) -> None:
    """List a contract's milestones and what each cap has left."""
    from piecepay.ledger import list_milestones

    show.many(ctx, "milestone", list_milestones(globals_of(ctx).session(write=False), contract))
