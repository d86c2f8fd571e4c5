"""bill --from FILE and review --from FILE: the CSV read into typed rows, and the result file
of refused rows."""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from piecepay import inputs
from piecepay.errors import BadInput, PiecepayError
from piecepay.operations.bills import BillRequest
from piecepay.operations.bulk import BulkRow, RowRefusal
from piecepay.operations.review import ACTIONS, Decision, Skipped
from piecepay.text import visible

if TYPE_CHECKING:
    from piecepay.cli.invocation import Invocation
    from piecepay.session import Session

REQUIRED = ("contract", "pieces")
OPTIONAL = ("note", "minutes", "date", "proof", "key")
MAX_BYTES = 512 * 1024 * 1024


def read_source(source: str) -> tuple[bytes, str]:
    """The file's bytes (``-``: stdin) and how messages name it."""
    try:
        if source == "-":
            data = sys.stdin.buffer.read(MAX_BYTES + 1)
            shown = "stdin"
        else:
            path = Path(source)
            if not path.is_file():
                raise BadInput(f"--from {source}: no such file", "bad_path")
            with path.open("rb") as stream:
                data = stream.read(MAX_BYTES + 1)
            shown = source
    except OSError as exc:
        raise BadInput(f"--from {source}: {exc.strerror or exc}", "bad_path") from None
    if len(data) > MAX_BYTES:
        raise BadInput(f"--from {shown} is larger than {MAX_BYTES // 2**20} MiB; split it", "too_large")
    return data, shown


def rows_of(data: bytes, shown: str) -> Iterator[BulkRow | RowRefusal]:
    """Each data row as a typed request, or as the refusal its own values earn."""
    digest = hashlib.sha256(data).hexdigest()[:16]
    for number, cells, complete in _data_rows(data, shown, _bill_header):
        yield _row(number, cells, complete, digest)


def _bill_header(header: list[str], shown: str) -> None:
    unknown = [name for name in header if name not in REQUIRED + OPTIONAL]
    missing = [name for name in REQUIRED if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise BadInput(
            f"--from {shown} needs the columns {', '.join(REQUIRED)} (and may have {', '.join(OPTIONAL)}); "
            f"its header is {','.join(visible(h) for h in header)}",
            "bad_csv",
        )


def _data_rows(
    data: bytes, shown: str, check: Callable[[list[str], str], None]
) -> Iterator[tuple[int, dict[str, str], bool]]:
    """The rows after the file's header (which ``check`` judges), blank lines left out: each
    row's line (the header is 1), its cells by column, and whether it has as many cells as
    the header has columns."""
    reader = csv.reader(io.StringIO(_text(data, shown), newline=""), strict=True)
    header = _header(reader, shown)
    check(header, shown)
    number = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise BadInput(f"--from {shown} line {reader.line_num}: {exc}", "bad_csv") from None
        number += 1
        if any(v.strip() for v in values):
            yield number, dict(zip(header, values, strict=False)), len(values) == len(header)


def _row(number: int, cells: dict[str, str], complete: bool, digest: str) -> BulkRow | RowRefusal:
    try:
        if not complete:
            raise BadInput("has a different number of cells than the header", "bad_csv")
        pieces = inputs.pieces(cells["pieces"].strip())
        assert pieces is not None
        given = cells.get("key", "").strip()
        proof = cells.get("proof", "").strip()
        request = BillRequest(
            cells["contract"].strip() or None,
            pieces,
            (inputs.proof(proof),) if proof else (),
            inputs.note(cells.get("note") or None),
            inputs.count(cells.get("minutes", "").strip() or None, "minutes", maximum=inputs.MAX_MINUTES),
            inputs.day(cells.get("date", "").strip() or None, "date"),
        )
        key = inputs.key(given) if given else f"bulk:{digest}:{number}"
        assert key is not None
        return BulkRow(number, request, key)
    except PiecepayError as exc:
        return RowRefusal(number, exc.code, exc.message, exc.exit_code)


class Applied(Protocol):
    """What applying a file gives back: at least the rows it refused."""

    @property
    def refused(self) -> tuple[RowRefusal, ...]: ...


A = TypeVar("A", bound=Applied)


def apply_file(
    run: Invocation,
    source: str,
    partial: bool,
    result: str | None,
    doing: str,
    apply: Callable[[Session, bytes, str, Callable[[int], None]], A],
) -> tuple[A, str, str | None]:
    """Run ``apply`` over the file ``source`` (``-``: stdin) in the invocation's ledger, with a
    progress bar labelled ``doing`` in a terminal; with ``partial``, the refused rows go to
    ``result`` (default FILE.refused.csv), which is checked before anything is applied.
    What ``apply`` gave, how the file is named in messages, and the result file written
    (None when nothing was refused or without ``partial``)."""
    from piecepay.cli import output
    from piecepay.files import atomic_text, check_target

    data, shown = read_source(source)
    target = None
    if partial:
        target = Path(result) if result is not None else (Path(f"{source}.refused.csv") if source != "-" else None)
    session = run.session(write=True)
    if target is not None:
        check_target(target, session.path, "result file")
    with output.progress(doing, len(data.splitlines()) - 1) as advance:
        done = apply(session, data, shown, advance)
    if target is None or not done.refused:
        return done, shown, None
    with atomic_text(target) as stream:
        stream.write(result_csv(done.refused))
    return done, shown, str(target)


def result_csv(refused: tuple[RowRefusal, ...]) -> str:
    """The refused rows as CSV (row, code, message), each cell safe to open in a spreadsheet."""
    from piecepay.export.tabular import safe_cell

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["row", "code", "message"])
    for r in refused:
        writer.writerow([r.number, safe_cell(r.code), safe_cell(r.message)])
    return out.getvalue()


REVIEW_REQUIRED = ("id", "action")


def decisions_of(data: bytes, shown: str) -> Iterator[Decision | RowRefusal | Skipped]:
    """Each data row of a review file (as `bill list --format csv` writes it, with its action,
    pieces and reason filled in) as a decision, a row left for later (no action), or the
    refusal its own values earn. Columns other than id, action, pieces and reason are read
    by people, not here."""
    digest = hashlib.sha256(data).hexdigest()[:16]
    for number, cells, complete in _data_rows(data, shown, _review_header):
        yield _decision(number, cells, complete, digest)


def _review_header(header: list[str], shown: str) -> None:
    missing = [name for name in REVIEW_REQUIRED if name not in header]
    if missing or len(set(header)) != len(header):
        raise BadInput(
            f"--from {shown} needs the columns id and action (and may have pieces and reason, as "
            f"'piecepay bill list --format csv' writes them); its header is {','.join(visible(h) for h in header)}",
            "bad_csv",
        )


def _decision(number: int, cells: dict[str, str], complete: bool, digest: str) -> Decision | RowRefusal | Skipped:
    try:
        if not complete:
            raise BadInput("has a different number of cells than the header", "bad_csv")
        action = cells["action"].strip().lower()
        if not action:
            return Skipped(number)
        if action not in ACTIONS:
            raise BadInput(f"action '{visible(cells['action'])}' is not release, reject or revise", "bad_action")
        bill_id = inputs.bill_id(cells["id"].strip())
        pieces_text = cells.get("pieces", "").strip()
        reason_text = cells.get("reason", "").strip()
        if action != "release":
            if pieces_text:
                raise BadInput(f"pieces go with release; {action} takes none", "conflicting_options")
            reason = inputs.reason(reason_text)
            return Decision(number, bill_id, action, None, reason, f"review:{digest}:{number}")
        if reason_text:
            raise BadInput("a reason goes with reject or revise; a release takes none", "conflicting_options")
        pieces = inputs.pieces(pieces_text) if pieces_text else None
        return Decision(number, bill_id, action, pieces, None, f"review:{digest}:{number}")
    except PiecepayError as exc:
        return RowRefusal(number, exc.code, exc.message, exc.exit_code)


def _text(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(f"--from {shown} is not UTF-8 text", "bad_csv") from None


def _header(reader: Any, shown: str) -> list[str]:
    try:
        return [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise BadInput(f"--from {shown} is empty; its first line names the columns", "bad_csv") from None
    except csv.Error as exc:
        raise BadInput(f"--from {shown}: {exc}", "bad_csv") from None
