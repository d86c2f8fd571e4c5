"""copy: move a whole ledger between stores (a file and a PostgreSQL database, either way)."""

from __future__ import annotations

from piecepay.locations import Location, ServerLedger
from piecepay.operations.verify import JournalFault, verify
from piecepay.records import Record
from piecepay.session import Session, open_store


class Copied(Record):
    source: str
    target: str
    entries: int
    head: str


def copy_ledger(s: Session, target: Location) -> Copied:
    """Copy the ledger ``s`` has open, as one read snapshot, into a new ledger at ``target``
    (refused if anything is there), then verify the copy: it must prove to the same head."""
    from piecepay.files import check_target
    from piecepay.store.copy import create_copy
    from piecepay.store.migrations import Stamp

    if not isinstance(target, ServerLedger):
        check_target(target, s.path, "copy")
    stamp = Stamp(s.actor, s.recorded_at, s.today.isoformat())
    with s.store.snapshot():
        entries, head = s.store.head()
        create_copy(s.store, target, stamp)
    copy = Session(open_store(target, write=False), s.actor, s.now, s.today)
    try:
        proof = verify(copy)
    finally:
        copy.close()
    if (proof.entries, proof.head) != (entries, head):
        raise JournalFault(
            f"the copy at {target} proves to {proof.entries}:{proof.head}, not {entries}:{head}", "copy_differs"
        )
    return Copied(s.store.shown, str(target), entries, head)
