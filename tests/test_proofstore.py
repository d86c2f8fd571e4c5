"""The proof store, on real files: each allowed type kept by its content whatever its name,
everything else refused with nothing left behind, the size limit held to the byte without
reading past it, the same bytes kept once, and a proof found by its digest alone."""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import shutil
import struct
import tempfile
import wave
import zipfile
import zlib
from base64 import b64decode
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from piecepay.errors import BadInput, NotFound
from piecepay.proofstore import DEFAULT_LIMIT, HEAD_SIZE, StoredProof, path_of, sniff, store

# --------------------------------------------------------------------------- samples, built here


def _jpeg() -> bytes:
    """A 1x1 grey baseline JPEG: one quantisation table, one-code Huffman tables, one block."""
    huffman = b"\x01" + bytes(15) + b"\x00"  # one code of length 1, for symbol 0
    return b"".join(
        [
            b"\xff\xd8",
            b"\xff\xdb\x00\x43\x00" + bytes([1] * 64),
            b"\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00",
            b"\xff\xc4\x00\x14\x00" + huffman,
            b"\xff\xc4\x00\x14\x10" + huffman,
            b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00",
            b"\x3f",  # DC difference 0, then end of block, padded with ones
            b"\xff\xd9",
        ]
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png() -> bytes:
    """A 1x1 white greyscale PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(b"\x00\xff")),
            _png_chunk(b"IEND", b""),
        ]
    )


def _wav() -> bytes:
    """A millisecond of silence, 8 kHz mono, as the standard library writes it."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(16))
    return out.getvalue()


def _ogg_crc(page: bytes) -> int:
    crc = 0
    for byte in page:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1) & 0xFFFFFFFF
    return crc


def _ogg() -> bytes:
    """The first page of an Ogg Vorbis stream: its identification header."""
    vorbis = b"\x01vorbis" + struct.pack("<IBIiiiBB", 0, 1, 44100, 0, 128000, 0, 0xB8, 1)
    page = b"OggS\x00\x02" + bytes(8) + struct.pack("<III", 1, 0, 0) + bytes([1, len(vorbis)]) + vorbis
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


def _flac() -> bytes:
    """A FLAC stream's marker and STREAMINFO: 44.1 kHz, mono, 16 bits, no samples."""
    info = struct.pack(">HH", 4096, 4096) + bytes(6) + ((44100 << 44) | (15 << 36)).to_bytes(8, "big") + bytes(16)
    return b"fLaC\x80" + len(info).to_bytes(3, "big") + info


MP3_FRAME = b"\xff\xfb\x90\x64" + bytes(413)  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz: 417 bytes
ALLOWED = {
    "jpeg": (_jpeg(), "image/jpeg"),
    "png": (_png(), "image/png"),
    "gif": (b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"), "image/gif"),  # 1x1, clear
    "webp": (b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=="), "image/webp"),  # 1x1, lossless
    "heic": (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic"),
    "heif": (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1miaf", "image/heif"),
    "pdf": (b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n", "application/pdf"),
    "mp3": (MP3_FRAME, "audio/mpeg"),
    "mp3 with id3": (b"ID3\x04\x00\x00\x00\x00\x00\x00" + MP3_FRAME, "audio/mpeg"),
    "wav": (_wav(), "audio/wav"),
    "ogg": (_ogg(), "audio/ogg"),
    "flac": (_flac(), "audio/flac"),
    "m4a": (b"\x00\x00\x00\x18ftypM4A \x00\x00\x02\x00M4A isom\x00\x00\x00\x08mdat", "audio/mp4"),
    "text": ("5 photos of the menu, café ✓\n\tdone\r\n".encode(), "text/plain"),
    "text with a bom": ("\ufeffnotes: 3 rows\n".encode(), "text/plain"),
    "text a < later on": (b"3 < 5 pieces\n<b>", "text/plain"),
}


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("photo.jpg", _jpeg())
    return out.getvalue()


REFUSED = {
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "svg after a bom and blanks": b"\xef\xbb\xbf \r\n\t<?xml version='1.0'?><svg/>",
    "html": b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
    "html after unicode blanks": "\u3000\u00a0<html>".encode(),
    "exe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8" + bytes(47) + b"PE\x00\x00",
    "elf": b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00",
    "zip": _zip(),
    "text with escapes": b"5 photos \x1b[31mdone\x1b[0m\n",
    "text with a nul": b"5 photos\x00\n",
    "text with a c1 control": "5 photos\u0085\n".encode(),
    "latin-1 text": b"caf\xe9\n",
    "a cut character": "é".encode()[:1],
    "aac": b"\xff\xf1\x50\x80\x02\x1f\xfc" + bytes(8),
    "mp4 video": b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2",
    "avi": b"RIFF\x24\x00\x00\x00AVI LIST" + bytes(28),
    "gzip": b"\x1f\x8b\x08\x00" + bytes(16),
    "id3 in words": b"ID3 tags are metadata\n\x00",
}


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _refusal(folder: Path, data: Any, limit: int = DEFAULT_LIMIT) -> str:
    """The code ``store`` refuses ``data`` with; holds that nothing was kept or left."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    before = _listing(folder) if folder.exists() else []
    with pytest.raises(BadInput) as refused:
        store(folder, source, limit)
    assert _listing(folder) == before
    assert not any((folder / "tmp").iterdir())
    return refused.value.code


# --------------------------------------------------------------------------- types


@pytest.mark.parametrize(("data", "media_type"), ALLOWED.values(), ids=ALLOWED.keys())
def test_each_allowed_type_is_kept_by_its_content(tmp_path: Path, data: bytes, media_type: str) -> None:
    assert sniff(data) == media_type
    proof = store(tmp_path, io.BytesIO(data))
    digest = hashlib.sha256(data).hexdigest()
    assert proof == StoredProof(digest, media_type, len(data))
    kept = tmp_path / "sha256" / digest[:2] / digest[2:4] / digest
    assert path_of(tmp_path, digest) == kept.resolve()
    assert kept.read_bytes() == data
    assert kept.stat().st_mode & 0o777 == 0o600
    for folder in (tmp_path / "tmp", tmp_path / "sha256", kept.parent.parent, kept.parent):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    assert _listing(tmp_path) == [str(kept.relative_to(tmp_path))]


@pytest.mark.parametrize("data", REFUSED.values(), ids=REFUSED.keys())
def test_everything_else_is_refused(tmp_path: Path, data: bytes) -> None:
    assert sniff(data) is None
    assert _refusal(tmp_path, data) == "proof_type_refused"
    assert not (tmp_path / "sha256").exists()


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    assert sniff(b"") is None
    assert _refusal(tmp_path, b"") == "proof_empty"
    assert _refusal(tmp_path, iter([b"", b""])) == "proof_empty"


def test_the_name_never_decides(tmp_path: Path) -> None:
    disguised = tmp_path / "photo.jpg"
    disguised.write_bytes(ALLOWED["pdf"][0])
    with disguised.open("rb") as f:
        assert store(tmp_path / "proofs", f).media_type == "application/pdf"
    page = tmp_path / "photo.png"
    page.write_bytes(REFUSED["html"])
    with page.open("rb") as f:
        assert _refusal(tmp_path / "proofs", f) == "proof_type_refused"


def test_text_is_checked_to_its_end_not_only_its_head(tmp_path: Path) -> None:
    plain = b"a" * (3 * HEAD_SIZE)
    assert store(tmp_path, io.BytesIO(plain)).media_type == "text/plain"
    assert sniff((plain + b"\x1b")[:HEAD_SIZE]) == "text/plain"  # the head alone looks fine
    for tail in (b"\x1b", b"\xff", "é".encode()[:1]):
        assert _refusal(tmp_path, plain + tail) == "proof_type_refused"
        assert _refusal(tmp_path, iter([plain[:HEAD_SIZE], plain[HEAD_SIZE:], tail])) == "proof_type_refused"
    blanks = b" " * (2 * HEAD_SIZE)
    assert _refusal(tmp_path, blanks + b"<html>") == "proof_type_refused"
    assert _refusal(tmp_path, iter([blanks[:HEAD_SIZE], blanks[HEAD_SIZE:], b"<html>"])) == "proof_type_refused"


def test_a_character_across_the_head_and_across_chunks_is_text(tmp_path: Path) -> None:
    data = b"a" * (HEAD_SIZE - 1) + "é✓".encode() * 3
    assert sniff(data[:HEAD_SIZE]) == "text/plain"
    chunks = [data[i : i + 7] for i in range(0, len(data), 7)]
    assert store(tmp_path, iter(chunks)) == StoredProof(hashlib.sha256(data).hexdigest(), "text/plain", len(data))


# --------------------------------------------------------------------------- the limit


class Endless(io.RawIOBase):
    """A file that never ends, counting what was read from it."""

    def __init__(self, head: bytes = b"") -> None:
        self.head, self.taken = head, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        assert 0 < size <= 1024 * 1024, size  # asked in bounded chunks, never for all of it
        chunk = (self.head[self.taken :] + b"a" * size)[:size]
        self.taken += len(chunk)
        return chunk


def test_exactly_the_limit_is_kept_one_byte_more_is_refused(tmp_path: Path) -> None:
    assert store(tmp_path, io.BytesIO(b"a" * 100), limit=100).size == 100
    assert _refusal(tmp_path, b"b" * 101, limit=100) == "proof_too_large"
    assert store(tmp_path, iter([b"c" * 60, b"c" * 40]), limit=100).size == 100
    assert _refusal(tmp_path, iter([b"d" * 60, b"d" * 41]), limit=100) == "proof_too_large"


def test_the_default_limit_is_ten_mebibytes(tmp_path: Path) -> None:
    assert store(tmp_path, io.BytesIO(b"a" * DEFAULT_LIMIT)).size == 10 * 1024 * 1024
    assert _refusal(tmp_path, b"b" * (DEFAULT_LIMIT + 1)) == "proof_too_large"
    shutil.rmtree(tmp_path / "sha256")


def test_an_endless_upload_is_read_one_byte_past_the_limit_and_no_further(tmp_path: Path) -> None:
    endless = Endless()
    assert _refusal(tmp_path, endless, limit=300_000) == "proof_too_large"
    assert endless.taken == 300_001


def test_an_endless_stream_of_chunks_is_refused(tmp_path: Path) -> None:
    def chunks() -> Iterator[bytes]:
        while True:
            yield b"a" * 1000

    assert _refusal(tmp_path, chunks(), limit=50_000) == "proof_too_large"


def test_a_refused_type_is_refused_once_its_head_is_read(tmp_path: Path) -> None:
    endless = Endless(REFUSED["exe"])
    assert _refusal(tmp_path, endless) == "proof_type_refused"
    assert endless.taken <= 64 * 1024


def test_an_upload_that_breaks_off_leaves_nothing(tmp_path: Path) -> None:
    def broken() -> Iterator[bytes]:
        yield b"a" * 10_000
        raise ConnectionResetError("the client went away")

    with pytest.raises(ConnectionResetError):
        store(tmp_path, broken())
    assert _listing(tmp_path) == []


def test_what_a_killed_upload_left_is_swept(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir(mode=0o700)
    dead = tmp_path / "tmp" / ".upload-0123456789abcdef.piecepay-1073741824.tmp"  # past any pid
    dead.write_bytes(b"half of a photo")
    store(tmp_path, io.BytesIO(_png()))
    assert not dead.exists()


# --------------------------------------------------------------------------- the same bytes, and finding them


def test_the_same_bytes_are_kept_once(tmp_path: Path) -> None:
    first = store(tmp_path, io.BytesIO(_jpeg()))
    second = store(tmp_path, iter([_jpeg()[:10], _jpeg()[10:]]))
    assert first == second
    assert _listing(tmp_path) == [f"sha256/{first.digest[:2]}/{first.digest[2:4]}/{first.digest}"]
    other = store(tmp_path, io.BytesIO(_png()))
    assert other.digest != first.digest and len(_listing(tmp_path)) == 2


@pytest.mark.parametrize(
    "digest",
    ["../etc/passwd", "../../" + "a" * 58, "a" * 63, "a" * 65, "a" * 64 + "\n", "g" * 64, "", "/" + "a" * 63],
)
def test_path_of_refuses_what_is_not_a_digest(tmp_path: Path, digest: str) -> None:
    with pytest.raises(NotFound) as missing:
        path_of(tmp_path, digest)
    assert missing.value.code == "proof_not_found"
    if digest:
        assert digest not in missing.value.message  # what a client typed is never echoed


def test_path_of_finds_only_what_is_kept_under_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "proofs"
    kept = store(folder, io.BytesIO(_png())).digest
    assert path_of(folder, kept).read_bytes() == _png()
    for digest in (kept.upper(), hashlib.sha256(b"never stored").hexdigest()):
        with pytest.raises(NotFound) as missing:
            path_of(folder, digest)
        assert missing.value.code == "proof_not_found"
    outside = tmp_path / "secret"
    outside.write_bytes(b"not a proof")
    planted = hashlib.sha256(b"planted").hexdigest()
    link = folder / "sha256" / planted[:2] / planted[2:4] / planted
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)
    with pytest.raises(NotFound):
        path_of(folder, planted)


# --------------------------------------------------------------------------- any bytes at all

MAGICS = [data[:12] for data, _ in ALLOWED.values()] + [data[:12] for data in REFUSED.values()]
UPLOADS = st.one_of(
    st.binary(max_size=300),
    st.builds(bytes.__add__, st.sampled_from(MAGICS), st.binary(max_size=200)),
    st.text(max_size=200).map(str.encode),
)


@settings(max_examples=300, deadline=None)
@given(data=UPLOADS, cuts=st.lists(st.integers(0, 500), max_size=5), limit=st.integers(0, 400))
def test_any_upload_is_kept_whole_or_refused_leaving_nothing(data: bytes, cuts: list[int], limit: int) -> None:
    points = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    chunks = [data[a:b] for a, b in itertools.pairwise(points)]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        try:
            proof = store(root, iter(chunks), limit)
        except BadInput as refused:
            assert os.listdir(root / "tmp") == [] and _listing(root) == []
            if not data:
                assert refused.code == "proof_empty"
            elif len(data) > limit:  # shorter than a head: the size is judged first
                assert refused.code == "proof_too_large"
            else:
                assert refused.code == "proof_type_refused" and sniff(data) is None
            return
        kept = path_of(root, proof.digest).read_bytes()
        assert kept == data and hashlib.sha256(kept).hexdigest() == proof.digest
        assert proof.size == len(data) <= limit and proof.media_type == sniff(data)
        assert os.listdir(root / "tmp") == []
