"""Workers: the people who do pieces, and changing their name and contact."""

from __future__ import annotations

from piecepay import rules
from piecepay.models import Worker
from piecepay.records import Record
from piecepay.session import Session


class WorkerEdited(Record):
    """A worker after an edit, as it was before, what changed ("name", "email") and the
    entry that recorded it with its memo; no entry and an empty memo when nothing changed."""

    worker: Worker
    before: Worker
    changed: tuple[str, ...]
    entry_id: int | None
    memo: str


def add_worker(s: Session, handle: str, name: str | None = None, email: str | None = None) -> Worker:
    with s.store.write():
        rules.check_new_worker(s.store.worker_exists(handle), handle)
        worker = s.store.insert_worker(handle, name, email, s.recorded_at)
        s.record("worker_added", f"worker {worker.handle}")
        return worker


def workers(s: Session) -> list[Worker]:
    return s.store.workers()


def edit_worker(s: Session, ref: str, name: str | None = None, email: str | None = None) -> WorkerEdited:
    """Change a worker's name or e-mail ("" clears it; None leaves it) in one
    ``worker_edited`` entry whose memo gives the old and new values; values equal to the
    current ones write nothing."""
    with s.store.write():
        before = s.store.find_worker(ref)
        after = before._replace(
            name=before.name if name is None else name or None,
            email=before.email if email is None else email or None,
        )
        changed = tuple(field for field in ("name", "email") if getattr(after, field) != getattr(before, field))
        if not changed:
            return WorkerEdited(before, before, (), None, "")
        s.store.edit_worker(before.id, after.name, after.email)
        memo = f"worker {before.handle} edited: " + "; ".join(
            f"{field} {_shown(getattr(before, field))} → {_shown(getattr(after, field))}" for field in changed
        )
        entry_id = s.record("worker_edited", memo)
        return WorkerEdited(s.store.find_worker(before.handle), before, changed, entry_id, memo)


def _shown(value: str | None) -> str:
    return "none" if value is None else f'"{value}"'
