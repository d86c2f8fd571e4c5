"""A worker's statement over a period: every entry that concerns them, their balance before
and after, what they earned, were paid out and still have reserved, their pay per hour,
and their earnings week by week."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from piecepay.dates import Period
from piecepay.models import Worker, worker_account_name
from piecepay.money import Currency, Money
from piecepay.operations.pay import pay_row
from piecepay.records import Record
from piecepay.session import Session

if TYPE_CHECKING:
    from piecepay.models import Contract
    from piecepay.store.sqlite import WorkerEntry

# The entries of a worker's contracts a statement shows even when they move nothing of
# the worker's account; any other entry shows when it moves something there.
BILL_KINDS = frozenset({"bill", "release", "reject", "revise", "resubmit", "reversal"})


class StatementLine(Record):
    """One entry in one currency. ``reserved`` is what it changed of the pay held reserved
    for the worker, ``posted`` of what the worker is owed (credits less debits), each None
    when it moved none; ``text`` is the bill's note, a rejection's or revision's reason, or
    the entry's memo for an entry about no bill."""

    entry_id: int
    day: date
    kind: str
    contract: str | None
    bill_id: int | None
    pieces_milli: int | None
    unit: str | None
    currency: Currency | None
    reserved: Money | None
    posted: Money | None
    text: str | None


class StatementTotals(Record):
    """One currency over the period: the balance owed before it and at its end, what was
    earned (posted to the worker, by entry kind) and paid out in it, what is still reserved
    at its end, and the pay per hour as ``piecepay pay`` figures it: the pay released for the
    bills dated in the period and the bonuses dated in it, over the minutes of those bills and
    of the time recorded apart from bills (None without minutes)."""

    currency: Currency
    opening: Money
    closing: Money
    earned: Money
    earned_by_kind: tuple[tuple[str, Money], ...]
    paid_out: Money
    pending: Money
    bills_released: Money  # and the bonuses dated in the period
    minutes: int
    hourly: Money | None


class WeekEarnings(Record):
    """What was earned in one ISO week, within the period (``first`` to ``last``), one
    amount per currency of the statement, in the statement's order."""

    week: str
    first: date
    last: date
    earned: tuple[Money, ...]


class Statement(Record):
    worker: Worker
    period: Period
    lines: tuple[StatementLine, ...]
    totals: tuple[StatementTotals, ...]
    weeks: tuple[WeekEarnings, ...]


def statement(s: Session, worker_ref: str, period: Period | None = None) -> Statement:
    """The statement of one worker over ``period`` (default: the month of the session's
    today), read in one snapshot; every figure per currency, by effective date."""
    if period is None:
        from piecepay.inputs import month_of

        period = month_of(s.today)
    store = s.store
    with store.snapshot():
        worker = store.find_worker(worker_ref)
        account = worker_account_name(worker.handle)
        contracts = {k.id: k for k in store.contracts() if k.worker_id == worker.id}
        units = {c.id: (c.unit, c.currency) for c in store.campaigns()}
        found = store.worker_entries(worker.id, account, period.first, period.last)
        balances = store.worker_balances(worker.id, account, period.first, period.last)
        pay = [p for p in store.worker_pay(period.first, period.last) if p.worker_handle == worker.handle]
        lines = [line for entry in found for line in _lines(s, entry, contracts, units)]
    currencies = {b.currency.code: b.currency for b in balances}
    currencies.update((units[k.campaign_id][1].code, units[k.campaign_id][1]) for k in contracts.values())
    currencies.update((p.currency.code, p.currency) for p in pay)
    order = [currencies[code] for code in sorted(currencies)]
    kept = {b.currency.code: b for b in balances}
    worked = {p.currency.code: p for p in pay}
    totals = tuple(_totals(c, lines, kept.get(c.code), worked.get(c.code)) for c in order)
    return Statement(worker, period, tuple(lines), totals, _weeks(period, lines, order))


def _lines(
    s: Session, entry: WorkerEntry, contracts: dict[int, Contract], units: dict[int, tuple[str, Currency]]
) -> list[StatementLine]:
    """The lines of one entry: one per currency it moved on the worker's account, or one
    without money for an entry about a bill that moved none there; none for any other."""
    contract = contracts.get(entry.contract_id) if entry.contract_id is not None else None
    if not entry.moved and not (contract is not None and entry.kind in BILL_KINDS):
        return []
    unit, currency = units[contract.campaign_id] if contract is not None else (None, None)
    pieces, text = _bill_terms(s, entry) if entry.bill_id is not None and entry.kind in BILL_KINDS else (None, None)
    if entry.bill_id is None or entry.kind not in BILL_KINDS:
        text = entry.memo
    base = StatementLine(
        entry.id,
        entry.effective_date,
        entry.kind,
        contract.ref if contract is not None else None,
        entry.bill_id,
        pieces,
        unit if pieces is not None else None,
        currency,
        None,
        None,
        text,
    )
    if not entry.moved:
        return [base]
    return [
        base._replace(
            currency=money_in,
            reserved=Money(reserved, money_in) if reserved else None,
            posted=Money(posted, money_in) if posted else None,
        )
        for money_in, reserved, posted in entry.moved
    ]


def _bill_terms(s: Session, entry: WorkerEntry) -> tuple[int | None, str | None]:
    """The pieces and the words of an entry about a bill, as the bill stood when the entry
    was written (the image the entry sealed; the bill as it is now in a ledger from before
    facts were sealed): pieces billed, resubmitted, rejected or sent back with the note or
    reason; pieces released with the release's reason."""
    assert entry.bill_id is not None
    image = _sealed_bill(entry.facts, entry.bill_id)
    if image is None:
        bill = s.store.bill(entry.bill_id)
        if bill is None:
            return None, None
        image = {
            "pieces_milli": bill.pieces_milli,
            "released_pieces_milli": bill.released_pieces_milli,
            "note": bill.note,
            "reason": bill.reason,
        }
    if entry.kind in ("release", "reversal"):
        return image.get("released_pieces_milli"), image.get("reason")
    if entry.kind in ("bill", "resubmit"):
        return image.get("pieces_milli"), image.get("note")
    if entry.kind == "revise":
        return image.get("pieces_milli"), entry.revision_reason
    return image.get("pieces_milli"), image.get("reason")


def _sealed_bill(facts: str | None, bill_id: int) -> dict[str, Any] | None:
    if not facts:
        return None
    image = json.loads(facts).get("bills", {}).get(str(bill_id))
    return image if isinstance(image, dict) else None


def _totals(currency: Currency, lines: list[StatementLine], kept: Any, worked: Any) -> StatementTotals:
    zero = Money.zero(currency)
    earned: dict[str, Money] = {}
    paid = zero
    for line in lines:
        if line.posted is None or line.currency is None or line.currency.code != currency.code:
            continue
        if line.posted.minor > 0:
            earned[line.kind] = earned.get(line.kind, zero) + line.posted
        else:
            paid = paid - line.posted
    row = pay_row(worked, None) if worked is not None else None
    released = row.released + row.bonuses if row is not None else zero
    minutes = row.minutes if row is not None else 0
    return StatementTotals(
        currency,
        Money(kept.opening, currency) if kept is not None else zero,
        Money(kept.closing, currency) if kept is not None else zero,
        sum(earned.values(), zero),
        tuple(sorted(earned.items())),
        paid,
        Money(kept.pending, currency) if kept is not None else zero,
        released,
        minutes,
        row.hourly if row is not None else None,
    )


def _weeks(period: Period, lines: list[StatementLine], order: list[Currency]) -> tuple[WeekEarnings, ...]:
    """Every ISO week the period touches, cut to the period, with what was earned in it."""
    earned: dict[tuple[date, str], int] = {}
    for line in lines:  # every line is dated within the period
        if line.posted is not None and line.posted.minor > 0 and line.currency is not None:
            key = (line.day - timedelta(days=line.day.weekday()), line.currency.code)
            earned[key] = earned.get(key, 0) + line.posted.minor
    weeks = []
    monday = period.first - timedelta(days=period.first.weekday())
    while monday <= period.last:
        year, number, _ = monday.isocalendar()
        amounts = tuple(Money(earned.get((monday, c.code), 0), c) for c in order)
        first, last = max(monday, period.first), min(monday + timedelta(days=6), period.last)
        weeks.append(WeekEarnings(f"{year}-W{number:02d}", first, last, amounts))
        monday += timedelta(days=7)
    return tuple(weeks)
