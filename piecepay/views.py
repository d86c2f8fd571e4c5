"""Records as the plain dicts users see in --json output (and keyed retries replay)."""

from __future__ import annotations

from typing import Any

from piecepay.models import Account, Bill, Campaign, Contract, Milestone, Worker
from piecepay.money import format_minor, format_pieces, format_rate

View = dict[str, Any]


def money(name: str, minor: int | None, currency: str, digits: int) -> View:
    """An amount twice: the exact decimal string and the integer of minor units."""
    if minor is None:
        return {name: None, f"{name}_minor": None}
    return {name: format_minor(minor, digits), f"{name}_minor": minor}


def pieces(milli: int | None) -> str | None:
    return None if milli is None else format_pieces(milli)


def campaign_view(c: Campaign) -> View:
    return {
        "id": c.slug,
        "campaign_id": c.id,
        "title": c.title,
        "unit": c.unit,
        "step": format_rate(c.step),
        "rate": format_rate(c.rate),
        "currency": c.currency,
        **money("budget", c.budget_minor, c.currency, c.digits),
        "max_pieces": pieces(c.max_pieces_milli),
        "workers": c.workers,
        **money("milestone_cap", c.milestone_cap_minor, c.currency, c.digits),
        "review_days": c.review_days,
        "deadline": c.deadline.isoformat() if c.deadline else None,
        "status": c.status,
        "created_at": c.created_at,
    }


def worker_view(w: Worker) -> View:
    return {
        "id": w.handle,
        "worker_id": w.id,
        "handle": w.handle,
        "name": w.name,
        "email": w.email,
        "created_at": w.created_at,
    }


def contract_view(k: Contract, campaign: Campaign, escrow: Account | None) -> View:
    """An accepted contract: its terms, dates and escrow figures."""
    view = offer_view(k, campaign)
    view["accepted_on"] = k.accepted_on.isoformat() if k.accepted_on else None
    view["ended_on"] = k.ended_on.isoformat() if k.ended_on else None
    view.update(escrow_figures(k, campaign, escrow))
    return view


def escrow_figures(k: Contract, campaign: Campaign, escrow: Account | None) -> View:
    """Funded, reserved, released, refunded, escrow and available, with piece counts."""
    funded = escrow.credits_posted if escrow else 0
    reserved = escrow.debits_pending if escrow else 0
    released = (escrow.debits_posted if escrow else 0) - k.refunded_minor
    figures = figures_view(
        {"funded": funded, "reserved": reserved, "released": released, "refunded": k.refunded_minor},
        campaign.currency,
        campaign.digits,
    )
    figures.update(
        piece_counts(k.pieces_billed_milli, k.pieces_pending_milli, k.pieces_released_milli, k.pieces_rejected_milli)
    )
    return figures


def figures_view(totals: dict[str, int], currency: str, digits: int) -> View:
    """The money columns of a report row, derived in one place from four sums."""
    escrow = totals["funded"] - totals["released"] - totals["refunded"]
    view: View = {"currency": currency}
    for name, minor in (
        ("funded", totals["funded"]),
        ("reserved", totals["reserved"]),
        ("released", totals["released"]),
        ("refunded", totals["refunded"]),
        ("escrow", escrow),
        ("available", escrow - totals["reserved"]),
    ):
        view.update(money(name, minor, currency, digits))
    return view


def piece_counts(billed: int, pending: int, released: int, rejected: int) -> View:
    return {
        "pieces_billed": format_pieces(billed),
        "pieces_pending": format_pieces(pending),
        "pieces_released": format_pieces(released),
        "pieces_rejected": format_pieces(rejected),
    }


def offer_view(k: Contract, campaign: Campaign) -> View:
    """An offer (or the terms of the contract it became)."""
    return {
        "id": k.id,
        "ref": k.ref,
        "campaign": k.campaign_slug,
        "worker": k.worker_handle,
        "rate": format_rate(k.rate),
        "unit": campaign.unit,
        "currency": campaign.currency,
        "max_pieces": pieces(k.max_pieces_milli),
        "status": k.status,
        "offered_at": k.offered_at,
    }


def milestone_view(m: Milestone, contract: Contract, campaign: Campaign, used_minor: int) -> View:
    cur, dig = campaign.currency, campaign.digits
    left = None if m.cap_minor is None else m.cap_minor - used_minor
    return {
        "id": m.id,
        "contract": contract.ref,
        "contract_id": contract.id,
        "seq": m.seq,
        "currency": cur,
        **money("top_up", m.top_up_minor, cur, dig),
        **money("cap", m.cap_minor, cur, dig),
        **money("cap_used", used_minor, cur, dig),
        **money("cap_left", left, cur, dig),
        "status": m.status,
        "opened_on": m.opened_on.isoformat(),
    }


def bill_view(b: Bill, contract: Contract, campaign: Campaign) -> View:
    cur, dig = campaign.currency, campaign.digits
    return {
        "id": b.id,
        "contract": contract.ref,
        "contract_id": contract.id,
        "milestone_id": b.milestone_id,
        "pieces": format_pieces(b.pieces_milli),
        "unit": campaign.unit,
        "rate": format_rate(b.rate),
        "currency": cur,
        **money("amount", b.amount_minor, cur, dig),
        "status": b.status,
        "released_pieces": format_pieces(b.released_pieces_milli),
        **money("released", b.released_minor, cur, dig),
        "reason": b.reason,
        "note": b.note,
        "minutes": b.minutes,
        "proofs": list(b.proofs),
        "date": b.effective_date.isoformat(),
        "resolved_on": b.resolved_on.isoformat() if b.resolved_on else None,
    }
