"""Bonuses: money paid to a worker on a contract beyond their pieces, posted at once, from
the contract's escrow or straight from the client; and make-up pay, the bonuses that bring
a period's pay up to a minimum wage."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from piecepay import rules
from piecepay.dates import Period
from piecepay.journal import transfer
from piecepay.models import CLIENT_ACCOUNT, Bonus, BonusSource, Contract, WorkTime, worker_account_name
from piecepay.money import Money, format_rate, money_from
from piecepay.operations import fees, keys
from piecepay.operations.milestones import escrow_id
from piecepay.operations.pay import Pay, pay_now
from piecepay.records import Record
from piecepay.session import Session

KINDS = {BonusSource.ESCROW: "bonus", BonusSource.FUNDING: "funded_bonus"}


class BonusState(Record):
    """A bonus as recorded, with its contract."""

    bonus: Bonus
    contract: Contract


def bonus(
    s: Session,
    contract_ref: str,
    amount: Decimal,
    reason: str,
    source: BonusSource = BonusSource.ESCROW,
    day: date | None = None,
    key: str | None = None,
) -> BonusState:
    """Pay ``amount`` to the contract's worker at once, from its escrow (what is available:
    never what pending bills reserve) or straight from the client's funding."""
    with s.store.write():
        keys.claim(s, key, "bonus")
        contract = s.store.find_contract(contract_ref)
        request = {
            "contract": keys.contract_key(contract),
            "amount": format_rate(amount),  # 5, 5.0 and 5.00 are one request
            "reason": reason,
            "source": source.value,
            "date": day.isoformat() if day else None,
        }
        first = keys.replay(s, key, "bonus", request, BonusState, lambda doc: bonus_state(s, int(doc["id"])))
        if first is not None:
            return first
        campaign = s.store.campaign(contract.campaign_id)
        paid = money_from(amount, campaign.currency, what="bonus")
        result = _pay(s, contract, paid, reason, source, s.day(day), None)
        keys.remember(s, key, "bonus", request, result)
        return result


def _pay(
    s: Session,
    contract: Contract,
    paid: Money,
    reason: str,
    source: BonusSource,
    effective: date,
    makeup_period: str | None,
) -> BonusState:
    """Check the rules of a bonus and write it: its row and the entry that posts it."""
    escrow = s.store.account(contract.escrow_account_id) if contract.escrow_account_id else None
    campaign = s.store.campaign(contract.campaign_id)
    fee = rules.fee_of(campaign, paid)
    rules.check_bonus(contract, paid, fee, source, escrow.escrow_available if escrow else None)
    rules.check_effective_date(effective, s.today, contract.accepted_on, "bonus")
    worker = s.store.ensure_account(worker_account_name(contract.worker_handle), paid.currency)
    if source is BonusSource.ESCROW:
        payer = escrow_id(contract)
    else:
        payer = s.store.ensure_account(CLIENT_ACCOUNT, paid.currency).id
    entry_id = s.store.next_entry_id()
    bonus_id = s.store.insert_bonus(contract.id, paid, source, reason, makeup_period, effective, entry_id)
    where = "from escrow" if source is BonusSource.ESCROW else "from the client's funding"
    memo = f"bonus {bonus_id}: {paid} to {contract.worker_handle} on {contract.ref} {where} ({reason})"
    written = s.move(KINDS[source], effective, memo, transfer(payer, worker.id, paid.minor, "posted"), contract.id)
    assert written == entry_id
    funded = source is BonusSource.FUNDING
    fees.charge(s, contract, campaign, paid, effective, from_funding=funded, what=f"bonus {bonus_id}")
    return bonus_state(s, bonus_id)


def bonus_state(s: Session, bonus_id: int) -> BonusState:
    found = s.store.bonus(bonus_id)
    assert found is not None, f"bonus {bonus_id} is gone"
    return BonusState(found, s.store.contract(found.contract_id))


class MadeUp(Record):
    """What a make-up run paid: the period's pay before it, and a bonus per worker short of
    the wage (none where a worker earned it, or was made up already)."""

    before: Pay
    paid: tuple[BonusState, ...]


def makeup(
    s: Session,
    period: Period,
    wage: Decimal | None,
    wage_currency: str | None = None,
    campaign_ref: str | None = None,
    day: date | None = None,
) -> MadeUp:
    """Pay each worker's shortfall against ``wage`` an hour over ``period`` as a bonus from the
    client's funding, all in one transaction. Each bonus names the period and is dated in it
    (its last day, or today while it runs), and the shortfall counts the bonuses dated in the
    period, so a second run pays only what is still short: run twice, it writes once."""
    effective = rules.makeup_date(period, s.today, day)
    with s.store.write():
        before = pay_now(s, period, campaign_ref, wage, wage_currency)
        rules.check_makeup_wage(before.wage, campaign_ref)
        campaign_id = s.store.find_campaign(campaign_ref).id if campaign_ref is not None else None
        paid = []
        for row in before.rows:
            if row.shortfall is None or not row.shortfall:
                continue
            contract = s.store.makeup_contract(row.worker, row.currency.code, period.first, period.last, campaign_id)
            assert contract is not None, f"{row.worker} has hours in {period.name} but no contract"
            assert before.wage is not None
            reason = f"make-up to {before.wage.decimal}/h for {period.name}"
            paid.append(_pay(s, contract, row.shortfall, reason, BonusSource.FUNDING, effective, period.name))
    return MadeUp(before, tuple(paid))


class TimeState(Record):
    """Time recorded on a contract, with the contract."""

    time: WorkTime
    contract: Contract


def record_time(
    s: Session,
    contract_ref: str,
    minutes: int,
    day: date | None = None,
    note: str | None = None,
    key: str | None = None,
) -> TimeState:
    """Record minutes worked on an active contract that no bill names (training, waiting,
    a meeting): they count in the hours of ``piecepay pay`` for their date."""
    with s.store.write():
        keys.claim(s, key, "time")
        contract = s.store.find_contract(contract_ref)
        request = {
            "contract": keys.contract_key(contract),
            "minutes": minutes,
            "date": day.isoformat() if day else None,
            "note": note,
        }
        first = keys.replay(s, key, "time", request, TimeState, lambda doc: time_state(s, int(doc["id"])))
        if first is not None:
            return first
        rules.check_time(contract)
        effective = s.day(day)
        rules.check_effective_date(effective, s.today, contract.accepted_on, "time")
        entry_id = s.store.next_entry_id()
        time_id = s.store.insert_work_time(contract.id, minutes, effective, note, entry_id)
        memo = f"time {time_id}: {minutes} minutes on {contract.ref}" + (f" ({note})" if note else "")
        written = s.record("time_recorded", memo, contract.id, effective)
        assert written == entry_id
        result = time_state(s, time_id)
        keys.remember(s, key, "time", request, result)
        return result


def time_state(s: Session, time_id: int) -> TimeState:
    found = s.store.work_time(time_id)
    assert found is not None, f"time {time_id} is gone"
    return TimeState(found, s.store.contract(found.contract_id))
