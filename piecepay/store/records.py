"""Reading rows into domain records, and finding them by the references users type."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from decimal import Decimal

from piecepay.errors import NotFound
from piecepay.models import Account, Bill, Campaign, Contract, Milestone, Worker

CONTRACT_SELECT = (
    "SELECT c.*, k.slug AS campaign_slug, w.handle AS worker_handle FROM contracts c "
    "JOIN campaigns k ON k.id = c.campaign_id JOIN workers w ON w.id = c.worker_id"
)
CAMPAIGN_SELECT = "SELECT k.*, cur.digits FROM campaigns k JOIN currencies cur ON cur.code = k.currency"


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def campaign_from_row(row: sqlite3.Row) -> Campaign:
    return Campaign(
        id=row["id"],
        slug=row["slug"],
        title=row["title"],
        unit=row["unit"],
        step=Decimal(row["step"]),
        rate=Decimal(row["rate"]),
        currency=row["currency"],
        digits=row["digits"],
        budget_minor=row["budget_minor"],
        max_pieces_milli=row["max_pieces_milli"],
        workers=row["workers"],
        milestone_cap_minor=row["milestone_cap_minor"],
        review_days=row["review_days"],
        deadline=_date(row["deadline"]),
        status=row["status"],
        created_at=row["created_at"],
    )


def worker_from_row(row: sqlite3.Row) -> Worker:
    return Worker(
        id=row["id"], handle=row["handle"], name=row["name"], email=row["email"], created_at=row["created_at"]
    )


def contract_from_row(row: sqlite3.Row) -> Contract:
    return Contract(
        id=row["id"],
        campaign_id=row["campaign_id"],
        worker_id=row["worker_id"],
        campaign_slug=row["campaign_slug"],
        worker_handle=row["worker_handle"],
        rate=Decimal(row["rate"]),
        max_pieces_milli=row["max_pieces_milli"],
        status=row["status"],
        offered_at=row["offered_at"],
        accepted_on=_date(row["accepted_on"]),
        ended_on=_date(row["ended_on"]),
        escrow_account_id=row["escrow_account_id"],
        refunded_minor=row["refunded_minor"],
        pieces_pending_milli=row["pieces_pending_milli"],
        pieces_released_milli=row["pieces_released_milli"],
        pieces_rejected_milli=row["pieces_rejected_milli"],
    )


def milestone_from_row(row: sqlite3.Row) -> Milestone:
    return Milestone(
        id=row["id"],
        contract_id=row["contract_id"],
        seq=row["seq"],
        top_up_minor=row["top_up_minor"],
        cap_minor=row["cap_minor"],
        status=row["status"],
        opened_on=date.fromisoformat(row["opened_on"]),
        entry_id=row["entry_id"],
    )


def bill_from_row(row: sqlite3.Row) -> Bill:
    return Bill(
        id=row["id"],
        contract_id=row["contract_id"],
        milestone_id=row["milestone_id"],
        pieces_milli=row["pieces_milli"],
        rate=Decimal(row["rate"]),
        amount_minor=row["amount_minor"],
        status=row["status"],
        released_pieces_milli=row["released_pieces_milli"],
        released_minor=row["released_minor"],
        reason=row["reason"],
        note=row["note"],
        minutes=row["minutes"],
        proofs=tuple(json.loads(row["proofs"])),
        effective_date=date.fromisoformat(row["effective_date"]),
        resolved_on=_date(row["resolved_on"]),
        entry_id=row["entry_id"],
        resolve_entry_id=row["resolve_entry_id"],
    )


def account_from_row(row: sqlite3.Row) -> Account:
    return Account(
        id=row["id"],
        name=row["name"],
        currency=row["currency"],
        debits_pending=row["debits_pending"],
        debits_posted=row["debits_posted"],
        credits_pending=row["credits_pending"],
        credits_posted=row["credits_posted"],
    )


def _numeric_id(ref: str) -> int | None:
    text = ref[1:] if ref.startswith("#") else ref
    return int(text) if text.isascii() and text.isdigit() else None


def find_campaign(conn: sqlite3.Connection, ref: str) -> Campaign:
    """A campaign by slug (or numeric id)."""
    row = conn.execute(f"{CAMPAIGN_SELECT} WHERE k.slug = ?", (ref,)).fetchone()
    if row is None and (num := _numeric_id(ref)) is not None:
        row = conn.execute(f"{CAMPAIGN_SELECT} WHERE k.id = ?", (num,)).fetchone()
    if row is None:
        raise NotFound(f"no campaign '{ref}' (see 'piecepay campaign list')", "campaign_not_found")
    return campaign_from_row(row)


def campaign_by_id(conn: sqlite3.Connection, campaign_id: int) -> Campaign:
    return campaign_from_row(conn.execute(f"{CAMPAIGN_SELECT} WHERE k.id = ?", (campaign_id,)).fetchone())


def find_worker(conn: sqlite3.Connection, ref: str) -> Worker:
    """A worker by handle (or numeric id)."""
    row = conn.execute("SELECT * FROM workers WHERE handle = ?", (ref,)).fetchone()
    if row is None and (num := _numeric_id(ref)) is not None:
        row = conn.execute("SELECT * FROM workers WHERE id = ?", (num,)).fetchone()
    if row is None:
        raise NotFound(f"no worker '{ref}' (see 'piecepay worker list')", "worker_not_found")
    return worker_from_row(row)


def contract_by_id(conn: sqlite3.Connection, contract_id: int) -> Contract | None:
    row = conn.execute(f"{CONTRACT_SELECT} WHERE c.id = ?", (contract_id,)).fetchone()
    return contract_from_row(row) if row else None


def find_contract(conn: sqlite3.Connection, ref: str, *, what: str = "contract") -> Contract:
    """A contract (or offer) by id, or by campaign/worker: the active one, else the latest."""
    if (num := _numeric_id(ref)) is not None:
        found = contract_by_id(conn, num)
        if found is None:
            raise NotFound(f"no {what} {ref}", f"{what}_not_found")
        return found
    campaign, sep, worker = ref.partition("/")
    if not sep:
        raise NotFound(f"no {what} '{ref}': use an id or campaign/worker", f"{what}_not_found")
    row = conn.execute(
        f"{CONTRACT_SELECT} WHERE k.slug = ? AND w.handle = ? "
        "ORDER BY c.status = 'active' DESC, c.status IN ('ended', 'offered') DESC, c.id DESC LIMIT 1",
        (campaign, worker),
    ).fetchone()
    if row is None:
        raise NotFound(f"no {what} '{ref}'", f"{what}_not_found")
    return contract_from_row(row)


def active_contracts(conn: sqlite3.Connection) -> list[Contract]:
    rows = conn.execute(f"{CONTRACT_SELECT} WHERE c.status = 'active' ORDER BY c.id").fetchall()
    return [contract_from_row(r) for r in rows]


def open_milestone(conn: sqlite3.Connection, contract_id: int) -> Milestone | None:
    row = conn.execute("SELECT * FROM milestones WHERE contract_id = ? AND status = 'open'", (contract_id,)).fetchone()
    return milestone_from_row(row) if row else None


def milestone_used_minor(conn: sqlite3.Connection, milestone_id: int) -> int:
    """What a milestone's cap has spent: pending reservations plus released amounts."""
    row = conn.execute(
        "SELECT COALESCE(SUM(CASE status WHEN 'pending' THEN amount_minor ELSE released_minor END), 0) "
        "FROM bills WHERE milestone_id = ?",
        (milestone_id,),
    ).fetchone()
    return int(row[0])


def find_bill(conn: sqlite3.Connection, ref: str) -> Bill:
    num = _numeric_id(ref)
    row = conn.execute("SELECT * FROM bills WHERE id = ?", (num,)).fetchone() if num is not None else None
    if row is None:
        raise NotFound(f"no bill '{ref}'", "bill_not_found")
    return bill_from_row(row)


def pending_bills(conn: sqlite3.Connection, contract_id: int) -> list[Bill]:
    rows = conn.execute(
        "SELECT * FROM bills WHERE contract_id = ? AND status = 'pending' ORDER BY id", (contract_id,)
    ).fetchall()
    return [bill_from_row(r) for r in rows]


def account(conn: sqlite3.Connection, account_id: int) -> Account:
    return account_from_row(conn.execute("SELECT * FROM accounts WHERE id = ?", (account_id,)).fetchone())


def account_by_name(conn: sqlite3.Connection, name: str, currency: str) -> Account | None:
    row = conn.execute("SELECT * FROM accounts WHERE name = ? AND currency = ?", (name, currency)).fetchone()
    return account_from_row(row) if row else None


def ensure_account(conn: sqlite3.Connection, name: str, currency: str) -> Account:
    """The account ``name`` in ``currency``, opened with zero totals if new."""
    conn.execute("INSERT OR IGNORE INTO accounts (name, currency) VALUES (?, ?)", (name, currency))
    found = account_by_name(conn, name, currency)
    assert found is not None
    return found


def campaign_committed(conn: sqlite3.Connection, campaign_id: int) -> tuple[int, int]:
    """Money a campaign has put in escrow and not had back, and pieces pending or released."""
    row = conn.execute(
        "SELECT COALESCE(SUM(a.credits_posted - c.refunded_minor), 0), "
        "COALESCE(SUM(c.pieces_pending_milli + c.pieces_released_milli), 0) "
        "FROM contracts c LEFT JOIN accounts a ON a.id = c.escrow_account_id WHERE c.campaign_id = ?",
        (campaign_id,),
    ).fetchone()
    return int(row[0]), int(row[1])
