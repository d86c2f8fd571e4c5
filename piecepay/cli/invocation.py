"""One invocation: its global options, the session opened from them, and its output sink."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from piecepay.dates import pinned_today

if TYPE_CHECKING:
    from piecepay.cli.render import Sink
    from piecepay.locations import Location
    from piecepay.session import Session


def default_db_path() -> Path:
    """``ledger.db`` in the user's data folder (platformdirs), used when --db and PIECEPAY_DB are unset."""
    import platformdirs

    return Path(platformdirs.user_data_dir("piecepay", appauthor=False)) / "ledger.db"


def default_actor() -> str:
    """The OS user, found as ``getpass.getuser`` finds it (getpass itself loads terminal
    support, half a millisecond of every command's start-up)."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        if user := os.environ.get(name):
            return user
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, OSError):
        return "unknown"


class Invocation:
    """One run of the command line: what its global options said, the ledger it opened and
    the sink its results go to. (A plain class: importing dataclasses costs a millisecond.)"""

    def __init__(self, db: Location | None = None, json: bool = False, actor: str | None = None) -> None:
        self.db = db
        self.json = json
        self.actor = actor
        self.sessions: list[Session] = []

    def session(self, *, write: bool) -> Session:
        """The ledger opened for this command: ``write`` for one that changes it."""
        from piecepay.session import open_session

        found = open_session(
            self.db or default_db_path(),
            self.actor if self.actor is not None else default_actor(),
            datetime.now(UTC),
            pinned_today(),
            write=write,
        )
        self.sessions.append(found)
        return found

    def create(self, where: Location, *, writer: str | None = None) -> None:
        """Create a new ledger at ``where``, recorded as made by this invocation's actor."""
        from piecepay.session import new_ledger

        actor = self.actor if self.actor is not None else default_actor()
        new_ledger(where, actor, datetime.now(UTC), pinned_today(), writer=writer)

    @property
    def sink(self) -> Sink:
        from piecepay.cli.render import Sink

        return Sink(self.json)

    def close(self) -> None:
        for opened in self.sessions:
            opened.close()
        self.sessions.clear()


def invocation(ctx: typer.Context) -> Invocation:
    """The Invocation stored on the root context by the app callback."""
    root = ctx.find_root()
    if not isinstance(root.obj, Invocation):
        root.obj = Invocation()
    return root.obj
