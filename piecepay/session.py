"""A session: one open ledger, who is acting, and the clock, handed to every service."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from piecepay.dates import parse_day, within_span
from piecepay.store.connection import create_ledger, open_ledger
from piecepay.store.migrations import Stamp
from piecepay.text import ACTOR_MAX, checked_text

if TYPE_CHECKING:
    from piecepay.store.journal import EntryHeader


@dataclass
class Session:
    """What every service needs: the connection, the actor and the moment it runs."""

    conn: sqlite3.Connection
    path: Path
    actor: str
    now: datetime
    today: date
    replayed: int = 0  # keyed requests this session answered from their first result

    @property
    def recorded_at(self) -> str:
        return self.now.astimezone(UTC).isoformat(timespec="microseconds")

    def close(self) -> None:
        self.conn.close()

    def header(
        self, kind: str, effective: date, memo: str, contract_id: int | None = None, bill_id: int | None = None
    ) -> EntryHeader:
        """An entry's header: what happened and when, written now by this session's actor."""
        from piecepay.store.journal import EntryHeader

        return EntryHeader(kind, effective.isoformat(), self.recorded_at, self.actor, memo, contract_id, bill_id)

    def record(self, kind: str, memo: str, contract_id: int | None = None) -> int:
        """Seal the rows just written into a journal entry that moves no money (a record)."""
        from piecepay.store.journal import append_entry

        return append_entry(self.conn, self.header(kind, self.today, memo, contract_id))


def _stamp(actor: str, now: datetime, today: date | None) -> tuple[str, date, Stamp]:
    name = checked_text(actor, "actor", max_length=ACTOR_MAX, code="bad_actor")
    day = within_span(today if today is not None else now.astimezone().date(), "today's date")
    return name, day, Stamp(name, now.astimezone(UTC).isoformat(timespec="microseconds"), day.isoformat())


def open_session(path: Path, actor: str, now: datetime, today: date | None = None, *, write: bool) -> Session:
    """Open the existing ledger at ``path`` for ``actor``, for writing or only reading;
    ``now`` is the real clock, ``today`` the calendar date that rules and default effective
    dates use (its local date unless given)."""
    name, day, stamp = _stamp(actor, now, today)
    return Session(open_ledger(path, write=write, stamp=stamp), path, name, now, day)


def new_ledger(path: Path, actor: str, now: datetime, today: date | None = None) -> None:
    """Create a ledger at ``path``; its first entry records ``actor`` creating it."""
    _, _, stamp = _stamp(actor, now, today)
    create_ledger(path, stamp)


def parse_date(text: str | None, session: Session, what: str = "date") -> date:
    """A YYYY-MM-DD date as given (within the span piecepay keeps), or today when none is."""
    if text is None:
        return session.today
    return parse_day(text, what)
