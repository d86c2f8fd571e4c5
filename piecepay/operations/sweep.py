"""The sweep: apply the clock. Auto-release bills past their review window, reject bills whose
revision was not resubmitted within the campaign's revision window, end contracts past their
campaign's deadline with a refund, and warn before any of it happens.

Each action is its own transaction under a key derived from what it acts on, so a
second sweep, or two at once, never does anything twice, and a run reports as ``done``
only what it did itself.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from piecepay.errors import PiecepayError
from piecepay.money import Money
from piecepay.operations.bills import reject, release
from piecepay.operations.contracts import end_contract
from piecepay.records import Record
from piecepay.session import Session
from piecepay.store.sqlite import ActiveContract

Day = date  # the field named date hides the type inside SweepAction
DORMANT_DAYS = 90
WARN_DAYS = 3
LAPSED_REASON = "revision not resubmitted"


class SweepKind(StrEnum):
    """What the clock does (release, end) or warns of."""

    RELEASE = "release"
    RELEASE_SOON = "release_soon"
    REJECT = "reject"  # a revision not resubmitted in time
    REJECT_SOON = "reject_soon"
    END = "end"
    END_WAITING = "end_waiting"  # past the deadline, but bills are still pending
    END_SOON = "end_soon"
    DORMANT = "dormant"


class SweepStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"  # this run did it
    ALREADY_DONE = "already_done"  # another run had
    NOTICE = "notice"  # a warning: nothing to do
    SKIPPED = "skipped"  # refused since the plan was made (``why`` says by what)


class SweepAction(Record):
    """One thing the clock does or warns of, with the facts that explain it."""

    action: SweepKind
    contract_id: int
    contract: str
    date: date
    status: SweepStatus = SweepStatus.PLANNED
    bill_id: int | None = None
    amount: Money | None = None  # the bill's amount; for an end, the refund once it is done
    deadline: Day | None = None
    still_pending: int = 0  # bills an end waits for
    idle_days: int = 0  # days without activity of a dormant contract
    why: str | None = None  # why a planned action was skipped


def plan(s: Session, dormant_days: int = DORMANT_DAYS, warn_days: int = WARN_DAYS) -> list[SweepAction]:
    """What a sweep run today would do, in the order it would do it; writes nothing."""
    today, soon = s.today, s.today + timedelta(days=warn_days)
    actions: list[SweepAction] = []
    releasing: dict[int, int] = {}  # bills this run resolves, per contract
    for waiting, (now, later) in [
        *((bill, (SweepKind.RELEASE, SweepKind.RELEASE_SOON)) for bill in s.store.bills_due_for_review(soon)),
        *((bill, (SweepKind.REJECT, SweepKind.REJECT_SOON)) for bill in s.store.revisions_due(soon)),
    ]:  # bills further from their due date are not read
        b = waiting.bill
        due = waiting.window_from + timedelta(days=waiting.window_days)
        if due <= today:
            releasing[b.contract_id] = releasing.get(b.contract_id, 0) + 1
            actions.append(SweepAction(now, b.contract_id, waiting.contract_ref, due, bill_id=b.id, amount=b.amount))
        elif due <= soon:
            actions.append(SweepAction(later, b.contract_id, waiting.contract_ref, due, bill_id=b.id, amount=b.amount))
    actions.sort(key=lambda action: action.bill_id or 0)
    for active in s.store.active_contracts():
        k = active.contract
        # Bills left pending matter only to an end that is due, so only then are they counted.
        ending = active.deadline is not None and active.deadline < today
        left = s.store.pending_bill_count(k.id) - releasing.get(k.id, 0) if ending else 0
        actions.extend(_contract_actions(active, today, soon, dormant_days, left))
    return actions


def _contract_actions(
    active: ActiveContract, today: date, soon: date, dormant_days: int, left_pending: int
) -> list[SweepAction]:
    k, deadline = active.contract, active.deadline
    found: list[SweepAction] = []
    if deadline is not None and deadline < today:
        kind = SweepKind.END_WAITING if left_pending else SweepKind.END
        found.append(SweepAction(kind, k.id, k.ref, today, deadline=deadline, still_pending=left_pending))
    elif deadline is not None and deadline < soon:
        found.append(SweepAction(SweepKind.END_SOON, k.id, k.ref, deadline + timedelta(days=1), deadline=deadline))
    idle = (today - active.last_activity).days
    if idle >= dormant_days:
        found.append(SweepAction(SweepKind.DORMANT, k.id, k.ref, active.last_activity, idle_days=idle))
    return found


def sweep(
    s: Session, *, dry_run: bool = False, dormant_days: int = DORMANT_DAYS, warn_days: int = WARN_DAYS
) -> list[SweepAction]:
    """Run the plan: each release and end in its own keyed transaction; notices are only listed."""
    actions = plan(s, dormant_days, warn_days)
    if dry_run:
        return actions
    return [_apply(s, action) for action in actions]


def _apply(s: Session, action: SweepAction) -> SweepAction:
    if action.action not in (SweepKind.RELEASE, SweepKind.REJECT, SweepKind.END):
        return action._replace(status=SweepStatus.NOTICE)
    replays = s.replayed
    try:
        if action.action is SweepKind.RELEASE:
            assert action.bill_id is not None
            release(s, action.bill_id, day=action.date, key=f"sweep:release:bill:{action.bill_id}", auto=True)
        elif action.action is SweepKind.REJECT:
            assert action.bill_id is not None
            reject(s, action.bill_id, LAPSED_REASON, day=action.date, key=f"sweep:reject:bill:{action.bill_id}")
        else:
            ended = end_contract(s, action.contract_id, key=f"sweep:end:contract:{action.contract_id}")
            action = action._replace(amount=ended.contract.refunded)
    except PiecepayError as exc:  # e.g. settled by hand since the plan was made
        return action._replace(status=SweepStatus.SKIPPED, why=exc.message)
    return action._replace(status=SweepStatus.DONE if s.replayed == replays else SweepStatus.ALREADY_DONE)
