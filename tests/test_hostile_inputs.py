"""A catalogue of hostile inputs, over every command and option.

Every case runs the real command line twice on a fresh copy of one rich ledger, plainly
and with ``--json``, and holds that the input is refused cleanly:

- the exact exit code (2 bad input or usage, 3 not found) and, where the case names one,
  the error code;
- nothing on stdout, and exactly one line on stderr: ``piecepay: error: …`` plainly, one
  ``{"error": {"code": …, "message": …}}`` document with ``--json`` (its message holding
  no newline), never a traceback;
- stderr carries no raw C0 or C1 control character but its final newline, no bidi
  control (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C), no line or paragraph
  separator and no lone surrogate: hostile characters that reach a message are shown as
  visible escapes (``\\x1b``, ``\\u202e``), and both modes report the same message;
- the ledger is untouched: a full dump (every row of every table) is unchanged and no
  file appeared in or vanished from its folder (SQLite's -wal and -shm aside).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Ledger, Result

TODAY = "2026-11-20"
PREFIX = "piecepay: error: "
PENDING = "1"  # bill 1: 2 photos on photos/ana, pending (10.00 USD reserved)
RELEASED = "2"  # bill 2: 1 photo on photos/ana, released (ana is owed 5.00 USD)
DIR = "@DIR@"  # stands for the ledger's folder in a case's arguments and environment
HUGE = "99999999999999999999"  # past a signed (and an unsigned) 64-bit integer

# What stderr may never carry raw: C0 (its final newline aside), DEL, C1, the bidi
# controls, line and paragraph separators, and lone surrogates (bytes that were not UTF-8).
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
SQLITE_SIDE_FILES = ("ledger.db-wal", "ledger.db-shm")


# --------------------------------------------------------------------------- the checks


def escaped(ch: str) -> str:
    """The visible form of one character: ``\\x1b`` up to U+00FF, ``\\u202e`` beyond."""
    return f"\\x{ord(ch):02x}" if ord(ch) <= 0xFF else f"\\u{ord(ch):04x}"


def shown(text: str) -> str:
    """``text`` with every unsafe character written as a visible escape."""
    return UNSAFE.sub(lambda m: escaped(m.group()), text)


def listing(folder: Path) -> set[str]:
    """Every path under ``folder`` (links not followed), SQLite's -wal and -shm left out."""
    found: set[str] = set()
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            relative = os.path.relpath(os.path.join(root, name), folder)
            if relative not in SQLITE_SIDE_FILES:
                found.add(relative)
    return found


def stream_problems(result: Result, mode: str, codes: tuple[int, ...], errors: frozenset[str] | None) -> list[str]:
    """What is wrong with one refused run's exit code, stdout and stderr."""
    problems = []
    if result.code not in codes:
        problems.append(f"exit {result.code}, expected {' or '.join(map(str, codes))}")
    if result.out:
        problems.append(f"stdout is not empty: {result.out[:300]!r}")
    err = result.err
    if "Traceback" in err:
        problems.append("stderr has a traceback")
    if not err.endswith("\n") or err.count("\n") != 1:
        problems.append(f"stderr is not exactly one line ({err.count(chr(10))} newlines)")
    raw = sorted({shown(ch) for ch in UNSAFE.findall(err.replace("\n", ""))})
    if raw:
        problems.append(f"stderr carries raw control/bidi/surrogate characters {raw}")
    if mode == "plain":
        if not err.startswith(PREFIX):
            problems.append(f"stderr does not start with {PREFIX!r}")
        return problems
    try:
        document = json.loads(err)
    except ValueError:
        return [*problems, "stderr is not one JSON document"]
    error = document.get("error") if isinstance(document, dict) else None
    if list(document) != ["error"] or not isinstance(error, dict) or sorted(error) != ["code", "message"]:
        return [*problems, 'stderr is not {"error": {"code": …, "message": …}}']
    if not isinstance(error["code"], str) or not isinstance(error["message"], str) or not error["message"]:
        return [*problems, "error code and message must be non-empty strings"]
    if "\n" in error["message"]:
        problems.append("the JSON error message holds a newline")
    if errors is not None and error["code"] not in errors:
        problems.append(f"error code {error['code']!r}, expected {' or '.join(sorted(errors))}")
    return problems


def json_message(err: str) -> str | None:
    """The message of a --json error document, or None if ``err`` is not one."""
    try:
        message = json.loads(err)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return None
    return message if isinstance(message, str) else None


@dataclass(frozen=True)
class Case:
    """One hostile invocation and how it must be refused."""

    args: tuple[str, ...]
    code: tuple[int, ...] = (2,)
    errors: frozenset[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    db: bool = True  # False: no --db; PIECEPAY_DB (in env) or --db in args names the ledger
    today: str | None = TODAY  # None: PIECEPAY_TODAY comes from env (or is unset)
    shows: str | None = None  # a hostile character the plain message must show escaped


def case(
    case_id: str,
    *args: str,
    code: int | tuple[int, ...] = 2,
    error: str | frozenset[str] | set[str] | None = None,
    env: dict[str, str] | None = None,
    db: bool = True,
    today: str | None = TODAY,
    shows: str | None = None,
) -> Any:
    """A pytest param holding a Case, with a readable id."""
    codes = code if isinstance(code, tuple) else (code,)
    errors = frozenset({error}) if isinstance(error, str) else frozenset(error) if error is not None else None
    return pytest.param(Case(tuple(args), codes, errors, dict(env or {}), db, today, shows), id=case_id)


def fill(text: str, folder: Path) -> str:
    return text.replace(DIR, str(folder))


def refused(book: Ledger, spec: Case) -> None:
    """Run ``spec`` plainly and with --json; both must be refused cleanly, changing nothing."""
    folder = book.db.parent
    args = tuple(fill(a, folder) for a in spec.args)
    env = {name: fill(value, folder) for name, value in spec.env.items()}
    before, files = book.dump(), listing(folder)
    problems: list[str] = []
    runs: dict[str, Result] = {}
    for mode in ("plain", "json"):
        flags = ("--json",) if mode == "json" else ()
        result = book.run(*flags, *args, today=spec.today, env=env, db=spec.db)
        runs[mode] = result
        problems += [f"{mode}: {p}" for p in stream_problems(result, mode, spec.code, spec.errors)]
        if book.dump() != before:
            problems.append(f"{mode}: the ledger changed (its dump differs)")
        now = listing(folder)
        if now != files:
            problems.append(f"{mode}: files appeared {sorted(now - files)} / vanished {sorted(files - now)}")
    plain, message = runs["plain"].err, json_message(runs["json"].err)
    if plain.startswith(PREFIX) and message is not None:
        if plain != f"{PREFIX}{shown(message)}\n":
            problems.append(f"plain and --json report different messages: {plain!r} vs {message!r}")
        if spec.shows is not None and shown(spec.shows) not in plain:
            problems.append(f"plain message does not show {shown(spec.shows)}")
    detail = "\n".join(f"  {mode}: exit {r.code}, stdout {r.out[:200]!r}, stderr {r.err!r}" for mode, r in runs.items())
    assert not problems, f"piecepay {args!r} env={env!r}:\n  " + "\n  ".join(problems) + "\n" + detail


# --------------------------------------------------------------------------- the ledger


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One rich ledger, built once: campaign photos ($5 a photo, budget 500), a yen campaign
    menus, workers ana and ben, contract photos/ana with 100.00 in escrow and a milestone
    capped at 40.00, bill 1 pending, bill 2 released (ana is owed 5.00), an open offer
    menus/ben and an export cursor 'c'. Every connection is closed: it is a single file."""
    folder = tmp_path_factory.mktemp("template")
    book = Ledger(folder / "ledger.db")
    book.ok("init", today=TODAY)
    book.ok(
        "campaign",
        "create",
        "Restaurant photos",
        "--slug",
        "photos",
        "--unit",
        "photo",
        "--rate",
        "5",
        "--budget",
        "500",
        today=TODAY,
    )
    book.ok(
        "campaign",
        "create",
        "Menu transcripts",
        "--slug",
        "menus",
        "--unit",
        "word",
        "--rate",
        "3",
        "--currency",
        "JPY",
        "--budget",
        "100000",
        today=TODAY,
    )
    book.ok("worker", "add", "ana", "--name", "Ana Lima", "--email", "ana@example.com", today=TODAY)
    book.ok("worker", "add", "ben", today=TODAY)
    book.ok("offer", "create", "photos", "ana", today=TODAY)
    book.ok("offer", "accept", "photos/ana", today=TODAY)
    book.ok("milestone", "add", "photos/ana", "--top-up", "100", "--cap", "40", today=TODAY)
    assert str(book.ok("bill", "photos/ana", "--pieces", "2", today=TODAY)["id"]) == PENDING
    assert str(book.ok("bill", "photos/ana", "--pieces", "1", today=TODAY)["id"]) == RELEASED
    book.ok("release", RELEASED, today=TODAY)
    book.ok("offer", "create", "menus", "ben", today=TODAY)
    exported = book.run("export", "--cursor", "c", today=TODAY)
    assert exported.code == 0, exported.err
    assert book.ok("verify", today=TODAY)
    assert sorted(p.name for p in folder.iterdir()) == ["ledger.db"], "the template must be one closed file"
    return book.db


@pytest.fixture
def book(template: Path, tmp_path: Path) -> Ledger:
    """A fresh copy of the template ledger, alone in its own folder."""
    folder = tmp_path / "books"
    folder.mkdir()
    shutil.copyfile(template, folder / "ledger.db")
    return Ledger(folder / "ledger.db")


# --------------------------------------------------------------------------- terminal injection

HOSTILE = [
    ("csi", "\x1b[2J\x1b[31m"),
    ("osc8-link", "\x1b]8;;https://evil\x07click\x1b]8;;\x07"),
    ("rlo", "\u202egnp.exe"),
    ("lri-pdi", "\u2066x\u2069"),
    ("nul", "\x00"),
    ("bel", "\x07"),
    ("c1-csi", "\x9b31m"),
    ("cr", "a\rb"),
    ("line-sep", "\u2028"),
    ("surrogate", "\udcff"),
    ("newline", "a\nb"),
]

Build = Callable[[str], tuple[tuple[str, ...], dict[str, str]]]


def _args(*parts: str) -> Build:
    """A command with the hostile text where ``HOSTILE_TEXT`` stands."""
    return lambda text: (tuple(text if p == "HOSTILE_TEXT" else p for p in parts), {})


H = "HOSTILE_TEXT"
FIELDS: list[tuple[str, Build, set[str]]] = [
    ("title", _args("campaign", "create", H, "--rate", "5", "--slug", "newc"), {"bad_title"}),
    ("unit", _args("campaign", "create", "New", "--rate", "5", "--slug", "newc", "--unit", H), {"bad_unit"}),
    ("slug", _args("campaign", "create", "New", "--rate", "5", "--slug", H), {"bad_slug"}),
    ("handle", _args("worker", "add", H), {"bad_handle"}),
    ("name", _args("worker", "add", "cy", "--name", H), {"bad_name"}),
    ("email", _args("worker", "add", "cy", "--email", H), {"bad_email"}),
    ("note", _args("bill", "photos/ana", "--pieces", "1", "--note", H), {"bad_note"}),
    ("proof", _args("bill", "photos/ana", "--pieces", "1", "--proof", "ok.jpg", "--proof", H), {"bad_proof"}),
    ("reason", _args("reject", PENDING, "--reason", H), {"reason_required"}),
    ("revise-reason", _args("revise", PENDING, "--reason", H), {"reason_required"}),
    ("resubmit-note", _args("resubmit", PENDING, "--note", H), {"bad_note"}),
    ("resubmit-proof", _args("resubmit", PENDING, "--proof", H), {"bad_proof"}),
    ("ref", _args("payout", "ana", "--ref", H), {"bad_ref"}),
    ("actor", _args("--actor", H, "worker", "add", "cy"), {"bad_actor"}),
    ("actor-after-command", _args("worker", "add", "cy", "--actor", H), {"bad_actor"}),
    ("env-actor", lambda text: (("worker", "add", "cy"), {"PIECEPAY_ACTOR": text}), {"bad_actor"}),
    ("key", _args("bill", "photos/ana", "--pieces", "1", "--key", H), {"bad_key"}),
    ("cursor", _args("export", "--cursor", H), {"bad_cursor"}),
    ("edit-title", _args("campaign", "edit", "photos", "--title", H), {"bad_title"}),
    ("edit-name", _args("worker", "edit", "ana", "--name", H), {"bad_name"}),
    ("edit-email", _args("worker", "edit", "ana", "--email", H), {"bad_email"}),
    ("token-name", _args("token", "create", "--role", "owner", "--name", H), {"bad_actor"}),
    ("token-role", _args("token", "create", "--role", H), {"bad_role"}),
    ("bonus-reason", _args("bonus", "photos/ana", "--amount", "1", "--reason", H), {"reason_required"}),
    ("time-note", _args("time", "photos/ana", "--minutes", "1", "--note", H), {"bad_note"}),
]


def _injection_cases() -> list[Any]:
    cases = []
    for name, build, own in FIELDS:
        for hostile_id, text in HOSTILE:
            if name in ("note", "resubmit-note", "time-note") and text == "a\nb":
                continue  # a note may span lines
            if name == "env-actor" and "\x00" in text:
                continue  # an environment variable cannot hold NUL
            args, env = build(text)
            cases.append(case(f"{name}-{hostile_id}", *args, env=env, error={"unsafe_text", *own}))
    return cases


@pytest.mark.parametrize("spec", _injection_cases())
def test_free_text_with_control_or_bidi_characters_is_refused(book: Ledger, spec: Case) -> None:
    """Every free-text input (title, unit, slug, handle, name, email, note, proof, reason,
    payout ref, --actor and PIECEPAY_ACTOR, --key, export cursor) refuses ANSI/OSC escapes,
    C1 controls, NUL, BEL, CR, bidi controls, line separators and lone surrogates with exit 2,
    and never echoes them raw."""
    refused(book, spec)


# --------------------------------------------------------------------------- hostile references

LOOKUPS = [
    case("campaign-show-csi", "campaign", "show", "\x1b[2J", code=(2, 3), shows="\x1b"),
    case("campaign-show-newline", "campaign", "show", "a\nb", code=(2, 3), shows="\n"),
    case("campaign-pause-csi", "campaign", "pause", "\x1b[2J", code=(2, 3), shows="\x1b"),
    case("campaign-close-rlm", "campaign", "close", "photos\u200f", code=(2, 3), shows="\u200f"),
    case("bill-contract-rlo", "bill", "photos/\u202e", "--pieces", "1", code=(2, 3), shows="\u202e"),
    case("bill-env-contract-csi", "bill", "--pieces", "1", env={"PIECEPAY_CONTRACT": "\x1b[2J"}, code=(2, 3)),
    case("release-id-esc", "release", "1\x1b", code=(2, 3), shows="\x1b"),
    case("release-id-cr", "release", "1\r", code=(2, 3), shows="\r"),
    case("release-several-one-csi", "release", PENDING, "2\x1b[2J", code=(2, 3), shows="\x1b"),
    case("release-arabic-indic-one", "release", "\u0661", code=(2, 3)),
    case("release-superscript-one", "release", "\u00b9", code=(2, 3)),
    case("reject-id-c1", "reject", "1\x9b31m", "--reason", "x", code=(2, 3), shows="\x9b"),
    case("offer-accept-isolates", "offer", "accept", "\u2066x\u2069", code=(2, 3), shows="\u2066"),
    case("offer-accept-arabic-indic", "offer", "accept", "\u0661", code=(2, 3)),
    case("offer-create-campaign-csi", "offer", "create", "\x1b[2J", "ana", code=(2, 3), shows="\x1b"),
    case("offer-create-worker-csi", "offer", "create", "photos", "\x1b[2J", code=(2, 3), shows="\x1b"),
    case("offer-list-campaign-nul", "offer", "list", "--campaign", "\x00", code=(2, 3), shows="\x00"),
    case("end-contract-bel", "end", "photos/ana\x07", "--release-pending", code=(2, 3), shows="\x07"),
    case(
        "milestone-add-osc8",
        "milestone",
        "add",
        "\x1b]8;;https://evil\x07click\x1b]8;;\x07",
        "--top-up",
        "1",
        code=(2, 3),
        shows="\x1b",
    ),
    case("milestone-list-surrogate", "milestone", "list", "photos/a\udcffb", code=(2, 3), shows="\udcff"),
    case("payout-worker-line-sep", "payout", "ana\u2028", code=(2, 3), shows="\u2028"),
    case("log-contract-csi", "log", "--contract", "\x1b[31m", code=(2, 3), shows="\x1b"),
    case("log-worker-csi", "log", "--worker", "\x1b[31m", code=(2, 3), shows="\x1b"),
    case("log-campaign-bidi", "log", "--campaign", "pho\u202etos", code=(2, 3), shows="\u202e"),
    case("bill-list-campaign-csi", "bill", "list", "--campaign", "\x1b[2J", code=(2, 3), shows="\x1b"),
    case("bill-list-worker-rlo", "bill", "list", "--worker", "an\u202ea", code=(2, 3), shows="\u202e"),
    case("bill-list-contract-osc", "bill", "list", "--contract", "\x1b]0;x\x07", code=(2, 3), shows="\x1b"),
    case("bill-show-id-esc", "bill", "show", "1\x1b", code=(2, 3), shows="\x1b"),
    case("report-campaign-rlo", "report", "--campaign", "\u202egnp.exe", code=(2, 3), shows="\u202e"),
    case("verify-anchors-file-csi", "verify", "--anchors", f"{DIR}/\x1b[2J.txt", code=(2, 3), shows="\x1b"),
    case("verify-anchors-file-nul", "verify", "--anchors", f"{DIR}/a\x00b.txt", code=(2, 3)),
    case("campaign-edit-csi", "campaign", "edit", "\x1b[2J", "--budget", "600", code=(2, 3), shows="\x1b"),
    case("campaign-edit-rlo", "campaign", "edit", "pho\u202etos", "--review-days", "3", code=(2, 3), shows="\u202e"),
    case("worker-edit-osc8", "worker", "edit", "\x1b]8;;https://evil\x07a\x1b]8;;\x07", "--name", "A", code=(2, 3)),
    case("worker-edit-bel", "worker", "edit", "ana\x07", "--name", "A", code=(2, 3), shows="\x07"),
]

# What invalid UTF-8 in argv becomes: a lone surrogate, in every reference that is looked up.
S = "\udcff"
SURROGATE_LOOKUPS = [
    case(f"surrogate-{name}", *args, env=env or {}, code=(2, 3))
    for name, args, env in [
        ("campaign-show", ("campaign", "show", S), None),
        ("campaign-pause", ("campaign", "pause", S), None),
        ("offer-create-campaign", ("offer", "create", S, "ben"), None),
        ("offer-create-worker", ("offer", "create", "photos", S), None),
        ("offer-accept", ("offer", "accept", f"menus/{S}"), None),
        ("offer-decline", ("offer", "decline", f"{S}/ben"), None),
        ("offer-list-campaign", ("offer", "list", "--campaign", S), None),
        ("bill-contract", ("bill", f"photos/{S}", "--pieces", "1"), None),
        ("bill-env-contract", ("bill", "--pieces", "1"), {"PIECEPAY_CONTRACT": f"photos/{S}"}),
        ("release-bill", ("release", f"1{S}"), None),
        ("end-contract", ("end", f"{S}/ana", "--release-pending"), None),
        ("milestone-add", ("milestone", "add", f"photos/{S}", "--top-up", "1"), None),
        ("milestone-list", ("milestone", "list", f"photos/a{S}b"), None),
        ("payout-worker", ("payout", S), None),
        ("log-contract", ("log", "--contract", f"photos/{S}"), None),
        ("report-campaign", ("report", "--campaign", S), None),
        ("campaign-edit", ("campaign", "edit", S, "--budget", "600"), None),
        ("worker-edit", ("worker", "edit", f"an{S}a", "--name", "A"), None),
    ]
]


@pytest.mark.parametrize("spec", LOOKUPS + SURROGATE_LOOKUPS)
def test_hostile_references_are_not_found_and_shown_escaped(book: Ledger, spec: Case) -> None:
    """A reference (campaign, worker, contract, offer, bill, anchor file) carrying control
    or bidi characters or a lone surrogate finds nothing (exit 3, or 2), and the message
    shows it escaped."""
    refused(book, spec)


# --------------------------------------------------------------------------- numbers

BAD_PIECES = ["", "-1", "0", "1e3", "NaN", "inf", "1,000", "1\n", " 1", "\u0661", "0x10", HUGE + "999", "1.5"]
BAD_AMOUNTS = ["-5", "1e2", "5.001", "92233720368547758.08", "1\n", "+5"]
BAD_RATES = ["0", "-1", "1e-3", "0.0000000001", "1234567890123456"]
NEW = ("campaign", "create", "New", "--slug", "newc")
EDIT = ("campaign", "edit", "photos")

NUMBERS = [
    *(case(f"bill-pieces-{p!r}", "bill", "photos/ana", "--pieces", p) for p in BAD_PIECES),
    *(case(f"release-pieces-{p!r}", "release", PENDING, "--pieces", p) for p in ["", "0", "-1", "1.5", "1e3", "NaN"]),
    *(case(f"resubmit-pieces-{p!r}", "resubmit", PENDING, "--pieces", p) for p in BAD_PIECES),
    *(case(f"resubmit-minutes-{m!r}", "resubmit", PENDING, "--minutes", m) for m in ["-1", "1.5", "1e3"]),
    *(case(f"top-up-{a!r}", "milestone", "add", "photos/ana", "--top-up", a) for a in BAD_AMOUNTS),
    *(case(f"cap-{a!r}", "milestone", "add", "photos/ana", "--top-up", "1", "--cap", a) for a in BAD_AMOUNTS),
    *(case(f"payout-amount-{a!r}", "payout", "ana", "--amount", a) for a in BAD_AMOUNTS),
    *(case(f"budget-{a!r}", *NEW, "--rate", "5", "--budget", a) for a in BAD_AMOUNTS),
    *(case(f"milestone-cap-{a!r}", *NEW, "--rate", "5", "--milestone-cap", a) for a in ["-5", "0", "5.001", "1e2"]),
    case("budget-jpy-decimals", *NEW, "--rate", "5", "--currency", "JPY", "--budget", "5.5"),
    *(case(f"rate-{r!r}", *NEW, "--rate", r) for r in BAD_RATES),
    *(case(f"offer-rate-{r!r}", "offer", "create", "photos", "ben", "--rate", r) for r in BAD_RATES),
    *(case(f"offer-max-pieces-{n!r}", "offer", "create", "photos", "ben", "--max-pieces", n) for n in ["0", "-1"]),
    *(case(f"max-pieces-{n!r}", *NEW, "--rate", "5", "--max-pieces", n) for n in ["0", "-1", "1.5"]),
    *(case(f"step-{s!r}", *NEW, "--rate", "5", "--step", s) for s in ["0", "2", "0.3", "-1"]),
    *(case(f"review-days-{d!r}", *NEW, "--rate", "5", "--review-days", d) for d in ["31", "-1", "1.5", ""]),
    *(case(f"workers-{w!r}", *NEW, "--rate", "5", "--workers", w) for w in ["0", "-1", "1.5"]),
    *(case(f"minutes-{m!r}", "bill", "photos/ana", "--pieces", "1", "--minutes", m) for m in ["-1", "1.5", "1e3"]),
    *(case(f"log-last-{n!r}", "log", "--last", n) for n in ["0", "-1", "1e30", HUGE, "1\n"]),
    *(case(f"sweep-warn-days-{n!r}", "sweep", "--warn-days", n) for n in ["100000000", "-1"]),
    *(case(f"sweep-dormant-days-{n!r}", "sweep", "--dormant-days", n) for n in ["0", HUGE]),
    *(case(f"revision-days-{d!r}", *NEW, "--rate", "5", "--revision-days", d) for d in ["0", "31", "-1", "none", HUGE]),
    *(case(f"reversal-days-{d!r}", *NEW, "--rate", "5", "--reversal-days", d) for d in ["366", "-1", "1.5", HUGE]),
    *(case(f"edit-budget-{a!r}", *EDIT, "--budget", a) for a in [*BAD_AMOUNTS, "0", "None", "NONE", "none "]),
    *(case(f"edit-milestone-cap-{a!r}", *EDIT, "--milestone-cap", a) for a in ["-5", "0", "5.001", "1e2", "nil"]),
    *(case(f"edit-max-pieces-{n!r}", *EDIT, "--max-pieces", n) for n in ["0", "-1", "1.5", HUGE, "null"]),
    *(case(f"edit-workers-{w!r}", *EDIT, "--workers", w) for w in ["0", "-1", "1.5", HUGE, "None"]),
    *(case(f"edit-review-days-{d!r}", *EDIT, "--review-days", d) for d in ["31", "-1", "", "none", HUGE]),
    *(case(f"edit-revision-days-{d!r}", *EDIT, "--revision-days", d) for d in ["0", "31", "none", HUGE]),
    *(case(f"edit-reversal-days-{d!r}", *EDIT, "--reversal-days", d) for d in ["366", "-1", "none", HUGE]),
    *(case(f"edit-jpy-budget-{a!r}", "campaign", "edit", "menus", "--budget", a) for a in ["5.5", "0.1"]),
    case("edit-nothing", "campaign", "edit", "photos", error="no_change"),
    case("worker-edit-nothing", "worker", "edit", "ana", error="no_change"),
    case("worker-edit-blank-name", "worker", "edit", "ana", "--name", "   ", error="empty_text"),
    case("worker-edit-email-none", "worker", "edit", "ana", "--email", "none", error="bad_email"),
]


@pytest.mark.parametrize("spec", NUMBERS)
def test_malformed_or_impossible_numbers_are_refused(book: Ledger, spec: Case) -> None:
    """Pieces, amounts, rates, steps, counts and day spans are strict: no sign, exponent,
    NaN/inf, grouping, spaces, non-ASCII digits, hex, extra decimals, values past 64 bits,
    zero where a positive number is needed, or fractions of a whole piece (exit 2)."""
    refused(book, spec)


# --------------------------------------------------------------------------- impossible ids

IDS = [
    case("release-huge", "release", HUGE, code=3),
    case("bill-show-huge", "bill", "show", HUGE, code=3),
    case("release-several-one-huge", "release", PENDING, HUGE, code=3),
    case("reject-several-one-zero", "reject", PENDING, "0", "--reason", "x", code=3),
    case("bill-show-zero", "bill", "show", "0", code=3),
    case("bill-list-contract-huge", "bill", "list", "--contract", HUGE, code=3),
    case("release-2-to-63", "release", "9223372036854775808", code=3),
    case("release-hash-huge", "release", "#" + HUGE, code=3),
    case("release-zero", "release", "0", code=3),
    case("release-minus-one", "release", "-1", code=2),  # Click reads -1 as an unknown option
    case("release-minus-one-after-dashes", "release", "--", "-1", code=3),
    case("release-one-point-zero", "release", "1.0", code=3),
    case("release-exponent", "release", "1e0", code=3),
    case("reject-huge", "reject", HUGE, "--reason", "x", code=3),
    case("revise-huge", "revise", HUGE, "--reason", "x", code=3),
    case("token-revoke-huge", "token", "revoke", HUGE, code=3),
    case("token-revoke-zero", "token", "revoke", "0", code=3),
    case("token-worker-huge", "token", "create", "--role", "worker", "--worker", HUGE, code=3),
    case("token-campaign-huge", "token", "create", "--role", "reviewer", "--campaign", HUGE, code=3),
    case("revise-zero", "revise", "0", "--reason", "x", code=3),
    case("resubmit-huge", "resubmit", HUGE, code=3),
    case("resubmit-2-to-63", "resubmit", "9223372036854775808", code=3),
    case("offer-accept-huge", "offer", "accept", HUGE, code=3),
    case("offer-decline-2-to-64", "offer", "decline", "18446744073709551616", code=3),
    case("offer-withdraw-huge", "offer", "withdraw", HUGE, code=3),
    case("offer-create-campaign-huge", "offer", "create", HUGE, "ben", code=3),
    case("offer-create-worker-huge", "offer", "create", "photos", HUGE, code=3),
    case("campaign-show-huge", "campaign", "show", HUGE, code=3),
    case("campaign-pause-huge", "campaign", "pause", HUGE, code=3),
    case("env-contract-huge", "bill", "--pieces", "1", env={"PIECEPAY_CONTRACT": HUGE}, code=3),
    case("bill-contract-huge", "bill", HUGE, "--pieces", "1", code=3),
    case("end-huge", "end", HUGE, "--release-pending", code=3),
    case("milestone-add-huge", "milestone", "add", HUGE, "--top-up", "1", code=3),
    case("milestone-list-huge", "milestone", "list", HUGE, code=3),
    case("payout-worker-huge", "payout", HUGE, code=3),
    case("log-contract-huge", "log", "--contract", HUGE, code=3),
    case("report-campaign-huge", "report", "--campaign", HUGE, code=3),
    case("campaign-edit-huge", "campaign", "edit", HUGE, "--budget", "600", code=3),
    case("worker-edit-huge", "worker", "edit", HUGE, "--name", "A", code=3),
]


@pytest.mark.parametrize("spec", IDS)
def test_ids_past_64_bits_and_impossible_references_are_not_found(book: Ledger, spec: Case) -> None:
    """Ids past a signed 64-bit integer, negative, zero, decimal or exponent ids name
    nothing: exit 3, never an overflow or a traceback."""
    refused(book, spec)


# --------------------------------------------------------------------------- dates

BAD_DATES = [
    ("2026-W48-1", "bad_date"),
    ("1900-01-01", "date_out_of_range"),
    ("9999-12-31", "date_out_of_range"),
    ("2026-02-30", "bad_date"),
    ("2026-11-29T00:00", "bad_date"),
    ("20261129", "bad_date"),
    (" 2026-11-20", "bad_date"),
    ("2026-11-20\n", "bad_date"),
    ("2099-01-01", "date_in_future"),
]
DATED = [
    ("bill", ("bill", "photos/ana", "--pieces", "1")),
    ("release", ("release", PENDING)),
    ("reject", ("reject", PENDING, "--reason", "blurry")),
    ("revise", ("revise", PENDING, "--reason", "blurry")),
    ("end", ("end", "photos/ana", "--release-pending")),
    ("payout", ("payout", "ana")),
    ("milestone-add", ("milestone", "add", "photos/ana", "--top-up", "1")),
]
BAD_TODAY = ["9999-12-31", "1999-12-31", "2026-13-01", "yesterday", "2026-11-20\n", " 2026-11-20"]

DATES = [
    *(case(f"{name}-date-{d!r}", *args, "--date", d, error=e) for name, args in DATED for d, e in BAD_DATES),
    *(
        case(f"deadline-{d!r}", *NEW, "--rate", "5", "--deadline", d, error=e)
        for d, e in [("2100-01-01", "date_out_of_range"), ("1999-12-31", "date_out_of_range")]
        + [(d, "bad_date") for d in ("2026-02-30", "2026-W48-1", "2026-11-20\n")]
    ),
    *(
        case(f"edit-deadline-{d!r}", *EDIT, "--deadline", d, error=e)
        for d, e in [("2100-01-01", "date_out_of_range"), ("1999-12-31", "date_out_of_range")]
        + [(d, "bad_date") for d in ("2026-02-30", "2026-W48-1", "2026-11-20\n", "None", "never")]
    ),
    *(
        case(f"token-expires-{d!r}", "token", "create", "--role", "owner", "--expires", d, error=e)
        for d, e in [("2100-01-01", "date_out_of_range"), ("1999-12-31", "date_out_of_range")]
        + [(d, "bad_date") for d in ("2026-02-30", "2026-W48-1", "2026-11-20\n", "never")]
    ),
    *(
        case(f"export-{flag[2:]}-{d!r}", "export", flag, d, error=e)
        for flag in ("--from", "--to")
        for d, e in [("2026-W01-1", "bad_date"), ("1900-01-01", "date_out_of_range"), ("2026-13-01", "bad_date")]
    ),
    *(
        case(f"env-today-{d!r}-{name}", *args, env={"PIECEPAY_TODAY": d}, today=None)
        for d in BAD_TODAY
        for name, args in [("report", ("report",)), ("bill", ("bill", "photos/ana", "--pieces", "1"))]
    ),
]


@pytest.mark.parametrize("spec", DATES)
def test_dates_outside_yyyy_mm_dd_in_2000_to_2099_are_refused(book: Ledger, spec: Case) -> None:
    """--date on bill, release, reject, end, payout and milestone add, a campaign's
    --deadline, export --from/--to and PIECEPAY_TODAY take only YYYY-MM-DD within
    2000-01-01..2099-12-31 (a future effective date is date_in_future): exit 2."""
    refused(book, spec)


# --------------------------------------------------------------------------- payees: a year and a threshold

BAD_YEARS = [
    ("", "bad_year"),
    ("26", "bad_year"),
    ("20266", "bad_year"),
    ("-2026", "bad_year"),
    ("2026.0", "bad_year"),
    ("2026\n", "bad_year"),
    (" 2026", "bad_year"),
    ("\uff12\uff10\uff12\uff16", "bad_year"),  # full-width digits
    ("\u0662\u0660\u0662\u0666", "bad_year"),  # Arabic-Indic digits
    ("2026-01-01", "bad_year"),
    (HUGE, "bad_year"),
    ("1999", "date_out_of_range"),
    ("2100", "date_out_of_range"),
    ("0000", "date_out_of_range"),
]
BAD_THRESHOLDS = [
    ("0", "not_positive"),
    ("0.00", "not_positive"),
    ("", "bad_number"),
    ("-600", "bad_number"),
    ("1e3", "bad_number"),
    ("NaN", "bad_number"),
    ("inf", "bad_number"),
    ("2,000", "bad_number"),
    ("$600", "bad_number"),
    ("600\n", "bad_number"),
    ("600.001", "too_many_decimals"),
    (HUGE, "too_large"),
]
PAYEES = [
    *(case(f"payees-year-{y!r}", "payees", "--year", y, error=e) for y, e in BAD_YEARS),
    *(
        case(f"payees-threshold-{t!r}", "payees", "--year", "2026", "--threshold", t, error=e)
        for t, e in BAD_THRESHOLDS
    ),
    case("payees-without-year", "payees", error="bad_usage"),
    case("payees-year-without-value", "payees", "--year", error="bad_usage"),
    case("payees-bad-format", "payees", "--year", "2026", "--format", "xml", error="bad_format"),
]


@pytest.mark.parametrize("spec", PAYEES)
def test_payees_take_a_year_of_four_digits_in_the_span_and_a_positive_dollar_threshold(
    book: Ledger, spec: Case
) -> None:
    """payees --year takes four ASCII digits within 2000..2099, --threshold a plain amount
    above zero with at most a cent's decimals and within 64 bits: exit 2, nothing written."""
    refused(book, spec)


# --------------------------------------------------------------------------- pay: periods and wages

BAD_WEEKS = [
    *[(w, "bad_week") for w in ("2027-W53", "2026-W54", "2026-W00", "2026-w47", "2026W47", "2026-W47-1")],
    *[(w, "bad_week") for w in ("2026-11-20", " 2026-W47", "2026-W47\n", "2026-W7", "\u0662\u0660\u0662\u0666-W47")],
    *[(w, "bad_week") for w in ("", "2026-W47\x1b[31m")],
    *[(w, "date_out_of_range") for w in ("1999-W52", "2100-W01", "2099-W53", "1900-W01", "0000-W01", "9999-W53")],
]
BAD_MONTHS = [
    *[(m, "bad_month") for m in ("2026-13", "2026-00", "0000-00", "2026-1", "2026-11-01", "November", "2026-11\n", "")],
    *[(m, "date_out_of_range") for m in ("1999-12", "2100-01", "0000-01", "9999-12")],
]
BAD_WAGES = [
    *[(w, "not_positive") for w in ("0/h", "0.00", "0.00/h")],
    *[(w, "bad_wage") for w in ("-15/h", "15/hr", "15/H", "15 /h", "/h", "1e3/h", "NaN", "inf/h", "1,000/h")],
    *[(w, "bad_wage") for w in ("15/h\n", "15.00/h/h", "15./h", ".5/h", "+15/h", "15/h ", "\u0661\u0665/h", "")],
    ("15.001/h", "too_many_decimals"),
    (HUGE + "/h", "too_large"),
]
WEEK = ("pay", "--week", "2026-W47")
PAY = [
    *(case(f"pay-week-{w!r}", "pay", "--week", w, error=e) for w, e in BAD_WEEKS),
    *(case(f"pay-month-{m!r}", "pay", "--month", m, error=e) for m, e in BAD_MONTHS),
    *(case(f"pay-wage-{w!r}", *WEEK, "--minimum-wage", w, error=e) for w, e in BAD_WAGES),
    case("pay-jpy-wage-decimals", *WEEK, "--campaign", "menus", "--minimum-wage", "15.5/h", error="too_many_decimals"),
    case("pay-wage-currency-jpy", *WEEK, "--currency", "JPY", "--minimum-wage", "0.5/h", error="too_many_decimals"),
    *(
        case(f"pay-currency-{c!r}", *WEEK, "--minimum-wage", "15/h", "--currency", c, error="bad_currency")
        for c in ("ZZZ", "US", "", "usd\n", "\u20ac\u20ac\u20ac")
    ),
    case("pay-currency-without-wage", *WEEK, "--currency", "USD", error="conflicting_options"),
    case("pay-no-period", "pay", error="period_required"),
    case("pay-week-and-month", *WEEK, "--month", "2026-11", error="period_required"),
    *(case(f"pay-by-{b!r}", *WEEK, "--by", b, error="bad_grouping") for b in ("campaign", "contract", "Worker", "")),
    case("pay-format", *WEEK, "--format", "xml", error="bad_format"),
    case("pay-campaign-missing", *WEEK, "--campaign", "nope", code=3),
]


@pytest.mark.parametrize("spec", PAY)
def test_pay_takes_only_an_iso_week_a_month_and_a_wage_per_hour(book: Ledger, spec: Case) -> None:
    """pay's --week is YYYY-Www (week 53 only in a year that has one), --month YYYY-MM, both
    within 2000-2099 and one of them; --minimum-wage a positive plain amount with no more
    decimals than its currency has, optionally followed by /h; --currency only with it and
    --by only worker: exit 2 (3 for a campaign that does not exist)."""
    refused(book, spec)


# --------------------------------------------------------------------------- bonus, makeup and time

BONUS = ("bonus", "photos/ana", "--reason", "rush")
MAKEUP = ("makeup", "--week", "2026-W47")
TIME = ("time", "photos/ana")
EDIT_WAGE = ("campaign", "edit", "photos", "--minimum-wage")
EXTRAS = [
    *(case(f"bonus-amount-{a!r}", *BONUS, "--amount", a) for a in [*BAD_AMOUNTS, "0", "NaN", "inf", "1,000", HUGE]),
    case("bonus-amount-empty", *BONUS, "--amount", ""),
    case("bonus-missing-amount", *BONUS, error="bad_usage"),
    case("bonus-missing-reason", "bonus", "photos/ana", "--amount", "1", error="bad_usage"),
    case("bonus-blank-reason", "bonus", "photos/ana", "--amount", "1", "--reason", "   ", error="reason_required"),
    case(
        "bonus-long-reason", "bonus", "photos/ana", "--amount", "1", "--reason", "r" * 10_001, error="reason_required"
    ),
    case("bonus-from-funding-given-a-value", *BONUS, "--amount", "1", "--from-funding=yes", error="bad_usage"),
    case("bonus-jpy-decimals", "bonus", "menus/ben", "--amount", "1.5", "--reason", "x", code=(2, 3)),
    case("bonus-contract-rlo", "bonus", "photos/\u202e", "--amount", "1", "--reason", "x", code=(2, 3), shows="\u202e"),
    case("bonus-contract-huge", "bonus", HUGE, "--amount", "1", "--reason", "x", code=3),
    *(case(f"time-minutes-{m!r}", *TIME, "--minutes", m) for m in ["0", "-1", "1.5", "1e3", "NaN", "", HUGE, " 1"]),
    case("time-missing-minutes", *TIME, error="bad_usage"),
    case("time-contract-csi", "time", "\x1b[2J", "--minutes", "1", code=(2, 3), shows="\x1b"),
    case("time-contract-huge", "time", HUGE, "--minutes", "1", code=3),
    *(case(f"makeup-week-{w!r}", "makeup", "--week", w, "--minimum-wage", "15/h", error=e) for w, e in BAD_WEEKS),
    *(case(f"makeup-month-{m!r}", "makeup", "--month", m, "--minimum-wage", "15/h", error=e) for m, e in BAD_MONTHS),
    *(case(f"makeup-wage-{w!r}", *MAKEUP, "--minimum-wage", w, error=e) for w, e in BAD_WAGES),
    case("makeup-missing-wage", *MAKEUP, error="wage_required"),
    *(case(f"campaign-wage-{w!r}", *NEW, "--rate", "1", "--minimum-wage", w, error=e) for w, e in BAD_WAGES),
    *(case(f"campaign-edit-wage-{w!r}", *EDIT_WAGE, w, error=e) for w, e in BAD_WAGES),
    case(
        "campaign-jpy-wage-decimals",
        *NEW,
        "--rate",
        "1",
        "--currency",
        "JPY",
        "--minimum-wage",
        "15.5/h",
        error="too_many_decimals",
    ),
    case("makeup-no-period", "makeup", "--minimum-wage", "15/h", error="period_required"),
    case("makeup-week-and-month", *MAKEUP, "--month", "2026-11", "--minimum-wage", "15/h", error="period_required"),
    case(
        "makeup-jpy-wage-decimals", *MAKEUP, "--currency", "JPY", "--minimum-wage", "0.5/h", error="too_many_decimals"
    ),
    *(
        case(f"makeup-currency-{c!r}", *MAKEUP, "--minimum-wage", "15/h", "--currency", c, error="bad_currency")
        for c in ("ZZZ", "US", "", "usd\n")
    ),
    case("makeup-campaign-missing", *MAKEUP, "--minimum-wage", "15/h", "--campaign", "nope", code=3),
    case("makeup-campaign-csi", *MAKEUP, "--minimum-wage", "15/h", "--campaign", "\x1b[2J", code=(2, 3), shows="\x1b"),
    case("makeup-date-outside", *MAKEUP, "--minimum-wage", "15/h", "--date", "2026-11-15", error="date_outside_period"),
    case("makeup-period-ahead", "makeup", "--week", "2026-W49", "--minimum-wage", "15/h", code=1, error="period_ahead"),
    *(
        case(f"makeup-date-{d!r}", *MAKEUP, "--minimum-wage", "15/h", "--date", d, error={e, "date_outside_period"})
        for d, e in BAD_DATES
    ),
    *(
        case(f"{name}-date-{d!r}", *args, "--date", d, error=e)
        for name, args in [("bonus", (*BONUS, "--amount", "1")), ("time", (*TIME, "--minutes", "1"))]
        for d, e in BAD_DATES
    ),
    *(
        case(f"key-{label}-{name}", *args, "--key", key, error={"bad_key", "unsafe_text"})
        for label, key in [("empty", ""), ("leading-space", " k"), ("201-chars", "k" * 201), ("esc", "\x1b")]
        for name, args in [("bonus", (*BONUS, "--amount", "1")), ("time", (*TIME, "--minutes", "1"))]
    ),
]


@pytest.mark.parametrize("spec", EXTRAS)
def test_bonus_makeup_and_time_refuse_bad_amounts_minutes_periods_wages_keys_and_dates(
    book: Ledger, spec: Case
) -> None:
    """bonus --amount is a positive plain amount in the contract's currency (no sign, exponent,
    NaN, grouping, extra decimals, or more than 64 bits) with a reason of printable text;
    time --minutes a positive whole number; makeup a week or a month, a wage per hour as pay
    takes them (as do campaign create and edit --minimum-wage), and a --date inside the period
    (a period not yet begun is refused, exit 1);
    --date and --key as everywhere: exit 2 (3 for what does not exist), nothing written."""
    refused(book, spec)


# A period out of shape may read as a week, a month or neither: any of the three refusals
# (a date out of the span is refused as such).
SHAPES = {"bad_period", "bad_week", "bad_month"}
STATEMENT = [
    *(
        case(f"statement-period-{p!r}", "statement", "ana", "--period", p, error=SHAPES if e in SHAPES else e)
        for p, e in BAD_WEEKS + BAD_MONTHS
        if p
    ),
    *(
        case(f"statement-period-{p!r}", "statement", "ana", "--period", p, error=e)
        for p, e in [
            ("", "bad_period"),
            ("November", "bad_period"),
            ("26", "bad_period"),
            ("2026\n", "bad_period"),
            ("\u0662\u0660\u0662\u0666", "bad_period"),
            ("\x1b[2J", "bad_period"),
            ("1999", "date_out_of_range"),
            ("2100", "date_out_of_range"),
            ("0000", "date_out_of_range"),
        ]
    ),
    *(
        case(f"statement-format-{f!r}", "statement", "ana", "--format", f, error="bad_format")
        for f in ("", "MD", "docx")
    ),
    case("statement-pdf-to-stdout", "statement", "ana", "--format", "pdf", error="output_required"),
    case("statement-no-worker", "statement", "nobody", code=3, error="worker_not_found"),
    case("statement-hostile-worker", "statement", "\x1b[2Jx", code=3, error="worker_not_found", shows="\x1b"),
    case("statement-missing-worker-argument", "statement", error="bad_usage"),
]


@pytest.mark.parametrize("spec", STATEMENT)
def test_a_statement_takes_a_known_worker_a_month_week_or_year_and_a_format(book: Ledger, spec: Case) -> None:
    """statement's --period is YYYY-MM, YYYY-Www or YYYY within 2000-2099, --format md, json,
    html or pdf (pdf only to a file), its worker one the ledger has (exit 3 otherwise)."""
    refused(book, spec)


def test_a_statement_shows_a_hostile_note_and_reason_without_obeying_them(book: Ledger) -> None:
    """A note may span lines and both may hold markup and table pipes: the Markdown statement
    keeps each entry on one table row with every sign escaped, the HTML escapes every tag."""
    note, reason = "<script>alert(1)</script> | *x*\n# [a](b)", "<img src=x onerror=alert(1)> | `y`"
    billed = book.ok("bill", "photos/ana", "--pieces", "1", "--note", note, today=TODAY)["id"]
    book.ok("reject", str(billed), "--reason", reason, today=TODAY)
    markdown = book.run("statement", "ana", "--period", "2026-11", today=TODAY)
    assert markdown.code == 0, markdown.err
    rows = [line for line in markdown.out.splitlines() if line.startswith("| 2026-")]
    assert len(rows) == 5  # bills 1, 2 and 3, the release of 2, the rejection of 3
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 11 and not re.search(r"(?<!\\)[<>\[\]*`#]", row), row
    page = book.run("statement", "ana", "--period", "2026-11", "--format", "html", today=TODAY).out
    assert "<script" not in page and "<img" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not UNSAFE.search(markdown.out.replace("\n", "")) and not UNSAFE.search(page.replace("\n", ""))


# --------------------------------------------------------------------------- tiers and fees

OFFER = ("offer", "create", "photos", "ben")  # ben has no offer on photos yet
BAD_TIERS = [
    *[
        (t, "bad_tier")
        for t in ("1:4", "0:4", "00001:4", "2", "2:", ":4", "2:4:3", "2::4", "2;4", "2,4", "2 :4", "2: 4")
    ],
    *[(t, "bad_tier") for t in ("2:4 ", " 2:4", "2:4\n", "-2:4", "+2:4", "2:-4", "2:+4", "2:1e3", "2e1:4", "2.5:4")],
    *[(t, "bad_tier") for t in ("2:NaN", "2:inf", "NaN:4", "\u0662:4", "2:\u0664", "\uff12:4", "0x2:4", "2:0x4")],
    *[(t, "bad_tier") for t in ("", "none:4", "NONE", "None", "all", "2:4%", "2:$4", "2:4USD", "2:.5", "2:5.")],
    *[(t, "bad_tier") for t in ("99999999999999:4", HUGE + ":4", "\x1b[2J", "2:4\x1b[31m", "\u202e2:4", "2:4\x00")],
    ("1000000000001:4", "too_large"),
    *[(t, "not_positive") for t in ("2:0", "2:0.000")],
    ("2:0.0000000001", "too_many_decimals"),
    ("2:1234567890123456", "too_large"),
]
BAD_TIER_LISTS = [
    ("same-piece", ("5:4", "5:3"), "bad_tier"),
    ("falling-pieces", ("10:4", "5:3"), "bad_tier"),
    ("second-from-the-first", ("5:4", "1:3"), "bad_tier"),
    ("none-with-a-tier", ("none", "5:4"), "bad_tier"),
    ("a-tier-with-none", ("5:4", "none"), "bad_tier"),
    ("none-twice", ("none", "none"), "bad_tier"),
    ("eleven", tuple(f"{n}:4" for n in range(2, 13)), "too_many_tiers"),
    ("one-bad-of-three", ("5:4", "10:x", "20:2"), "bad_tier"),
]
# an escape, a bidi control, a Cyrillic look-alike among the rest
BAD_TIER_PERIODS = ["", "Week", "MONTH", "weekly", "monthly", "day", "year", "w", "m", "week ", " month", "month\n"]
BAD_TIER_PERIODS += ["\x1b[2J", "mon\u202eth", "\u0445week"]
BAD_FEES = [
    *[(f, "bad_fee") for f in ("0", "0%", "0.0%", "0.0000%", "100.0001%", "101%", "1000", HUGE + "%", "1" + "0" * 40)],
    *[(f, "bad_fee") for f in ("", "%", "-5%", "+5%", "5%%", "%5", "5 %", " 5%", "5% ", "5%\n", "1e1%", "5e-1")],
    *[(f, "bad_fee") for f in ("NaN%", "inf%", "Infinity", "5,5%", "5.%", ".5%", "0x14%", "\u0665%", "\uff15%")],
    *[(f, "bad_fee") for f in ("5\u066a", "5\uff05", "20 percent", "\x1b[2J%", "5%\x1b[31m", "\u202e5%", "5%\x00")],
    *[(f, "too_many_decimals") for f in ("12.34567%", "0.00001%", "20.00000%", "0." + "0" * 30 + "1%")],
]
BAD_FEE_MINIMUMS = [
    *[
        (a, "bad_number")
        for a in ("", "-1", "+1", "1e2", "NaN", "inf", "1,000", " 1", "1\n", "$1", "\u0661", "1\x1b[2J")
    ],
    *[(a, "not_positive") for a in ("0", "0.00")],
    ("0.001", "too_many_decimals"),
    ("92233720368547758.08", "too_large"),
    (HUGE, "too_large"),
]
FEES = ("fees", "photos")


def _or_nul(text: str, error: str) -> set[str]:
    """A NUL in any argument is refused before the option reads it."""
    return {error, "unsafe_text"} if "\x00" in text else {error}


TIERS_AND_FEES = [
    *(case(f"campaign-tier-{t!r}", *NEW, "--rate", "5", "--tier", t, error=_or_nul(t, e)) for t, e in BAD_TIERS),
    *(case(f"offer-tier-{t!r}", *OFFER, "--tier", t, error=_or_nul(t, e)) for t, e in BAD_TIERS),
    *(
        case(f"{name}-tiers-{label}", *args, *(f"--tier={t}" for t in tiers), error=e)
        for label, tiers, e in BAD_TIER_LISTS
        for name, args in [("campaign", (*NEW, "--rate", "5")), ("offer", OFFER)]
    ),
    case("campaign-tier-without-value", *NEW, "--rate", "5", "--tier", error="bad_usage"),
    case("offer-tier-without-value", *OFFER, "--tier", error="bad_usage"),
    case("offer-tier-bad-rate-too", *OFFER, "--rate", "0", "--tier", "5:4", error="not_positive"),
    case("offer-tier-campaign-missing", "offer", "create", "nope", "ben", "--tier", "5:4", code=3),
    case("offer-tier-exists", "offer", "create", "menus", "ben", "--tier", "5:4", code=1),
    *(case(f"tier-period-{p!r}", *NEW, "--rate", "5", "--tier", "5:4", "--tier-period", p) for p in BAD_TIER_PERIODS),
    case("tier-period-without-value", *NEW, "--rate", "5", "--tier-period", error="bad_usage"),
    case("offer-tier-period", *OFFER, "--tier-period", "week", error="bad_usage"),
    *(case(f"campaign-fee-{f!r}", *NEW, "--rate", "5", "--fee", f, error=_or_nul(f, e)) for f, e in BAD_FEES),
    *(
        case(f"campaign-fee-min-{a!r}", *NEW, "--rate", "5", "--fee", "5%", "--fee-min", a, error=e)
        for a, e in BAD_FEE_MINIMUMS
    ),
    case("campaign-fee-min-without-fee", *NEW, "--rate", "5", "--fee-min", "1", error="conflicting_options"),
    case(
        "campaign-fee-min-jpy-decimals",
        *NEW,
        "--rate",
        "5",
        "--currency",
        "JPY",
        "--fee",
        "5%",
        "--fee-min",
        "0.5",
        error="too_many_decimals",
    ),
    case("campaign-fee-without-value", *NEW, "--rate", "5", "--fee", error="bad_usage"),
    case("offer-fee", *OFFER, "--fee", "5%", error="bad_usage"),
    *(case(f"fees-what-if-{f!r}", *FEES, "--what-if", f, error=_or_nul(f, e)) for f, e in BAD_FEES),
    *(case(f"fees-fee-min-{a!r}", *FEES, "--what-if", "5%", "--fee-min", a, error=e) for a, e in BAD_FEE_MINIMUMS),
    case("fees-fee-min-without-what-if", *FEES, "--fee-min", "1", error="conflicting_options"),
    case(
        "fees-fee-min-jpy-decimals", "fees", "menus", "--what-if", "5%", "--fee-min", "0.5", error="too_many_decimals"
    ),
    case("fees-missing-campaign", "fees", error="bad_usage"),
    case("fees-no-such-campaign", "fees", "nope", "--what-if", "5%", code=3, error="campaign_not_found"),
    case("fees-campaign-csi", "fees", "\x1b[2J", code=(2, 3), shows="\x1b"),
    case("fees-campaign-rlo", "fees", "pho\u202etos", "--what-if", "5%", code=(2, 3), shows="\u202e"),
    case("fees-campaign-surrogate", "fees", S, code=(2, 3)),
    case("fees-campaign-huge", "fees", HUGE, code=3),
    case("fees-what-if-without-value", *FEES, "--what-if", error="bad_usage"),
]


@pytest.mark.parametrize("spec", TIERS_AND_FEES)
def test_tiers_and_fees_refuse_what_is_not_a_tier_a_period_or_a_percentage(book: Ledger, spec: Case) -> None:
    """--tier is FROM_PIECE:RATE in ASCII digits (from the 2nd piece on, each tier from a later
    piece than the one before, at most ten, a rate as --rate takes it) or the word none alone;
    --tier-period week or month; --fee and fees --what-if a plain percentage above 0 and at most
    100 to four decimals, its % sign optional; --fee-min an amount in the campaign's currency,
    only with a fee: exit 2 (3 for a campaign that does not exist), one line, nothing written."""
    refused(book, spec)


def test_tiers_and_fees_at_their_limits_are_stored_as_meant(book: Ledger) -> None:
    """What the options accept at their edges is stored as meant and verifies: ``--tier none``
    on a campaign (no tiers, so no tier period either), a tier from the largest piece number
    a tier takes (the 10^12 pieces piecepay counts) and one with leading zeros, a fee of exactly 100%
    (the fee of 1.00 is 1.00) and one of 0.0001% (a fee on 5.00 rounds to nothing), a
    percentage without its sign, and an offer's ``--tier none`` that drops its campaign's."""
    whole = book.ok(*NEW, "--rate", "1", "--tier", "none", "--tier-period", "week", "--fee", "100", "--budget", "10")
    assert (whole["tiers"], whole["tier_period"], whole["fee"], whole["fee_min"]) == (None, None, "100%", None)
    edge = ("--tier", "0002:4.50", "--tier", "1000000000000:0.001", "--fee", "0.0001%", "--budget", "50")
    tiny = book.ok("campaign", "create", "Tiny", "--slug", "tiny", "--rate", "5", *edge)
    assert (tiny["tiers"], tiny["tier_period"], tiny["fee"]) == ("2:4.5,1000000000000:0.001", "month", "0.0001%")
    assert book.ok("offer", "create", "tiny", "ben", "--tier", "none")["tiers"] is None
    book.ok("offer", "accept", "tiny/ben", today=TODAY)
    book.ok("offer", "create", "newc", "ben")
    book.ok("offer", "accept", "newc/ben", today=TODAY)
    for ref in ("tiny/ben", "newc/ben"):
        book.ok("milestone", "add", ref, "--top-up", "10", today=TODAY)
        book.ok("release", str(book.ok("bill", ref, "--pieces", "2", today=TODAY)["id"]), today=TODAY)
    assert book.ok("fees", "newc")["charged"] == "2.00"  # 100% of 2 x 1.00
    tiny_fees = book.ok("fees", "tiny")  # ben's own terms have no tiers: his 2nd piece is 5.00, not 4.50
    assert (tiny_fees["paid"], tiny_fees["charged"]) == ("10.00", "0.00")  # 0.0001% of 10.00: a hundredth of a cent
    assert book.ok("verify", today=TODAY)["entries"] > 0


# --------------------------------------------------------------------------- environment, currencies, actors, keys

BUSY = [
    case(f"busy-timeout-{t!r}-{name}", *args, env={"PIECEPAY_BUSY_TIMEOUT": t}, error="bad_busy_timeout")
    for t in ["-1", "abc", "nan", "inf", "1e9", "99999999", "1\n", " 1"]
    for name, args in [("report", ("report",)), ("bill", ("bill", "photos/ana", "--pieces", "1"))]
]
CURRENCIES = [
    *(
        case(f"campaign-currency-{c!r}", *NEW, "--rate", "5", "--currency", c, error="bad_currency")
        for c in ["XXX", "XTS", "XAU", "XDR", "CLF", "USN", "HRK", "", "usd\n", "US", "\u20ac\u20ac\u20ac", "USD "]
    ),
    *(
        case(f"payout-currency-{c!r}", "payout", "ana", "--currency", c, error="bad_currency")
        for c in ["", "US", "usd\n", "\u20ac\u20ac\u20ac"]
    ),
]
ACTORS = [
    *(
        case(f"actor-{label}-{name}", "--actor", actor, *args, error="bad_actor")
        for label, actor in [("empty", ""), ("spaces", "   "), ("101-chars", "a" * 101)]
        for name, args in [("worker-add", ("worker", "add", "cy")), ("report", ("report",))]
    ),
    *(
        case(f"actor-after-command-{label}", "worker", "add", "cy", "--actor", actor, error="bad_actor")
        for label, actor in [("empty", ""), ("101-chars", "a" * 101)]
    ),
    *(
        case(f"env-actor-{label}", "worker", "add", "cy", env={"PIECEPAY_ACTOR": actor}, error="bad_actor")
        for label, actor in [("spaces", "   "), ("101-chars", "a" * 101)]
    ),
]
KEYED = [
    ("bill", ("bill", "photos/ana", "--pieces", "1")),
    ("milestone-add", ("milestone", "add", "photos/ana", "--top-up", "1")),
    ("release", ("release", PENDING)),
    ("reject", ("reject", PENDING, "--reason", "blurry")),
    ("revise", ("revise", PENDING, "--reason", "blurry")),
    ("resubmit", ("resubmit", PENDING)),
    ("end", ("end", "photos/ana", "--release-pending")),
    ("payout", ("payout", "ana")),
]
KEYS = [
    case(f"key-{label}-{name}", *args, "--key", key, error={"bad_key", "unsafe_text"})
    for label, key in [("empty", ""), ("leading-space", " k"), ("201-chars", "k" * 201), ("esc", "\x1b")]
    for name, args in KEYED
]


@pytest.mark.parametrize("spec", BUSY + CURRENCIES + ACTORS + KEYS)
def test_bad_environment_currency_actor_and_key_are_refused(book: Ledger, spec: Case) -> None:
    """PIECEPAY_BUSY_TIMEOUT must be plain seconds (0-86400); a new campaign's currency
    must be money in use (no testing, metal, fund or withdrawn codes); --actor and
    PIECEPAY_ACTOR must be 1-100 printable characters; --key 1-200 printable characters
    without surrounding spaces: exit 2."""
    refused(book, spec)


# --------------------------------------------------------------------------- serving and signing in

SERVING = [
    *(case(f"serve-port-{p!r}", "serve", "--port", p) for p in ("0", "65536", "-1", "80x", "", "\x1b[31m")),
    *(case(f"serve-upload-limit-{m!r}", "serve", "--upload-limit", m) for m in ("0", "1025", "1e3", "x")),
    *(
        case(f"serve-host-{label}", "serve", "--host", h, error={"bad_host", "unsafe_text"})
        for label, h in [("esc", "\x1b[2J"), ("space", "evil host"), ("empty", ""), ("slash", "a/b"), ("rlo", "\u202e")]
    ),
    case("serve-proofs-is-a-file", "serve", "--proofs", f"{DIR}/ledger.db", error="not_a_folder"),
    case("serve-proofs-esc", "serve", "--proofs", "\x1b[31mx", error="unsafe_text"),
    case("token-link-huge", "token", "link", HUGE, code=3),
    case("token-link-zero", "token", "link", "0", code=3),
    case("token-link-word", "token", "link", "owner", code=3),
    *(case(f"token-link-hours-{h!r}", "token", "link", "1", "--hours", h) for h in ("0", "169", "-1", "1.5", "")),
    *(
        case(f"token-link-url-{label}", "token", "link", "1", "--url", u, error={"bad_url", "unsafe_text"})
        for label, u in [
            ("javascript", "javascript:alert(1)"),
            ("file", "file:///etc/passwd"),
            ("quote", 'http://x/"><script>'),
            ("credentials", "http://user:secret@x"),
            ("query", "http://x/?next=evil"),
            ("esc", "http://x/\x1b[31m"),
            ("newline", "http://x\nSet-Cookie: a=b"),
        ]
    ),
]


@pytest.mark.parametrize("spec", SERVING)
def test_serve_and_sign_in_links_refuse_bad_options_before_anything(book: Ledger, spec: Case) -> None:
    """``serve`` refuses a bad port, upload limit, host or proofs folder before it listens;
    ``token link`` a token that is not there, hours outside 1-168 and an address that is not
    a plain http(s) one: nothing is written."""
    refused(book, spec)


# --------------------------------------------------------------------------- a served ledger's address and token

SERVED = [("report", ("report",)), ("release", ("release", PENDING)), ("bill-list", ("bill", "list"))]
NOWHERE = "http://127.0.0.1:9"  # never reached: each case is refused before any request
BAD_URLS = [
    ("esc", "http://127.0.0.1:9/\x1b[31m", "unsafe_text", "\x1b"),
    ("newline", "http://127.0.0.1:9\nX-Evil: 1", "bad_url", None),
    ("rlo", "http://\u202elocalhost", "unsafe_text", "\u202e"),
    ("surrogate", "http://127.0.0.1:9/\udcff", "unsafe_text", "\udcff"),
    ("file", "file:///etc/passwd", "bad_url", None),
    ("ftp", "ftp://127.0.0.1/", "bad_url", None),
    ("javascript", "javascript:alert(1)", "bad_url", None),
    ("no-scheme", "127.0.0.1:9", "bad_url", None),
    ("no-host", "http://", "bad_url", None),
    ("user-info", "http://me:secret@127.0.0.1:9", "bad_url", None),
    ("port", "http://127.0.0.1:99999", "bad_url", None),
    ("ipv6", "http://[::1", "bad_url", None),
    ("query", "http://127.0.0.1:9/?token=x", "bad_url", None),
    ("fragment", "http://127.0.0.1:9/#x", "bad_url", None),
    ("space", "http://127.0.0.1:9/a b", "bad_url", None),
    ("2001-chars", "http://h/" + "a" * 1992, "bad_url", None),
]
BAD_TOKENS = [
    ("newline", "pp_x\nX-Evil: 1"),
    ("space", "pp x"),
    ("esc", "\x1b[2J"),
    ("e-acute", "pp_\u00e9"),
    ("long", "p" * 513),
]
REMOTE = [
    *(
        case(
            f"url-{label}-{name}",
            *args,
            env={"PIECEPAY_URL": url, "PIECEPAY_TOKEN": "pp_x"},
            db=False,
            error=error,
            shows=show,
        )
        for label, url, error, show in BAD_URLS
        for name, args in SERVED
    ),
    *(
        case(
            f"token-{label}-{name}",
            *args,
            env={"PIECEPAY_URL": NOWHERE, "PIECEPAY_TOKEN": token},
            db=False,
            error="bad_token",
        )
        for label, token in BAD_TOKENS
        for name, args in SERVED
    ),
    *(
        case(
            f"timeout-{t!r}",
            "report",
            env={"PIECEPAY_URL": NOWHERE, "PIECEPAY_TOKEN": "pp_x", "PIECEPAY_TIMEOUT": t},
            db=False,
            error="bad_timeout",
        )
        for t in ["0", "-1", "abc", "nan", "1e9", "99999999", "1\n"]
    ),
    case("url-without-token", "report", env={"PIECEPAY_URL": NOWHERE}, db=False, error="remote_incomplete"),
    case("token-without-url", "report", env={"PIECEPAY_TOKEN": "pp_x"}, error="remote_incomplete"),
    case("url-with-db", "report", env={"PIECEPAY_URL": NOWHERE, "PIECEPAY_TOKEN": "pp_x"}, error="conflicting_options"),
    case(
        "url-with-a-command-not-served",
        "verify",
        env={"PIECEPAY_URL": NOWHERE, "PIECEPAY_TOKEN": "pp_x"},
        db=False,
        error="not_served",
    ),
    case(
        "non-ascii-key-over-a-server",
        "release",
        PENDING,
        "--key",
        "cl\u00e9",
        env={"PIECEPAY_URL": NOWHERE, "PIECEPAY_TOKEN": "pp_x"},
        db=False,
        error="bad_key",
    ),
]


@pytest.mark.parametrize("spec", REMOTE)
def test_a_bad_server_address_or_token_is_refused_before_any_request(book: Ledger, spec: Case) -> None:
    """PIECEPAY_URL must be a plain http:// or https:// address (no user, password, query,
    fragment, control or bidi character); PIECEPAY_TOKEN one word of visible ASCII, never
    shown; PIECEPAY_TIMEOUT plain seconds; both set or neither, without --db; only the served
    commands run with them: exit 2, and no message shows the token or a password."""
    refused(book, spec)
    for mode in ((), ("--json",)):
        err = book.run(*mode, *spec.args, today=spec.today, env=spec.env, db=spec.db).err
        assert "secret" not in err and not any(t in err for _, t in BAD_TOKENS if len(t) > 4)


# --------------------------------------------------------------------------- targets that could hurt the ledger


def _symlink(folder: Path, name: str, to: Path) -> Path:
    link = folder / name
    link.symlink_to(to)
    return link


def _hard_link(folder: Path) -> Path:
    link = folder / "hard.db"
    os.link(folder / "ledger.db", link)
    return link


def _subdir_dot_dot(folder: Path) -> Path:
    (folder / "sub").mkdir()
    return folder / "sub" / ".." / "ledger.db"


def _directory(folder: Path) -> Path:
    (folder / "outdir").mkdir()
    return folder / "outdir"


def _fifo(folder: Path) -> Path:
    os.mkfifo(folder / "pipe")
    return folder / "pipe"


TARGETS: dict[str, Callable[[Path], Path | str]] = {
    "ledger": lambda d: d / "ledger.db",
    "ledger-wal": lambda d: d / "ledger.db-wal",
    "ledger-shm": lambda d: d / "ledger.db-shm",
    "ledger-journal": lambda d: d / "ledger.db-journal",
    "ledger-via-dot-dot": _subdir_dot_dot,
    "ledger-via-double-slash": lambda d: f"{d}//ledger.db",
    "symlink-to-ledger": lambda d: _symlink(d, "link.db", d / "ledger.db"),
    "symlink-to-ledger-wal": lambda d: _symlink(d, "link-wal", d / "ledger.db-wal"),
    "dangling-symlink": lambda d: _symlink(d, "dangling.csv", d / "nowhere.csv"),
    "hard-link-to-ledger": _hard_link,
    "dev-null": lambda d: "/dev/null",
    "dev-full": lambda d: "/dev/full",
    "dev-stdout": lambda d: "/dev/stdout",
    "directory": _directory,
    "missing-folder": lambda d: d / "missing" / "out.csv",
    "named-pipe": _fifo,
    "nul-in-name": lambda d: d / "out\x00.csv",
}
WRITERS = {
    "export": lambda t: ("export", "--out", t),
    "export-hledger": lambda t: ("export", "--format", "hledger", "--out", t),
    "backup": lambda t: ("backup", t),
    "anchor": lambda t: ("anchor", t),
    "statement": lambda t: ("statement", "ana", "--output", t),
    "statement-pdf": lambda t: ("statement", "ana", "--format", "pdf", "--output", t),
}


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("writer", list(WRITERS))
def test_exports_backups_and_anchors_never_write_where_they_could_hurt_the_ledger(
    book: Ledger, writer: str, target: str
) -> None:
    """export --out, backup PATH and anchor FILE refuse the ledger itself and its -wal,
    -shm and -journal (by resolved path and by file identity: symbolic and hard links),
    devices, folders, pipes, links, missing folders and names no file can have (NUL):
    exit 2, nothing written, and the ledger still verifies."""
    folder = book.db.parent
    path = str(TARGETS[target](folder))
    fifo_before = stat.S_ISFIFO(os.lstat(path).st_mode) if target == "named-pipe" else None
    errors = {"bad_target", "unsafe_text", "bad_path"} if target == "nul-in-name" else {"bad_target"}
    refused(book, Case(WRITERS[writer](path), (2,), frozenset(errors)))
    if fifo_before is not None:
        assert stat.S_ISFIFO(os.lstat(path).st_mode)
    assert not (folder / "missing").exists()
    if target == "directory":
        assert list((folder / "outdir").iterdir()) == []
    assert book.ok("verify", today=TODAY)["entries"] > 0


@pytest.mark.parametrize(
    "spec",
    [
        case("cursor-with-from", "export", "--cursor", "c", "--from", "2026-01-01", error="bad_usage"),
        case("cursor-with-to", "export", "--cursor", "c", "--to", "2026-11-20", error="bad_usage"),
        case("new-cursor-with-from", "export", "--cursor", "fresh", "--from", "2026-01-01", error="bad_usage"),
    ],
)
def test_a_cursor_export_refuses_date_filters(book: Ledger, spec: Case) -> None:
    """A cursor marks everything up to an entry as exported; with --from/--to it would skip
    entries for good, so the combination is refused (exit 2) and the cursor stays put."""
    refused(book, spec)
    assert book.ok("verify", today=TODAY)["entries"] > 0


# --------------------------------------------------------------------------- missing ledgers

MISSING = [
    *(
        case(
            f"env-typo-{'-'.join(args[:2])}",
            *args,
            env={"PIECEPAY_DB": f"{DIR}/ledgr.db"},
            db=False,
            code=3,
            error="ledger_not_found",
        )
        for args in [
            ("bill", "--pieces", "1"),
            ("campaign", "list"),
            ("report",),
            ("verify",),
            ("worker", "add", "cy"),
            ("log",),
            ("sweep",),
            ("export", "--cursor", "c"),
            ("backup", f"{DIR}/copy.db"),
        ]
    ),
    *(
        case(
            f"missing-folders-{'-'.join(args[:2])}",
            "--db",
            f"{DIR}/no/such/dir/ledger.db",
            *args,
            db=False,
            code=3,
            error="ledger_not_found",
        )
        for args in [("report",), ("bill", "--pieces", "1"), ("verify",), ("worker", "add", "cy")]
    ),
    case("db-name-csi", "--db", f"{DIR}/\x1b[2J.db", "report", db=False, code=3, shows="\x1b"),
    case("db-name-rlo", "--db", f"{DIR}/\u202ebd.db", "report", db=False, code=3, shows="\u202e"),
    case("db-after-command-csi", "report", "--db", f"{DIR}/\x1b[2J.db", db=False, code=3, shows="\x1b"),
    case("db-after-command-missing-folders", "worker", "add", "cy", "--db", f"{DIR}/no/dir/l.db", db=False, code=3),
    case("db-after-command-nul", "log", "--db", f"{DIR}/ledger.db\x00", db=False, code=(2, 3)),
    # a path must be text too: bytes that are not UTF-8 are refused before any file is looked at
    case("env-db-surrogate", "report", env={"PIECEPAY_DB": f"{DIR}/ledg\udcffr.db"}, db=False, code=2),
    case("db-name-nul", "--db", f"{DIR}/ledger.db\x00", "report", db=False, code=(2, 3)),
    case("db-name-nul-write", "--db", f"{DIR}/led\x00ger.db", "worker", "add", "cy", db=False, code=(2, 3)),
]


@pytest.mark.parametrize("spec", MISSING)
def test_a_missing_ledger_is_not_found_and_never_created(book: Ledger, spec: Case) -> None:
    """A typo in PIECEPAY_DB or --db must not fork the books: exit 3 (ledger_not_found),
    and neither the file nor any folder on its path is created; a path holding escapes or
    a surrogate is shown escaped, and one holding NUL (no file can have it) is refused."""
    refused(book, spec)
    folder = book.db.parent
    assert sorted(p.name for p in folder.iterdir() if not p.name.endswith(("-wal", "-shm"))) == ["ledger.db"]


# --------------------------------------------------------------------------- bad usage

USAGE = [
    case("unknown-option", "report", "--bogus", error="bad_usage"),
    case("misspelt-option", "bill", "photos/ana", "--pices", "1", error="bad_usage"),
    case("unknown-global-option", "--jsn", "report", error="bad_usage"),
    case("unknown-command", "frobnicate", error="bad_usage"),
    case("unknown-subcommand", "campaign", "frobnicate", error="bad_usage"),
    case("extra-argument", "bill", "show", PENDING, "extra", error="bad_usage"),
    case("release-several-one-a-word", "release", PENDING, "extra", code=3, error="bill_not_found"),
    case("flag-with-value", "sweep", "--dry-run=yes", error="bad_usage"),
    case("option-without-value", "bill", "photos/ana", "--pieces", error="bad_usage"),
    case("log-last-without-value", "log", "--last", error="bad_usage"),
    case("db-without-value", "--db", db=False, error="bad_usage"),
    case("db-after-command-without-value", "report", "--db", error="bad_usage"),
    case("actor-after-command-without-value", "worker", "add", "cy", "--actor", error="bad_usage"),
    case("json-after-command-given-a-value", "report", "--json=yes", error="bad_usage"),
    case("release-missing-bill", "release", error="bad_usage"),
    case("reject-missing-reason", "reject", PENDING, error="bad_usage"),
    case("revise-missing-reason", "revise", PENDING, error="bad_usage"),
    case("revise-several", "revise", PENDING, "1", "--reason", "x", error="bad_usage"),
    case("resubmit-missing-bill", "resubmit", error="bad_usage"),
    case("bill-missing-pieces", "bill", "photos/ana", error="bad_usage"),
    case("campaign-create-missing-title", "campaign", "create", error="bad_usage"),
    case("campaign-create-missing-rate", "campaign", "create", "New", error="bad_usage"),
    case("worker-add-missing-handle", "worker", "add", error="bad_usage"),
    case("offer-create-missing-worker", "offer", "create", "photos", error="bad_usage"),
    case("milestone-add-missing-contract", "milestone", "add", error="bad_usage"),
    case("end-missing-contract", "end", error="bad_usage"),
    case("payout-missing-worker", "payout", error="bad_usage"),
    case("backup-missing-path", "backup", error="bad_usage"),
    case("copy-missing-target", "copy", "ledger.db", error="bad_usage"),
    case("bill-from-missing-file", "bill", "--from", "/nonexistent/rows.csv", error="bad_path"),
    case("review-from-missing-file", "review", "--from", "/nonexistent/review.csv", error="bad_path"),
    case("review-from-a-folder", "review", "--from", "/", error="bad_path"),
    case("review-without-from", "review", error="bad_usage"),
    case("review-result-without-partial", "review", "--from", "-", "--result", "x.csv", error="conflicting_options"),
    case("review-from-csi-path", "review", "--from", "/tmp/\x1b[2J.csv", error={"bad_path", "unsafe_text"}),
    case("bill-from-a-folder", "bill", "--from", "/", error="bad_path"),
    case("bill-from-with-pieces", "bill", "--from", "-", "--pieces", "1", error="conflicting_options"),
    case("bill-partial-without-from", "bill", "--pieces", "1", "--partial", error="conflicting_options"),
    case("bill-result-without-from", "bill", "--pieces", "1", "--result", "x.csv", error="conflicting_options"),
    case("copy-url-without-database", "copy", "ledger.db", "postgresql://u@localhost", error="bad_url"),
    case("copy-url-bad-port", "copy", "ledger.db", "postgresql://u@localhost:99999/db", error="bad_url"),
    case("init-writer-not-a-role", "init", "--writer", "x'); DROP TABLE entries; --", error="bad_role"),
    case("init-writer-upper-case", "init", "--writer", "Admin", error="bad_role"),
    case("init-writer-on-a-file", "init", "--writer", "app", error="bad_option"),
    case("report-by-month", "report", "--by", "month", error="bad_grouping"),
    case("report-by-empty", "report", "--by", "", error="bad_grouping"),
    case("report-format-xml", "report", "--format", "xml", error="bad_format"),
    case("report-format-empty", "report", "--format", "", error="bad_format"),
    case("export-format-xml", "export", "--format", "xml", error="bad_format"),
    case("campaign-list-format-xml", "campaign", "list", "--format", "xml", error="bad_format"),
    case("worker-list-format-csi", "worker", "list", "--format", "\x1b[2J", error={"bad_format", "unsafe_text"}),
    case("offer-list-format-upper", "offer", "list", "--format", "CSV", error="bad_format"),
    case("milestone-list-format-empty", "milestone", "list", "photos/ana", "--format", "", error="bad_format"),
    case("log-format-yaml", "log", "--format", "yaml", error="bad_format"),
    case("show-completion-tcsh", "--show-completion", "tcsh", error="bad_shell"),
    case("show-completion-empty", "--show-completion", "", error="bad_shell"),
    case("install-completion-csi", "--install-completion", "\x1b[2J", error={"bad_shell", "unsafe_text"}),
    case("install-completion-path", "--install-completion", "../../bash", error="bad_shell"),
    case("log-kind-bogus", "log", "--kind", "bogus", error="bad_kind"),
    case("log-kind-csi", "log", "--kind", "\x1b[2J", error={"bad_kind", "unsafe_text"}),
    case("log-from-after-to", "log", "--from", "2026-11-10", "--to", "2026-11-09", error="bad_date_range"),
    case("log-from-not-a-date", "log", "--from", "yesterday", error="bad_date"),
    case("log-to-impossible", "log", "--to", "2026-02-30", error="bad_date"),
    case("log-reverse-given-a-value", "log", "--reverse=yes", error="bad_usage"),
    case("sweep-format-xml", "sweep", "--format", "xml", error="bad_format"),
    case("report-format-jsonl-typo", "report", "--format", "json1", error="bad_format"),
    case("offer-list-status-bogus", "offer", "list", "--status", "bogus", error="bad_status"),
    case("bill-list-status-bogus", "bill", "list", "--status", "bogus", error="bad_status"),
    case("offer-accept-date-not-a-date", "offer", "accept", "1", "--date", "soon", error="bad_date"),
    case("offer-accept-date-before-2000", "offer", "accept", "1", "--date", "1999-12-31", error="date_out_of_range"),
    case("offer-accept-date-tomorrow", "offer", "accept", "1", "--date", "2026-11-21", error="date_in_future"),
    case("bill-list-format-xml", "bill", "list", "--format", "xml", error="bad_format"),
    case("bill-list-format-empty", "bill", "list", "--format", "", error="bad_format"),
    case("bill-list-older-than-negative", "bill", "list", "--older-than=-1", error="bad_number"),
    case("bill-list-older-than-fraction", "bill", "list", "--older-than", "1.5", error="bad_number"),
    case("bill-list-older-than-huge", "bill", "list", "--older-than", HUGE, error={"bad_number", "out_of_range"}),
    case("bill-list-due-within-past-limit", "bill", "list", "--due-within", "36501", error="out_of_range"),
    case(
        "bill-list-due-within-with-released",
        "bill",
        "list",
        "--due-within",
        "1",
        "--status",
        "released",
        error="conflicting_options",
    ),
    case("bill-list-extra-argument", "bill", "list", "extra", error="bad_usage"),
    case("bill-show-missing-bill", "bill", "show", error="bad_usage"),
    case("release-several-with-pieces", "release", PENDING, "1", "--pieces", "1", error="conflicting_options"),
    case("release-the-same-bill-twice", "release", PENDING, PENDING, error="duplicate_bill"),
    case("reject-several-without-reason", "reject", PENDING, "1", error="bad_usage"),
    case("verify-expect-junk", "verify", "--expect", "junk", error="bad_anchor"),
    case("verify-since-checkpoint-given-a-value", "verify", "--since-checkpoint=12"),
    case("verify-since-checkpoint-twice-then-junk", "verify", "--since-checkpoint", "--since-checkpoint", "junk"),
    case(
        "end-release-and-reject",
        "end",
        "photos/ana",
        "--release-pending",
        "--reject-pending",
        error="conflicting_options",
    ),
]


@pytest.mark.parametrize("spec", USAGE)
def test_bad_usage_is_refused(book: Ledger, spec: Case) -> None:
    """Unknown commands and options, missing arguments and values, flags given values,
    extra arguments and unknown choices (--by, --format, --status, --expect, both
    --release-pending and --reject-pending): exit 2, one line, nothing written."""
    refused(book, spec)
