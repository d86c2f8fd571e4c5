"""Exports: the journal (or what is new since a cursor) as CSV, JSON lines, or an hledger or
beancount journal, written whole or not at all; the cursor moves once the file is in place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import IO, NamedTuple

from piecepay.errors import BadInput
from piecepay.export.entries import ExportEntry
from piecepay.export.journals import write_beancount, write_hledger
from piecepay.export.tabular import write_csv, write_jsonl
from piecepay.files import atomic_text, check_target
from piecepay.session import Session

Writer = Callable[[list[ExportEntry], IO[str]], None]
Head = tuple[int, str]
FORMATS = ("csv", "jsonl", "hledger", "beancount")


class Exported(NamedTuple):
    """What an export wrote and the ledger head it was taken from."""

    format: str
    out: str
    entries: int
    first_entry: int | None
    last_entry: int | None
    cursor: str | None
    cursor_at: int | None
    ledger_entries: int
    ledger_head: str


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
    start: date | None = None,
    end: date | None = None,
) -> Exported:
    """Write the journal (or what is new since ``cursor``) to ``out`` ('-' for stdout).

    The file appears whole or not at all; the cursor moves only once it is in place.
    Balance assertions are written when the export starts at the first entry.
    """
    if fmt not in FORMATS:
        raise BadInput(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'", "bad_format")
    if cursor is not None and (start is not None or end is not None):
        # A cursor marks everything up to an entry as exported; a date filter would skip some of it for good.
        raise BadInput("--cursor exports everything new; it cannot be combined with --from or --to", "bad_usage")
    target = None if out == "-" else Path(out)
    if target is not None:
        check_target(target, s.path, "export")
    with s.store.snapshot():  # entries and cursor agree even while others write
        after = s.store.cursor_position(cursor) if cursor is not None else 0
        head = s.store.head()
        entries = s.store.export_entries(after, head[0], start, end)
    write = _writer(fmt, after == 0 and start is None, head)
    if target is None:
        write(entries, stdout)
        stdout.flush()
    else:
        with atomic_text(target) as stream:
            write(entries, stream)
    moved_to = None
    if cursor is not None:
        with s.store.write():
            moved_to = s.store.move_cursor(cursor, head[0], s.recorded_at)
    return Exported(
        fmt,
        out,
        len(entries),
        entries[0].id if entries else None,
        entries[-1].id if entries else None,
        cursor,
        moved_to,
        head[0],
        head[1],
    )
