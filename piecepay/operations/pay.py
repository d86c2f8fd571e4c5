"""What each worker earned in a week or a month, for the time the work took: pieces, pay
released and still pending, bonuses, hours, the effective pay per hour, and what a minimum
wage would have paid more."""

from decimal import Decimal
from typing import TYPE_CHECKING

from piecepay.dates import Period
from piecepay.money import Currency, Money, hourly_pay, money_from, wage_shortfall
from piecepay.records import Record
from piecepay.session import Session

if TYPE_CHECKING:
    from piecepay.store.sqlite import WorkerPay

DEFAULT_WAGE_CURRENCY = "USD"


class PayRow(Record):
    """One worker's bills in one currency over the period. ``hourly`` is None when no minutes
    were recorded; ``shortfall`` is None without a wage, for another currency than the
    wage's, or when no minutes were recorded."""

    worker: str
    currency: Currency
    bills: int
    pieces_billed_milli: int
    pieces_released_milli: int
    released: Money
    bonuses: Money
    pending: Money
    minutes: int  # of the bills, and recorded apart from them (`piecepay time`)
    bills_without_minutes: int
    hourly: Money | None  # (released + bonuses) an hour
    shortfall: Money | None  # what a wage an hour pays more than released + bonuses


class Pay(Record):
    period: Period
    wage: Money | None  # per hour, in its currency
    rows: tuple[PayRow, ...]


def pay(
    s: Session,
    period: Period,
    campaign_ref: str | None = None,
    wage: Decimal | None = None,
    wage_currency: str | None = None,
) -> Pay:
    """Per worker and currency, the bills whose effective date falls in ``period`` (of one
    campaign, or of every one), with the effective pay per hour and, given a ``wage`` per hour
    in ``wage_currency`` (default the campaign's currency, else USD), the shortfall of the
    rows in that currency."""
    with s.store.snapshot():
        return pay_now(s, period, campaign_ref, wage, wage_currency)


def pay_now(
    s: Session,
    period: Period,
    campaign_ref: str | None = None,
    wage: Decimal | None = None,
    wage_currency: str | None = None,
) -> Pay:
    """``pay`` in the transaction under way (a make-up's, which pays what it finds short). The
    wage is the one given, else the campaign's own (``campaign create --minimum-wage``)."""
    campaign = s.store.find_campaign(campaign_ref) if campaign_ref is not None else None
    hourly = campaign.minimum_wage if campaign is not None and wage_currency is None else None
    if wage is not None:
        code = wage_currency or (campaign.currency.code if campaign else DEFAULT_WAGE_CURRENCY)
        hourly = money_from(wage, _currency(s, code), what="--minimum-wage")
    found = s.store.worker_pay(period.first, period.last, campaign.id if campaign else None)
    return Pay(period, hourly, tuple(pay_row(figures, hourly) for figures in found))


def _currency(s: Session, code: str) -> Currency:
    """The currency as the ledger keeps it, or from ISO 4217 data when the ledger has none of it."""
    kept = s.store.currency(code)
    if kept is not None:
        return kept
    from piecepay.money import currency_digits

    return Currency(code, currency_digits(code))


def pay_row(f: "WorkerPay", wage: Money | None) -> PayRow:
    """One worker's figures in one currency as pay shows them (with a wage: its shortfall)."""
    released, pending = Money(f.released_minor, f.currency), Money(f.pending_minor, f.currency)
    bonuses = Money(f.bonus_minor, f.currency)
    minutes = f.minutes + f.time_minutes
    short = None
    if wage is not None and wage.currency.code == f.currency.code and minutes > 0:
        short = wage_shortfall(wage, minutes, released + bonuses)
    return PayRow(
        f.worker_handle,
        f.currency,
        f.bills,
        f.pieces_milli,
        f.released_pieces_milli,
        released,
        bonuses,
        pending,
        minutes,
        f.bills_without_minutes,
        hourly_pay(released + bonuses, minutes),
        short,
    )
