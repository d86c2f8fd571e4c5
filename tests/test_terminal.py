"""Stored text is shown, never obeyed: on a real pseudo-terminal and in every other output.

New input refuses control and bidi characters, but a ledger written by an older piecepay
(or edited by hand) may hold them. Whatever a note, reason, name, title, memo or actor
holds, no output path may pass an escape sequence to the terminal, reorder it with bidi
controls, or have Rich read it as markup (``[/]`` used to crash every later ``log``,
``[link=…]`` made a clickable link, ``[reverse]`` restyled the table).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3

import pytest

from tests.conftest import Ledger, run_in_terminal

ANSI_CLEAR = "\x1b[2J\x1b[31m"
OSC_LINK = "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07"
HOSTILE = {
    "ansi": f"{ANSI_CLEAR}red",
    "bidi": "cafe\u202etxt.exe",
    "closing": "oops [/] more",
    "link": "[link=https://evil.example]Cafe[/link]",
    "reverse": "[reverse]X[/reverse]",
    "osc": OSC_LINK,
    "c1": "\x9b2Jgone",
    "emoji": ":smile: :warning:",
}
# What a terminal would act on if stored text reached it raw.
RAW = re.compile("\x1b\\[2J|\x1b\\[31m|\x1b\\]8;|\x1b\\[7m|\x9b|[\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def poisoned(contract: Ledger) -> Ledger:
    """A ledger whose stored text holds every hostile string, as an older version could have."""
    contract.ok("milestone", "add", "photos/ana", "--top-up", "50")
    contract.ok("release", str(contract.ok("bill", "--pieces", "1", "--note", "ok")["id"]))
    contract.ok("reject", str(contract.ok("bill", "--pieces", "1")["id"]), "--reason", "blurry")
    contract.ok("payout", "ana", "--ref", "bank")
    blob = " | ".join(HOSTILE.values())
    conn = sqlite3.connect(contract.db)
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE campaigns SET title = ?", (f"Photos {blob}",))
    conn.execute("UPDATE workers SET name = ?, email = ?", (blob, HOSTILE["ansi"]))
    conn.execute("UPDATE bills SET note = ?, reason = CASE WHEN reason IS NULL THEN NULL ELSE ? END", (blob, blob))
    conn.execute("UPDATE entries SET memo = memo || ' ' || ?, actor = ?", (blob, HOSTILE["bidi"]))
    for _, sql in triggers:
        conn.execute(sql)
    conn.commit()
    conn.close()
    return contract


READS = [
    ("log",),
    ("worker", "list"),
    ("campaign", "list"),
    ("campaign", "show", "photos"),
    ("offer", "list"),
    ("milestone", "list", "photos/ana"),
    ("report",),
    ("report", "--by", "contract"),
    ("report", "--by", "worker"),
]


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("args", READS, ids=[" ".join(a) for a in READS])
def test_a_terminal_shows_stored_text_as_text(poisoned: Ledger, args: tuple[str, ...]) -> None:
    code, screen, err = run_in_terminal(poisoned.db, args)
    assert code == 0, err
    assert "\x1b[" in screen  # Rich did style the output: this really is the terminal path
    assert not RAW.search(screen), repr(RAW.search(screen))
    assert "https://evil.example" not in screen or "\x1b]8" not in screen


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_markup_and_escapes_are_printed_literally(poisoned: Ledger) -> None:
    _, screen, _ = run_in_terminal(poisoned.db, ("log",))
    flat = re.sub(r"\x1b\[[0-9;]*m", "", screen)  # Rich's own styling
    for visible in ("\\x1b[2J", "\\u202e", "[/]", "[link=https://evil.example]Cafe[/link]", "[reverse]X", "\\x9b"):
        assert visible in flat, visible
    assert ":smile:" in flat  # emoji codes are text too


@pytest.mark.parametrize("args", READS, ids=[" ".join(a) for a in READS])
def test_piped_output_shows_stored_text_as_text(poisoned: Ledger, args: tuple[str, ...]) -> None:
    result = poisoned.run(*args)
    assert result.code == 0, result.err
    assert "\x1b" not in result.out and not RAW.search(result.out)
    if args in (("log",), ("worker", "list"), ("campaign", "list"), ("campaign", "show", "photos")):
        assert "\\x1b[2J" in result.out  # the free text is there, escaped


@pytest.mark.parametrize("args", READS, ids=[" ".join(a) for a in READS])
def test_json_stays_standard_and_escapes_what_a_terminal_acts_on(poisoned: Ledger, args: tuple[str, ...]) -> None:
    result = poisoned.run("--json", *args)
    assert result.code == 0
    assert not RAW.search(result.out) and "\x1b" not in result.out
    document = json.loads(result.out)  # the same strings, written with \\u escapes
    assert document is not None
    if args == ("log",):
        assert any(HOSTILE["ansi"] in entry["memo"] for entry in document)
        assert {entry["actor"] for entry in document} == {HOSTILE["bidi"]}


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "hledger", "beancount"])
def test_exports_carry_no_raw_control_or_bidi_characters(poisoned: Ledger, fmt: str) -> None:
    result = poisoned.run("export", "--format", fmt)
    assert result.code == 0, result.err
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", result.out)
    if fmt in ("csv", "hledger"):
        assert "\\x1b[2J" in result.out
    elif fmt == "beancount":
        assert "/x1b[2J" in result.out  # beancount strings take no backslashes
    else:
        assert HOSTILE["ansi"] in [json.loads(line)["memo"] for line in result.out.splitlines()][-1]


def test_report_csv_titles_are_escaped_and_formula_safe(poisoned: Ledger) -> None:
    result = poisoned.run("report", "--format", "csv")
    assert result.code == 0 and "\x1b" not in result.out and "\\x1b[2J" in result.out


def test_errors_that_echo_hostile_input_show_it_escaped(contract: Ledger) -> None:
    for args in (("campaign", "show", HOSTILE["ansi"]), ("bill", "photos/\u202eana", "--pieces", "1")):
        result = contract.run(*args)
        assert result.code == 3 and result.err.count("\n") == 1
        assert not RAW.search(result.err) and "\x1b" not in result.err
        assert "\\x1b[2J" in result.err or "\\u202e" in result.err
