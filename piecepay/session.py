"""A session: one open ledger (its store), who is acting, and the clock, handed to every operation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from piecepay.dates import within_span
from piecepay.inputs import actor as checked_actor

if TYPE_CHECKING:
    from piecepay.journal import Posting
    from piecepay.store import Store
    from piecepay.store.journal import EntryHeader
    from piecepay.store.migrations import Stamp


@dataclass
class Session:
    """What every operation needs: the store, the actor and the moment it runs."""

    store: Store
    actor: str
    now: datetime
    today: date
    replayed: int = 0  # keyed requests this session answered from their first result

    @property
    def path(self) -> Path:
        return self.store.path

    @property
    def recorded_at(self) -> str:
        return self.now.astimezone(UTC).isoformat(timespec="microseconds")

    def day(self, given: date | None) -> date:
        """The effective date given, or today."""
        return self.today if given is None else given

    def close(self) -> None:
        self.store.close()

    def header(
        self, kind: str, effective: date, memo: str, contract_id: int | None = None, bill_id: int | None = None
    ) -> EntryHeader:
        """An entry's header: what happened and when, written now by this session's actor."""
        from piecepay.store.journal import EntryHeader

        return EntryHeader(kind, effective.isoformat(), self.recorded_at, self.actor, memo, contract_id, bill_id)

    def move(
        self,
        kind: str,
        effective: date,
        memo: str,
        postings: list[Posting],
        contract_id: int | None = None,
        bill_id: int | None = None,
    ) -> int:
        """Write an entry that moves money, sealing the rows written before it; its id."""
        return self.store.append(self.header(kind, effective, memo, contract_id, bill_id), postings)

    def record(self, kind: str, memo: str, contract_id: int | None = None) -> int:
        """Seal the rows just written into a journal entry that moves no money (a record)."""
        return self.store.append(self.header(kind, self.today, memo, contract_id))


def _stamp(actor: str, now: datetime, today: date | None) -> tuple[str, date, Stamp]:
    from piecepay.store.migrations import Stamp

    name = checked_actor(actor)
    day = within_span(today if today is not None else now.astimezone().date(), "today's date")
    return name, day, Stamp(name, now.astimezone(UTC).isoformat(timespec="microseconds"), day.isoformat())


def open_session(path: Path, actor: str, now: datetime, today: date | None = None, *, write: bool) -> Session:
    """Open the existing ledger at ``path`` for ``actor``, for writing or only reading;
    ``now`` is the real clock, ``today`` the calendar date that rules and default effective
    dates use (its local date unless given)."""
    from piecepay.store.connection import open_ledger
    from piecepay.store.sqlite import SqliteStore

    name, day, stamp = _stamp(actor, now, today)
    return Session(SqliteStore(open_ledger(path, write=write, stamp=stamp), path), name, now, day)


def new_ledger(path: Path, actor: str, now: datetime, today: date | None = None) -> None:
    """Create a ledger at ``path``; its first entry records ``actor`` creating it."""
    from piecepay.store.connection import create_ledger

    _, _, stamp = _stamp(actor, now, today)
    create_ledger(path, stamp)
