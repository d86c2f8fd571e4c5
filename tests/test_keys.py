"""Idempotency keys on every money-moving command."""

from __future__ import annotations

import pytest

from tests.conftest import Ledger


@pytest.fixture
def billed(contract: Ledger) -> Ledger:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "100", "--key", "m1")
    contract.ok("bill", "--pieces", "2", "--key", "b1")
    contract.ok("bill", "--pieces", "3", "--key", "b2")
    return contract


def replays(ledger: Ledger, *args: str) -> None:
    """The first run writes; the same request again prints the same and writes nothing."""
    first = ledger.run("--json", *args)
    assert first.code == 0, first.err
    before = ledger.dump()
    again = ledger.run("--json", *args)
    assert (again.code, again.out) == (0, first.out)
    assert ledger.dump() == before


@pytest.mark.parametrize(
    "args",
    [
        ("milestone", "add", "photos/ana", "--top-up", "5", "--key", "k"),
        ("bill", "--pieces", "1", "--key", "k"),
        ("release", "1", "--pieces", "1", "--key", "k"),
        ("reject", "2", "--reason", "blurred", "--key", "k"),
        ("end", "photos/ana", "--reject-pending", "--key", "k"),
    ],
)
def test_same_key_same_request_replays(billed: Ledger, args: tuple[str, ...]) -> None:
    replays(billed, *args)


def test_payout_replays(billed: Ledger) -> None:
    billed.ok("release", "1")
    replays(billed, "payout", "ana", "--amount", "4", "--ref", "SEPA 1", "--key", "p1")
    assert billed.ok("report", "--by", "worker")["rows"][0]["owed"] == "6.00"


@pytest.mark.parametrize(
    ("second", "field"),
    [
        (("bill", "--pieces", "4", "--key", "b1"), "pieces"),
        (("bill", "--pieces", "2", "--note", "x", "--key", "b1"), "note"),
        (("milestone", "add", "photos/ana", "--top-up", "100", "--cap", "5", "--key", "m1"), "cap"),
    ],
)
def test_same_key_other_request_exits_4_naming_the_field(billed: Ledger, second: tuple[str, ...], field: str) -> None:
    before = billed.dump()
    result = billed.run("--json", *second)
    assert (result.code, result.error["code"]) == (4, "key_reused_with_different_request")
    assert f"{field} was" in result.error["message"]
    assert billed.dump() == before


def test_a_key_cannot_move_to_another_command(billed: Ledger) -> None:
    result = billed.run("--json", "release", "1", "--key", "b1")
    assert (result.code, result.error["code"]) == (4, "key_reused_with_different_request")
    assert "'bill', not 'release'" in result.error["message"]


def test_a_refused_keyed_request_keeps_no_key(contract: Ledger) -> None:
    assert contract.run("bill", "--pieces", "1", "--key", "later").code == 1  # no milestone yet
    contract.ok("milestone", "add", "photos/ana", "--top-up", "10")
    assert contract.ok("bill", "--pieces", "1", "--key", "later")["amount"] == "5.00"


def test_a_replay_still_answers_after_the_state_moved_on(billed: Ledger) -> None:
    first = billed.run("--json", "release", "1", "--key", "r1")
    billed.ok("end", "photos/ana", "--release-pending")
    again = billed.run("--json", "release", "1", "--key", "r1")
    assert (again.code, again.out) == (0, first.out)
