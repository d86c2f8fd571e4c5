"""The review queue: bills listed oldest first with their age and the day their review
window closes (``bill list``), and one bill with its entries (``bill show``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from piecepay.errors import BadInput, PiecepayError
from piecepay.models import BillStatus, Revision
from piecepay.operations.bills import BillState, bill_state, reject, release
from piecepay.operations.proofs import uploaded
from piecepay.records import Record
from piecepay.session import Session

if TYPE_CHECKING:
    from piecepay.store.sqlite import BillLine, LogEntry


class QueuedBill(Record):
    """A bill in a listing: what the store holds, how many days old it is, and (open) the day
    sweep acts on it unless it is resolved first: releases it (pending) or rejects it
    (revising, not resubmitted)."""

    line: BillLine
    age_days: int
    review_closes: date | None


class BillDetail(Record):
    """One bill, its contract and campaign, the entries about it, the revisions asked of it,
    (open) the day its window closes, and the uploaded proofs it names."""

    state: BillState
    entries: list[LogEntry]
    review_closes: date | None
    revisions: list[Revision]
    uploads: tuple[str, ...] = ()  # the SHA-256 of each uploaded proof it names (``operations.proofs``)


def review_closes(status: BillStatus, window_from: date, window_days: int) -> date | None:
    """The day sweep acts on an open bill on its own: its window's first day plus the
    window's days; None for a resolved bill."""
    return window_from + timedelta(days=window_days) if status.open else None


def bill_queue(
    s: Session,
    status: BillStatus | None = None,
    campaign_ref: str | None = None,
    worker_ref: str | None = None,
    contract_ref: str | None = None,
    older_than: int | None = None,
    due_within: int | None = None,
) -> list[QueuedBill]:
    """Bills, oldest first: of one status, campaign, worker or contract; more than
    ``older_than`` days old; pending with a review window that closes within ``due_within``
    days (or has closed already). Each filter applies only when given."""
    if due_within is not None:
        if status not in (None, BillStatus.PENDING):
            raise BadInput("--due-within lists pending bills; it cannot go with --status", "conflicting_options")
        status = BillStatus.PENDING
    campaign_id = s.store.find_campaign(campaign_ref).id if campaign_ref is not None else None
    worker_id = s.store.find_worker(worker_ref).id if worker_ref is not None else None
    contract_id = s.store.find_contract(contract_ref).id if contract_ref is not None else None
    dated_by = s.today - timedelta(days=older_than + 1) if older_than is not None else None
    lines = s.store.bill_lines(status, campaign_id, worker_id, contract_id, dated_by)
    queued = [
        QueuedBill(line, (s.today - line.bill.effective_date).days, review_closes(*_window(line))) for line in lines
    ]
    if due_within is None:
        return queued
    horizon = s.today + timedelta(days=due_within)
    return [q for q in queued if q.review_closes is not None and q.review_closes <= horizon]


def bill_detail(s: Session, bill_id: int) -> BillDetail:
    """One bill with everything about it (``bill show``)."""
    state = bill_state(s, bill_id)
    b = state.bill
    (line,) = s.store.bill_lines(bill_id=b.id)  # its window, as the queue reads it
    closes = review_closes(*_window(line))
    entries = s.store.bill_entries(b.contract_id, b.id)
    return BillDetail(state, entries, closes, s.store.revisions(bill_id), tuple(uploaded(b, entries)))


def _window(line: BillLine) -> tuple[BillStatus, date, int]:
    return line.bill.status, line.window_from, line.window_days


class ManyRefused(PiecepayError):
    """One of several bills was refused, so none was resolved (that refusal's code and exit code)."""

    def __init__(self, bill_id: int, error: PiecepayError, done: str) -> None:
        super().__init__(f"{about_bill(bill_id, error)}; nothing {done}", error.code)
        self.exit_code, self.http_status = error.exit_code, error.http_status


def about_bill(bill_id: int, error: PiecepayError) -> str:
    """A refusal's message saying which bill it is about: as it is when it names the bill,
    else after 'bill N: '."""
    named = f"bill {bill_id}" in error.message or f"'{bill_id}'" in error.message
    return error.message if named else f"bill {bill_id}: {error.message}"


def each_key(key: str | None, bill_id: int) -> str | None:
    """The key one bill of several is resolved under: the key given, then '/' and the bill's
    id, so running the same command again with the same key replays every bill."""
    return None if key is None else f"{key}/{bill_id}"


def release_each(
    s: Session, bill_ids: Sequence[int], day: date | None = None, key: str | None = None
) -> list[BillState]:
    """Release several pending bills in full, in order, in one transaction: all or none."""
    return _each(s, bill_ids, lambda bill_id: release(s, bill_id, None, day, each_key(key, bill_id)), "released")


def reject_each(
    s: Session, bill_ids: Sequence[int], reason: str, day: date | None = None, key: str | None = None
) -> list[BillState]:
    """Reject several pending bills with one reason, in order, in one transaction: all or none."""
    return _each(s, bill_ids, lambda bill_id: reject(s, bill_id, reason, day, each_key(key, bill_id)), "rejected")


def _each(s: Session, bill_ids: Sequence[int], one: Callable[[int], BillState], done: str) -> list[BillState]:
    if len(set(bill_ids)) != len(bill_ids):
        twice = next(b for b in bill_ids if list(bill_ids).count(b) > 1)
        raise BadInput(f"bill {twice} is named twice", "duplicate_bill")
    results = []
    with s.store.write():
        for bill_id in bill_ids:
            try:
                results.append(one(bill_id))
            except PiecepayError as error:
                raise ManyRefused(bill_id, error, done) from error
    return results
