"""Payouts: released earnings paid to a worker outside piecepay (bank, PayPal…)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from piecepay import rules
from piecepay.journal import transfer
from piecepay.models import PAYOUT_ACCOUNT, worker_account_name
from piecepay.money import Currency, Money, format_rate, money_from
from piecepay.operations import keys
from piecepay.records import Record
from piecepay.session import Session


class Payout(Record):
    """A payout as recorded: its entry, the worker, the amount and what is still owed."""

    entry_id: int
    worker: str
    amount: Money
    owed: Money
    ref: str | None
    day: date


def payout(
    s: Session,
    worker_ref: str,
    amount: Decimal | None = None,
    currency: str | None = None,
    ref: str | None = None,
    day: date | None = None,
    key: str | None = None,
) -> Payout:
    """Record that released earnings were paid to the worker outside piecepay."""
    with s.store.write():
        keys.claim(s, key, "payout")
        worker = s.store.find_worker(worker_ref)
        owed = {a.currency.code: a for a in s.store.accounts_named(worker_account_name(worker.handle))}
        request = {
            "worker": worker.handle,
            "amount": format_rate(amount) if amount is not None else None,
            "currency": currency,
            "ref": ref,
            "date": day.isoformat() if day else None,
        }
        first = keys.replay(s, key, "payout", request, Payout, lambda doc: _legacy(doc))
        if first is not None:
            return first
        in_credit = [code for code, account in owed.items() if account.credit_balance.minor > 0]
        code = rules.payout_currency(worker.handle, currency, in_credit)
        account = owed[code]
        balance = account.credit_balance
        paid = money_from(amount, account.currency, what="payout") if amount is not None else balance
        rules.check_payout(worker.handle, balance, paid)
        effective = s.day(day)
        rules.check_effective_date(effective, s.today, None, "payout")
        sink = s.store.ensure_account(PAYOUT_ACCOUNT, account.currency)
        memo = f"payout {paid} to {worker.handle}" + (f" ({ref})" if ref else "")
        entry_id = s.move("payout", effective, memo, transfer(account.id, sink.id, paid.minor, "posted"))
        result = Payout(entry_id, worker.handle, paid, balance - paid, ref, effective)
        keys.remember(s, key, "payout", request, result)
        return result


def _legacy(document: dict[str, Any]) -> Payout:
    """A payout a 0.1.0 key recorded, from its document."""
    currency = Currency(document["currency"], len(document["amount"].partition(".")[2]))
    return Payout(
        int(document["id"]),
        document["worker"],
        Money(int(document["amount_minor"]), currency),
        Money(int(document["owed_minor"]), currency),
        document.get("ref"),
        date.fromisoformat(document["date"]),
    )
