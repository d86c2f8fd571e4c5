"""Opening a ledger file: what counts as one, its schema version, pragmas and write transactions.

Only ``create_ledger`` (``piecepay init``) makes a new file. Every other open proves
first, without touching the file, that it is a piecepay ledger this version can use:
it exists, is a regular file, starts with SQLite's header, carries piecepay's
application id (or is a ledger from before it had one) and has no newer schema. A
ledger that cannot be written (read-only file, folder or medium) still opens for
reading; writes to it are refused as read-only.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from piecepay.errors import BadInput, NotFound, RuleRefused, StorageError
from piecepay.store.facts import install_tracking, tracking, unsealed
from piecepay.store.migrations import Stamp

DEFAULT_BUSY_SECONDS = 30.0
MAX_BUSY_SECONDS = 86400.0
SQLITE_MAGIC = b"SQLite format 3\x00"
APPLICATION_ID = 0x50435059  # "PCPY" in the SQLite header, so other tools can tell a ledger
SIDECARS = ("-wal", "-shm", "-journal")


def busy_seconds() -> float:
    """How long a writer waits for the lock before giving up (env PIECEPAY_BUSY_TIMEOUT, seconds)."""
    raw = os.environ.get("PIECEPAY_BUSY_TIMEOUT")
    if raw is None or raw == "":
        return DEFAULT_BUSY_SECONDS
    if not re.fullmatch(r"[0-9]{1,6}(\.[0-9]{1,6})?", raw, re.ASCII) or float(raw) > MAX_BUSY_SECONDS:
        raise BadInput(
            f"PIECEPAY_BUSY_TIMEOUT '{raw}' must be a number of seconds from 0 to {MAX_BUSY_SECONDS:.0f}",
            "bad_busy_timeout",
        )
    return float(raw)


def create_ledger(path: Path, stamp: Stamp, fill: Callable[[Any], None] | None = None) -> None:
    """Make a new, empty ledger at ``path`` at the current schema; refuse if anything is there.
    With ``fill``, the new file holds what ``fill`` writes instead (a copy of another ledger).

    The ledger is built beside ``path`` and linked into place whole, so a crash or a
    second ``init`` at the same moment leaves either no file or a complete ledger.
    """
    from piecepay.files import fsync_dir, temp_path_for
    from piecepay.store.migrations import migrate

    if path.exists() or path.is_symlink():
        raise RuleRefused(f"{path} already exists; a ledger is created only where nothing is", "ledger_exists")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = temp_path_for(path)
        conn = sqlite3.connect(temp, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise StorageError(f"cannot create a ledger at {path}: {_reason(exc)}", "ledger_create_failed") from exc
    try:
        try:
            conn.execute("PRAGMA journal_mode=WAL").fetchone()
            conn.execute("PRAGMA synchronous=FULL")
            conn.row_factory = sqlite3.Row
            migrate(conn, stamp, fill)
        finally:
            conn.close()
        with open(temp, "rb") as stream:
            os.fsync(stream.fileno())
        _link_into_place(temp, path)
        fsync_dir(path.parent)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot create a ledger at {path}: {exc}", "ledger_create_failed") from exc
    finally:
        for leftover in (temp, *(Path(f"{temp}{suffix}") for suffix in SIDECARS)):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _link_into_place(temp: Path, path: Path) -> None:
    try:
        os.link(temp, path)  # fails if anything appeared at ``path`` meanwhile
    except FileExistsError:
        raise RuleRefused(
            f"{path} already exists; a ledger is created only where nothing is", "ledger_exists"
        ) from None
    except OSError as exc:
        raise StorageError(f"cannot create a ledger at {path}: {_reason(exc)}", "ledger_create_failed") from exc


def open_ledger(path: Path, *, write: bool, upgrade: bool = True, stamp: Stamp | None = None) -> sqlite3.Connection:
    """Open the existing ledger at ``path``, migrated to the current schema.

    Nothing in the file is altered before it has proved to be a piecepay ledger of a
    schema this version knows. ``write=False`` opens a ledger that cannot be written
    read-only instead of failing; ``write=True`` refuses it with exit 5. With
    ``upgrade=False`` (reading another ledger file, such as an earlier backup) the file
    is opened read-only and never migrated. ``stamp`` says who and when for the
    checkpoint entry an upgrade writes.
    """
    header = _ledger_header(path)
    writable = _writable(path) and upgrade
    if write and not writable:
        raise StorageError(f"ledger {path} is read-only; it can be read but not changed", "ledger_read_only")
    conn = _connect(path, writable)
    try:
        _check_identity(conn, path, header)
        _configure(conn, write)
        if upgrade:
            _migrate_if_older(conn, path, writable, stamp or default_stamp())
        if write:
            install_tracking(conn)
    except sqlite3.Error as exc:
        conn.close()
        raise storage_error(exc, path) from exc
    except BaseException:
        conn.close()
        raise
    return conn


# The header of each ledger file this process has proved, by device and inode. A process reads
# a file's header itself once: closing a descriptor of a file drops every POSIX lock the process
# holds on it, the locks its open SQLite connections rely on, and another process could then
# remove the write-ahead log under them (SQLite's "How To Corrupt", 2.2). What the header says
# that can change later (the schema version) is read again through the connection.
_HEADERS: dict[tuple[int, int], bytes] = {}


def _ledger_header(path: Path) -> bytes:
    """The first 100 bytes of a file that could be a ledger, or the error that says why not."""
    try:
        info = path.stat()
    except FileNotFoundError:
        import shlex

        raise NotFound(
            f"no ledger at {path}; create one with 'piecepay init --db {shlex.quote(str(path))}'", "ledger_not_found"
        ) from None
    except OSError as exc:
        raise StorageError(f"cannot read ledger {path}: {_reason(exc)}", "ledger_unreadable") from exc
    if not stat.S_ISREG(info.st_mode):
        raise StorageError(f"{path} is not a piecepay ledger: it is not a regular file", "not_a_ledger")
    known = _HEADERS.get((info.st_dev, info.st_ino))
    if known is not None:
        return known
    try:
        with open(path, "rb") as stream:
            header = stream.read(100)
    except OSError as exc:
        raise StorageError(f"cannot read ledger {path}: {_reason(exc)}", "ledger_unreadable") from exc
    if not header:
        raise StorageError(f"{path} is not a piecepay ledger: the file is empty", "not_a_ledger")
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC) or not _sane_header(header):
        raise StorageError(f"{path} is not a piecepay ledger: it is not a SQLite database", "not_a_ledger")
    _check_version(int.from_bytes(header[60:64], "big"), path)
    _HEADERS[(info.st_dev, info.st_ino)] = header
    return header


def _sane_header(header: bytes) -> bool:
    """The fixed fields of SQLite's file header: a power-of-two page size, payload fractions 64/32/32."""
    page_size = int.from_bytes(header[16:18], "big")
    power_of_two = page_size == 1 or (512 <= page_size <= 32768 and page_size & (page_size - 1) == 0)
    return power_of_two and header[21:24] == bytes((64, 32, 32))


def _writable(path: Path) -> bool:
    """Whether the file and its folder (where SQLite keeps -wal and -shm) can be written."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def _connect(path: Path, writable: bool) -> sqlite3.Connection:
    """A connection; read-only when the ledger cannot be written, immutable when even
    SQLite's shared-memory file cannot be made (a WAL ledger on read-only media)."""
    attempts = [(str(path), False)] if writable else []
    uri = "file:" + _quote_path(path)
    attempts += [(f"{uri}?mode=ro", True)]
    if not writable and not _has_wal_content(path):
        attempts.append((f"{uri}?immutable=1", True))
    error: sqlite3.Error | None = None
    for target, is_uri in attempts:
        try:
            # A served ledger's pool hands a connection to one thread at a time, not always the one
            # that opened it; SQLite here is built serialized (sqlite3.threadsafety == 3).
            conn = sqlite3.connect(
                target, timeout=busy_seconds(), isolation_level=None, uri=is_uri, check_same_thread=False
            )
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            error = exc
            continue
        conn.row_factory = sqlite3.Row
        return conn
    assert error is not None
    if not writable:
        raise StorageError(
            f"ledger {path} is read-only and cannot be opened for reading: {error}", "ledger_read_only"
        ) from error
    raise storage_error(error, path) from error


def _quote_path(path: Path) -> str:
    from urllib.parse import quote

    return quote(str(path.absolute()), safe="/")


def _has_wal_content(path: Path) -> bool:
    try:
        return Path(f"{path}-wal").stat().st_size > 0
    except OSError:
        return False


def _check_identity(conn: sqlite3.Connection, path: Path, header: bytes) -> None:
    """A piecepay ledger: its application id, or a ledger from before it had one."""
    version = user_version(conn)
    _check_version(version, path)
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if app_id == APPLICATION_ID and version >= 1:
        return
    legacy = app_id == 0 and version in (1, 2)
    if legacy and conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'migrations'").fetchone():
        return
    raise StorageError(f"{path} is not a piecepay ledger: it is another SQLite database", "not_a_ledger")


def _check_version(version: int, path: Path) -> None:
    from piecepay.store.migrations import LATEST_VERSION

    if version > LATEST_VERSION:
        raise StorageError(
            f"ledger {path} has schema version {version}, newer than this piecepay knows "
            f"({LATEST_VERSION}); upgrade piecepay to use it",
            code="schema_too_new",
        )


def _configure(conn: sqlite3.Connection, write: bool) -> None:
    # FULL makes each commit durable; WAL (set by init) lets readers run beside the one writer.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    if write and conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        conn.execute("PRAGMA journal_mode=WAL").fetchone()  # e.g. a backup copied back into place


def default_stamp() -> Stamp:
    """piecepay itself, now, for entries written outside any session."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return Stamp("piecepay", now.isoformat(timespec="microseconds"), now.date().isoformat())


def _migrate_if_older(conn: sqlite3.Connection, path: Path, writable: bool, stamp: Stamp) -> None:
    from piecepay.store.migrations import LATEST_VERSION, migrate

    version = user_version(conn)
    if version >= LATEST_VERSION:
        return
    if not writable:
        raise StorageError(
            f"ledger {path} has schema version {version} and must be upgraded to {LATEST_VERSION}, "
            "which needs write access; it is read-only",
            "ledger_read_only",
        )
    migrate(conn, stamp)


def user_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the file."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


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
        # Rows may point to the entry that seals them, written last in the transaction.
        conn.execute("PRAGMA defer_foreign_keys = ON")
    except sqlite3.Error as exc:
        raise storage_error(exc) from exc
    try:
        yield conn
        if tracking(conn) and (left := unsealed(conn)):
            raise AssertionError(f"changed rows that no journal entry seals: {left[:5]}")
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
