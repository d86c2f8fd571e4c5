"""Bulk review: a reviewer's file of decisions (`review --from`), each row a release, a partial
release, a rejection or a revision asked of one pending bill, applied with every rule of a
single release, rejection or revision, in file order.

All-or-nothing (the default) applies the whole file in one transaction: the first refusal
undoes everything and names its row. ``partial`` applies each row on its own and reports the
refused ones. Every row runs under a key derived from the file's content and the row's line,
so applying the same file again writes nothing: its rows replay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from piecepay.errors import BadInput, KeyConflict, NotFound, RuleRefused
from piecepay.operations.bills import reject, release, revise
from piecepay.operations.bulk import RowRefusal, RowRefused
from piecepay.operations.queue import about_bill
from piecepay.records import Record
from piecepay.session import Session

ROW_ERRORS = (BadInput, RuleRefused, NotFound, KeyConflict)  # a row's own; a storage error stops the file
ACTIONS = ("release", "reject", "revise")


class Decision(Record):
    """One row of a review file: what to do with one bill."""

    number: int  # the row's line in the file, counting the header as 1
    bill_id: int
    action: str  # release, reject or revise
    pieces: Decimal | None  # release only these (None: all of them)
    reason: str | None  # a rejection's or a revision's
    key: str


class ReviewResult(Record):
    rows: int
    released: int
    rejected: int
    revised: int
    replayed: int  # applied by an earlier run of the same file
    skipped: int  # rows with no action
    refused: tuple[RowRefusal, ...]


class Skipped(Record):
    """A row with no action: left for later."""

    number: int


def review_rows(
    s: Session,
    rows: Iterable[Decision | RowRefusal | Skipped],
    *,
    partial: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ReviewResult:
    """Apply every decision; see the module's docstring for the two modes."""
    tally = _Tally()
    if partial:
        for row in rows:
            tally.apply(s, row, stop=False)
            if progress:
                progress(1)
        return tally.result()
    with s.store.write():
        for row in rows:
            tally.apply(s, row, stop=True)
            if progress:
                progress(1)
    return tally.result()


class _Tally:
    def __init__(self) -> None:
        self.rows = self.released = self.rejected = self.revised = self.replayed = self.skipped = 0
        self.refused: list[RowRefusal] = []

    def apply(self, s: Session, row: Decision | RowRefusal | Skipped, *, stop: bool) -> None:
        self.rows += 1
        if isinstance(row, Skipped):
            self.skipped += 1
            return
        if isinstance(row, RowRefusal):
            self._refuse(row, stop)
            return
        replays = s.replayed
        try:
            with s.store.write():  # a savepoint (all-or-nothing) or the row's own transaction
                if row.action == "release":
                    release(s, row.bill_id, row.pieces, None, row.key)
                elif row.action == "reject":
                    assert row.reason is not None
                    reject(s, row.bill_id, row.reason, None, row.key)
                else:
                    assert row.reason is not None
                    revise(s, row.bill_id, row.reason, None, row.key)
        except ROW_ERRORS as exc:
            self._refuse(RowRefusal(row.number, exc.code, about_bill(row.bill_id, exc), exc.exit_code), stop)
            return
        if s.replayed != replays:
            self.replayed += 1
        elif row.action == "release":
            self.released += 1
        elif row.action == "reject":
            self.rejected += 1
        else:
            self.revised += 1

    def _refuse(self, refusal: RowRefusal, stop: bool) -> None:
        if stop:
            raise RowRefused(refusal, "nothing reviewed")
        self.refused.append(refusal)

    def result(self) -> ReviewResult:
        return ReviewResult(
            self.rows, self.released, self.rejected, self.revised, self.replayed, self.skipped, tuple(self.refused)
        )
