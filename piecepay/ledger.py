"""The money-moving services: top-up, bill, release, reject, end with refund, payout.

Each runs in one write transaction, gathers its facts there, passes them to the
rules, and writes one journal entry; with a key, a retry replays the first result.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date

from piecepay import views
from piecepay.errors import BadInput, RuleRefused
from piecepay.idempotency import keyed
from piecepay.journal import Posting, resolve_pending, transfer
from piecepay.models import Bill, Campaign, Contract
from piecepay.money import (
    bill_amount,
    format_minor,
    milli_to_pieces,
    normalise_currency,
    parse_amount,
    parse_count,
    parse_pieces,
    pieces_to_milli,
    plain_decimal,
)
from piecepay.rules import (
    BillFacts,
    check_bill,
    check_campaign_open,
    check_contract_active,
    check_effective_date,
    check_end,
    check_payout,
    check_pending_bill,
    check_release_pieces,
    check_top_up,
)
from piecepay.session import Session, parse_date
from piecepay.store import records
from piecepay.store.journal import append_entry, next_entry_id
from piecepay.text import NOTE_MAX, PROOF_MAX, REASON_MAX, REF_MAX, checked_text, optional_text
from piecepay.views import View

CLIENT_ACCOUNT = "client"
PAYOUT_ACCOUNT = "payouts"


def worker_account_name(handle: str) -> str:
    return f"worker:{handle}"


def _effective(s: Session, effective: date, earliest: date | None, what: str, since: str = "contract") -> date:
    check_effective_date(effective, s.today, earliest, what, since)
    return effective


def _contract_and_campaign(s: Session, ref: str) -> tuple[Contract, Campaign]:
    contract = records.find_contract(s.conn, ref)
    return contract, records.campaign_by_id(s.conn, contract.campaign_id)


def _escrow_id(contract: Contract) -> int:
    assert contract.escrow_account_id is not None, "an accepted contract has an escrow account"
    return contract.escrow_account_id


def add_milestone(
    s: Session,
    contract_ref: str,
    top_up: str | None = None,
    cap: str | None = None,
    date_text: str | None = None,
    key: str | None = None,
) -> View:
    """Close the open milestone, top up the escrow and open the next one with its cap."""
    day = parse_date(date_text, s, "milestone date")
    for text, what in ((top_up, "top-up"), (cap, "cap")):
        if text is not None:
            plain_decimal(text, what)
    request = {"contract": contract_ref, "top_up": top_up, "cap": cap, "date": date_text}

    def run() -> View:
        contract, campaign = _contract_and_campaign(s, contract_ref)
        check_contract_active(contract)
        check_campaign_open(campaign, s.today, "adding milestones")
        effective = _effective(s, day, contract.accepted_on, "milestone")
        top_up_minor = (
            parse_amount(top_up, campaign.digits, allow_zero=True, what="top-up") if top_up is not None else 0
        )
        cap_minor = parse_amount(cap, campaign.digits, what="cap") if cap is not None else campaign.milestone_cap_minor
        committed, _ = records.campaign_committed(s.conn, campaign.id)
        check_top_up(campaign, committed, top_up_minor)
        entry_id = next_entry_id(s.conn) if top_up_minor else None
        s.conn.execute(
            "UPDATE milestones SET status = 'closed' WHERE contract_id = ? AND status = 'open'", (contract.id,)
        )
        seq = s.conn.execute(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM milestones WHERE contract_id = ?", (contract.id,)
        ).fetchone()[0]
        s.conn.execute(
            "INSERT INTO milestones (contract_id, seq, top_up_minor, cap_minor, status, opened_on, entry_id) "
            "VALUES (?, ?, ?, ?, 'open', ?, ?)",
            (contract.id, seq, top_up_minor, cap_minor, effective.isoformat(), entry_id),
        )
        milestone = records.open_milestone(s.conn, contract.id)
        assert milestone is not None
        cap_text = f"cap {format_minor(cap_minor, campaign.digits)}" if cap_minor is not None else "no cap"
        if top_up_minor:
            client = records.ensure_account(s.conn, CLIENT_ACCOUNT, campaign.currency)
            memo = (
                f"top-up {format_minor(top_up_minor, campaign.digits)} {campaign.currency} for {contract.ref}: "
                f"milestone {seq}, {cap_text}"
            )
            written = append_entry(
                s.conn,
                s.header("top_up", effective, memo, contract.id),
                transfer(client.id, _escrow_id(contract), top_up_minor),
            )
            assert written == entry_id
        else:
            memo = f"milestone {seq} on {contract.ref} with no top-up, {cap_text}"
            append_entry(s.conn, s.header("milestone_opened", effective, memo, contract.id))
        return views.milestone_view(milestone, contract, campaign, 0)

    return keyed(s, key, "milestone add", request, run)


def list_milestones(s: Session, contract_ref: str) -> list[View]:
    contract, campaign = _contract_and_campaign(s, contract_ref)
    rows = s.conn.execute("SELECT * FROM milestones WHERE contract_id = ? ORDER BY seq", (contract.id,))
    result = []
    for row in rows.fetchall():
        milestone = records.milestone_from_row(row)
        used = records.milestone_used_minor(s.conn, milestone.id)
        result.append(views.milestone_view(milestone, contract, campaign, used))
    return result


def billing_contract(s: Session, ref: str | None) -> Contract:
    """The contract named, or the only active one when none is."""
    if ref is not None:
        return records.find_contract(s.conn, ref)
    active = records.active_contracts(s.conn)
    if len(active) == 1:
        return active[0]
    if not active:
        raise RuleRefused("no active contract to bill; accept an offer first", "no_active_contract")
    choices = ", ".join(k.ref for k in active[:10]) + (" …" if len(active) > 10 else "")
    raise BadInput(
        f"{len(active)} contracts are active; name one (or set PIECEPAY_CONTRACT): {choices}", "contract_ambiguous"
    )


def bill(
    s: Session,
    contract_ref: str | None,
    pieces: str,
    *,
    proofs: Sequence[str] = (),
    note: str | None = None,
    minutes: str | None = None,
    date_text: str | None = None,
    key: str | None = None,
) -> View:
    """Reserve pieces x rate in escrow for the worker, after all five rules pass."""
    note = optional_text(note, "note", max_length=NOTE_MAX, multiline=True)
    proofs = [checked_text(p, "proof", max_length=PROOF_MAX) for p in proofs]
    day = parse_date(date_text, s, "bill date")
    plain_decimal(pieces, "pieces")
    minutes_value = parse_count(minutes, "minutes") if minutes is not None else None
    request = {
        "contract": contract_ref,
        "pieces": pieces,
        "proofs": list(proofs),
        "note": note,
        "minutes": minutes,
        "date": date_text,
    }

    def run() -> View:
        contract = billing_contract(s, contract_ref)
        campaign = records.campaign_by_id(s.conn, contract.campaign_id)
        count = parse_pieces(pieces, campaign.step)
        milli = pieces_to_milli(count)
        amount = bill_amount(count, contract.rate, campaign.digits)
        effective = _effective(s, day, contract.accepted_on, "bill")
        milestone = records.open_milestone(s.conn, contract.id)
        escrow = records.account(s.conn, _escrow_id(contract)) if contract.escrow_account_id else None
        facts = BillFacts(
            campaign=campaign,
            contract=contract,
            milestone=milestone,
            milestone_used_minor=records.milestone_used_minor(s.conn, milestone.id) if milestone else 0,
            escrow_available_minor=escrow.escrow_available if escrow else 0,
            campaign_pieces_committed_milli=records.campaign_committed(s.conn, campaign.id)[1],
            today=s.today,
        )
        milestone = check_bill(facts, milli, amount, effective)
        if amount <= 0:
            raise RuleRefused(
                f"{count} {campaign.unit} at {contract.rate} {campaign.currency} rounds to "
                f"{format_minor(0, campaign.digits)}; bill more pieces",
                "amount_rounds_to_zero",
            )
        worker = records.ensure_account(s.conn, worker_account_name(contract.worker_handle), campaign.currency)
        bill_id = s.conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM bills").fetchone()[0]
        memo = (
            f"bill {bill_id}: {milli_to_pieces(milli)} {campaign.unit} x {contract.rate} = "
            f"{format_minor(amount, campaign.digits)} {campaign.currency} on {contract.ref}"
        )
        if note:
            memo += f" ({' '.join(note.split())})"
        entry_id = next_entry_id(s.conn)
        s.conn.execute(
            "INSERT INTO bills (id, contract_id, milestone_id, pieces_milli, rate, amount_minor, status, note, "
            "minutes, proofs, effective_date, entry_id) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)",
            (
                bill_id,
                contract.id,
                milestone.id,
                milli,
                str(contract.rate),
                amount,
                note,
                minutes_value,
                json.dumps(list(proofs)),
                effective.isoformat(),
                entry_id,
            ),
        )
        s.conn.execute(
            "UPDATE contracts SET pieces_pending_milli = pieces_pending_milli + ? WHERE id = ?", (milli, contract.id)
        )
        written = append_entry(
            s.conn,
            s.header("bill", effective, memo, contract.id, bill_id),
            transfer(_escrow_id(contract), worker.id, amount, "pending"),
        )
        assert written == entry_id
        return _bill_result(s, bill_id)

    return keyed(s, key, "bill", request, run)


def _bill_result(s: Session, bill_id: int) -> View:
    found = records.find_bill(s.conn, str(bill_id))
    contract, campaign = _contract_and_campaign(s, str(found.contract_id))
    return views.bill_view(found, contract, campaign)


def _resolve(
    s: Session,
    found: Bill,
    contract: Contract,
    campaign: Campaign,
    released_milli: int,
    effective: date,
    reason: str | None,
) -> None:
    """Post ``released_milli`` of a pending bill (0 voids it); the rest returns to escrow."""
    if released_milli == found.pieces_milli:
        posted = found.amount_minor
    else:
        posted = bill_amount(milli_to_pieces(released_milli), found.rate, campaign.digits) if released_milli else 0
    worker = records.ensure_account(s.conn, worker_account_name(contract.worker_handle), campaign.currency)
    kind = "release" if released_milli else "reject"
    memo = (
        f"{kind} bill {found.id}: {milli_to_pieces(released_milli)} of {milli_to_pieces(found.pieces_milli)} "
        f"{campaign.unit}, {format_minor(posted, campaign.digits)} {campaign.currency} on {contract.ref}"
    )
    if reason:
        memo += f" ({reason})"
    postings: list[Posting] = resolve_pending(_escrow_id(contract), worker.id, found.amount_minor, posted)
    entry_id = next_entry_id(s.conn)
    s.conn.execute(
        "UPDATE bills SET status = ?, released_pieces_milli = ?, released_minor = ?, reason = ?, resolved_on = ?, "
        "resolve_entry_id = ? WHERE id = ? AND status = 'pending'",
        (
            "released" if released_milli else "rejected",
            released_milli,
            posted,
            reason,
            effective.isoformat(),
            entry_id,
            found.id,
        ),
    )
    s.conn.execute(
        "UPDATE contracts SET pieces_pending_milli = pieces_pending_milli - ?, pieces_released_milli = "
        "pieces_released_milli + ?, pieces_rejected_milli = pieces_rejected_milli + ? WHERE id = ?",
        (found.pieces_milli, released_milli, found.pieces_milli - released_milli, contract.id),
    )
    written = append_entry(s.conn, s.header(kind, effective, memo, contract.id, found.id), postings)
    assert written == entry_id


AUTO_RELEASE_REASON = "auto-released: the review window passed"


def release(
    s: Session,
    bill_ref: str,
    pieces: str | None = None,
    date_text: str | None = None,
    key: str | None = None,
    *,
    auto: bool = False,
) -> View:
    """Approve a pending bill, in full or for fewer pieces; the rest goes back to escrow.

    ``auto`` marks the release the sweep makes when the client stayed silent.
    """
    day = parse_date(date_text, s, "release date")
    if pieces is not None:
        plain_decimal(pieces, "pieces")
    request = {"bill": bill_ref, "pieces": pieces, "date": date_text, "auto": auto}

    def run() -> View:
        found = records.find_bill(s.conn, bill_ref)
        check_pending_bill(found)
        contract, campaign = _contract_and_campaign(s, str(found.contract_id))
        milli = pieces_to_milli(parse_pieces(pieces, campaign.step)) if pieces is not None else found.pieces_milli
        check_release_pieces(found, milli)
        effective = _effective(s, day, found.effective_date, "release", "bill")
        reason = AUTO_RELEASE_REASON if auto else None if milli == found.pieces_milli else "partial release"
        _resolve(s, found, contract, campaign, milli, effective, reason)
        return _bill_result(s, found.id)

    return keyed(s, key, "release", request, run)


def reject(s: Session, bill_ref: str, reason: str, date_text: str | None = None, key: str | None = None) -> View:
    """Refuse a pending bill with a reason; its reservation returns to escrow."""
    text = checked_text(reason, "a rejection's reason", max_length=REASON_MAX, code="reason_required")
    day = parse_date(date_text, s, "reject date")
    request = {"bill": bill_ref, "reason": reason, "date": date_text}

    def run() -> View:
        found = records.find_bill(s.conn, bill_ref)
        check_pending_bill(found)
        contract, campaign = _contract_and_campaign(s, str(found.contract_id))
        effective = _effective(s, day, found.effective_date, "reject", "bill")
        _resolve(s, found, contract, campaign, 0, effective, text)
        return _bill_result(s, found.id)

    return keyed(s, key, "reject", request, run)


def end_contract(
    s: Session, contract_ref: str, pending: str | None = None, date_text: str | None = None, key: str | None = None
) -> View:
    """End a contract: settle pending bills as told, refund what escrow has left."""
    if pending not in (None, "release", "reject"):
        raise BadInput(f"pending must be release or reject, not {pending!r}", "bad_pending_choice")
    day = parse_date(date_text, s, "end date")
    request = {"contract": contract_ref, "pending": pending, "date": date_text}

    def run() -> View:
        contract, campaign = _contract_and_campaign(s, contract_ref)
        waiting = records.pending_bills(s.conn, contract.id)
        check_end(contract, len(waiting), pending)
        effective = _effective(s, day, contract.accepted_on, "end")
        for found in waiting:
            settled = found.pieces_milli if pending == "release" else 0
            reason = None if pending == "release" else "contract ended"
            _resolve(s, found, contract, campaign, settled, max(effective, found.effective_date), reason)
        escrow = records.account(s.conn, _escrow_id(contract))
        refund = escrow.escrow_available
        s.conn.execute(
            "UPDATE milestones SET status = 'closed' WHERE contract_id = ? AND status = 'open'", (contract.id,)
        )
        s.conn.execute(
            "UPDATE contracts SET status = 'ended', ended_on = ?, refunded_minor = refunded_minor + ? WHERE id = ?",
            (effective.isoformat(), refund, contract.id),
        )
        if refund:
            client = records.ensure_account(s.conn, CLIENT_ACCOUNT, campaign.currency)
            memo = f"refund {format_minor(refund, campaign.digits)} {campaign.currency} from {contract.ref}"
            append_entry(
                s.conn, s.header("refund", effective, memo, contract.id), transfer(escrow.id, client.id, refund)
            )
        else:
            append_entry(
                s.conn, s.header("contract_ended", effective, f"{contract.ref} ended, nothing to refund", contract.id)
            )
        ended = records.contract_by_id(s.conn, contract.id)
        assert ended is not None
        return views.contract_view(ended, campaign, records.account(s.conn, escrow.id))

    return keyed(s, key, "end", request, run)


def payout(
    s: Session,
    worker_ref: str,
    amount: str | None = None,
    currency: str | None = None,
    reference: str | None = None,
    date_text: str | None = None,
    key: str | None = None,
) -> View:
    """Record that released earnings were paid to the worker outside piecepay."""
    reference = optional_text(reference, "payout reference", max_length=REF_MAX)
    if currency is not None:
        currency = normalise_currency(currency, in_use=False)
    day = parse_date(date_text, s, "payout date")
    if amount is not None:
        plain_decimal(amount, "payout")
    request = {"worker": worker_ref, "amount": amount, "currency": currency, "ref": reference, "date": date_text}

    def run() -> View:
        worker = records.find_worker(s.conn, worker_ref)
        name = worker_account_name(worker.handle)
        rows = s.conn.execute(
            "SELECT a.*, c.digits FROM accounts a JOIN currencies c ON c.code = a.currency "
            "WHERE a.name = ? ORDER BY a.currency",
            (name,),
        ).fetchall()
        owed = {
            r["currency"]: (records.account_from_row(r), r["digits"])
            for r in rows
            if r["credits_posted"] - r["debits_posted"] > 0
        }
        code = _payout_currency(worker.handle, currency, owed)
        account, digits = owed[code]
        owed_minor = account.credit_balance
        paid = parse_amount(amount, digits, what="payout") if amount is not None else owed_minor
        check_payout(
            owed_minor,
            paid,
            worker.handle,
            f"{format_minor(paid, digits)} {code}",
            f"{format_minor(owed_minor, digits)} {code}",
        )
        effective = _effective(s, day, None, "payout")
        sink = records.ensure_account(s.conn, PAYOUT_ACCOUNT, code)
        memo = f"payout {format_minor(paid, digits)} {code} to {worker.handle}" + (
            f" ({reference})" if reference else ""
        )
        entry_id = append_entry(s.conn, s.header("payout", effective, memo), transfer(account.id, sink.id, paid))
        return {
            "id": entry_id,
            "worker": worker.handle,
            "currency": code,
            **views.money("amount", paid, code, digits),
            **views.money("owed", owed_minor - paid, code, digits),
            "ref": reference,
            "date": effective.isoformat(),
        }

    return keyed(s, key, "payout", request, run)


def _payout_currency(handle: str, currency: str | None, owed: Mapping[str, object]) -> str:
    if currency is not None:
        code = currency
        if code not in owed:
            raise RuleRefused(f"worker '{handle}' is owed nothing in {code}", "nothing_owed")
        return code
    if not owed:
        raise RuleRefused(f"worker '{handle}' has no released earnings to pay out", "nothing_owed")
    if len(owed) > 1:
        raise BadInput(f"worker '{handle}' is owed in {', '.join(owed)}; pass --currency", "currency_ambiguous")
    return next(iter(owed))
