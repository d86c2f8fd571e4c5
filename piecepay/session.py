"""A session: one open ledger (its store), who is acting, and the clock, handed to every operation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from piecepay.dates import within_span
from piecepay.inputs import actor as checked_actor
from piecepay.locations import Location, ServerLedger

if TYPE_CHECKING:
    from piecepay.journal import Posting
    from piecepay.store import Store
    from piecepay.store.journal import EntryHeader
    from piecepay.store.migrations import Stamp


class Session:
    """What every operation needs: the store, the actor and the moment it runs.

    A plain class, not a dataclass: importing dataclasses costs every command a millisecond."""

    def __init__(self, store: Store, actor: str, now: datetime, today: date, replayed: int = 0) -> None:
        self.store = store
        self.actor = actor
        self.now = now
        self.today = today
        self.replayed = replayed  # keyed requests this session answered from their first result

    @property
    def path(self) -> Path | None:
        """The ledger's file (None for a ledger in a server database)."""
        return self.store.path

    @cached_property
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

    def record(
        self,
        kind: str,
        memo: str,
        contract_id: int | None = None,
        effective: date | None = None,
        bill_id: int | None = None,
    ) -> int:
        """Seal the rows just written into a journal entry that moves no money (a record),
        dated ``effective`` (default today)."""
        return self.store.append(self.header(kind, self.day(effective), memo, contract_id, bill_id))


def _stamp(actor: str, now: datetime, today: date | None) -> tuple[str, date, Stamp]:
    from piecepay.store.migrations import Stamp

    name = checked_actor(actor)
    day = within_span(today if today is not None else now.astimezone().date(), "today's date")
    return name, day, Stamp(name, now.astimezone(UTC).isoformat(timespec="microseconds"), day.isoformat())


def open_store(where: Location, *, write: bool, stamp: Stamp | None = None) -> Store:
    """The store of the existing ledger at ``where``: a SQLite file, or a PostgreSQL database
    (whose driver is imported only then)."""
    if isinstance(where, ServerLedger):
        from piecepay.store.postgres import PostgresStore
        from piecepay.store.postgres import open_ledger as open_server

        return PostgresStore(open_server(where, write=write, stamp=stamp), where)
    from piecepay.store.connection import open_ledger
    from piecepay.store.sqlite import SqliteStore

    return SqliteStore(open_ledger(where, write=write, stamp=stamp), where)


def open_session(where: Location, actor: str, now: datetime, today: date | None = None, *, write: bool) -> Session:
    """Open the existing ledger at ``where`` for ``actor``, for writing or only reading;
    ``now`` is the real clock, ``today`` the calendar date that rules and default effective
    dates use (its local date unless given)."""
    name, day, stamp = _stamp(actor, now, today)
    return Session(open_store(where, write=write, stamp=stamp), name, now, day)


def session_on(store: Store, actor: str, now: datetime, today: date | None = None) -> Session:
    """A new session over a ledger already open (a served ledger's pooled store)."""
    name, day, _ = _stamp(actor, now, today)
    return Session(store, name, now, day)


def new_ledger(
    where: Location, actor: str, now: datetime, today: date | None = None, *, writer: str | None = None
) -> None:
    """Create a ledger at ``where``; its first entry records ``actor`` creating it. On
    PostgreSQL, ``writer`` names the role that will write to it, granted what it needs."""
    _, _, stamp = _stamp(actor, now, today)
    if isinstance(where, ServerLedger):
        from piecepay.store.postgres import create_ledger as create_on_server

        create_on_server(where, stamp, writer)
        return
    from piecepay.store.connection import create_ledger

    create_ledger(where, stamp)
