"""piecepay milestone add|list"""

from typing import Annotated

import typer

from piecepay.cli.commands import new_app
from piecepay.cli.invocation import invocation
from piecepay.cli.options import DateOpt, FormatOpt, KeyOpt, list_format

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
    """Top up the escrow and open the next milestone (closing the open one).

    Example: piecepay milestone add photos/ana --top-up 100 --cap 25
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.milestones import add_milestone

    typed = inputs.amount(top_up, "top-up"), inputs.amount(cap, "cap"), inputs.day(date, "milestone date")
    checked_key = inputs.key(key)
    run = invocation(ctx)
    added = add_milestone(run.session(write=True), contract, *typed, key=checked_key)
    run.sink.record("milestone", documents.milestone(added))


@app.command("list")
def list_(ctx: typer.Context, contract: ContractArg, format: FormatOpt = "table") -> None:
    """List a contract's milestones and what each cap has left.

    Example: piecepay milestone list photos/ana
    """
    from piecepay.cli import documents
    from piecepay.operations.milestones import milestones

    fmt = list_format(format)
    run = invocation(ctx)
    found = milestones(run.session(write=False), contract)
    run.sink.listing("milestone", [documents.milestone(m) for m in found], fmt=fmt)
