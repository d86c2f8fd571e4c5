"""Proofs: the files workers upload as proof of their pieces (photos, audio, PDF, plain text),
kept by their SHA-256 under ``FOLDER/sha256/ab/cd/<digest>``, so the same bytes land on the
same path however often they are sent, and a digest is all a later request needs to name one.

A file's type is judged by its content alone, never by its name or the type a client
declares, against a short allow-list; anything else (SVG, HTML, executables, archives) is
refused, since a served proof must never become a page that runs script. The checks are
written here rather than taken from a library: the list is short, each check is a few bytes,
and text needs a judgement (UTF-8, no control characters, not markup) no magic table makes.

An upload is streamed to a temporary file in ``FOLDER/tmp``, hashed as it goes, refused as
soon as it passes the limit, and moved into place whole; a refused or failed upload leaves
nothing behind. Files are the owner's only (0600, folders 0700).
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from piecepay.errors import BadInput, NotFound, TooLarge
from piecepay.files import TEMP_MARK, TEMP_SUFFIX, fsync_dir, remove_stale_temps
from piecepay.records import Record

DEFAULT_LIMIT = 10 * 1024 * 1024  # bytes
HEAD_SIZE = 4096  # the bytes a type is judged by; text is then checked to its end
CHUNK = 64 * 1024
DIGEST = re.compile(r"[0-9a-f]{64}")
TEXT = "text/plain"

# ISO base media files (HEIF, MP4) by the major brand of their ftyp box: only these
_FTYP_BRANDS = {
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"mif1": "image/heif",
    b"msf1": "image/heif",
    b"M4A ": "audio/mp4",
}
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # every C0 and C1 control but \t \n \r
_LEADING_BLANK = re.compile(r"[\s\ufeff]*")


class StoredProof(Record):
    """A proof kept in the store: its SHA-256 (hex), the media type judged from its bytes, its size."""

    digest: str
    media_type: str
    size: int


def sniff(head: bytes) -> str | None:
    """The media type of a file whose first bytes are ``head``, or None when it is refused.

    ``head`` is the file's first ``HEAD_SIZE`` bytes, or the whole of a shorter file: a
    multi-byte character cut at the end of a full head is taken to go on past it. A head
    judged ``text/plain`` says nothing of the rest, which ``store`` checks as it streams.
    """
    media_type = _binary_type(head)
    if media_type is not None:
        return media_type
    judge = _TextJudge()
    judge.feed(head, final=len(head) < HEAD_SIZE)
    return TEXT if head and judge.ok else None


def _binary_type(head: bytes) -> str | None:
    """The type of a photo, recording or PDF by its magic bytes, or None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"WAVE"):
        return "image/webp" if head[8:12] == b"WEBP" else "audio/wav"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head[4:8] == b"ftyp" and int.from_bytes(head[:4], "big") >= 16:
        return _FTYP_BRANDS.get(head[8:12])
    if _id3_tag(head) or _mpeg_frame(head):
        return "audio/mpeg"
    return None


def _id3_tag(head: bytes) -> bool:
    """Whether ``head`` opens with an ID3v2 tag header: version 2 to 4, a 28-bit size."""
    return head.startswith(b"ID3") and len(head) >= 10 and head[3] in (2, 3, 4) and max(head[6:10]) < 0x80


def _mpeg_frame(head: bytes) -> bool:
    """Whether ``head`` opens with an MPEG audio frame header: the 11-bit sync, then a
    version, layer, bitrate and sample rate that are not reserved (which rules out AAC)."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 0b11
    return version != 0b01 and layer != 0 and bitrate != 0xF and rate != 0b11


class _TextJudge:
    """Judges a stream as plain text, piece by piece: valid UTF-8, no control character but
    tab and line ends, and not markup (its first character past blanks and BOMs is no ``<``,
    which HTML, SVG, XML and script all start with)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._started = False
        self.ok = True

    def feed(self, data: bytes, final: bool = False) -> None:
        if not self.ok:
            return
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError:
            self.ok = False
            return
        if _CONTROL.search(text):
            self.ok = False
        elif not self._started:
            rest = _LEADING_BLANK.sub("", text, count=1)
            self._started = bool(rest)
            self.ok = not rest.startswith("<")


class _Sniffer:
    """Follows an upload's bytes: keeps its head until the type can be judged, then checks
    the rest of a text file. ``refused`` turns true as soon as the file cannot pass."""

    def __init__(self) -> None:
        self._head = bytearray()
        self._text: _TextJudge | None = None
        self.media_type: str | None = None
        self.judged = False

    @property
    def refused(self) -> bool:
        return self.judged and (self.media_type is None or (self._text is not None and not self._text.ok))

    def feed(self, chunk: bytes) -> None:
        if self._text is not None:
            self._text.feed(chunk)
        elif not self.judged:
            self._head += chunk
            if len(self._head) >= HEAD_SIZE:
                self._judge(final=False)

    def finish(self) -> str | None:
        """The type of the whole file, now that it has ended (None when refused)."""
        if not self.judged:
            self._judge(final=True)
        elif self._text is not None:
            self._text.feed(b"", final=True)
        return None if self.refused else self.media_type

    def _judge(self, final: bool) -> None:
        head = bytes(self._head)
        self.judged, self.media_type, self._head = True, sniff(head[:HEAD_SIZE]), bytearray()
        if self.media_type == TEXT:
            self._text = _TextJudge()
            self._text.feed(head, final)


def store(folder: Path, stream: BinaryIO | Iterable[bytes], limit: int = DEFAULT_LIMIT) -> StoredProof:
    """Keep an upload (a binary file or an iterable of byte chunks) in ``folder``, once.

    Refused (BadInput, nothing kept, no temporary file left) when it is empty
    (``proof_empty``), passes ``limit`` bytes (``proof_too_large``, read no further than one
    byte past it) or is not of an allowed type (``proof_type_refused``, as soon as its head
    shows it). Otherwise it is in ``path_of(folder, digest)`` when this returns, durably:
    the same bytes stored again give the same record and the same single file.
    """
    temp_folder = _make_folders(folder, "tmp")
    remove_stale_temps(temp_folder)
    temp = temp_folder / f".upload-{secrets.token_hex(8)}{TEMP_MARK}{os.getpid()}{TEMP_SUFFIX}"
    try:
        digest, media_type, size = _write(temp, _chunks(stream, limit), limit)
        target_folder = _make_folders(folder, "sha256", digest[:2], digest[2:4])
        os.replace(temp, target_folder / digest)
        fsync_dir(target_folder)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    return StoredProof(digest, media_type, size)


def _write(temp: Path, chunks: Iterator[bytes], limit: int) -> tuple[str, str, int]:
    """Write ``chunks`` to a new ``temp``, flushed to disk; return its digest, type and size."""
    hasher, sniffer, size = hashlib.sha256(), _Sniffer(), 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(temp, flags, 0o600), "wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise TooLarge(f"the file is larger than the limit of {_bytes(limit)}", "proof_too_large")
            sniffer.feed(chunk)
            if sniffer.refused:
                raise _type_refused()
            hasher.update(chunk)
            out.write(chunk)
        if size == 0:
            raise BadInput("the file is empty", "proof_empty")
        media_type = sniffer.finish()
        if media_type is None:
            raise _type_refused()
        out.flush()
        os.fsync(out.fileno())
    return hasher.hexdigest(), media_type, size


def _chunks(stream: BinaryIO | Iterable[bytes], limit: int) -> Iterator[bytes]:
    """The bytes of ``stream`` in chunks; from a file, never more than ``limit + 1`` in all."""
    read = getattr(stream, "read", None)
    if read is None:
        yield from stream
        return
    left = limit + 1
    while left > 0:
        chunk = read(min(CHUNK, left))
        if not chunk:
            return
        left -= len(chunk)
        yield chunk


def _type_refused() -> BadInput:
    return BadInput(
        "the file is not an allowed proof: a photo (JPEG, PNG, GIF, WebP, HEIC), a recording "
        "(MP3, WAV, Ogg, FLAC, M4A), a PDF or plain UTF-8 text (not HTML, SVG or XML)",
        "proof_type_refused",
    )


def _bytes(count: int) -> str:
    """A size in words: '10 MiB' when it is whole mebibytes, '1000 bytes' otherwise."""
    mib, rest = divmod(count, 1024 * 1024)
    return f"{mib} MiB" if mib and not rest else f"{count} bytes"


def _make_folders(folder: Path, *names: str) -> Path:
    """``folder/names…``, making each missing level owner-only (0700) and durable."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder
    for name in names:
        parent, path = path, path / name
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue
        fsync_dir(parent)
    return path


def path_of(folder: Path, digest: str) -> Path:
    """The file of the proof with this SHA-256 (64 lower-case hex digits) in ``folder``.

    NotFound (``proof_not_found``) when ``digest`` is anything else, when no such proof is
    kept, or when its path would lead out of ``folder`` (through a link).
    """
    if not isinstance(digest, str) or not DIGEST.fullmatch(digest):
        raise NotFound("no such proof: a proof is named by its SHA-256, 64 lower-case hex digits", "proof_not_found")
    path = folder / "sha256" / digest[:2] / digest[2:4] / digest
    resolved = path.resolve()
    if not resolved.is_relative_to(folder.resolve()) or not resolved.is_file():
        raise NotFound(f"no proof {digest}", "proof_not_found")
    return resolved
