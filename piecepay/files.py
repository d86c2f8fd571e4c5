"""Files piecepay writes (exports, backups, anchors, new ledgers): targets that can never hurt
the ledger, and files that appear whole or not at all.

A target is refused when it is the ledger or one of SQLite's files beside it (``-wal``,
``-shm``, ``-journal``), compared by resolved path and by file identity so that symbolic
and hard links count; when it is a folder, a device, a pipe, a socket or a link; and
when its folder does not exist.

Writes go to a temporary file beside the target, are flushed and renamed into place.
Temporary files are named ``.NAME.piecepay-PID.tmp`` so that any later run, whatever its
own target, can tell a killed writer's leftovers (and SQLite's ``-journal`` of a killed
copy) from a live writer's, and remove them.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from piecepay.errors import BadInput

TEMP_MARK = ".piecepay-"
TEMP_SUFFIX = ".tmp"
TEMP_NAME = re.compile(r"^\..+\.piecepay-(?P<pid>[0-9]+)\.tmp(?:-journal|-wal|-shm)?$")
LEDGER_SIDECARS = ("-wal", "-shm", "-journal")


def check_target(target: Path, ledger: Path | None, what: str) -> None:
    """Refuse (exit 2, nothing written) a ``target`` that writing could turn against ``ledger``."""
    if not target.parent.is_dir():
        raise BadInput(f"{what} folder {target.parent} does not exist", "bad_target")
    ledger_files = [ledger, *(Path(f"{ledger}{suffix}") for suffix in LEDGER_SIDECARS)] if ledger else []
    resolved = target.resolve()
    if any(resolved == Path(os.path.realpath(f)) for f in ledger_files):
        raise BadInput(f"{what} {target} is the ledger itself or one of its files; choose another path", "bad_target")
    try:
        info = target.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        raise BadInput(f"{what} {target} is a folder; give a file name", "bad_target")
    if stat.S_ISLNK(info.st_mode):
        raise BadInput(f"{what} {target} is a symbolic link; give the file itself", "bad_target")
    if not stat.S_ISREG(info.st_mode):
        raise BadInput(f"{what} {target} is not a regular file (a device, pipe or socket)", "bad_target")
    for f in ledger_files:
        with contextlib.suppress(OSError):
            other = f.stat()
            if (other.st_dev, other.st_ino) == (info.st_dev, info.st_ino):
                raise BadInput(f"{what} {target} is a link to the ledger's file {f}; choose another path", "bad_target")


def temp_path_for(target: Path) -> Path:
    """A temporary name beside ``target``, after removing what killed writers left in that folder."""
    remove_stale_temps(target.parent)
    # The writer's pid in the name lets a later run tell a dead writer's leftovers from a live one's.
    return target.parent / f".{target.name}{TEMP_MARK}{os.getpid()}{TEMP_SUFFIX}"


def remove_stale_temps(folder: Path) -> list[Path]:
    """Delete the temporary files of dead piecepay writers in ``folder``; return what was removed."""
    removed: list[Path] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        match = TEMP_NAME.match(name)
        if match and not _alive(int(match["pid"])):
            candidate = folder / name
            with contextlib.suppress(FileNotFoundError):
                candidate.unlink()
                removed.append(candidate)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_text(target: Path) -> Iterator[IO[str]]:
    """Write text to ``target`` atomically, readable by its owner only (0600).

    Killed at any moment, ``target`` holds the old file or the complete new one.
    """
    temp = temp_path_for(target)
    fd = _create_new(temp)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, target)
        fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise


def atomic_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically, readable by its owner only (0600)."""
    temp = temp_path_for(target)
    fd = _create_new(temp)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        atomic_file_from(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise


def _create_new(temp: Path) -> int:
    """Open ``temp`` as a new file of ours (never through a link someone left there)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.open(temp, flags, 0o600)
    except FileExistsError:  # left by an earlier process that had this pid
        temp.unlink()
        return os.open(temp, flags, 0o600)


def atomic_file_from(temp: Path, target: Path) -> None:
    """Move an already written ``temp`` file into place durably, owner-only."""
    os.chmod(temp, 0o600)
    fd = os.open(temp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, target)
    fsync_dir(target.parent)
