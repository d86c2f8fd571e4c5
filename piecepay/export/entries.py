"""The journal as exports see it: entries with named postings, read in one snapshot."""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import NamedTuple


class ExportPosting(NamedTuple):
    """A posting with its account's name and currency."""

    account: str
    side: str
    phase: str
    currency: str
    digits: int
    amount: int


class ExportEntry(NamedTuple):
    """An entry with what an export names it by."""

    id: int
    date: str
    recorded_at: str
    kind: str
    campaign: str | None
    worker: str | None
    contract_id: int | None
    bill_id: int | None
    memo: str
    actor: str
    hash: str
    postings: tuple[ExportPosting, ...]

    @property
    def contract(self) -> str | None:
        return f"{self.campaign}/{self.worker}" if self.campaign else None


ENTRY_SELECT = (
    "SELECT e.*, k.slug, w.handle FROM entries e LEFT JOIN contracts c ON c.id = e.contract_id "
    "LEFT JOIN campaigns k ON k.id = c.campaign_id LEFT JOIN workers w ON w.id = c.worker_id "
    "WHERE e.id > ? AND e.id <= ?"
)


def read_entries(
    conn: sqlite3.Connection, after_id: int, upto_id: int, start: date | None, end: date | None
) -> list[ExportEntry]:
    """Entries with after_id < id <= upto_id and an effective date within [start, end]."""
    sql, args = ENTRY_SELECT, list[object]([after_id, upto_id])
    if start is not None:
        sql += " AND e.effective_date >= ?"
        args.append(start.isoformat())
    if end is not None:
        sql += " AND e.effective_date <= ?"
        args.append(end.isoformat())
    postings: dict[int, list[ExportPosting]] = {}
    for row in conn.execute(
        "SELECT p.entry_id, a.name, p.side, p.phase, a.currency, cur.digits, p.amount FROM postings p "
        "JOIN accounts a ON a.id = p.account_id JOIN currencies cur ON cur.code = a.currency "
        "WHERE p.entry_id > ? AND p.entry_id <= ? ORDER BY p.id",
        (after_id, upto_id),
    ):
        postings.setdefault(row[0], []).append(ExportPosting(*row[1:]))
    return [
        ExportEntry(
            r["id"],
            r["effective_date"],
            r["recorded_at"],
            r["kind"],
            r["slug"],
            r["handle"],
            r["contract_id"],
            r["bill_id"],
            r["memo"],
            r["actor"],
            r["hash"],
            tuple(postings.get(r["id"], ())),
        )
        for r in conn.execute(sql + " ORDER BY e.id", args)
    ]
