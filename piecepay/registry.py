"""Services for the parties and terms: campaigns, workers, offers and contracts."""

from __future__ import annotations

from piecepay import views
from piecepay.errors import BadInput, RuleRefused
from piecepay.models import Campaign, Contract
from piecepay.money import (
    currency_digits,
    format_rate,
    normalise_currency,
    parse_amount,
    parse_count,
    parse_pieces,
    parse_rate,
    parse_step,
    pieces_to_milli,
)
from piecepay.rules import check_campaign_open
from piecepay.session import Session, parse_date
from piecepay.store import records
from piecepay.store.connection import write_transaction
from piecepay.text import EMAIL_MAX, NAME_MAX, TITLE_MAX, checked_text, optional_text
from piecepay.views import View


def create_campaign(
    s: Session,
    title: str,
    *,
    rate: str,
    unit: str = "piece",
    currency: str = "USD",
    slug: str | None = None,
    step: str = "1",
    budget: str | None = None,
    max_pieces: str | None = None,
    workers: str | None = None,
    milestone_cap: str | None = None,
    review_days: str = "14",
    deadline: str | None = None,
) -> View:
    """Create a campaign; money is parsed in the currency's own digits."""
    from piecepay.terms import CampaignTerms, slug_from, validated

    title = checked_text(title, "campaign title", max_length=TITLE_MAX)
    code = normalise_currency(currency)
    digits = currency_digits(code)
    step_value = parse_step(step)
    terms = validated(
        CampaignTerms,
        "campaign",
        title=title,
        slug=slug if slug is not None else slug_from(title),
        unit=unit.strip().lower(),
        step=step_value,
        rate=parse_rate(rate),
        currency=code,
        budget_minor=parse_amount(budget, digits, what="budget") if budget is not None else None,
        max_pieces_milli=(
            pieces_to_milli(parse_pieces(max_pieces, step_value, what="max pieces")) if max_pieces is not None else None
        ),
        workers=parse_count(workers, "workers") if workers is not None else None,
        milestone_cap_minor=(
            parse_amount(milestone_cap, digits, what="milestone cap") if milestone_cap is not None else None
        ),
        review_days=parse_count(review_days, "review days", minimum=0, maximum=30),
        deadline=parse_date(deadline, s, "deadline") if deadline is not None else None,
    )
    with write_transaction(s.conn) as conn:
        if conn.execute("SELECT 1 FROM campaigns WHERE slug = ?", (terms.slug,)).fetchone():
            raise RuleRefused(
                f"campaign '{terms.slug}' already exists; pass --slug to name this one", "campaign_exists"
            )
        conn.execute("INSERT OR IGNORE INTO currencies (code, digits) VALUES (?, ?)", (code, digits))
        conn.execute(
            "INSERT INTO campaigns (slug, title, unit, step, rate, currency, budget_minor, max_pieces_milli, "
            "workers, milestone_cap_minor, review_days, deadline, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
            (
                terms.slug,
                terms.title,
                terms.unit,
                str(terms.step),
                str(terms.rate),
                code,
                terms.budget_minor,
                terms.max_pieces_milli,
                terms.workers,
                terms.milestone_cap_minor,
                terms.review_days,
                terms.deadline.isoformat() if terms.deadline else None,
                s.recorded_at,
            ),
        )
        campaign = records.find_campaign(conn, terms.slug)
        s.record(
            "campaign_created",
            f"campaign {campaign.slug}: {campaign.title}, {format_rate(campaign.rate)} {code} per {campaign.unit}",
        )
        return views.campaign_view(campaign)


def list_campaigns(s: Session) -> list[View]:
    rows = s.conn.execute(f"{records.CAMPAIGN_SELECT} ORDER BY k.id").fetchall()
    return [views.campaign_view(records.campaign_from_row(r)) for r in rows]


def show_campaign(s: Session, ref: str) -> View:
    """A campaign's terms, with each of its contracts and their escrow figures."""
    campaign = records.find_campaign(s.conn, ref)
    view = views.campaign_view(campaign)
    rows = s.conn.execute(f"{records.CONTRACT_SELECT} WHERE c.campaign_id = ? ORDER BY c.id", (campaign.id,)).fetchall()
    contracts = [records.contract_from_row(r) for r in rows]
    view["contracts"] = [_contract(s, k, campaign) for k in contracts]
    return view


def _contract(s: Session, k: Contract, campaign: Campaign) -> View:
    escrow = records.account(s.conn, k.escrow_account_id) if k.escrow_account_id else None
    return views.contract_view(k, campaign, escrow)


CAMPAIGN_MOVES = {"pause": ("open", "paused"), "resume": ("paused", "open")}


def set_campaign_status(s: Session, ref: str, action: str) -> View:
    """Pause, resume or close a campaign; closing withdraws its open offers."""
    with write_transaction(s.conn) as conn:
        campaign = records.find_campaign(conn, ref)
        if action == "close":
            _close(s, campaign)
        else:
            before, after = CAMPAIGN_MOVES[action]
            if campaign.status != before:
                raise RuleRefused(
                    f"campaign '{campaign.slug}' is {campaign.status}; cannot {action} it",
                    f"campaign_{campaign.status}",
                )
            conn.execute("UPDATE campaigns SET status = ? WHERE id = ?", (after, campaign.id))
        s.record(f"campaign_{PAST[action]}", f"campaign {campaign.slug} {PAST[action]}")
        return views.campaign_view(records.find_campaign(conn, campaign.slug))


def _close(s: Session, campaign: Campaign) -> None:
    if campaign.status == "closed":
        raise RuleRefused(f"campaign '{campaign.slug}' is already closed", "campaign_closed")
    active = s.conn.execute(
        "SELECT COUNT(*) FROM contracts WHERE campaign_id = ? AND status = 'active'", (campaign.id,)
    ).fetchone()[0]
    if active:
        raise RuleRefused(
            f"campaign '{campaign.slug}' has {active} active contract(s); end them first ('piecepay end CONTRACT')",
            "campaign_has_active_contracts",
        )
    s.conn.execute(
        "UPDATE contracts SET status = 'withdrawn' WHERE campaign_id = ? AND status = 'offered'", (campaign.id,)
    )
    s.conn.execute("UPDATE campaigns SET status = 'closed' WHERE id = ?", (campaign.id,))


def add_worker(s: Session, handle: str, name: str | None = None, email: str | None = None) -> View:
    from piecepay.terms import WorkerProfile, validated

    name = optional_text(name, "worker name", max_length=NAME_MAX)
    email = optional_text(email, "worker email", max_length=EMAIL_MAX)
    profile = validated(WorkerProfile, "worker", handle=handle, name=name, email=email)
    with write_transaction(s.conn) as conn:
        if conn.execute("SELECT 1 FROM workers WHERE handle = ?", (profile.handle,)).fetchone():
            raise RuleRefused(f"worker '{profile.handle}' already exists", "worker_exists")
        conn.execute(
            "INSERT INTO workers (handle, name, email, created_at) VALUES (?, ?, ?, ?)",
            (profile.handle, profile.name, profile.email, s.recorded_at),
        )
        s.record("worker_added", f"worker {profile.handle}")
        return views.worker_view(records.find_worker(conn, profile.handle))


def list_workers(s: Session) -> list[View]:
    rows = s.conn.execute("SELECT * FROM workers ORDER BY handle").fetchall()
    return [views.worker_view(records.worker_from_row(r)) for r in rows]


def create_offer(
    s: Session, campaign_ref: str, worker_ref: str, rate: str | None = None, max_pieces: str | None = None
) -> View:
    """Offer a campaign to a worker, at the campaign's rate or one of its own."""
    with write_transaction(s.conn) as conn:
        campaign = records.find_campaign(conn, campaign_ref)
        worker = records.find_worker(conn, worker_ref)
        check_campaign_open(campaign, s.today, "offering work")
        rate_value = parse_rate(rate) if rate is not None else campaign.rate
        limit = (
            pieces_to_milli(parse_pieces(max_pieces, campaign.step, what="max pieces"))
            if max_pieces is not None
            else None
        )
        open_one = conn.execute(
            "SELECT id, status FROM contracts WHERE campaign_id = ? AND worker_id = ? "
            "AND status IN ('offered', 'active')",
            (campaign.id, worker.id),
        ).fetchone()
        if open_one:
            raise RuleRefused(
                f"worker '{worker.handle}' already has an {open_one['status']} "
                f"{'offer' if open_one['status'] == 'offered' else 'contract'} "
                f"#{open_one['id']} on '{campaign.slug}'",
                "already_engaged",
            )
        cur = conn.execute(
            "INSERT INTO contracts (campaign_id, worker_id, rate, max_pieces_milli, status, offered_at) "
            "VALUES (?, ?, ?, ?, 'offered', ?)",
            (campaign.id, worker.id, str(rate_value), limit, s.recorded_at),
        )
        contract = records.contract_by_id(conn, int(cur.lastrowid or 0))
        assert contract is not None
        s.record(
            "offer_created",
            f"offer #{contract.id}: {contract.ref} at {format_rate(contract.rate)} {campaign.currency} "
            f"per {campaign.unit}",
            contract.id,
        )
        return views.offer_view(contract, campaign)


def accept_offer(s: Session, ref: str) -> View:
    """Accept an offer: it becomes an active contract with an empty escrow."""
    with write_transaction(s.conn) as conn:
        offer = _offer(s, ref, "accept")
        campaign = records.campaign_by_id(conn, offer.campaign_id)
        check_campaign_open(campaign, s.today, "accepting offers")
        if campaign.workers is not None:
            taken = conn.execute(
                "SELECT COUNT(*) FROM contracts WHERE campaign_id = ? AND status IN ('active', 'ended')", (campaign.id,)
            ).fetchone()[0]
            if taken >= campaign.workers:
                raise RuleRefused(
                    f"campaign '{campaign.slug}' has room for {campaign.workers} worker(s) and all are taken",
                    "campaign_full",
                )
        escrow = records.ensure_account(conn, f"escrow:{offer.id}", campaign.currency)
        conn.execute(
            "UPDATE contracts SET status = 'active', accepted_on = ?, escrow_account_id = ? WHERE id = ?",
            (s.today.isoformat(), escrow.id, offer.id),
        )
        contract = records.contract_by_id(conn, offer.id)
        assert contract is not None
        s.record("offer_accepted", f"offer #{contract.id} accepted: contract {contract.ref}", contract.id)
        return views.contract_view(contract, campaign, escrow)


def close_offer(s: Session, ref: str, action: str) -> View:
    """Decline (the worker) or withdraw (the client) an offer not yet accepted."""
    status = PAST[action]
    with write_transaction(s.conn) as conn:
        offer = _offer(s, ref, action)
        conn.execute("UPDATE contracts SET status = ? WHERE id = ?", (status, offer.id))
        contract = records.contract_by_id(conn, offer.id)
        assert contract is not None
        s.record(f"offer_{status}", f"offer #{contract.id} ({contract.ref}) {status}", contract.id)
        return views.offer_view(contract, records.campaign_by_id(conn, offer.campaign_id))


PAST = {
    "accept": "accepted",
    "decline": "declined",
    "withdraw": "withdrawn",
    "pause": "paused",
    "resume": "resumed",
    "close": "closed",
}


def _offer(s: Session, ref: str, action: str) -> Contract:
    offer = records.find_contract(s.conn, ref, what="offer")
    if offer.status != "offered":
        raise RuleRefused(
            f"offer #{offer.id} ({offer.ref}) is {offer.status}; only an open offer can be {PAST[action]}",
            f"offer_{offer.status}",
        )
    return offer


def list_offers(s: Session, campaign_ref: str | None = None, status: str | None = None) -> list[View]:
    """Offers and contracts, newest first, optionally of one campaign or in one status."""
    sql, args = f"{records.CONTRACT_SELECT} WHERE 1=1", list[object]()
    if campaign_ref is not None:
        sql += " AND c.campaign_id = ?"
        args.append(records.find_campaign(s.conn, campaign_ref).id)
    if status is not None:
        if status not in {"offered", "declined", "withdrawn", "active", "ended"}:
            raise BadInput(f"status '{status}' is not one of offered, declined, withdrawn, active, ended", "bad_status")
        sql += " AND c.status = ?"
        args.append(status)
    rows = s.conn.execute(sql + " ORDER BY c.id", args).fetchall()
    result = []
    for row in rows:
        contract = records.contract_from_row(row)
        result.append(views.offer_view(contract, records.campaign_by_id(s.conn, contract.campaign_id)))
    return result
