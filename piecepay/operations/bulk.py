"""Bulk billing: many bills from one file, every rule of a single bill applied to each row in
file order against balances that include the rows before it.

All-or-nothing (the default) runs the whole file as one transaction: the first refusal
undoes everything and names its row. ``partial`` commits good rows in large batches and
reports each refused row instead. Every row runs under an idempotency key (its own, or
one derived from the file's content and the row's number), so running a file again after
a crash or a kill writes no row twice: rows already written replay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from piecepay.errors import BadInput, KeyConflict, NotFound, PiecepayError, RuleRefused
from piecepay.money import Money
from piecepay.operations.bills import BillRequest, bill
from piecepay.session import Session

BATCH = 2000  # rows per transaction with partial
ROW_ERRORS = (BadInput, RuleRefused, NotFound, KeyConflict)  # a row's own; a storage error stops the file


class BulkRow(NamedTuple):
    number: int  # the row's line in the file, counting the header as 1
    request: BillRequest
    key: str


class RowRefusal(NamedTuple):
    number: int
    code: str
    message: str
    exit_code: int = 1


class BulkResult(NamedTuple):
    rows: int
    billed: int  # written by this run
    replayed: int  # written by an earlier run of the same rows
    refused: tuple[RowRefusal, ...]
    amounts: tuple[Money, ...]  # billed by this run, one per currency


class RowRefused(PiecepayError):
    """All-or-nothing: a row was refused, so the file wrote nothing (the row's own exit code)."""

    def __init__(self, refusal: RowRefusal) -> None:
        super().__init__(f"row {refusal.number}: {refusal.message}; nothing billed", refusal.code)
        self.exit_code = refusal.exit_code


def bill_rows(
    s: Session,
    rows: Iterable[BulkRow | RowRefusal],
    *,
    partial: bool = False,
    progress: Callable[[int], None] | None = None,
) -> BulkResult:
    """Bill every row; see the module's docstring for the two modes."""
    tally = _Tally()
    if not partial:
        with s.store.write():
            for row in rows:
                failed = tally.run(s, row)
                if failed is not None:
                    raise RowRefused(failed)
                if progress:
                    progress(1)
        return tally.result()
    batch: list[BulkRow | RowRefusal] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            _partial_batch(s, batch, tally, progress)
            batch = []
    if batch:
        _partial_batch(s, batch, tally, progress)
    return tally.result()


def _partial_batch(
    s: Session, batch: Sequence[BulkRow | RowRefusal], tally: _Tally, progress: Callable[[int], None] | None
) -> None:
    with s.store.write():
        for row in batch:
            tally.run(s, row)
    if progress:
        progress(len(batch))


class _Tally:
    def __init__(self) -> None:
        self.rows = self.billed = self.replayed = 0
        self.refused: list[RowRefusal] = []
        self.amounts: dict[str, Money] = {}

    def run(self, s: Session, row: BulkRow | RowRefusal) -> RowRefusal | None:
        self.rows += 1
        if isinstance(row, RowRefusal):
            self.refused.append(row)
            return row
        replays = s.replayed
        try:
            with s.store.write():  # a savepoint: a refused row undoes only itself
                done = bill(s, row.request, row.key)
        except ROW_ERRORS as exc:
            refusal = RowRefusal(row.number, exc.code, exc.message, exc.exit_code)
            self.refused.append(refusal)
            return refusal
        if s.replayed != replays:
            self.replayed += 1
        else:
            self.billed += 1
            amount = done.bill.amount
            code = amount.currency.code
            self.amounts[code] = self.amounts[code] + amount if code in self.amounts else amount
        return None

    def result(self) -> BulkResult:
        amounts = tuple(self.amounts[code] for code in sorted(self.amounts))
        return BulkResult(self.rows, self.billed, self.replayed, tuple(self.refused), amounts)
