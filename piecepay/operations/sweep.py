"""The sweep: apply the clock. Auto-release bills past their review window, end contracts
past their campaign's deadline with a refund, and warn before either happens.

Each action is its own transaction under a key derived from what it acts on, so a
second sweep, or two at once, never does anything twice, and a run reports as ``done``
only what it did itself.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from piecepay.errors import PiecepayError
from piecepay.money import Money
from piecepay.operations.bills import release
from piecepay.operations.contracts import end_contract
from piecepay.session import Session
from piecepay.store.sqlite import ActiveContract

DORMANT_DAYS = 90
WARN_DAYS = 3


class SweepAction(NamedTuple):
    """One thing the clock does (release, end) or warns of (release_soon, end_soon, end_waiting, dormant)."""

    action: str
    contract_id: int
    contract: str
    date: date
    note: str
    status: str = "planned"  # planned, done, already_done, notice, or "skipped: why"
    bill_id: int | None = None
    amount: Money | None = None


def plan(s: Session, dormant_days: int = DORMANT_DAYS, warn_days: int = WARN_DAYS) -> list[SweepAction]:
    """What a sweep run today would do, in the order it would do it; writes nothing."""
    today, soon = s.today, s.today + timedelta(days=warn_days)
    actions: list[SweepAction] = []
    releasing: dict[int, int] = {}
    pending: dict[int, int] = {}
    for waiting in s.store.bills_pending_review():
        b = waiting.bill
        pending[b.contract_id] = pending.get(b.contract_id, 0) + 1
        due = b.effective_date + timedelta(days=waiting.review_days)
        if due <= today:
            releasing[b.contract_id] = releasing.get(b.contract_id, 0) + 1
            actions.append(
                SweepAction(
                    "release",
                    b.contract_id,
                    waiting.contract_ref,
                    due,
                    "review window passed",
                    bill_id=b.id,
                    amount=b.amount,
                )
            )
        elif due <= soon:
            actions.append(
                SweepAction(
                    "release_soon",
                    b.contract_id,
                    waiting.contract_ref,
                    due,
                    "will auto-release",
                    bill_id=b.id,
                    amount=b.amount,
                )
            )
    for active in s.store.active_contracts():
        left = pending.get(active.contract.id, 0) - releasing.get(active.contract.id, 0)
        actions.extend(_contract_actions(active, today, soon, dormant_days, left))
    return actions


def _contract_actions(
    active: ActiveContract, today: date, soon: date, dormant_days: int, left_pending: int
) -> list[SweepAction]:
    k, deadline = active.contract, active.deadline
    found: list[SweepAction] = []
    if deadline is not None and deadline < today:
        if left_pending:
            note = f"deadline {deadline.isoformat()} passed; {left_pending} bill(s) still pending"
            found.append(SweepAction("end_waiting", k.id, k.ref, today, note))
        else:
            found.append(SweepAction("end", k.id, k.ref, today, f"deadline {deadline.isoformat()} passed"))
    elif deadline is not None and deadline < soon:
        found.append(
            SweepAction("end_soon", k.id, k.ref, deadline + timedelta(days=1), f"deadline {deadline.isoformat()}")
        )
    idle = (today - active.last_activity).days
    if idle >= dormant_days:
        found.append(SweepAction("dormant", k.id, k.ref, active.last_activity, f"no activity for {idle} days"))
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
    if action.action not in ("release", "end"):
        return action._replace(status="notice")
    replays = s.replayed
    try:
        if action.action == "release":
            assert action.bill_id is not None
            release(s, action.bill_id, day=action.date, key=f"sweep:release:bill:{action.bill_id}", auto=True)
        else:
            ended = end_contract(s, str(action.contract_id), key=f"sweep:end:contract:{action.contract_id}")
            refund = ended.contract.refunded
            action = action._replace(amount=refund, note=f"{action.note}; refunded {refund}")
    except PiecepayError as exc:  # e.g. settled by hand since the plan was made
        return action._replace(status=f"skipped: {exc.message}")
    return action._replace(status="done" if s.replayed == replays else "already_done")
