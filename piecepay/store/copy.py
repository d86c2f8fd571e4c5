"""Copying a whole ledger between stores (a file and a PostgreSQL database, either way).

Every row is copied as stored, ids, hashes and sealed facts included, so the copy's
journal is the same chain and ``verify`` proves it to the same head. The destination is
created by the copy, in one transaction, and holds nothing else. The verified head (where
the last passing verify left off) is not copied: a copy is verified afresh, in full. Only a
backup, the same ledger kept in another file, takes it along, so that its check may start
there as the ledger's own would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from piecepay.locations import Location, ServerLedger
from piecepay.store.migrations import Stamp

# Parents before children; account totals travel with their rows.
TABLES = (
    ("currencies", "code"),
    ("campaigns", "id"),
    ("workers", "id"),
    ("accounts", "id"),
    ("contracts", "id"),
    ("entries", "id"),
    ("postings", "id"),
    ("milestones", "id"),
    ("bills", "id"),
    ("revisions", "id"),
    ("tokens", "id"),
    ("bonuses", "id"),
    ("work_times", "id"),
    ("idempotency_keys", "key"),
    ("export_cursors", "name"),
)
BATCH = 1000
VERIFIED_HEAD = ("verified_head", "id")


def rows_of(conn: Any, table: str, key: str) -> Iterator[tuple[list[str], list[tuple[Any, ...]]]]:
    """A table's rows in key order, in batches, with their column names."""
    cursor = conn.execute(f"SELECT * FROM {table} ORDER BY {key}")
    columns = [d[0] for d in cursor.description]
    while batch := cursor.fetchmany(BATCH):
        yield columns, [tuple(row) for row in batch]


def filler(source: Any, tables: tuple[tuple[str, str], ...] = TABLES) -> Callable[[Any], None]:
    """What writes every row of ``source`` (a store's connection, inside a read snapshot)
    into a new ledger's connection."""

    def fill(target: Any) -> None:
        for table, key in tables:
            for columns, rows in rows_of(source, table, key):
                marks = ", ".join("?" * len(columns))
                target.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    return fill


def create_copy(source: Any, target: Location, stamp: Stamp, *, backup: bool = False) -> None:
    """A new ledger at ``target`` holding exactly what ``source`` (a store) holds now (with its
    verified head, if it has one, when the copy is a ``backup``)."""
    fill = filler(source.conn, (*TABLES, VERIFIED_HEAD) if backup and source.verified_head() else TABLES)
    if isinstance(target, ServerLedger):
        from piecepay.store.postgres import create_ledger as create_on_server

        create_on_server(target, stamp, None, fill)
    else:
        from piecepay.store.connection import create_ledger

        create_ledger(target, stamp, fill)


def copy_into_new_file(source: Any, target: Path) -> None:
    """A SQLite copy of ``source`` at ``target`` (where nothing is yet): a server ledger's backup."""
    from piecepay.store.connection import default_stamp

    with source.snapshot():
        create_copy(source, target, default_stamp(), backup=True)
