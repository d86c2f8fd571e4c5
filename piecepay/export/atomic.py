"""Files that appear whole or not at all: written beside the target, flushed, renamed."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

TEMP_SUFFIX = ".tmp"


def _temp_name(target: Path) -> Path:
    # The writer's pid in the name lets a later run tell a dead writer's leftovers from a live one's.
    return target.parent / f".{target.name}.{os.getpid()}{TEMP_SUFFIX}"


def remove_stale_temps(target: Path) -> list[Path]:
    """Delete temporary files a killed writer left beside ``target``; return what was removed."""
    removed = []
    for candidate in target.parent.glob(f".{target.name}.*{TEMP_SUFFIX}"):
        pid_text = candidate.name[len(target.name) + 2 : -len(TEMP_SUFFIX)]
        if pid_text.isdigit() and not _alive(int(pid_text)):
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
    except PermissionError:
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
    remove_stale_temps(target)
    temp = _temp_name(target)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
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


def temp_path_for(target: Path) -> Path:
    """A temporary name beside ``target`` for a writer that creates the file itself."""
    remove_stale_temps(target)
    return _temp_name(target)
