"""Where a ledger lives: a SQLite file (a path) or a PostgreSQL database (a URL).

Cheap to import: nothing here loads a database driver. A URL's password is never shown;
``ServerLedger.shown`` is the form every message and document uses.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from piecepay.errors import BadInput
from piecepay.records import Record

SCHEMES = ("postgresql://", "postgres://")


class ServerLedger(Record):
    """A ledger in a PostgreSQL database, named by a libpq URL."""

    url: str

    @property
    def shown(self) -> str:
        """The URL with any password replaced by ``***``."""
        return redacted(self.url)

    def __str__(self) -> str:
        return self.shown


Location = Path | ServerLedger


def is_server_url(text: str) -> bool:
    return text.lower().startswith(SCHEMES)


def ledger_location(text: str) -> Location:
    """``--db`` or ``PIECEPAY_DB`` as a place: a PostgreSQL URL, else a file path."""
    if not is_server_url(text):
        return Path(text)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - reading it checks it
    except ValueError as exc:
        raise BadInput(f"--db '{redacted(text)}' is not a valid PostgreSQL URL ({exc})", "bad_url") from None
    if not parts.path.strip("/") and "dbname=" not in parts.query:
        raise BadInput(f"--db '{redacted(text)}' names no database (postgresql://user@host/dbname)", "bad_url")
    return ServerLedger(text)


def redacted(url: str) -> str:
    """``url`` with the password in its user part, and any ``password=`` parameter, hidden."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "postgresql://***"
    netloc, tail = re.match(r"([^/?#]*)(.*)", rest, re.DOTALL).groups()  # type: ignore[union-attr]
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        if ":" in user:
            user = user.split(":", 1)[0] + ":***"
        netloc = f"{user}@{host}"
    tail = re.sub(r"(?i)(\bpassword=)[^&#]*", r"\1***", tail)
    return f"{scheme}://{netloc}{tail}"
