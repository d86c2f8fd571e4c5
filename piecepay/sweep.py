"""The sweep: apply the clock. Auto-release bills past their review window, end contracts
past their campaign's deadline with a refund, and warn before either happens.

Each action is its own transaction under a key derived from what it acts on, so a
second sweep, or two at once, never does anything twice.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from piecepay import ledger
from piecepay.errors import PiecepayError
from piecepay.money import format_minor
from piecepay.session import Session
from piecepay.views import View

DORMANT_DAYS = 90
WARN_DAYS = 3

PENDING_BILLS = (
    "SELECT b.id, b.contract_id, b.amount_minor, b.effective_date, k.review_days, k.slug, w.handle, "
    "k.currency, cur.digits FROM bills b JOIN contracts c ON c.id = b.contract_id "
    "JOIN campaigns k ON k.id = c.campaign_id JOIN workers w ON w.id = c.worker_id "
    "JOIN currencies cur ON cur.code = k.currency WHERE b.status = 'pending' ORDER BY b.id"
)
ACTIVE_CONTRACTS = (
    "SELECT c.id, c.accepted_on, k.slug, w.handle, k.deadline, "
    "(SELECT MAX(effective_date) FROM entries e WHERE e.contract_id = c.id) AS last_activity "
    "FROM contracts c JOIN campaigns k ON k.id = c.campaign_id JOIN workers w ON w.id = c.worker_id "
    "WHERE c.status = 'active' ORDER BY c.id"
)


def _action(kind: str, contract_id: int, ref: str, when: date, note: str, **extra: object) -> View:
    return {
        "action": kind,
        "contract_id": contract_id,
        "contract": ref,
        "date": when.isoformat(),
        "note": note,
        "status": "planned",
        **extra,
    }


def plan(s: Session, dormant_days: int = DORMANT_DAYS, warn_days: int = WARN_DAYS) -> list[View]:
    """What a sweep run today would do, in the order it would do it; writes nothing."""
    today, soon = s.today, s.today + timedelta(days=warn_days)
    actions: list[View] = []
    releasing: dict[int, int] = {}
    pending: dict[int, int] = {}
    for row in s.conn.execute(PENDING_BILLS).fetchall():
        pending[row["contract_id"]] = pending.get(row["contract_id"], 0) + 1
        due = date.fromisoformat(row["effective_date"]) + timedelta(days=row["review_days"])
        ref = f"{row['slug']}/{row['handle']}"
        money = {
            "bill_id": row["id"],
            "amount": format_minor(row["amount_minor"], row["digits"]),
            "amount_minor": row["amount_minor"],
            "currency": row["currency"],
        }
        if due <= today:
            releasing[row["contract_id"]] = releasing.get(row["contract_id"], 0) + 1
            actions.append(_action("release", row["contract_id"], ref, due, "review window passed", **money))
        elif due <= soon:
            actions.append(_action("release_soon", row["contract_id"], ref, due, "will auto-release", **money))
    for row in s.conn.execute(ACTIVE_CONTRACTS).fetchall():
        actions.extend(
            _contract_actions(row, today, soon, dormant_days, pending.get(row["id"], 0) - releasing.get(row["id"], 0))
        )
    return actions


def _contract_actions(row: sqlite3.Row, today: date, soon: date, dormant_days: int, left_pending: int) -> list[View]:
    contract_id, ref = row["id"], f"{row['slug']}/{row['handle']}"
    deadline = date.fromisoformat(row["deadline"]) if row["deadline"] else None
    found: list[View] = []
    if deadline is not None and deadline < today:
        if left_pending:
            found.append(
                _action(
                    "end_waiting",
                    contract_id,
                    ref,
                    today,
                    f"deadline {deadline.isoformat()} passed; {left_pending} bill(s) still pending",
                )
            )
        else:
            found.append(_action("end", contract_id, ref, today, f"deadline {deadline.isoformat()} passed"))
    elif deadline is not None and deadline < soon:
        found.append(
            _action("end_soon", contract_id, ref, deadline + timedelta(days=1), f"deadline {deadline.isoformat()}")
        )
    last = date.fromisoformat(row["last_activity"] or row["accepted_on"])
    if (today - last).days >= dormant_days:
        found.append(_action("dormant", contract_id, ref, last, f"no activity for {(today - last).days} days"))
    return found


def sweep(
    s: Session, *, dry_run: bool = False, dormant_days: int = DORMANT_DAYS, warn_days: int = WARN_DAYS
) -> list[View]:
    """Run the plan: each release and end in its own keyed transaction; notices are only listed.

    An action's status is ``done`` only when this run did it; one that another sweep did
    first (its key replayed) is ``already_done``, so summed reports count each once.
    """
    actions = plan(s, dormant_days, warn_days)
    if dry_run:
        return actions
    for action in actions:
        if action["action"] not in ("release", "end"):
            action["status"] = "notice"
            continue
        try:
            replays = s.replayed
            _apply(s, action)
            action["status"] = "done" if s.replayed == replays else "already_done"
        except PiecepayError as exc:  # e.g. settled by hand since the plan was made
            action["status"] = f"skipped: {exc.message}"
    return actions


def _apply(s: Session, action: View) -> None:
    if action["action"] == "release":
        bill_id = action["bill_id"]
        ledger.release(s, str(bill_id), date_text=action["date"], key=f"sweep:release:bill:{bill_id}", auto=True)
    else:
        contract_id = action["contract_id"]
        result = ledger.end_contract(s, str(contract_id), key=f"sweep:end:contract:{contract_id}")
        action.update(amount=result["refunded"], amount_minor=result["refunded_minor"], currency=result["currency"])
        action["note"] += f"; refunded {result['refunded']} {result['currency']}"
