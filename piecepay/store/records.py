"""Reading rows into domain records, and finding them by the references users type."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from piecepay.errors import NotFound
from piecepay.models import Account, Bill, Campaign, Contract, Milestone, Worker

CONTRACT_SELECT = (
    "SELECT c.*, k.slug AS campaign_slug, w.handle AS worker_handle FROM contracts c "
    "JOIN campaigns k ON k.id = c.campaign_id JOIN workers w ON w.id = c.worker_id"
)
CAMPAIGN_SELECT = "SELECT k.*, cur.digits FROM campaigns k JOIN currencies cur ON cur.code = k.currency"


# Columns stored as text that the records hold as Decimal, date or tuple.
CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "step": Decimal,
    "rate": Decimal,
    "deadline": date.fromisoformat,
    "accepted_on": date.fromisoformat,
    "ended_on": date.fromisoformat,
    "opened_on": date.fromisoformat,
    "effective_date": date.fromisoformat,
    "resolved_on": date.fromisoformat,
    "proofs": lambda text: tuple(json.loads(text)),
}

MAX_ID = 2**63 - 1  # SQLite's largest rowid; a larger number names nothing

R = TypeVar("R", Campaign, Worker, Contract, Milestone, Bill, Account)


def from_row(record: type[R], row: sqlite3.Row) -> R:
    """A record from a row holding (at least) its fields, text columns converted."""
    values = {}
    for name in record._fields:
        value = row[name]
        convert = CONVERTERS.get(name)
        values[name] = convert(value) if convert is not None and value is not None else value
    return record(**values)


def campaign_from_row(row: sqlite3.Row) -> Campaign:
    return from_row(Campaign, row)


def worker_from_row(row: sqlite3.Row) -> Worker:
    return from_row(Worker, row)


def contract_from_row(row: sqlite3.Row) -> Contract:
    return from_row(Contract, row)


def milestone_from_row(row: sqlite3.Row) -> Milestone:
    return from_row(Milestone, row)


def bill_from_row(row: sqlite3.Row) -> Bill:
    return from_row(Bill, row)


def account_from_row(row: sqlite3.Row) -> Account:
    return from_row(Account, row)


def _numeric_id(ref: str) -> int | None:
    """The id a reference like '12' or '#12' names; None when it names no possible row."""
    text = ref[1:] if ref.startswith("#") else ref
    if not (text.isascii() and text.isdigit() and len(text) <= 19):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


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
    if ref.lstrip("#").isdigit():
        raise NotFound(f"no {what} {ref}", f"{what}_not_found")
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


def is_empty(conn: sqlite3.Connection) -> bool:
    """Whether the ledger holds nothing yet: no campaign, worker or entry."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM campaigns) OR EXISTS (SELECT 1 FROM workers) "
        "OR EXISTS (SELECT 1 FROM entries WHERE kind != 'checkpoint')"
    ).fetchone()
    return not row[0]
