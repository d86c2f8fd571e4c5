"""backup: a consistent copy taken while others write, proved before it counts, and never a
step back from the backup it replaces."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

from piecepay.audit import verify
from piecepay.errors import PiecepayError, RuleRefused, StorageError
from piecepay.files import LEDGER_SIDECARS, atomic_file_from, check_target, temp_path_for
from piecepay.session import Session, open_session
from piecepay.store.connection import open_ledger
from piecepay.store.journal import entry_hash_at, journal_head
from piecepay.views import View


def backup(s: Session, target: Path, *, force: bool = False) -> View:
    """Copy the ledger to ``target`` with VACUUM INTO, check the copy, then rename it into place.

    The copy is one read snapshot, so writers may go on meanwhile; ``target`` only
    ever holds a complete copy that passed integrity_check and verify. An existing
    ``target`` is replaced only by a copy whose journal extends it (same hash at its
    head, as many entries or more), unless ``force``.
    """
    check_target(target, s.path, "backup")
    previous = None if force or not target.exists() else _previous_head(target)
    temp = temp_path_for(target)
    try:
        s.conn.execute("VACUUM INTO ?", (str(temp),))
        facts = _prove(temp)
        if previous is not None:
            _check_extends(temp, target, previous)
        atomic_file_from(temp, target)
    except BaseException:
        for leftover in (temp, *(Path(f"{temp}{suffix}") for suffix in LEDGER_SIDECARS)):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        raise
    return {
        "id": str(target),
        "path": str(target),
        "bytes": target.stat().st_size,
        "entries": facts["entries"],
        "head": facts["head"],
        "verified": True,
    }


def _previous_head(target: Path) -> tuple[int, str]:
    """The entry count and head hash of the backup already at ``target``."""
    try:
        old = open_ledger(target, write=False, upgrade=False)
    except PiecepayError as exc:
        raise RuleRefused(
            f"{target} exists and is not a piecepay ledger ({exc.message}); pass --force to replace it",
            "backup_target_not_a_ledger",
        ) from None
    try:
        return journal_head(old)
    finally:
        old.close()


def _check_extends(copy: Path, target: Path, previous: tuple[int, str]) -> None:
    count, head = previous
    new = open_ledger(copy, write=False, upgrade=False)
    try:
        new_count, _ = journal_head(new)
        same = count == 0 or entry_hash_at(new, count) == head
    finally:
        new.close()
    if new_count < count or not same:
        why = f"it has {new_count} entries, the backup {count}" if new_count < count else "their journals differ"
        raise RuleRefused(
            f"the ledger does not extend the backup at {target} ({why}); nothing replaced. "
            "Keep that file, or pass --force to replace it",
            "backup_not_extended",
        )


def _prove(copy: Path) -> View:
    copy_session = open_session(copy, "backup", datetime.now(UTC), write=True)
    try:
        # The copy must leave no -wal beside it once closed: keep it a single file.
        copy_session.conn.execute("PRAGMA journal_mode=DELETE")
        return verify(copy_session)
    except StorageError as exc:
        raise StorageError(f"backup copy failed its check, nothing replaced: {exc.message}", exc.code) from exc
    finally:
        copy_session.close()
