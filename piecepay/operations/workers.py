"""Workers: the people who do pieces."""

from __future__ import annotations

from piecepay import rules
from piecepay.models import Worker
from piecepay.session import Session


def add_worker(s: Session, handle: str, name: str | None = None, email: str | None = None) -> Worker:
    with s.store.write():
        rules.check_new_worker(s.store.worker_exists(handle), handle)
        worker = s.store.insert_worker(handle, name, email, s.recorded_at)
        s.record("worker_added", f"worker {worker.handle}")
        return worker


def workers(s: Session) -> list[Worker]:
    return s.store.workers()
