"""The PostgreSQL store: a team's ledger in a server database, with the SQLite file's guarantees.

The statements are the SQLite store's own (they are written in the SQL both understand);
this module adds what is PostgreSQL's: connecting by URL, the schema and its migrations,
one lock that queues writers so entries chain in order and no two writers decide on the
same balance, repeatable-read snapshots for reads, the triggers that guard and note rows,
and the checks ``verify`` makes of them. psycopg is imported only here, and this module
only for a ``postgresql://`` ledger, so the SQLite default does not pay for it.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from piecepay.errors import NotFound, RuleRefused, StorageError
from piecepay.locations import ServerLedger
from piecepay.store import postgres_schema as schema
from piecepay.store.migrations import Stamp
from piecepay.store.sqlite import SqliteStore, StoredHead

VERIFIED_HEAD = "m004_verified_head"
WRITE_LOCK = 0x50435059  # one advisory lock: writers queue on it, like SQLite's BEGIN IMMEDIATE
STREAM_BATCH = 2000  # rows a server-side cursor sends at a time
_stream_names = itertools.count(1)
TOUCHED = "CREATE TEMP TABLE IF NOT EXISTS touched (tbl TEXT NOT NULL, rid TEXT NOT NULL, PRIMARY KEY (tbl, rid))"


class Row:
    """A result row read by position or by column name, as sqlite3.Row is."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: dict[str, int], values: tuple[Any, ...]) -> None:
        self._names = names
        self._values = values

    def __getitem__(self, key: int | str | slice) -> Any:
        return self._values[self._names[key] if isinstance(key, str) else key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def keys(self) -> list[str]:
        return list(self._names)


def _plain(value: Any) -> Any:
    # The schema has no NUMERIC column: a Decimal is a SUM of BIGINTs, a whole number.
    return int(value) if isinstance(value, Decimal) else value


def _rows(cursor: psycopg.Cursor[Any]) -> Any:
    names = {column.name: i for i, column in enumerate(cursor.description or ())}

    def make(values: Sequence[Any]) -> Row:
        return Row(names, tuple(_plain(v) for v in values))

    return make


@functools.lru_cache(maxsize=512)
def _dialect(sql: str) -> str:
    """SQLite's ``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgConnection:
    """psycopg behind the few calls the SQLite store makes of its connection."""

    def __init__(self, conn: psycopg.Connection[Any], shown: str) -> None:
        self.raw = conn
        self.shown = shown
        self.applied: frozenset[str] = frozenset(schema.MIGRATION_NAMES)  # the ledger's migrations
        self.tracking = False  # whether this session notes the rows it touches (opened for writing)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        cursor = self.raw.cursor(row_factory=_rows)
        try:
            if params:
                cursor.execute(_dialect(sql), tuple(params))
            else:
                cursor.execute(sql)
        except psycopg.Error as exc:
            raise server_error(exc, self.shown) from exc
        return cursor

    def stream(self, sql: str, params: Sequence[Any] = (), batch: int = STREAM_BATCH) -> Iterator[tuple[Any, ...]]:
        """A query's rows as plain tuples, fetched ``batch`` at a time from a server-side cursor, so
        a result of any size never sits whole in memory. Call it inside a transaction (the cursor
        lives as long as the transaction does)."""
        cursor = self.raw.cursor(name=f"piecepay_stream_{next(_stream_names)}")
        try:
            cursor.itersize = batch
            cursor.execute(_dialect(sql) if params else sql, tuple(params) if params else None)
            yield from cursor
        except psycopg.Error as exc:
            raise server_error(exc, self.shown) from exc
        finally:
            with contextlib.suppress(psycopg.Error):
                cursor.close()

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        try:
            with self.raw.cursor() as cursor:
                cursor.executemany(_dialect(sql), [tuple(r) for r in rows])
        except psycopg.Error as exc:
            raise server_error(exc, self.shown) from exc

    def close(self) -> None:
        self.raw.close()


def server_error(exc: psycopg.Error, shown: str) -> StorageError:
    """A psycopg error as one line naming the ledger (never its password)."""
    text = (exc.diag.message_primary if isinstance(exc, psycopg.DatabaseError) and exc.diag else None) or str(exc)
    text = text.splitlines()[0] if text else type(exc).__name__
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return StorageError(f"ledger {shown} refused the change: {text}", "ledger_read_only")
    if isinstance(exc, pg_errors.RaiseException):
        return StorageError(f"ledger {shown} refused the change: {text}", "ledger_guarded")
    if isinstance(exc, pg_errors.ReadOnlySqlTransaction):
        return StorageError(f"ledger {shown} is read-only: {text}", "ledger_read_only")
    return StorageError(f"storage problem with ledger {shown}: {text}")


def connect(where: ServerLedger) -> PgConnection:
    try:
        raw = psycopg.connect(where.url, autocommit=True, connect_timeout=10, application_name="piecepay")
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "cannot connect"
        if "does not exist" in reason and "database" in reason:
            raise NotFound(
                f"no database at {where.shown}; create it, then run 'piecepay init --db URL'", "ledger_not_found"
            ) from None
        raise StorageError(f"cannot reach the ledger at {where.shown}: {reason.removeprefix('FATAL:  ')}") from None
    except psycopg.Error as exc:
        raise StorageError(f"cannot reach the ledger at {where.shown}: {exc}") from None
    conn = PgConnection(raw, where.shown)
    conn.execute("SET TIME ZONE 'UTC'")
    return conn


def _applied(conn: PgConnection) -> list[str] | None:
    """The migrations the database records, or None when it holds no piecepay ledger."""
    row = conn.execute("SELECT to_regclass('public.migrations') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return None
    return [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY name").fetchall()]


def _has_tables(conn: PgConnection) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S'))"
    ).fetchone()
    return bool(row and row[0])


def create_ledger(
    where: ServerLedger, stamp: Stamp, writer: str | None = None, fill: Callable[[Any], None] | None = None
) -> None:
    """A new ledger in the empty database at ``where``: every migration, then the checkpoint
    entry, in one transaction; ``writer`` is granted what the role piecepay writes with needs.
    With ``fill``, what ``fill`` writes (a copy of another ledger) replaces the checkpoint."""
    from piecepay.store.migrations import checkpoint

    conn = connect(where)
    try:
        conn.execute("BEGIN")
        conn.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,))
        if _applied(conn) is not None:
            raise RuleRefused(f"{where.shown} already holds a piecepay ledger; nothing changed", "ledger_exists")
        if _has_tables(conn):
            raise RuleRefused(
                f"{where.shown} already holds tables that are not a piecepay ledger; use an empty database",
                "ledger_exists",
            )
        conn.execute(f"CREATE TABLE migrations (name {schema.T} PRIMARY KEY, applied_at {schema.T})")
        for name in schema.MIGRATION_NAMES:
            for statement in schema.migration_statements(name):
                conn.execute(statement)
            conn.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, stamp.recorded_at))
        if writer is not None:
            for grant in schema.WRITER_GRANTS:
                conn.execute(grant.format(role=_identifier(conn, writer)))
        conn.execute(TOUCHED)
        if fill is not None:
            fill(conn)  # copied rows come sealed by the entries copied with them
        else:
            checkpoint(conn, stamp, created=True)  # type: ignore[arg-type]  # the same calls, another connection
        conn.execute("DELETE FROM touched")
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()


def _identifier(conn: PgConnection, name: str) -> str:
    row = conn.execute("SELECT quote_ident(?)", (name,)).fetchone()
    assert row is not None
    return str(row[0])


def open_ledger(where: ServerLedger, *, write: bool, stamp: Stamp | None = None) -> PgConnection:
    """The ledger at ``where``, proved to be a piecepay ledger of a schema this version knows.

    A ledger of an older schema is upgraded when opened, even only to read, as a file is:
    the migrations it lacks and an entry recording the upgrade (``stamp`` says who and when),
    in one transaction. A role that cannot upgrade it is told which role can."""
    conn = connect(where)
    try:
        applied = _known_schema(conn, where)
        if len(applied) < len(schema.MIGRATION_NAMES):
            applied = _upgrade(conn, where, stamp)
        conn.applied = frozenset(applied)
        if write:
            conn.execute(TOUCHED)
            conn.tracking = True
    except BaseException:
        conn.close()
        raise
    return conn


def _known_schema(conn: PgConnection, where: ServerLedger) -> list[str]:
    """The migrations the ledger records: the first ones this version knows, in order."""
    applied = _applied(conn)
    if applied is None:
        raise StorageError(
            f"{where.shown} holds no piecepay ledger; create one with 'piecepay init --db URL'", "not_a_ledger"
        )
    unknown = sorted(set(applied) - set(schema.MIGRATION_NAMES))
    if unknown:
        raise StorageError(
            f"ledger {where.shown} was upgraded by a newer piecepay (migration {unknown[0]}); "
            "upgrade piecepay to use it",
            "ledger_too_new",
        )
    known = list(schema.MIGRATION_NAMES[: len(applied)])
    if sorted(applied) != sorted(known) or len(applied) < schema.MIGRATION_NAMES.index("m003_facts_in_the_chain") + 1:
        missing = next(name for name in schema.MIGRATION_NAMES if name not in applied)
        raise StorageError(f"ledger {where.shown} lacks migration {missing}", "ledger_corrupt")
    return known


def _upgrade(conn: PgConnection, where: ServerLedger, stamp: Stamp | None) -> list[str]:
    """Apply the migrations the ledger lacks, grant what they add to the roles that write it,
    and record the upgrade in the journal, all in one transaction under the writers' lock."""
    from piecepay.store.connection import default_stamp
    from piecepay.store.migrations import checkpoint

    stamp = stamp or default_stamp()
    missing: list[str] = []
    conn.execute("BEGIN")
    try:
        conn.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,))
        applied = _known_schema(conn, where)  # another process may have upgraded meanwhile
        missing = [name for name in schema.MIGRATION_NAMES if name not in applied]
        if missing:
            writers = [
                str(row[0])
                for row in conn.execute(  # the roles that may write the journal (init --writer), not its owner
                    "SELECT DISTINCT r.rolname FROM pg_class c CROSS JOIN aclexplode(c.relacl) a "
                    "JOIN pg_roles r ON r.oid = a.grantee WHERE c.oid = 'public.entries'::regclass "
                    "AND a.privilege_type = 'INSERT' AND a.grantee <> c.relowner ORDER BY 1"
                ).fetchall()
            ]
            for name in missing:
                for statement in schema.migration_statements(name):
                    conn.execute(statement)
                conn.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, stamp.recorded_at))
            for role in writers:
                for grant in schema.WRITER_GRANTS:
                    conn.execute(grant.format(role=_identifier(conn, role)))
            checkpoint(conn, stamp, created=False, upgraded_from=len(applied), applied=missing)  # type: ignore[arg-type]
        conn.execute("COMMIT")
    except StorageError as exc:
        with contextlib.suppress(Exception):
            conn.execute("ROLLBACK")
        if exc.code == "ledger_read_only" and missing:
            raise StorageError(
                f"ledger {where.shown} has an older schema (it lacks {missing[0]}) that only the role owning its "
                "tables can upgrade: run any piecepay command that writes once as that role "
                f"({exc.message.split(': ', 1)[-1]})",
                "ledger_needs_upgrade",
            ) from exc
        raise
    except BaseException:
        with contextlib.suppress(Exception):
            conn.execute("ROLLBACK")
        raise
    return list(schema.MIGRATION_NAMES)


class PostgresStore(SqliteStore):
    """The store on PostgreSQL: the SQLite store's statements over a psycopg connection."""

    def __init__(self, conn: PgConnection, where: ServerLedger) -> None:
        super().__init__(conn, None)  # type: ignore[arg-type]  # the same calls, another connection
        self.where = where
        self.pg = conn
        self.shown = where.shown

    def in_transaction(self) -> bool:
        return bool(self.pg.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE)

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction; writers queue on one lock, so each decides on the latest
        committed balances and entries chain in order. Any exception rolls it all back."""
        from piecepay.store.facts import unsealed

        conn = self.conn
        if self.pg.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            with self._savepoint():
                yield
            return
        conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        try:
            conn.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,))
            yield
            if self.pg.tracking and (left := unsealed(conn)):
                raise AssertionError(f"changed rows that no journal entry seals: {left[:5]}")
        except BaseException:
            with contextlib.suppress(Exception):
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        self.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield
        finally:
            self.conn.execute("ROLLBACK")

    def _stream(self, sql: str, args: Sequence[object] = ()) -> Iterator[tuple[Any, ...]]:
        return self.pg.stream(sql, args)

    # ------------------------------------------------------------------ what verify reads

    def expect_many_writes(self) -> None:
        """The server keeps its own cache."""

    def _inserting_sealed(self, tables: tuple[str, ...]) -> contextlib.AbstractContextManager[None]:
        """The server's triggers note every insert; the writer's seals cover them."""
        return contextlib.nullcontext()

    def covered_images(self, table: str, keys: list[str] | None = None) -> Iterator[tuple[str, str]]:
        """(key, ``canonical_json`` of its image) of each row of a table the chain seals, in the
        table's own order; only the rows whose key is in ``keys`` when it is given."""
        from piecepay.journal import canonical_json
        from piecepay.store.facts import COVERED

        key_column, left_out = COVERED[table]
        names = self._columns(table)
        key_at = names.index(key_column)
        for row in self._rows_with_keys(f"SELECT * FROM {table}", key_column, keys):
            image = {name: _plain(value) for name, value in zip(names, row, strict=True) if name not in left_out}
            yield str(row[key_at]), canonical_json(image)

    def integrity_check(self) -> str:
        return "ok"  # pages are the server's to check (amcheck); references are enforced at commit

    def integrity_checker(self) -> Callable[[], str] | None:
        return None

    def broken_reference(self) -> tuple[str, int, str] | None:
        for table, column, parent, key in schema.FOREIGN_KEYS:
            row = self._one(
                f"SELECT c.id FROM {table} c LEFT JOIN {parent} p ON p.{key} = c.{column} "
                f"WHERE c.{column} IS NOT NULL AND p.{key} IS NULL ORDER BY c.id LIMIT 1"
            )
            if row is not None:
                return table, int(row[0]), parent
        return None

    def loose_tables(self) -> list[str]:
        return []  # every column has its one type

    def triggers(self) -> dict[str, str]:
        rows = self._all(
            "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND NOT t.tgisinternal"
        )
        found = {str(r[0]): str(r[1]) for r in rows}
        for r in self._all(
            "SELECT p.proname, p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public'"
        ):
            found[f"function {r[0]}"] = str(r[1])
        return found

    def expected_guards(self) -> dict[str, str]:
        expected = schema.guards_after(self.pg.applied)
        expected.update({f"function {name}": body for name, body in schema.functions_after(self.pg.applied).items()})
        return expected

    # ------------------------------------------------------------------ the verified head

    def verified_head(self) -> StoredHead | None:
        if VERIFIED_HEAD not in self.pg.applied:
            return None  # a ledger of an older schema, read as it is
        return super().verified_head()

    def keep_verified_head(self, head: StoredHead) -> None:
        if VERIFIED_HEAD not in self.pg.applied:
            raise StorageError(
                f"ledger {self.shown} has no verified head yet (an older schema)", "ledger_needs_upgrade"
            )
        super().keep_verified_head(head)

    # ------------------------------------------------------------------ copies

    def copy_to(self, target: Path) -> None:
        from piecepay.store.copy import copy_into_new_file

        copy_into_new_file(self, target)

    def single_file(self) -> None:
        return None
