"""piecepay bonus, makeup and time"""

from typing import Annotated

import typer

from piecepay.cli.invocation import invocation
from piecepay.cli.options import DateOpt, KeyOpt


def bonus(
    ctx: typer.Context,
    contract: Annotated[str, typer.Argument(help="Contract id or campaign/worker.")],
    amount: Annotated[str, typer.Option(help="How much, in the campaign's currency.")],
    reason: Annotated[str, typer.Option(help="Why: shown to the worker and kept in the journal.")],
    from_funding: Annotated[
        bool, typer.Option("--from-funding", help="Pay straight from the client, not from the contract's escrow.")
    ] = False,
    date: DateOpt = None,
    key: KeyOpt = None,
) -> None:
    """Pay a worker a bonus on a contract, posted at once: from what its escrow has available,
    or with --from-funding straight from the client.

    Example: piecepay bonus photos/ana --amount 10 --reason "rush weekend"
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.models import BonusSource
    from piecepay.operations.bonuses import bonus as pay_bonus

    typed = inputs.amount(amount, "bonus")
    assert typed is not None
    source = BonusSource.FUNDING if from_funding else BonusSource.ESCROW
    checked = inputs.bonus_reason(reason)
    day, typed_key = inputs.day(date, "bonus date"), inputs.key(key)
    run = invocation(ctx)
    done = pay_bonus(run.session(write=True), contract, typed, checked, source, day, typed_key)
    run.sink.record("bonus", documents.bonus(done))


def makeup(
    ctx: typer.Context,
    minimum_wage: Annotated[
        str | None,
        typer.Option(
            metavar="AMOUNT/h", help="The wage per hour to make pay up to: 15.00/h (default: the campaign's)."
        ),
    ] = None,
    week: Annotated[
        str | None, typer.Option(metavar="YYYY-Www", help="An ISO week, Monday to Sunday: 2026-W47.")
    ] = None,
    month: Annotated[str | None, typer.Option(metavar="YYYY-MM", help="A calendar month: 2026-11.")] = None,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign's bills and time.")] = None,
    currency: Annotated[
        str | None, typer.Option(help="The minimum wage's currency (default the campaign's, else USD).")
    ] = None,
    date: DateOpt = None,
) -> None:
    """Pay each worker's shortfall against a minimum wage over a week or a month as a bonus
    from the client's funding, all in one transaction; run again, it pays only what is still
    short (nothing, if nothing changed).

    Example: piecepay makeup --week 2026-W47 --minimum-wage 15.00/h
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.bonuses import makeup as make_up

    period = inputs.pay_period(week, month)
    wage = inputs.hourly_wage(minimum_wage)
    code = inputs.currency(currency, in_use=False) if currency is not None else None
    day = inputs.day(date, "make-up date")
    run = invocation(ctx)
    done = make_up(run.session(write=True), period, wage, code, campaign, day)
    run.sink.made_up(documents.made_up(done))


def time(
    ctx: typer.Context,
    contract: Annotated[str, typer.Argument(help="Contract id or campaign/worker.")],
    minutes: Annotated[str, typer.Option(help="Minutes worked.")],
    note: Annotated[str | None, typer.Option(help="What the time was for.")] = None,
    date: DateOpt = None,
    key: KeyOpt = None,
) -> None:
    """Record time worked on a contract that no bill names; it counts in `piecepay pay`.

    Example: piecepay time photos/ana --minutes 30 --date 2026-11-17 --note "training"
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.bonuses import record_time

    counted = inputs.count(minutes, "minutes")
    assert counted is not None
    checked, day, typed_key = inputs.time_note(note), inputs.day(date, "time date"), inputs.key(key)
    run = invocation(ctx)
    done = record_time(run.session(write=True), contract, counted, day, checked, typed_key)
    run.sink.record("time", documents.work_time(done))


def fees(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help="Campaign slug.")],
    what_if: Annotated[
        str | None, typer.Option(metavar="PERCENT", help="Another fee to charge the same payments under: 15%.")
    ] = None,
    fee_min: Annotated[str | None, typer.Option(help="With --what-if: that fee's minimum.")] = None,
) -> None:
    """What a campaign's payments (releases, reversals, bonuses) were charged in fees, and
    what another fee would have charged on the very same payments.

    Example: piecepay fees photos --what-if 15%
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.errors import BadInput
    from piecepay.operations.fees import what_if as fees_under

    percent = inputs.fee_percent(what_if)
    if fee_min is not None and percent is None:
        raise BadInput("--fee-min is the --what-if fee's minimum: it goes with --what-if", "conflicting_options")
    minimum = inputs.amount(fee_min, "--fee-min")
    run = invocation(ctx)
    session = run.session(write=False)
    found = fees_under(session, campaign, percent, minimum)
    run.sink.record("fees", documents.fees(found))
