"""Bills: a worker's claim for pieces, reserved in escrow until it is released (all or some
pieces) or rejected with a reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from piecepay import rules
from piecepay.errors import BadInput, RuleRefused
from piecepay.journal import resolve_pending, transfer
from piecepay.models import (
    Bill,
    BillStatus,
    Campaign,
    Contract,
    ContractStatus,
    Milestone,
    RevisionStatus,
    pieces_text,
    worker_account_name,
)
from piecepay.money import Money, format_pieces, format_rate
from piecepay.operations import fees, keys
from piecepay.operations.milestones import escrow_id
from piecepay.parties import missing_bill
from piecepay.records import Record
from piecepay.session import Session

AUTO_RELEASE_REASON = "auto-released: the review window passed"


class BillState(Record):
    """A bill with its contract and campaign."""

    bill: Bill
    contract: Contract
    campaign: Campaign


class BillRequest(Record):
    """A bill as typed: the contract may be left out when exactly one is active."""

    contract: str | None
    pieces: Decimal
    proofs: tuple[str, ...] = ()
    note: str | None = None
    minutes: int | None = None
    day: date | None = None


def billing_contract(s: Session, ref: str | None, key: str | None) -> Contract:
    """The contract named, or the one an earlier use of ``key`` billed, or the only active one."""
    if ref is not None:
        return s.store.find_contract(ref)
    billed = keys.contract_id_of(keys.claim(s, key, "bill"))
    if billed is not None:
        return s.store.contract(billed)
    active = s.store.contracts(status=ContractStatus.ACTIVE)
    if len(active) == 1:
        return active[0]
    if not active:
        raise RuleRefused("no active contract to bill; accept an offer first", "no_active_contract")
    choices = ", ".join(k.ref for k in active[:10]) + (" …" if len(active) > 10 else "")
    raise BadInput(
        f"{len(active)} contracts are active; name one (or set PIECEPAY_CONTRACT): {choices}", "contract_ambiguous"
    )


def bill(s: Session, req: BillRequest, key: str | None = None) -> BillState:
    """Reserve pieces x rate in escrow for the worker, after all five rules pass."""
    with s.store.write():
        contract = billing_contract(s, req.contract, key)
        campaign = s.store.campaign(contract.campaign_id)
        milli = rules.pieces_in_steps(req.pieces, campaign)
        request = bill_request(contract, milli, req)
        first = keys.replay(s, key, "bill", request, BillState, lambda doc: bill_state(s, int(doc["id"])))
        if first is not None:
            return first
        result = _bill(s, req, contract, campaign, milli)
        keys.remember(s, key, "bill", request, result)
        return result


def _bill(s: Session, req: BillRequest, contract: Contract, campaign: Campaign, milli: int) -> BillState:
    amount = rules.reserved_amount(milli, rules.reserving_rate(contract.rate, contract.tiers), campaign)
    effective = s.day(req.day)
    rules.check_effective_date(effective, s.today, contract.accepted_on, "bill")
    facts = bill_facts(s, contract, campaign, s.store.open_milestone(contract.id))
    milestone = rules.check_bill(facts, milli, amount, effective)
    worker = s.store.ensure_account(worker_account_name(contract.worker_handle), campaign.currency)
    bill_id = s.store.next_bill_id()
    entry_id = s.store.next_entry_id()
    s.store.insert_bill(pending_bill(bill_id, contract, milestone, milli, amount, req, effective, entry_id))
    s.store.add_contract_pieces(contract.id, pending=milli)
    written = s.move(
        "bill",
        effective,
        bill_memo(bill_id, bill_terms(milli, campaign, contract, amount), req.note),
        transfer(escrow_id(contract), worker.id, amount.minor, "pending"),
        contract.id,
        bill_id,
    )
    assert written == entry_id
    fees.hold(s, contract, campaign, bill_id, amount, effective)
    return bill_state(s, bill_id)


def bill_facts(s: Session, contract: Contract, campaign: Campaign, milestone: Milestone | None) -> rules.BillFacts:
    """What the rules of a bill (or of a rejected bill released after all) read, now: what
    ``milestone``'s cap has spent, what the escrow has available, the campaign's committed pieces."""
    escrow = s.store.account(contract.escrow_account_id) if contract.escrow_account_id else None
    zero = Money.zero(campaign.currency)
    return rules.BillFacts(
        campaign=campaign,
        contract=contract,
        milestone=milestone,
        milestone_spent=s.store.milestone_spent(milestone) if milestone else zero,
        escrow_available=escrow.escrow_available if escrow else zero,
        campaign_pieces_committed_milli=s.store.campaign_committed(campaign.id)[1],
        today=s.today,
    )


def bill_request(contract: Contract, milli: int, req: BillRequest) -> dict[str, object]:
    """A bill's request as its idempotency key keeps it: the contract by id, pieces canonical."""
    return named_request(keys.contract_key(contract), format_pieces(milli), req)


def named_request(contract: str, pieces: str, req: BillRequest) -> dict[str, object]:
    """``bill_request`` given the contract as ``keys.contract_key`` names it and the pieces as
    ``format_pieces`` writes them (for a writer of many bills that keeps both)."""
    return {
        "contract": contract,
        "pieces": pieces,
        "proofs": list(req.proofs),
        "note": req.note,
        "minutes": req.minutes,
        "date": req.day.isoformat() if req.day else None,
    }


def pending_bill(
    bill_id: int,
    contract: Contract,
    milestone: Milestone,
    milli: int,
    amount: Money,
    req: BillRequest,
    effective: date,
    entry_id: int,
) -> Bill:
    """A new bill as it is written: pending, reserved by entry ``entry_id``."""
    zero = Money.zero(amount.currency)
    return Bill(
        bill_id,
        contract.id,
        milestone.id,
        milli,
        contract.rate,
        amount,
        BillStatus.PENDING,
        0,
        zero,
        None,
        req.note,
        req.minutes,
        req.proofs,
        effective,
        None,
        entry_id,
        None,
    )


def bill_terms(milli: int, campaign: Campaign, contract: Contract, amount: Money) -> str:
    """A bill's terms in words: '5 photos x 5.00 = 25.00 USD on photos/ana'."""
    return f"{pieces_text(milli, campaign.unit)} x {format_rate(contract.rate)} = {amount} on {contract.ref}"


def bill_memo(bill_id: int, terms: str, note: str | None) -> str:
    """The journal's words for a bill: 'bill 7: 5 photos x 5.00 = 25.00 USD on photos/ana (note)'."""
    memo = f"bill {bill_id}: {terms}"
    if note:
        memo += f" ({' '.join(note.split())})"
    return memo


def bill_state(s: Session, bill_id: int) -> BillState:
    found = find_bill(s, bill_id)
    contract = s.store.contract(found.contract_id)
    return BillState(found, contract, s.store.campaign(contract.campaign_id))


def find_bill(s: Session, bill_id: int) -> Bill:
    found = s.store.bill(bill_id)
    if found is None:
        raise missing_bill(bill_id)
    return found


def resolve(
    s: Session,
    found: Bill,
    contract: Contract,
    campaign: Campaign,
    released_milli: int,
    effective: date,
    reason: str | None,
) -> None:
    """Post ``released_milli`` of a pending bill (0 voids it); the rest returns to escrow. The
    contract's running total is read as it stands now (a caller resolving several bills of one
    contract, as an end does, holds the contract as it was before the first)."""
    contract = s.store.contract(contract.id)
    posted, carry = rules.release_share(found, contract, released_milli, campaign, _position(s, found, contract))
    worker = s.store.ensure_account(worker_account_name(contract.worker_handle), campaign.currency)
    kind = "release" if released_milli else "reject"
    memo = (
        f"{kind} bill {found.id}: {format_pieces(released_milli)} of {pieces_text(found.pieces_milli, campaign.unit)}, "
        f"{posted} on {contract.ref}"
    )
    if reason:
        memo += f" ({reason})"
    postings = resolve_pending(escrow_id(contract), worker.id, found.amount.minor, posted.minor)
    entry_id = s.store.next_entry_id()
    s.store.resolve_bill(found, released_milli, posted, reason, effective, entry_id)
    s.store.add_contract_pieces(
        contract.id, pending=-found.pieces_milli, released=released_milli, rejected=found.pieces_milli - released_milli
    )
    if carry != contract.released_carry:
        s.store.set_released_carry(contract.id, carry)
    written = s.move(kind, effective, memo, postings, contract.id, found.id)
    assert written == entry_id
    fees.settle(s, contract, campaign, found.id, found.amount, posted, effective)


def _position(s: Session, found: Bill, contract: Contract) -> int:
    """The pieces (thousandths) released before ``found`` in its tier period on a tiered
    contract (0 on any other)."""
    if not contract.tiers:
        return 0
    period = rules.tier_period(contract.tier_period, found.effective_date)
    return s.store.released_between(contract.id, period.first, period.last)


def on_bill(
    s: Session,
    key: str | None,
    command: str,
    bill_id: int,
    asked: Callable[[BillState], dict[str, object]],
    act: Callable[[BillState], None],
) -> BillState:
    """One action on one bill (release, reject, revise, resubmit) in one transaction: the
    bill found with its contract and campaign, the request as ``key`` keeps it (``asked``:
    a bad value is refused before the key is looked up), the first result replayed when the
    same key comes with the same request, else ``act`` and the bill as it is after it."""
    with s.store.write():
        keys.claim(s, key, command)
        found = find_bill(s, bill_id)
        contract = s.store.contract(found.contract_id)
        state = BillState(found, contract, s.store.campaign(contract.campaign_id))
        request = asked(state)
        first = keys.replay(s, key, command, request, BillState, lambda doc: bill_state(s, int(doc["id"])))
        if first is not None:
            return first
        act(state)
        result = bill_state(s, bill_id)
        keys.remember(s, key, command, request, result)
        return result


def _pieces(pieces: Decimal | None, campaign: Campaign) -> int | None:
    return rules.pieces_in_steps(pieces, campaign) if pieces is not None else None


def release(
    s: Session,
    bill_id: int,
    pieces: Decimal | None = None,
    day: date | None = None,
    key: str | None = None,
    *,
    auto: bool = False,
) -> BillState:
    """Approve an open bill, in full or for fewer pieces; the rest goes back to escrow. A
    rejected bill is released after all, within its campaign's reversal window (a reversal).

    ``auto`` marks the release the sweep makes when the client stayed silent.
    """

    def asked(on: BillState) -> dict[str, object]:
        milli = _pieces(pieces, on.campaign)
        return {
            "bill": bill_id,
            "pieces": format_pieces(milli) if milli is not None else None,
            "date": day.isoformat() if day else None,
            "auto": auto,
        }

    def act(on: BillState) -> None:
        found, contract, campaign = on
        milli = _pieces(pieces, campaign)
        released = milli if milli is not None else found.pieces_milli
        effective = s.day(day)
        if found.status is BillStatus.REJECTED and not auto:
            _reverse(s, found, contract, campaign, released, effective)
            return
        rules.check_pending_bill(found)
        rules.check_release_pieces(found, released)
        rules.check_effective_date(effective, s.today, found.effective_date, "release", "bill")
        reason = AUTO_RELEASE_REASON if auto else None if released == found.pieces_milli else "partial release"
        resolve(s, found, contract, campaign, released, effective, reason)

    return on_bill(s, key, "release", bill_id, asked, act)


def _reverse(s: Session, found: Bill, contract: Contract, campaign: Campaign, released: int, effective: date) -> None:
    """Release a rejected bill after all (all or ``released`` of its pieces), as a new entry
    that names the rejection it reverses, once escrow, its milestone's cap and the piece
    limits have room for it now."""
    assert found.resolved_on is not None and found.resolve_entry_id is not None
    amount, carry = rules.release_share(found, contract, released, campaign, _position(s, found, contract))
    facts = bill_facts(s, contract, campaign, s.store.milestone(found.milestone_id))
    rules.check_reversal(found, facts, released, amount)
    rules.check_effective_date(effective, s.today, found.resolved_on, "release", "rejection")
    worker = s.store.ensure_account(worker_account_name(contract.worker_handle), campaign.currency)
    rejection = found.resolve_entry_id
    reason = f"reverses the rejection in entry {rejection}"
    memo = (
        f"release bill {found.id} after its rejection (entry {rejection}): {format_pieces(released)} of "
        f"{pieces_text(found.pieces_milli, campaign.unit)}, {amount} on {contract.ref}"
    )
    entry_id = s.store.next_entry_id()
    s.store.resolve_bill(found, released, amount, reason, effective, entry_id)
    s.store.add_contract_pieces(contract.id, pending=0, released=released, rejected=-released)
    if carry != contract.released_carry:
        s.store.set_released_carry(contract.id, carry)
    written = s.move(
        "reversal",
        effective,
        memo,
        transfer(escrow_id(contract), worker.id, amount.minor, "posted"),
        contract.id,
        found.id,
    )
    assert written == entry_id
    fees.charge(s, contract, campaign, amount, effective, bill_id=found.id, what=f"bill {found.id}'s reversal")


def revise(s: Session, bill_id: int, reason: str, day: date | None = None, key: str | None = None) -> BillState:
    """Send a pending bill back to its worker for a revision: its reservation is kept and its
    review clock stops until it is resubmitted (or the sweep rejects it when the campaign's
    revision window passes)."""

    def act(on: BillState) -> None:
        found, contract, campaign = on
        rules.check_revisable(found)
        effective = s.day(day)
        rules.check_effective_date(effective, s.today, found.effective_date, "revise", "bill")
        entry_id = s.store.next_entry_id()
        s.store.revise_bill(found, reason, effective, entry_id)
        memo = f"revise bill {found.id}: {pieces_text(found.pieces_milli, campaign.unit)} on {contract.ref} ({reason})"
        written = s.record("revise", memo, contract.id, effective, found.id)
        assert written == entry_id

    return on_bill(s, key, "revise", bill_id, lambda _: _reasoned(bill_id, reason, day), act)


def _reasoned(bill_id: int, reason: str, day: date | None) -> dict[str, object]:
    """The request of a rejection or a revision, as its key keeps it."""
    return {"bill": bill_id, "reason": reason, "date": day.isoformat() if day else None}


class Resubmission(Record):
    """A revised bill as its worker sends it back: fewer pieces or as many, proofs to add, a
    new note or minutes (None: as before)."""

    pieces: Decimal | None = None
    proofs: tuple[str, ...] = ()
    note: str | None = None
    minutes: int | None = None
    day: date | None = None


def resubmit(s: Session, bill_id: int, req: Resubmission, key: str | None = None) -> BillState:
    """A bill out for a revision back for review: its review window starts again on the day it
    comes back; fewer pieces give back the rest of its reservation to escrow."""

    def asked(on: BillState) -> dict[str, object]:
        milli = _pieces(req.pieces, on.campaign)
        return {
            "bill": bill_id,
            "pieces": format_pieces(milli) if milli is not None else None,
            "proofs": list(req.proofs),
            "note": req.note,
            "minutes": req.minutes,
            "date": req.day.isoformat() if req.day else None,
        }

    def act(on: BillState) -> None:
        found, contract, campaign = on
        rules.check_resubmittable(found)
        rules.check_contract_active(contract)
        milli = _pieces(req.pieces, campaign) or found.pieces_milli
        amount = rules.bill_reservation(found, contract, milli, campaign)
        rules.check_resubmitted_pieces(found, milli, amount)
        asked_on = next(r.asked_on for r in s.store.revisions(bill_id) if r.status is RevisionStatus.OPEN)
        effective = s.day(req.day)
        rules.check_effective_date(effective, s.today, asked_on, "resubmit", "revision")
        claimed = found._replace(
            pieces_milli=milli,
            amount=amount,
            note=found.note if req.note is None else req.note,
            minutes=found.minutes if req.minutes is None else req.minutes,
            proofs=found.proofs + tuple(p for p in dict.fromkeys(req.proofs) if p not in found.proofs),
        )
        entry_id = s.store.next_entry_id()
        s.store.resubmit_bill(claimed, effective, entry_id)
        terms = bill_terms(milli, campaign, contract, amount)
        memo = bill_memo(found.id, terms, claimed.note).replace(f"bill {found.id}:", f"resubmit bill {found.id}:", 1)
        postings = []
        if milli != found.pieces_milli:
            memo += f"; was {pieces_text(found.pieces_milli, campaign.unit)}"
            s.store.add_contract_pieces(contract.id, pending=milli - found.pieces_milli)
        if amount != found.amount:  # the rest of the reservation goes back to escrow
            worker = s.store.ensure_account(worker_account_name(contract.worker_handle), campaign.currency)
            postings = transfer(escrow_id(contract), worker.id, amount.minor - found.amount.minor, "pending")
        written = s.move("resubmit", effective, memo, postings, contract.id, found.id)
        assert written == entry_id
        fees.adjust(s, contract, campaign, found.id, found.amount, amount, effective)

    return on_bill(s, key, "resubmit", bill_id, asked, act)


def reject(s: Session, bill_id: int, reason: str, day: date | None = None, key: str | None = None) -> BillState:
    """Refuse an open bill with a reason; its reservation returns to escrow."""

    def act(on: BillState) -> None:
        found, contract, campaign = on
        rules.check_pending_bill(found)
        effective = s.day(day)
        rules.check_effective_date(effective, s.today, found.effective_date, "reject", "bill")
        resolve(s, found, contract, campaign, 0, effective, reason)

    return on_bill(s, key, "reject", bill_id, lambda _: _reasoned(bill_id, reason, day), act)
