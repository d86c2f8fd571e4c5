"""Payees: what each worker was paid out in a tax year, per currency, flagged at a threshold."""

from datetime import date
from decimal import Decimal

from piecepay import rules
from piecepay.money import Currency, Money, money_from
from piecepay.records import Record
from piecepay.session import Session


class Payee(Record):
    """One worker's payouts in the year in one currency, and whether they reach the threshold
    (None: not in the threshold's currency)."""

    worker: str
    name: str | None
    email: str | None
    paid: Money
    payouts: int
    first: date
    last: date
    over_threshold: bool | None


class PayeeTotal(Record):
    """The year's payouts in one currency: how much, how many, to how many workers."""

    paid: Money
    payouts: int
    workers: int


class Payees(Record):
    year: int
    threshold: Money
    rows: tuple[Payee, ...]  # by handle, then currency
    totals: tuple[PayeeTotal, ...]  # one per currency, by currency code


def payees(s: Session, year: int, threshold: Decimal | None = None) -> Payees:
    """Every worker paid out with payouts dated in ``year``, per currency, with the sum, the
    count and the first and last dates, flagged at or over ``threshold`` US dollars (by
    default the 1099-NEC threshold of the year); workers paid nothing that year are left out."""
    with s.store.snapshot():
        limit = money_from(
            rules.payee_threshold(year) if threshold is None else threshold,
            _dollars(s),
            what="--threshold",
        )
        found = s.store.paid_out(date(year, 1, 1), date(year, 12, 31))
    rows = tuple(
        Payee(
            p.worker.handle,
            p.worker.name,
            p.worker.email,
            p.paid,
            p.payouts,
            p.first,
            p.last,
            rules.over_threshold(p.paid, limit),
        )
        for p in found
    )
    return Payees(year, limit, rows, _totals(rows))


def _dollars(s: Session) -> Currency:
    """US dollars as the ledger knows them, or from ISO 4217 data when it has none."""
    known = s.store.currency(rules.NEC_CURRENCY)
    if known is not None:
        return known
    from piecepay.money import currency_digits

    return Currency(rules.NEC_CURRENCY, currency_digits(rules.NEC_CURRENCY))


def _totals(rows: tuple[Payee, ...]) -> tuple[PayeeTotal, ...]:
    per_currency: dict[str, PayeeTotal] = {}
    for row in rows:
        code = row.paid.currency.code
        before = per_currency.get(code, PayeeTotal(Money.zero(row.paid.currency), 0, 0))
        per_currency[code] = PayeeTotal(before.paid + row.paid, before.payouts + row.payouts, before.workers + 1)
    return tuple(total for _, total in sorted(per_currency.items()))
