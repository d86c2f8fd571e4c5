"""Opening a ledger file: pragmas, schema version check, and write transactions."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from piecepay.errors import NotFound, StorageError

DEFAULT_BUSY_SECONDS = 30.0


def busy_seconds() -> float:
    """How long a writer waits for the lock before giving up (env PIECEPAY_BUSY_TIMEOUT)."""
    raw = os.environ.get("PIECEPAY_BUSY_TIMEOUT", "")
    try:
        return float(raw) if raw else DEFAULT_BUSY_SECONDS
    except ValueError:
        return DEFAULT_BUSY_SECONDS


def open_ledger(path: Path, *, must_exist: bool = False) -> sqlite3.Connection:
    """Open (creating if allowed) the ledger at ``path``, migrated to the current schema.

    A ledger written by a newer piecepay, an unreadable file or one that is not a
    SQLite database raises StorageError; nothing in it is altered.
    """
    if must_exist and not path.exists():
        raise NotFound(
            f"no ledger at {path} (create one with 'piecepay campaign create' or 'piecepay demo')",
            code="ledger_not_found",
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=busy_seconds(), isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise StorageError(f"cannot open ledger {path}: {exc}") from exc
    conn.row_factory = sqlite3.Row
    try:
        _configure(conn)
        _check_version_and_migrate(conn, path)
    except sqlite3.Error as exc:
        conn.close()
        raise storage_error(exc, path) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _configure(conn: sqlite3.Connection) -> None:
    # WAL lets readers run beside the one writer; FULL makes each commit durable.
    conn.execute("PRAGMA journal_mode=WAL").fetchone()
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")


def _check_version_and_migrate(conn: sqlite3.Connection, path: Path) -> None:
    from piecepay.store.migrations import LATEST_VERSION, migrate

    version = user_version(conn)
    if version > LATEST_VERSION:
        raise StorageError(
            f"ledger {path} has schema version {version}, newer than this piecepay knows "
            f"({LATEST_VERSION}); upgrade piecepay to use it",
            code="schema_too_new",
        )
    if version < LATEST_VERSION:
        migrate(conn)


def user_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the file."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def storage_error(exc: sqlite3.Error, path: Path | None = None) -> StorageError:
    """Translate a sqlite3 error into a one-line StorageError."""
    text = str(exc)
    where = f" {path}" if path else ""
    if "locked" in text or "busy" in text:
        return StorageError(f"ledger{where} is locked by another process; try again", code="ledger_locked")
    if "readonly" in text or "read-only" in text:
        return StorageError(f"ledger{where} is read-only: {text}", code="ledger_read_only")
    if "not a database" in text or "malformed" in text:
        return StorageError(f"ledger{where} is not a valid piecepay ledger: {text}", code="ledger_corrupt")
    return StorageError(f"storage problem with ledger{where}: {text}")


@contextlib.contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block inside BEGIN IMMEDIATE … COMMIT; any exception rolls it all back.

    IMMEDIATE takes the write lock up front, so concurrent writers queue on the busy
    timeout instead of failing part-way or deciding on a stale read.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise storage_error(exc) from exc
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise storage_error(exc) from exc
