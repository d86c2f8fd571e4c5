"""backup: a consistent copy taken while others write, proved before it counts, and never a
step back from the backup it replaces.

The copy holds the ledger's verified head, so the check on it is ``verify
--since-checkpoint``: only what came after the head the last passing verify recorded is
proved (all of it when none is recorded). The head the copy then proves is recorded in the
ledger too (where it can be written), so each backup checks only what is new since the last."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

from piecepay.errors import PiecepayError, RuleRefused, StorageError
from piecepay.files import LEDGER_SIDECARS, atomic_file_from, check_target, temp_path_for
from piecepay.operations.verify import NOT_RECORDED, verify
from piecepay.records import Record
from piecepay.session import Session, open_session
from piecepay.store import Store
from piecepay.store.connection import open_ledger
from piecepay.store.sqlite import SqliteStore, StoredHead


class Backup(Record):
    path: str
    bytes: int
    entries: int
    head: str


def backup(s: Session, target: Path, *, force: bool = False) -> Backup:
    """Copy the ledger to ``target`` with VACUUM INTO, check the copy, then rename it into place.

    The copy is one read snapshot, so writers may go on meanwhile; ``target`` only
    ever holds a complete copy that passed verify (from the ledger's checkpoint on, when
    it records one; in full, with integrity_check, otherwise). An existing
    ``target`` is replaced only by a copy whose journal extends it (same hash at its
    head, as many entries or more), unless ``force``.
    """
    check_target(target, s.path, "backup")
    previous = None if force or not target.exists() else _head_of(target, refuse_as="backup_target_not_a_ledger")
    temp = temp_path_for(target)
    try:
        s.store.copy_to(temp)
        entries, head, proved = _prove(temp)
        if previous is not None:
            _check_extends(temp, target, previous)
        atomic_file_from(temp, target)
    except BaseException:
        for leftover in (temp, *(Path(f"{temp}{suffix}") for suffix in LEDGER_SIDECARS)):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        raise
    if proved is not None:
        _record_in_ledger(s.store, proved)
    return Backup(str(target), target.stat().st_size, entries, head)


def _record_in_ledger(store: Store, proved: StoredHead) -> None:
    """The head the copy proved, recorded as the ledger's verified head too: the copy was the
    ledger's own entries up to it (checked again here), so the next check may start there."""
    try:
        with store.write():
            if store.entry_hash(proved.entry) == proved.hash:
                store.keep_verified_head(proved)
    except StorageError as exc:
        if exc.code not in NOT_RECORDED:
            raise


def _reader(path: Path) -> Store:
    """Another ledger file, read-only and never migrated."""
    return SqliteStore(open_ledger(path, write=False, upgrade=False), path)


def _head_of(target: Path, *, refuse_as: str) -> tuple[int, str]:
    """The entry count and head hash of the backup already at ``target``."""
    try:
        old = _reader(target)
    except PiecepayError as exc:
        raise RuleRefused(
            f"{target} exists and is not a piecepay ledger ({exc.message}); pass --force to replace it", refuse_as
        ) from None
    try:
        return old.head()
    finally:
        old.close()


def _check_extends(copy: Path, target: Path, previous: tuple[int, str]) -> None:
    count, head = previous
    new = _reader(copy)
    try:
        new_count, _ = new.head()
        same = count == 0 or new.entry_hash(count) == head
    finally:
        new.close()
    if new_count < count or not same:
        why = f"it has {new_count} entries, the backup {count}" if new_count < count else "their journals differ"
        raise RuleRefused(
            f"the ledger does not extend the backup at {target} ({why}); nothing replaced. "
            "Keep that file, or pass --force to replace it",
            "backup_not_extended",
        )


def _prove(copy: Path) -> tuple[int, str, StoredHead | None]:
    """The copy's head once it proves out (from its verified head on), and the verified head
    it then records."""
    copy_session = open_session(copy, "backup", datetime.now(UTC), write=True)
    try:
        copy_session.store.single_file()  # the copy must leave no -wal beside it once closed
        proof = verify(copy_session, since_checkpoint=True)
        return proof.entries, proof.head, copy_session.store.verified_head() if proof.recorded else None
    except StorageError as exc:
        raise StorageError(f"backup copy failed its check, nothing replaced: {exc.message}", exc.code) from exc
    finally:
        copy_session.close()
