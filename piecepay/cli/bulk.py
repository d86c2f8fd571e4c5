"""bill --from FILE: the CSV read into typed rows, and the result file of refused rows."""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from collections.abc import Iterator
from pathlib import Path

from piecepay import inputs
from piecepay.errors import BadInput, PiecepayError
from piecepay.operations.bills import BillRequest
from piecepay.operations.bulk import BulkRow, RowRefusal
from piecepay.text import visible

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
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(f"--from {shown} is not UTF-8 text", "bad_csv") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise BadInput(f"--from {shown} is empty; its first line names the columns", "bad_csv") from None
    except csv.Error as exc:
        raise BadInput(f"--from {shown}: {exc}", "bad_csv") from None
    unknown = [name for name in header if name not in REQUIRED + OPTIONAL]
    missing = [name for name in REQUIRED if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise BadInput(
            f"--from {shown} needs the columns {', '.join(REQUIRED)} (and may have {', '.join(OPTIONAL)}); "
            f"its header is {','.join(visible(h) for h in header)}",
            "bad_csv",
        )
    digest = hashlib.sha256(data).hexdigest()[:16]
    number = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise BadInput(f"--from {shown} line {reader.line_num}: {exc}", "bad_csv") from None
        number += 1
        if not any(v.strip() for v in values):
            continue  # a blank line
        yield _row(number, dict(zip(header, values, strict=False)), len(values) == len(header), digest)


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


def result_csv(refused: tuple[RowRefusal, ...]) -> str:
    """The refused rows as CSV (row, code, message), each cell safe to open in a spreadsheet."""
    from piecepay.export.tabular import safe_cell

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["row", "code", "message"])
    for r in refused:
        writer.writerow([r.number, safe_cell(r.code), safe_cell(r.message)])
    return out.getvalue()
