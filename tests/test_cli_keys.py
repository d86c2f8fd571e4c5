"""Idempotency keys through the real command line, on every money-moving command.

Same key and same request: exit 0, the first result again, nothing written. Same key and
another request, or another command: exit 4, naming what differs, nothing written. A
refused request keeps no key. A replay answers even after the state has moved on.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import Ledger

BOTH_STORES = True  # every test here runs on a file and on PostgreSQL

CONFLICT = "key_reused_with_different_request"


@pytest.fixture
def billed(contract: Ledger) -> Ledger:
    """photos/ana: 100.00 in escrow; bill 1 (2 photos, 10.00) released, so ana is owed
    10.00; bills 2 (3 photos) and 3 (4 photos) pending."""
    contract.ok("milestone", "add", "photos/ana", "--top-up", "100")
    contract.ok("release", str(contract.ok("bill", "--pieces", "2")["id"]))
    assert contract.ok("bill", "--pieces", "3")["id"] == 2
    assert contract.ok("bill", "--pieces", "4")["id"] == 3
    return contract


def count(ledger: Ledger, table: str) -> int:
    return int(ledger.query(f"SELECT COUNT(*) FROM {table}")[0][0])


def conflict(ledger: Ledger, *args: str) -> str:
    """A keyed request that must be refused with exit 4, writing nothing; its message."""
    before = ledger.dump()
    result = ledger.run("--json", *args)
    assert result.code == 4, (args, result.code, result.out, result.err)
    assert result.out == ""
    assert result.error["code"] == CONFLICT
    plain = ledger.run(*args)
    assert plain.code == 4 and plain.out == "" and plain.err.count("\n") == 1
    assert plain.err == f"piecepay: error: {result.error['message']}\n"
    assert ledger.dump() == before
    return result.error["message"]


# (command, first request, what it moved) for every money-moving command
KEYED = {
    "milestone add": ("milestone", "add", "photos/ana", "--top-up", "5", "--cap", "20", "--key", "K"),
    "bill": ("bill", "--pieces", "1", "--note", "terrace", "--key", "K"),
    "release": ("release", "2", "--pieces", "2", "--key", "K"),
    "reject": ("reject", "3", "--reason", "blurred", "--key", "K"),
    "end": ("end", "photos/ana", "--reject-pending", "--key", "K"),
    "payout": ("payout", "ana", "--amount", "4", "--ref", "SEPA 1", "--key", "K"),
}


@pytest.mark.parametrize("command", list(KEYED))
def test_same_key_same_request_replays_the_first_result(billed: Ledger, command: str) -> None:
    args = KEYED[command]
    entries = count(billed, "entries")
    first = billed.run("--json", *args)
    assert first.code == 0, first.err
    assert count(billed, "entries") > entries  # the first run moved money
    assert count(billed, "idempotency_keys") == 1
    before = billed.dump()
    for _ in range(2):
        again = billed.run("--json", *args)
        assert (again.code, again.out, again.err) == (0, first.out, "")
        assert billed.dump() == before
    # the plain rendering of a replay is the same record
    plain = billed.run(*args)
    assert plain.code == 0 and plain.err == ""
    assert billed.dump() == before
    assert billed.run("verify").code == 0


def test_replayed_documents_carry_the_first_figures(billed: Ledger) -> None:
    first = billed.ok(*KEYED["release"])
    assert (first["status"], first["released"], first["released_minor"]) == ("released", "10.00", 1000)
    assert billed.ok(*KEYED["release"]) == first
    ended = billed.ok("end", "photos/ana", "--reject-pending", "--key", "E")
    # funded 100.00, released 10.00 + 10.00, bill 3 rejected at the end: 80.00 refunded
    assert (ended["refunded"], ended["released"]) == ("80.00", "20.00")
    assert billed.ok("end", "photos/ana", "--reject-pending", "--key", "E") == ended


@pytest.mark.parametrize(
    ("command", "second", "field"),
    [
        ("milestone add", ("milestone", "add", "photos/ana", "--top-up", "6", "--cap", "20", "--key", "K"), "top_up"),
        ("milestone add", ("milestone", "add", "photos/ana", "--top-up", "5", "--cap", "21", "--key", "K"), "cap"),
        ("milestone add", ("milestone", "add", "photos/ana", "--top-up", "5", "--key", "K"), "cap"),
        ("bill", ("bill", "--pieces", "2", "--note", "terrace", "--key", "K"), "pieces"),
        ("bill", ("bill", "--pieces", "1", "--note", "garden", "--key", "K"), "note"),
        ("bill", ("bill", "--pieces", "1", "--note", "terrace", "--proof", "a.jpg", "--key", "K"), "proofs"),
        ("bill", ("bill", "--pieces", "1", "--note", "terrace", "--minutes", "5", "--key", "K"), "minutes"),
        ("release", ("release", "2", "--key", "K"), "pieces"),
        ("release", ("release", "3", "--pieces", "2", "--key", "K"), "bill"),
        ("reject", ("reject", "3", "--reason", "dark", "--key", "K"), "reason"),
        ("reject", ("reject", "2", "--reason", "blurred", "--key", "K"), "bill"),
        ("end", ("end", "photos/ana", "--release-pending", "--key", "K"), "pending"),
        ("payout", ("payout", "ana", "--amount", "5", "--ref", "SEPA 1", "--key", "K"), "amount"),
        ("payout", ("payout", "ana", "--amount", "4", "--ref", "SEPA 2", "--key", "K"), "ref"),
        ("payout", ("payout", "ana", "--ref", "SEPA 1", "--key", "K"), "amount"),
    ],
)
def test_same_key_other_request_exits_4_naming_the_field(
    billed: Ledger, command: str, second: tuple[str, ...], field: str
) -> None:
    first = billed.run("--json", *KEYED[command])
    assert first.code == 0, first.err
    message = conflict(billed, *second)
    assert "'K'" in message
    # the field that differs is named, and only that one
    assert set(re.findall(r"(\w+) was ", message)) == {field}, message
    # and the first request still replays
    assert billed.run("--json", *KEYED[command]).out == first.out


def test_the_conflict_message_shows_both_values(billed: Ledger) -> None:
    billed.ok("bill", "--pieces", "1", "--key", "b")
    message = conflict(billed, "bill", "--pieces", "7", "--key", "b")
    assert "pieces was '1', now '7'" in message


@pytest.mark.parametrize("first", list(KEYED))
def test_a_key_cannot_move_to_another_command(billed: Ledger, first: str) -> None:
    assert billed.run("--json", *KEYED[first]).code == 0
    for command, args in KEYED.items():
        if command == first:
            continue
        message = conflict(billed, *args)
        assert f"'{first}'" in message and f"'{command}'" in message, message


def test_bad_keys_exit_2(billed: Ledger) -> None:
    before = billed.dump()
    for key in ("", "   ", "k" * 201):
        result = billed.run("--json", "bill", "--pieces", "1", "--key", key)
        assert (result.code, result.error["code"]) == (2, "bad_key")
    assert billed.dump() == before
    assert billed.ok("bill", "--pieces", "1", "--key", "k" * 200)["amount"] == "5.00"


# --------------------------------------------------------------------------- refused requests keep no key


def _refused_then_ok(ledger: Ledger, args: tuple[str, ...], code: int, today: str | None = None) -> None:
    """Run a keyed request that must be refused; nothing written, no key kept."""
    keys = count(ledger, "idempotency_keys")
    before = ledger.dump()
    result = ledger.run("--json", *args, today=today)
    assert result.code == code, (result.code, result.err)
    assert ledger.dump() == before
    assert count(ledger, "idempotency_keys") == keys


def test_refused_milestone_keeps_no_key(billed: Ledger) -> None:
    args = ("milestone", "add", "photos/ana", "--top-up", "5", "--key", "m")
    billed.ok("campaign", "pause", "photos")
    _refused_then_ok(billed, args, 1)
    billed.ok("campaign", "resume", "photos")
    assert billed.ok(*args)["top_up"] == "5.00"


def test_refused_bill_keeps_no_key(contract: Ledger) -> None:
    args = ("bill", "--pieces", "3", "--key", "b")
    _refused_then_ok(contract, args, 1)  # no open milestone
    contract.ok("milestone", "add", "photos/ana", "--top-up", "10")
    _refused_then_ok(contract, args, 1)  # escrow has 10.00, the bill is 15.00
    contract.ok("milestone", "add", "photos/ana", "--top-up", "5")
    first = contract.ok(*args)
    assert (first["amount"], first["status"]) == ("15.00", "pending")
    assert contract.ok(*args) == first


def test_refused_release_and_reject_keep_no_key(ledger: Ledger) -> None:
    ledger.today = "2026-10-10"
    ledger.ok("campaign", "create", "Photos", "--slug", "photos", "--rate", "5")
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "photos", "ana")
    ledger.ok("offer", "accept", "photos/ana")
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "50")
    one, two = (str(ledger.ok("bill", "--pieces", "1")["id"]) for _ in range(2))
    release = ("release", one, "--date", "2026-10-12", "--key", "r")
    reject = ("reject", two, "--reason", "dark", "--date", "2026-10-12", "--key", "j")
    _refused_then_ok(ledger, release, 2)  # the date is still in the future
    _refused_then_ok(ledger, reject, 2)
    assert ledger.ok(*release, today="2026-10-12")["resolved_on"] == "2026-10-12"
    assert ledger.ok(*reject, today="2026-10-12")["reason"] == "dark"


def test_refused_end_keeps_no_key(billed: Ledger) -> None:
    args = ("end", "photos/ana", "--key", "e")
    _refused_then_ok(billed, args, 1)  # bills 2 and 3 pending
    billed.ok("release", "2")
    billed.ok("reject", "3", "--reason", "dark")
    ended = billed.ok(*args)
    # funded 100.00, released 10.00 + 15.00
    assert (ended["status"], ended["refunded"]) == ("ended", "75.00")


def test_refused_payout_keeps_no_key(contract: Ledger) -> None:
    args = ("payout", "ana", "--key", "p")
    contract.ok("milestone", "add", "photos/ana", "--top-up", "100")
    bill = str(contract.ok("bill", "--pieces", "2")["id"])
    _refused_then_ok(contract, args, 1)  # nothing released yet
    contract.ok("release", bill)
    assert contract.ok(*args)["amount"] == "10.00"


def test_a_bad_input_refusal_keeps_no_key(billed: Ledger) -> None:
    _refused_then_ok(billed, ("bill", "--pieces", "2.5", "--key", "x"), 2)
    # the key is free: a different, valid request may take it
    assert billed.ok("bill", "--pieces", "2", "--key", "x")["pieces"] == "2"


# --------------------------------------------------------------------------- replays after the state moved on


def test_release_replays_after_the_contract_ended(billed: Ledger) -> None:
    first = billed.run("--json", "release", "2", "--key", "r")
    assert first.code == 0
    billed.ok("end", "photos/ana", "--release-pending")
    before = billed.dump()
    again = billed.run("--json", "release", "2", "--key", "r")
    assert (again.code, again.out) == (0, first.out)
    assert billed.dump() == before
    # without the key the same release is refused now
    assert billed.run("release", "2").code == 1


def test_bill_replays_its_first_answer_after_it_was_released(billed: Ledger) -> None:
    first = billed.ok("bill", "--pieces", "1", "--key", "b")
    billed.ok("release", str(first["id"]))
    again = billed.ok("bill", "--pieces", "1", "--key", "b")
    assert again == first and again["status"] == "pending"
    assert count(billed, "bills") == 4


def test_milestone_and_payout_replay_after_the_campaign_closed(billed: Ledger) -> None:
    milestone = billed.ok("milestone", "add", "photos/ana", "--top-up", "5", "--key", "m")
    payout = billed.ok("payout", "ana", "--amount", "1", "--key", "p")
    billed.ok("end", "photos/ana", "--release-pending")
    billed.ok("payout", "ana")  # everything else owed
    billed.ok("campaign", "close", "photos")
    before = billed.dump()
    assert billed.ok("milestone", "add", "photos/ana", "--top-up", "5", "--key", "m") == milestone
    assert billed.ok("payout", "ana", "--amount", "1", "--key", "p") == payout
    assert payout["owed"] == "9.00"
    assert billed.dump() == before


def test_keys_are_per_ledger_not_per_contract(billed: Ledger) -> None:
    billed.ok("worker", "add", "ben")
    billed.ok("offer", "create", "photos", "ben")
    billed.ok("offer", "accept", "photos/ben")
    billed.ok("milestone", "add", "photos/ana", "--top-up", "5", "--key", "shared")
    message = conflict(billed, "milestone", "add", "photos/ben", "--top-up", "5", "--key", "shared")
    assert "contract was '#1 photos/ana', now '#2 photos/ben'" in message


@pytest.mark.parametrize(
    ("command", "equivalent"),
    [
        ("milestone add", ("milestone", "add", "1", "--top-up", "5.00", "--cap", "20.0", "--key", "K")),
        ("milestone add", ("milestone", "add", "#1", "--top-up", "05", "--cap", "20", "--key", "K")),
        ("bill", ("bill", "photos/ana", "--pieces", "1.0", "--note", "terrace", "--key", "K")),
        ("bill", ("bill", "1", "--pieces", "1", "--note", "terrace", "--key", "K")),
        ("release", ("release", "#2", "--pieces", "2.000", "--key", "K")),
        ("end", ("end", "1", "--reject-pending", "--key", "K")),
        ("payout", ("payout", "ana", "--amount", "4.00", "--ref", "SEPA 1", "--key", "K")),
    ],
)
def test_an_equivalent_request_under_the_same_key_replays(
    billed: Ledger, command: str, equivalent: tuple[str, ...]
) -> None:
    """The same amounts written otherwise, or a contract named by id instead of by name, is
    the same request: the first result comes back and nothing is written."""
    first = billed.run("--json", *KEYED[command])
    assert first.code == 0, first.err
    before = billed.dump()
    again = billed.run("--json", *equivalent)
    assert (again.code, again.out, again.err) == (0, first.out, "")
    assert billed.dump() == before


def test_a_top_up_of_100_then_100_00_under_one_key_replays(billed: Ledger) -> None:
    made = billed.run("--json", "milestone", "add", "photos/ana", "--top-up", "100", "--key", "k")
    assert made.code == 0, made.err
    before = billed.dump()
    again = billed.run("--json", "milestone", "add", "photos/ana", "--top-up", "100.00", "--key", "k")
    assert (again.code, again.out) == (0, made.out)
    assert billed.dump() == before
