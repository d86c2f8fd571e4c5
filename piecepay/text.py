"""Free text: what a user or a worker may type, and how stored text is shown safely.

Input refuses C0 and C1 control characters (ANSI escapes among them), the bidi controls
that reorder what a terminal shows (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
U+061C), line and paragraph separators and lone surrogates (bytes that were not UTF-8).
A multi-line field allows newline and tab only. Output shows any such character that
reaches it from an older ledger as a visible escape (``\\x1b``, ``\\u202e``), so stored
text can never move the cursor, recolour, hide or reorder what a terminal prints.
"""

from __future__ import annotations

import re

from piecepay.errors import BadInput

# Characters no stored text may carry; surrogates stand for bytes that were not UTF-8.
# None of them is printable (str.isprintable), so printable text, nearly all text, is
# passed without compiling these classes: each takes most of a millisecond to compile.
UNSAFE = "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
# What JSON leaves raw in its strings (it escapes C0 itself) but a terminal would act on.
UNSAFE_IN_JSON = "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
MULTILINE_ALLOWED = frozenset("\n\t")


def escape_char(ch: str) -> str:
    """The visible form of one unsafe character: ``\\x1b`` or ``\\u202e``."""
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every unsafe character shown as an escape; safe text is returned as is."""
    if text.isprintable() or not re.search(UNSAFE, text):
        return text
    return re.sub(UNSAFE, lambda m: escape_char(m.group()), text)


def unreadable(value: str) -> str | None:
    """Why ``value`` is not text at all (a NUL, or bytes that were not UTF-8), or None."""
    if "\x00" in value:
        return "holds a NUL character"
    surrogate = re.search("[\ud800-\udfff]", value)
    if surrogate:
        return f"holds bytes that are not UTF-8 ({escape_char(surrogate.group())})"
    return None


def json_text(data: object, *, indent: int | None = None) -> str:
    """Standard JSON whose strings carry no raw control, bidi or separator characters
    (JSON escapes C0 itself; the rest are written as ``\\uXXXX``, the same string)."""
    import json

    text = json.dumps(data, indent=indent, ensure_ascii=False, separators=None if indent else (",", ":"))
    if text.isprintable():
        return text
    return re.sub(UNSAFE_IN_JSON, lambda m: f"\\u{ord(m.group()):04x}", text)


def checked_text(
    value: str, what: str, *, max_length: int, multiline: bool = False, empty_ok: bool = False, code: str | None = None
) -> str:
    """``value`` stripped of surrounding spaces, or BadInput if it holds an unsafe character,
    is empty (unless ``empty_ok``) or is longer than ``max_length`` characters.

    ``code`` names the refusal of an empty, too long or multi-line value, where a field has its own."""
    for match in () if value.isprintable() else re.finditer(UNSAFE, value):
        if multiline and match.group() in MULTILINE_ALLOWED:
            continue
        ch = match.group()
        kind = "a line break" if ch in "\r\n\u2028\u2029" else "a control character"
        if kind == "a line break" and code is not None:
            raise BadInput(f"{what} must be one line", code)
        if 0xD800 <= ord(ch) <= 0xDFFF:
            kind = "bytes that are not UTF-8"
        elif ch in "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
            kind = "a bidirectional control"
        raise BadInput(
            f"{what} contains {kind} ({escape_char(ch)}) at character {match.start() + 1}; "
            f"only printable text is accepted",
            "unsafe_text",
        )
    text = value.strip()
    if not text and not empty_ok:
        raise BadInput(f"{what} cannot be empty", code or "empty_text")
    if len(text) > max_length:
        raise BadInput(
            f"{what} is {len(text)} characters long; at most {max_length} are accepted", code or "text_too_long"
        )
    return text


def optional_text(value: str | None, what: str, *, max_length: int, multiline: bool = False) -> str | None:
    """``checked_text`` for an optional field: None stays None."""
    if value is None:
        return None
    return checked_text(value, what, max_length=max_length, multiline=multiline)


# The longest each kind of free text may be, in characters.
TITLE_MAX = 200
NAME_MAX = 200
EMAIL_MAX = 254
NOTE_MAX = 2000
REASON_MAX = 500
REF_MAX = 200
PROOF_MAX = 2000
ACTOR_MAX = 100
KEY_MAX = 200
