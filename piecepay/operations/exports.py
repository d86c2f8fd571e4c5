"""Exports: the journal (or what is new since a cursor) as CSV, JSON lines, or an hledger or
beancount journal, written whole or not at all; the cursor moves once the file is in place."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING

from piecepay.errors import BadInput
from piecepay.export.journals import write_beancount, write_hledger
from piecepay.export.tabular import write_csv, write_jsonl
from piecepay.files import atomic_text, check_target
from piecepay.records import Record
from piecepay.session import Session

if TYPE_CHECKING:
    from piecepay.store import Store

Head = tuple[int, str]
FORMATS = ("csv", "jsonl", "hledger", "beancount")


class Exported(Record):
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


class Range(Record):
    """The entries an export takes: after_id < id <= upto_id, effective date within [start, end]."""

    after_id: int
    upto_id: int
    start: date | None
    end: date | None


def _write(store: Store, fmt: str, taken: Range, stream: IO[str], head: Head, scratch: Path | None) -> None:
    """The range in ``fmt``, written as it is read; balance assertions when it starts at the
    first entry; a journal's entries wait in an unnamed file in ``scratch`` for its declarations."""
    if fmt == "csv":
        write_csv(store.export_entries(*taken), stream)
    elif fmt == "jsonl":
        write_jsonl(store.export_entries(*taken), stream)
    else:
        write = write_hledger if fmt == "hledger" else write_beancount
        whole = taken.after_id == 0 and taken.start is None
        write(store.export_bookings(*taken), stream, assert_balances=whole, head=head, scratch=scratch)


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
    Balance assertions are written when the export starts at the first entry. Entries are
    read and written a few at a time inside one read snapshot, so memory stays flat.
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
        taken = Range(after, head[0], start, end)
        count, first, last = s.store.export_span(*taken)
        if target is None:
            _write(s.store, fmt, taken, stdout, head, None)
            stdout.flush()
        else:
            with atomic_text(target) as stream:
                _write(s.store, fmt, taken, stream, head, target.parent)
    moved_to = None
    if cursor is not None:
        with s.store.write():
            moved_to = s.store.move_cursor(cursor, head[0], s.recorded_at)
    return Exported(fmt, out, count, first, last, cursor, moved_to, head[0], head[1])
