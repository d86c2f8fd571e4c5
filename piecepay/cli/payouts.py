"""piecepay payout"""

from typing import Annotated

import typer

from piecepay.cli.invocation import invocation
from piecepay.cli.options import DateOpt, KeyOpt


def payout(
    ctx: typer.Context,
    worker: Annotated[str, typer.Argument(help="Worker handle.")],
    amount: Annotated[str | None, typer.Option(help="How much (default: all that is owed).")] = None,
    currency: Annotated[str | None, typer.Option(help="Which currency, when owed in several.")] = None,
    ref: Annotated[str | None, typer.Option(help="Bank or PayPal reference.")] = None,
    date: DateOpt = None,
    key: KeyOpt = None,
) -> None:
    """Record released earnings paid to a worker outside piecepay.

    Example: piecepay payout ana --ref "bank transfer 1182"
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.payouts import payout as record_payout

    typed = (
        inputs.amount(amount, "payout"),
        inputs.currency(currency, in_use=False) if currency is not None else None,
        inputs.payout_ref(ref),
        inputs.day(date, "payout date"),
        inputs.key(key),
    )
    run = invocation(ctx)
    run.sink.record("payout", documents.payout(record_payout(run.session(write=True), worker, *typed)))
