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
    from piecepay.remote import Remote
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


def server_settings() -> tuple[str, str] | None:
    """PIECEPAY_URL and PIECEPAY_TOKEN, or None when neither is set; one alone is refused."""
    url, token = os.environ.get("PIECEPAY_URL") or None, os.environ.get("PIECEPAY_TOKEN") or None
    if url is None and token is None:
        return None
    if url is None or token is None:
        from piecepay.errors import BadInput

        given, missing = ("PIECEPAY_URL", "PIECEPAY_TOKEN") if token is None else ("PIECEPAY_TOKEN", "PIECEPAY_URL")
        raise BadInput(
            f"{given} is set but {missing} is not: set both to use a served ledger, or neither to use a ledger file",
            "remote_incomplete",
        )
    return url, token


class Invocation:
    """One run of the command line: what its global options said, the ledger it opened and
    the sink its results go to. (A plain class: importing dataclasses costs a millisecond.)"""

    def __init__(self, db: Location | None = None, json: bool = False, actor: str | None = None) -> None:
        self.db = db
        self.json = json
        self.actor = actor
        self.sessions: list[Session] = []
        self.command = "piecepay"

    @property
    def remote(self) -> Remote | None:
        """The served ledger this command asks (PIECEPAY_URL and PIECEPAY_TOKEN), or None to
        work on a ledger; a ledger named as well (--db or PIECEPAY_DB) is refused."""
        settings = server_settings()
        if settings is None:
            return None
        if self.db is not None:
            from piecepay.errors import BadInput

            raise BadInput(
                "--db (or PIECEPAY_DB) names a ledger and PIECEPAY_URL a server; give only one of them",
                "conflicting_options",
            )
        from piecepay.remote import Remote

        return Remote(*settings)

    def local(self, what: str | None = None) -> None:
        """Refuse a command that works on a ledger while PIECEPAY_URL names a server."""
        if server_settings() is not None:
            from piecepay.errors import BadInput

            raise BadInput(
                f"'{what or self.command}' works on a ledger (--db), not on a server; unset PIECEPAY_URL to run it",
                "not_served",
            )

    def session(self, *, write: bool) -> Session:
        """The ledger opened for this command: ``write`` for one that changes it."""
        from piecepay.session import open_session

        self.local()
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

        self.local()
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
    root.obj.command = ctx.command_path
    return root.obj
