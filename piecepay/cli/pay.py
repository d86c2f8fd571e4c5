"""piecepay pay"""

from typing import Annotated

import typer

from piecepay.cli.invocation import invocation
from piecepay.cli.options import FormatOpt, list_format


def pay(
    ctx: typer.Context,
    week: Annotated[
        str | None, typer.Option(metavar="YYYY-Www", help="An ISO week, Monday to Sunday: 2026-W47.")
    ] = None,
    month: Annotated[str | None, typer.Option(metavar="YYYY-MM", help="A calendar month: 2026-11.")] = None,
    by: Annotated[str, typer.Option(help="worker (a row per worker and currency).")] = "worker",
    campaign: Annotated[str | None, typer.Option(help="Only this campaign's bills.")] = None,
    minimum_wage: Annotated[
        str | None,
        typer.Option(metavar="AMOUNT/h", help="A wage per hour (15.00/h): show what pay falls short of it."),
    ] = None,
    currency: Annotated[
        str | None,
        typer.Option(help="The minimum wage's currency (default the campaign's, else USD)."),
    ] = None,
    format: FormatOpt = "table",
) -> None:
    """Pay per worker over a week or a month: pieces, pay released and pending, hours and
    the effective pay per hour (bills dated in the period; hours from their --minutes).

    Example: piecepay pay --week 2026-W47 --minimum-wage 15.00/h
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.pay import pay as build_pay

    fmt, period = list_format(format), inputs.pay_period(week, month)
    inputs.pay_grouping(by)
    wage = inputs.hourly_wage(minimum_wage)
    if currency is not None and wage is None:
        from piecepay.errors import BadInput

        raise BadInput("--currency is the minimum wage's: it goes with --minimum-wage", "conflicting_options")
    code = inputs.currency(currency, in_use=False) if currency is not None else None
    run = invocation(ctx)
    found = build_pay(run.session(write=False), period, campaign, wage, code)
    run.sink.pay(documents.pay(found), fmt)
