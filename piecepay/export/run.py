"""The export service: a consistent snapshot, written whole, and a cursor that moves after."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import IO

from piecepay.errors import BadInput
from piecepay.export.entries import ExportEntry, read_entries
from piecepay.export.journals import write_beancount, write_hledger
from piecepay.export.tabular import write_csv, write_jsonl
from piecepay.files import atomic_text, check_target
from piecepay.session import Session, parse_date
from piecepay.store.connection import write_transaction
from piecepay.store.journal import journal_head
from piecepay.views import View

Writer = Callable[[list[ExportEntry], IO[str]], None]
Head = tuple[int, str]
FORMATS = ("csv", "jsonl", "hledger", "beancount")
CURSOR_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _writer(fmt: str, assert_balances: bool, head: Head) -> Writer:
    writers: dict[str, Writer] = {
        "csv": write_csv,
        "jsonl": write_jsonl,
        "hledger": partial(write_hledger, assert_balances=assert_balances, head=head),
        "beancount": partial(write_beancount, assert_balances=assert_balances, head=head),
    }
    return writers[fmt]


def export(
    s: Session,
    fmt: str,
    out: str,
    stdout: IO[str],
    *,
    cursor: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> View:
    """Write the journal (or what is new since ``cursor``) to ``out`` ('-' for stdout).

    The file appears whole or not at all; the cursor moves only once it is in place.
    Balance assertions are written when the export starts at the first entry.
    """
    if fmt not in FORMATS:
        raise BadInput(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'", "bad_format")
    if cursor is not None and not CURSOR_NAME.fullmatch(cursor):
        raise BadInput(f"cursor name '{cursor}' must be 1-64 letters, digits, '.', '_' or '-'", "bad_cursor")
    if cursor is not None and (start is not None or end is not None):
        # A cursor marks everything up to an entry as exported; a date filter would skip some of it for good.
        raise BadInput("--cursor exports everything new; it cannot be combined with --from or --to", "bad_usage")
    first = parse_date(start, s, "--from") if start is not None else None
    last = parse_date(end, s, "--to") if end is not None else None
    target = None if out == "-" else Path(out)
    if target is not None:
        check_target(target, s.path, "export")
    after, head, entries = _snapshot(s, cursor, first, last)
    write = _writer(fmt, after == 0 and first is None, head)
    if target is None:
        write(entries, stdout)
        stdout.flush()
    else:
        with atomic_text(target) as stream:
            write(entries, stream)
    moved_to = _move_cursor(s, cursor, head[0]) if cursor else None
    return {
        "format": fmt,
        "out": out,
        "entries": len(entries),
        "first_entry": entries[0].id if entries else None,
        "last_entry": entries[-1].id if entries else None,
        "cursor": cursor,
        "cursor_at": moved_to,
        "ledger_entries": head[0],
        "ledger_head": head[1],
    }


def _snapshot(
    s: Session, cursor: str | None, first: date | None, last: date | None
) -> tuple[int, Head, list[ExportEntry]]:
    """Where the cursor stood, the journal's head and the entries to export, in one snapshot."""
    s.conn.execute("BEGIN")  # one read snapshot: entries and cursor agree even while others write
    try:
        after = 0
        if cursor is not None:
            row = s.conn.execute("SELECT last_entry_id FROM export_cursors WHERE name = ?", (cursor,)).fetchone()
            after = row[0] if row else 0
        head = journal_head(s.conn)
        return after, head, read_entries(s.conn, after, head[0], first, last)
    finally:
        s.conn.execute("ROLLBACK")


def _move_cursor(s: Session, cursor: str, position: int) -> int:
    with write_transaction(s.conn) as conn:
        conn.execute(
            "INSERT INTO export_cursors (name, last_entry_id, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) "
            "DO UPDATE SET last_entry_id = MAX(last_entry_id, excluded.last_entry_id), "
            "updated_at = excluded.updated_at",
            (cursor, position, s.recorded_at),
        )
        return int(conn.execute("SELECT last_entry_id FROM export_cursors WHERE name = ?", (cursor,)).fetchone()[0])
