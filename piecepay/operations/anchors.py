"""Anchors: the journal's head kept outside the ledger, so a forger who can rewrite the file
cannot also rewrite what it proved.

``piecepay anchor FILE`` appends a line ``TIME entries N head HASH`` to an append-only text
file after the ledger verifies (and still matches every anchor already in that file).
``verify --anchors FILE`` and ``verify --expect N:HASH`` then prove that entry N is still
there with that hash: a chain recomputed after an edit, a truncation, or an older copy put
back in place is caught by any anchor taken after the entries it lost or changed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from piecepay.errors import BadInput, NotFound, StorageError
from piecepay.files import check_target, fsync_dir
from piecepay.operations.verify import Anchor, verify
from piecepay.records import Record
from piecepay.session import Session

EXPECT = re.compile(r"(?P<entries>[0-9]{1,19}):(?P<head>[0-9a-fA-F]{64})", re.ASCII)
LINE = re.compile(r"(?P<at>[0-9T:.+-]{19,40}) entries (?P<entries>[0-9]{1,19}) head (?P<head>[0-9a-f]{64})", re.ASCII)


def parse_expect(text: str) -> Anchor:
    """``N:HASH`` as typed after ``verify --expect``."""
    match = EXPECT.fullmatch(text)
    if match is None:
        raise BadInput(f"--expect '{text}' must be ENTRIES:HASH, e.g. 42:{'0' * 8}… (64 hex digits)", "bad_anchor")
    return Anchor(int(match["entries"]), match["head"].lower(), f"--expect {match['entries']}")


def read_anchors(path: Path) -> list[Anchor]:
    """Every anchor line of ``path``; blank lines and # comments are skipped, anything else is refused."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(f"no anchor file {path}", "anchor_file_not_found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StorageError(f"cannot read anchor file {path}: {exc}", "anchor_file_unreadable") from exc
    anchors = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        match = LINE.fullmatch(line)
        if match is None:
            raise BadInput(f"anchor file {path} line {number} is not 'TIME entries N head HASH'", "bad_anchor_file")
        anchors.append(Anchor(int(match["entries"]), match["head"], f"anchor {match['at']} ({path} line {number})"))
    if not anchors:
        raise BadInput(f"anchor file {path} holds no anchors", "bad_anchor_file")
    return anchors


class Anchored(Record):
    path: str
    entries: int
    head: str
    at: str
    anchors_checked: int


def anchor(s: Session, target: Path) -> Anchored:
    """Verify the ledger against ``target``'s anchors (if any), then append its head there."""
    check_target(target, s.path, "anchor file")
    earlier = read_anchors(target) if target.exists() and target.stat().st_size else []
    proof = verify(s, earlier)
    _append_line(target, f"{s.recorded_at} entries {proof.entries} head {proof.head}\n")
    return Anchored(str(target), proof.entries, proof.head, s.recorded_at, len(earlier))


def _append_line(target: Path, line: str) -> None:
    """Append one whole line durably; never through a link."""
    created = not target.exists()
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        size = os.fstat(fd).st_size
        data = line.encode("ascii")
        if size:
            with open(target, "rb") as stream:
                stream.seek(size - 1)
                if stream.read(1) != b"\n":
                    data = b"\n" + data  # a line cut short by a crash stays a line of its own
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        fsync_dir(target.parent)
