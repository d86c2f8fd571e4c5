"""Results as the JSON documents of the command line's public interface (``--json``).

Each function turns a domain result into the document users script against: a record
names itself by the ``id`` later commands accept, and every amount appears twice, as an
exact decimal string and as integer minor units. Tables and headlines are drawn from the
same documents (``piecepay.cli.render``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from piecepay.models import Figures, Pieces, tiers_text
from piecepay.money import Money, format_hours, format_pieces, format_rate

if TYPE_CHECKING:
    from datetime import date

    from piecepay.models import Bill, Campaign, Token, Worker
    from piecepay.operations.anchors import Anchored
    from piecepay.operations.backup import Backup
    from piecepay.operations.bills import BillState
    from piecepay.operations.bonuses import BonusState, MadeUp, TimeState
    from piecepay.operations.bulk import BulkResult
    from piecepay.operations.campaigns import CampaignDetail, CampaignEdited, ContractState
    from piecepay.operations.copies import Copied
    from piecepay.operations.exports import Exported
    from piecepay.operations.fees import WhatIf
    from piecepay.operations.milestones import MilestoneState
    from piecepay.operations.payees import Payee, Payees
    from piecepay.operations.payouts import Payout
    from piecepay.operations.queue import BillDetail, QueuedBill
    from piecepay.operations.reports import Report, ReportRow
    from piecepay.operations.review import ReviewResult
    from piecepay.operations.sweep import SweepAction
    from piecepay.operations.verify import Proof
    from piecepay.operations.workers import WorkerEdited
    from piecepay.store.sqlite import LogEntry

Document = dict[str, Any]


def money(name: str, amount: Money | None) -> Document:
    """An amount twice: the exact decimal string and the integer of minor units."""
    if amount is None:
        return {name: None, f"{name}_minor": None}
    return {name: amount.decimal, f"{name}_minor": amount.minor}


def pieces(milli: int | None) -> str | None:
    return None if milli is None else format_pieces(milli)


def campaign(c: Campaign) -> Document:
    return {
        "id": c.slug,
        "campaign_id": c.id,
        "title": c.title,
        "unit": c.unit,
        "step": format_rate(c.step),
        "rate": format_rate(c.rate),
        "currency": c.currency.code,
        **money("budget", c.budget),
        "max_pieces": pieces(c.max_pieces_milli),
        "workers": c.workers,
        **money("milestone_cap", c.milestone_cap),
        "review_days": c.review_days,
        "deadline": c.deadline.isoformat() if c.deadline else None,
        "revision_days": c.revision_days,
        "reversal_days": c.reversal_days,
        "tiers": tiers_text(c.tiers),
        "tier_period": c.tier_period.value if c.tiers else None,
        "fee": f"{format_rate(c.fee.percent)}%" if c.fee else None,
        **money("fee_min", c.fee.minimum if c.fee else None),
        **money("minimum_wage", c.minimum_wage),
        "status": c.status.value,
        "created_at": c.created_at,
    }


def campaign_detail(detail: CampaignDetail) -> Document:
    return {**campaign(detail.campaign), "contracts": [contract(k) for k in detail.contracts]}


# A changed Campaign field and the key the campaign's document shows it under.
EDITED_KEYS = {"max_pieces_milli": "max_pieces"}


def campaign_edited(edited: CampaignEdited) -> Document:
    """The campaign as ``campaign show`` prints it, with each changed term's old and new value
    (amounts twice, as everywhere) and the entry that recorded them (null: nothing changed)."""
    old, new = campaign(edited.before), campaign_detail(edited.detail)
    changes = []
    for field in edited.changed:
        key = EDITED_KEYS.get(field, field)
        change = {"term": key, "old": old[key], "new": new[key]}
        if f"{key}_minor" in new:
            change.update({"old_minor": old[f"{key}_minor"], "new_minor": new[f"{key}_minor"]})
        changes.append(change)
    return {**new, "changes": changes, "entry": edited.entry_id}


def worker_edited(edited: WorkerEdited) -> Document:
    """The worker as ``worker list`` shows it, with what changed and the entry that recorded it."""
    old = worker(edited.before)
    new = worker(edited.worker)
    changes = [{"term": field, "old": old[field], "new": new[field]} for field in edited.changed]
    return {**new, "changes": changes, "entry": edited.entry_id}


def worker(w: Worker) -> Document:
    return {
        "id": w.handle,
        "worker_id": w.id,
        "handle": w.handle,
        "name": w.name,
        "email": w.email,
        "created_at": w.created_at,
    }


def token(t: Token, today: date, secret: str | None = None) -> Document:
    """A token's terms (never its digest); with ``secret``, the one time it is shown."""
    document: Document = {
        "id": t.id,
        "name": t.name,
        "role": t.role.value,
        "worker": t.worker_handle,
        "campaigns": ", ".join(t.campaign_slugs) or None,
        "expires_on": t.expires_on.isoformat() if t.expires_on else None,
        "revoked_on": t.revoked_on.isoformat() if t.revoked_on else None,
        "state": t.state(today),
        "created_at": t.created_at,
    }
    if secret is not None:
        document["token"] = secret
    return document


def offer(state: ContractState) -> Document:
    """An offer (or the terms of the contract it became)."""
    k, c = state.contract, state.campaign
    return {
        "id": k.id,
        "ref": k.ref,
        "campaign": k.campaign_slug,
        "worker": k.worker_handle,
        "rate": format_rate(k.rate),
        "unit": c.unit,
        "currency": c.currency.code,
        "max_pieces": pieces(k.max_pieces_milli),
        "tiers": tiers_text(k.tiers),
        "tier_period": k.tier_period.value if k.tiers else None,
        "status": k.status.value,
        "offered_at": k.offered_at,
    }


def contract(state: ContractState) -> Document:
    """An accepted contract: its terms, dates and escrow figures."""
    k, escrow = state.contract, state.escrow
    document = offer(state)
    document["accepted_on"] = k.accepted_on.isoformat() if k.accepted_on else None
    document["ended_on"] = k.ended_on.isoformat() if k.ended_on else None
    zero = Money.zero(state.campaign.currency)
    funded = Money(escrow.credits_posted, escrow.currency) if escrow else zero
    reserved = Money(escrow.debits_pending, escrow.currency) if escrow else zero
    posted_out = Money(escrow.debits_posted, escrow.currency) if escrow else zero
    bonuses, escrow_bonuses = (Money(minor, funded.currency) for minor in state.bonuses)
    escrow_fees = Money(k.fees_minor, funded.currency)
    fees = escrow_fees + Money(k.funded_fees_minor, funded.currency)
    released = posted_out - k.refunded - escrow_bonuses - escrow_fees
    shown = Figures(funded, reserved, released, k.refunded, bonuses, escrow_bonuses, fees, escrow_fees)
    document.update(figures(shown))
    document.update(piece_counts(Pieces(k.pieces_pending_milli, k.pieces_released_milli, k.pieces_rejected_milli)))
    return document


def figures(f: Figures) -> Document:
    """The money columns of a report row, each with its _minor twin."""
    document: Document = {"currency": f.funded.currency.code}
    for name, amount in (
        ("funded", f.funded),
        ("reserved", f.reserved),
        ("released", f.released),
        ("bonuses", f.bonuses),
        ("fees", f.fees),
        ("refunded", f.refunded),
        ("escrow", f.escrow),
        ("available", f.available),
    ):
        document.update(money(name, amount))
    return document


def piece_counts(p: Pieces) -> Document:
    return {
        "pieces_billed": format_pieces(p.billed),
        "pieces_pending": format_pieces(p.pending),
        "pieces_released": format_pieces(p.released),
        "pieces_rejected": format_pieces(p.rejected),
    }


def milestone(state: MilestoneState) -> Document:
    m, k = state.milestone, state.contract
    left = None if m.cap is None else m.cap - state.spent
    return {
        "id": m.id,
        "contract": k.ref,
        "contract_id": k.id,
        "seq": m.seq,
        "currency": state.campaign.currency.code,
        **money("top_up", m.top_up),
        **money("cap", m.cap),
        **money("cap_used", state.spent),
        **money("cap_left", left),
        "status": m.status.value,
        "opened_on": m.opened_on.isoformat(),
    }


def bill(state: BillState) -> Document:
    return _bill(state.bill, state.contract.ref, state.campaign.unit)


def queued_bill(q: QueuedBill) -> Document:
    """A bill as ``bill list`` shows it: every field, its age and when its review window closes."""
    return {
        **_bill(q.line.bill, q.line.contract_ref, q.line.unit),
        "age_days": q.age_days,
        "review_closes": q.review_closes.isoformat() if q.review_closes else None,
    }


def bill_detail(d: BillDetail) -> Document:
    """One bill with its review window and the entries that moved it (``bill show``)."""
    return {
        **bill(d.state),
        "review_closes": d.review_closes.isoformat() if d.review_closes else None,
        "revisions": [
            {
                "id": r.id,
                "reason": r.reason,
                "asked_on": r.asked_on.isoformat(),
                "status": r.status.value,
                "resolved_on": r.resolved_on.isoformat() if r.resolved_on else None,
            }
            for r in d.revisions
        ],
        "entries": [log_entry(e) for e in d.entries],
        "uploads": list(d.uploads),
    }


def _bill(b: Bill, ref: str, unit: str) -> Document:
    return {
        "id": b.id,
        "contract": ref,
        "contract_id": b.contract_id,
        "milestone_id": b.milestone_id,
        "pieces": format_pieces(b.pieces_milli),
        "unit": unit,
        "rate": format_rate(b.rate),
        "currency": b.amount.currency.code,
        **money("amount", b.amount),
        "status": b.status.value,
        "released_pieces": format_pieces(b.released_pieces_milli),
        **money("released", b.released),
        "reason": b.reason,
        "note": b.note,
        "minutes": b.minutes,
        "proofs": list(b.proofs),
        "date": b.effective_date.isoformat(),
        "resolved_on": b.resolved_on.isoformat() if b.resolved_on else None,
    }


def payout(p: Payout) -> Document:
    return {
        "id": p.entry_id,
        "worker": p.worker,
        "currency": p.amount.currency.code,
        **money("amount", p.amount),
        **money("owed", p.owed),
        "ref": p.ref,
        "date": p.day.isoformat(),
    }


def bonus(b: BonusState) -> Document:
    found, k = b.bonus, b.contract
    return {
        "id": found.id,
        "contract": k.ref,
        "contract_id": k.id,
        "worker": k.worker_handle,
        "currency": found.amount.currency.code,
        **money("amount", found.amount),
        "source": found.source.value,
        "reason": found.reason,
        "makeup_period": found.makeup_period,
        "date": found.effective_date.isoformat(),
        "entry": found.entry_id,
    }


def fees(w: WhatIf) -> Document:
    """A campaign's payments and their fees, and under another fee (``what_if``) if asked."""
    c = w.campaign
    return {
        "campaign": c.slug,
        "currency": c.currency.code,
        "fee": f"{format_rate(c.fee.percent)}%" if c.fee else None,
        **money("fee_min", c.fee.minimum if c.fee else None),
        "payments": w.payments,
        **money("paid", w.paid),
        **money("charged", w.charged),
        "what_if": f"{format_rate(w.fee.percent)}%" if w.fee else None,
        **money("what_if_min", w.fee.minimum if w.fee else None),
        **money("would_charge", w.would_charge),
        **money("difference", w.would_charge - w.charged if w.would_charge is not None else None),
    }


def made_up(m: MadeUp) -> Document:
    """A make-up run: the period's pay as it was before, and the bonuses it paid."""
    return {**pay(m.before), "paid": [bonus(b) for b in m.paid]}


def work_time(t: TimeState) -> Document:
    found, k = t.time, t.contract
    return {
        "id": found.id,
        "contract": k.ref,
        "contract_id": k.id,
        "worker": k.worker_handle,
        "minutes": found.minutes,
        "note": found.note,
        "date": found.effective_date.isoformat(),
        "entry": found.entry_id,
    }


def payee(p: Payee) -> Document:
    """A worker's payouts in the year in one currency, with what a tax form needs of the worker."""
    return {
        "worker": p.worker,
        "name": p.name,
        "email": p.email,
        "currency": p.paid.currency.code,
        **money("paid", p.paid),
        "payouts": p.payouts,
        "first_payout": p.first.isoformat(),
        "last_payout": p.last.isoformat(),
        "over_threshold": p.over_threshold,
    }


def payees(p: Payees) -> Document:
    """The year's payees: ``{year, threshold, rows, totals}``, totals one per currency."""
    return {
        "year": p.year,
        **money("threshold", p.threshold),
        "threshold_currency": p.threshold.currency.code,
        "rows": [payee(row) for row in p.rows],
        "totals": [
            {"currency": t.paid.currency.code, **money("paid", t.paid), "payouts": t.payouts, "workers": t.workers}
            for t in p.totals
        ],
    }


def report_row(row: ReportRow, by: str) -> Document:
    if by == "contract":
        document: Document = {
            "campaign": row.campaign,
            "contract": row.contract,
            "contract_id": row.contract_id,
            "worker": row.worker,
            "unit": row.unit,
            "status": row.status,
        }
    elif by == "worker":
        document = {"worker": row.worker, "campaigns": list(row.campaigns)}
    else:
        document = {"campaign": row.campaign, "title": row.title, "unit": row.unit}
    document.update(figures(row.figures))
    document.update(piece_counts(row.pieces))
    if by == "worker":
        document["campaign"] = ",".join(row.campaigns)
        document.update(money("paid_out", row.paid_out))
        document.update(money("owed", row.owed))
    return document


def report(r: Report) -> Document:
    return {"rows": [report_row(row, r.by) for row in r.rows], "totals": [figures(t) for t in r.totals]}


if TYPE_CHECKING:
    from piecepay.operations.pay import Pay, PayRow


def pay(p: Pay) -> Document:
    """Pay over a period: the period, the minimum wage asked (if any) and a row per worker and
    currency; amounts twice, as everywhere."""
    wage = p.wage
    return {
        "period": p.period.name,
        "from": p.period.first.isoformat(),
        "to": p.period.last.isoformat(),
        **money("minimum_wage", wage),
        "wage_currency": wage.currency.code if wage else None,
        "rows": [pay_row(row, p.period.name) for row in p.rows],
    }


def pay_row(row: PayRow, period: str) -> Document:
    return {
        "worker": row.worker,
        "currency": row.currency.code,
        "period": period,
        "bills": row.bills,
        "pieces_billed": format_pieces(row.pieces_billed_milli),
        "pieces_released": format_pieces(row.pieces_released_milli),
        **money("released", row.released),
        **money("bonuses", row.bonuses),
        **money("pending", row.pending),
        "minutes": row.minutes,
        "bills_without_minutes": row.bills_without_minutes,
        "hours": format_hours(row.minutes),
        **money("effective_hourly", row.hourly),
        **money("shortfall", row.shortfall),
    }


def log_entry(e: LogEntry) -> Document:
    return {
        "id": e.id,
        "date": e.effective_date,
        "kind": e.kind,
        "contract": e.contract_ref,
        "bill_id": e.bill_id,
        "memo": e.memo,
        "actor": e.actor,
        "recorded_at": e.recorded_at,
        "hash": e.hash,
        "postings": [
            {
                "account": account,
                "side": side,
                "phase": phase,
                "currency": amount.currency.code,
                "amount": amount.decimal,
                "amount_minor": amount.minor,
            }
            for account, side, phase, amount in e.postings
        ],
    }


def sweep_action(a: SweepAction) -> Document:
    document: Document = {
        "action": a.action.value,
        "contract_id": a.contract_id,
        "contract": a.contract,
        "date": a.date.isoformat(),
        "note": _sweep_note(a),
        "status": f"skipped: {a.why}" if a.why is not None else a.status.value,
    }
    if a.bill_id is not None:
        document["bill_id"] = a.bill_id
    if a.amount is not None:
        document.update(money("amount", a.amount))
        document["currency"] = a.amount.currency.code
    return document


def _sweep_note(a: SweepAction) -> str:
    """What explains an action, in words."""
    from piecepay.operations.sweep import SweepKind

    deadline = a.deadline.isoformat() if a.deadline else ""
    if a.action is SweepKind.RELEASE:
        return "review window passed"
    if a.action is SweepKind.RELEASE_SOON:
        return "will auto-release"
    if a.action is SweepKind.REJECT:
        return "revision not resubmitted in time"
    if a.action is SweepKind.REJECT_SOON:
        return "revision due: will be rejected unless resubmitted"
    if a.action is SweepKind.END_WAITING:
        return f"deadline {deadline} passed; {a.still_pending} bill(s) still pending"
    if a.action is SweepKind.END:
        refunded = f"; refunded {a.amount}" if a.amount is not None else ""
        return f"deadline {deadline} passed{refunded}"
    if a.action is SweepKind.END_SOON:
        return f"deadline {deadline}"
    return f"no activity for {a.idle_days} days"


def proof(p: Proof) -> Document:
    return {
        "ok": True,
        "entries": p.entries,
        "head": p.head,
        "accounts": p.accounts,
        "anchors_checked": p.anchors_checked,
        "checks": list(p.checks),
        "since_checkpoint": p.since or None,
        "checkpoint_recorded": p.recorded,
    }


def exported(e: Exported) -> Document:
    return e._asdict()


def backup(b: Backup) -> Document:
    return {"id": b.path, "path": b.path, "bytes": b.bytes, "entries": b.entries, "head": b.head, "verified": True}


def bulk(b: BulkResult, result_file: str | None) -> Document:
    return {
        "id": None,
        "rows": b.rows,
        "billed": b.billed,
        "replayed": b.replayed,
        "refused": [{"row": r.number, "code": r.code, "message": r.message} for r in b.refused],
        "amounts": [{**money("amount", a), "currency": a.currency.code} for a in b.amounts],
        "result": result_file,
    }


def review(r: ReviewResult, result_file: str | None) -> Document:
    return {
        "id": None,
        "rows": r.rows,
        "released": r.released,
        "rejected": r.rejected,
        "revised": r.revised,
        "replayed": r.replayed,
        "skipped": r.skipped,
        "refused": [{"row": x.number, "code": x.code, "message": x.message} for x in r.refused],
        "result": result_file,
    }


def copied(c: Copied) -> Document:
    return {"id": c.target, "source": c.source, "target": c.target, "entries": c.entries, "head": c.head}


def anchored(a: Anchored) -> Document:
    return {
        "id": a.path,
        "path": a.path,
        "entries": a.entries,
        "head": a.head,
        "at": a.at,
        "anchors_checked": a.anchors_checked,
    }


if TYPE_CHECKING:
    from piecepay.operations.statement import Statement, StatementLine, StatementTotals


def statement(st: Statement) -> Document:
    """A worker's statement: the worker, the period, totals per currency, every entry that
    concerns the worker and the earnings of each ISO week; amounts twice, as everywhere."""
    return {
        "worker": st.worker.handle,
        "name": st.worker.name,
        "period": st.period.name,
        "from": st.period.first.isoformat(),
        "to": st.period.last.isoformat(),
        "totals": [statement_totals(t) for t in st.totals],
        "entries": [statement_line(line) for line in st.lines],
        "weeks": [
            {
                "week": w.week,
                "from": w.first.isoformat(),
                "to": w.last.isoformat(),
                "earned": [{"currency": m.currency.code, **money("amount", m)} for m in w.earned],
            }
            for w in st.weeks
        ],
    }


def statement_totals(t: StatementTotals) -> Document:
    return {
        "currency": t.currency.code,
        **money("opening_balance", t.opening),
        **money("earned", t.earned),
        "earned_by_kind": [{"kind": kind, **money("amount", amount)} for kind, amount in t.earned_by_kind],
        **money("paid_out", t.paid_out),
        **money("closing_balance", t.closing),
        **money("pending", t.pending),
        **money("bills_released", t.bills_released),
        "minutes": t.minutes,
        "hours": format_hours(t.minutes),
        **money("effective_hourly", t.hourly),
    }


def statement_line(line: StatementLine) -> Document:
    return {
        "id": line.entry_id,
        "date": line.day.isoformat(),
        "kind": line.kind,
        "contract": line.contract,
        "bill_id": line.bill_id,
        "pieces": pieces(line.pieces_milli),
        "unit": line.unit,
        "currency": line.currency.code if line.currency else None,
        **money("reserved", line.reserved),
        **money("posted", line.posted),
        "text": line.text,
    }
