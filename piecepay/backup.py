"""backup: a consistent copy taken while others write, flushed, then proved before it counts."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

from piecepay.audit import verify
from piecepay.errors import BadInput, StorageError
from piecepay.export.atomic import atomic_file_from, temp_path_for
from piecepay.session import Session, open_session
from piecepay.views import View


def backup(s: Session, target: Path) -> View:
    """Copy the ledger to ``target`` with VACUUM INTO, check the copy, then rename it into place.

    The copy is one read snapshot, so writers may go on meanwhile; ``target`` only
    ever holds a complete copy that passed integrity_check and verify.
    """
    if not target.parent.is_dir():
        raise BadInput(f"folder {target.parent} does not exist", "bad_out")
    if target.resolve() == s.path.resolve():
        raise BadInput("the backup cannot overwrite the ledger itself", "bad_out")
    temp = temp_path_for(target)
    try:
        s.conn.execute("VACUUM INTO ?", (str(temp),))
        facts = _prove(temp)
        atomic_file_from(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    return {
        "id": str(target),
        "path": str(target),
        "bytes": target.stat().st_size,
        "entries": facts["entries"],
        "verified": True,
    }


def _prove(copy: Path) -> View:
    copy_session = open_session(copy, "backup", datetime.now(UTC), must_exist=True)
    try:
        # The copy must leave no -wal beside it once closed: keep it a single file.
        copy_session.conn.execute("PRAGMA journal_mode=DELETE")
        return verify(copy_session)
    except StorageError as exc:
        raise StorageError(f"backup copy failed its check, nothing replaced: {exc.message}", exc.code) from exc
    finally:
        copy_session.close()
