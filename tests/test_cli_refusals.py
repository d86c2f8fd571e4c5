"""Refusals through the real command line.

Every refusal exits with its code (1 a rule of the ledger, 2 bad usage or input, 3 not
found, 5 storage), prints exactly one line on stderr (with --json, one
``{"error": {"code", "message"}}`` document), prints nothing on stdout, and leaves the
ledger exactly as it was.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Ledger

BOTH_STORES = True  # every test here runs on a file and on PostgreSQL

PREFIX = "piecepay: error: "


def refused(ledger: Ledger, code: int, *args: str, error: str | None = None, today: str | None = None) -> str:
    """Run ``args`` plain and with --json; both must be refused the same way, writing nothing.

    Returns the message (the same text in both modes)."""
    before = ledger.dump()

    plain = ledger.run(*args, today=today)
    assert plain.code == code, (args, plain.code, plain.out, plain.err)
    assert plain.out == "", plain.out
    assert "Traceback" not in plain.err
    assert plain.err.endswith("\n") and plain.err.count("\n") == 1, repr(plain.err)
    assert plain.err.startswith(PREFIX), repr(plain.err)
    assert ledger.dump() == before

    machine = ledger.run("--json", *args, today=today)
    assert machine.code == code, (args, machine.code, machine.out, machine.err)
    assert machine.out == "", machine.out
    assert "Traceback" not in machine.err
    document = json.loads(machine.err)
    assert list(document) == ["error"]
    assert sorted(document["error"]) == ["code", "message"]
    message = document["error"]["message"]
    assert isinstance(message, str) and message and "\n" not in message
    assert plain.err == f"{PREFIX}{message}\n"
    if error is not None:
        assert document["error"]["code"] == error, document
    assert ledger.dump() == before
    return message


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def funded(contract: Ledger) -> Ledger:
    """photos/ana ($5 a photo) with 100.00 in escrow and a milestone capped at 40.00."""
    contract.ok("milestone", "add", "photos/ana", "--top-up", "100", "--cap", "40")
    return contract


@pytest.fixture
def two_currencies(contract: Ledger) -> Ledger:
    """photos/ana in USD with a released bill (ana is owed 10.00), and a yen campaign
    'tags' (12 JPY a tag) where emi is owed 120 JPY."""
    ledger = contract
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "100")
    ledger.ok("release", str(ledger.ok("bill", "photos/ana", "--pieces", "2")["id"]))
    ledger.ok("campaign", "create", "Tags", "--slug", "tags", "--unit", "tag", "--rate", "12", "--currency", "JPY")
    ledger.ok("worker", "add", "emi")
    ledger.ok("offer", "create", "tags", "emi")
    ledger.ok("offer", "accept", "tags/emi")
    ledger.ok("milestone", "add", "tags/emi", "--top-up", "1000")
    ledger.ok("release", str(ledger.ok("bill", "tags/emi", "--pieces", "10")["id"]))
    ledger.ok("worker", "add", "ben")
    return ledger


# --------------------------------------------------------------------------- the caps


def test_milestone_cap_names_the_cap_what_is_left_and_the_bill(funded: Ledger) -> None:
    assert funded.ok("bill", "--pieces", "5")["amount"] == "25.00"
    message = refused(funded, 1, "bill", "--pieces", "4", error="exceeds_milestone_cap")
    assert message == "milestone cap 40.00 USD has 15.00 USD left; this bill is 20.00 USD"
    # exactly what is left is allowed; then nothing is left
    assert funded.ok("bill", "--pieces", "3")["amount_minor"] == 1500
    message = refused(funded, 1, "bill", "--pieces", "1", error="exceeds_milestone_cap")
    assert message == "milestone cap 40.00 USD has 0.00 USD left; this bill is 5.00 USD"


def test_milestone_cap_counts_released_bills_and_frees_rejected_ones(funded: Ledger) -> None:
    first = funded.ok("bill", "--pieces", "4")  # 20.00
    funded.ok("release", str(first["id"]))
    second = funded.ok("bill", "--pieces", "4")  # 20.00, pending
    assert "has 0.00 USD left" in refused(funded, 1, "bill", "--pieces", "1", error="exceeds_milestone_cap")
    funded.ok("reject", str(second["id"]), "--reason", "blurred")
    message = refused(funded, 1, "bill", "--pieces", "5", error="exceeds_milestone_cap")
    assert message == "milestone cap 40.00 USD has 20.00 USD left; this bill is 25.00 USD"


def test_escrow_refuses_what_the_cap_would_allow(contract: Ledger) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "12", "--cap", "100")
    message = refused(contract, 1, "bill", "--pieces", "3", error="exceeds_escrow")
    assert message == "escrow has 12.00 USD available; this bill is 15.00 USD"


def test_escrow_counts_pending_reservations(contract: Ledger) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "20")
    contract.ok("bill", "--pieces", "3")  # 15.00 reserved
    message = refused(contract, 1, "bill", "--pieces", "2", error="exceeds_escrow")
    assert message == "escrow has 5.00 USD available; this bill is 10.00 USD"
    assert contract.ok("bill", "--pieces", "1")["amount"] == "5.00"


def test_contract_piece_limit(ledger: Ledger) -> None:
    ledger.ok("campaign", "create", "Photos", "--slug", "photos", "--unit", "photo", "--rate", "5")
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "photos", "ana", "--max-pieces", "4")
    ledger.ok("offer", "accept", "photos/ana")
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "100")
    first = ledger.ok("bill", "--pieces", "3")
    message = refused(ledger, 1, "bill", "--pieces", "2", error="exceeds_contract_piece_limit")
    assert message == "contract piece limit is 4 photos; 3 already billed, 1 left; this bill is 2"
    # a rejected bill gives its pieces back to the limit
    ledger.ok("reject", str(first["id"]), "--reason", "out of focus")
    assert ledger.ok("bill", "--pieces", "4")["pieces"] == "4"
    refused(ledger, 1, "bill", "--pieces", "1", error="exceeds_contract_piece_limit")


def test_campaign_piece_limit_spans_its_contracts(ledger: Ledger) -> None:
    ledger.ok("campaign", "create", "Rows", "--slug", "rows", "--unit", "row", "--rate", "0.5", "--max-pieces", "10")
    for handle in ("ana", "ben"):
        ledger.ok("worker", "add", handle)
        ledger.ok("offer", "create", "rows", handle)
        ledger.ok("offer", "accept", f"rows/{handle}")
        ledger.ok("milestone", "add", f"rows/{handle}", "--top-up", "20")
    ledger.ok("bill", "rows/ana", "--pieces", "6")
    ledger.ok("bill", "rows/ben", "--pieces", "3")
    message = refused(ledger, 1, "bill", "rows/ben", "--pieces", "2", error="exceeds_campaign_piece_limit")
    assert message == "campaign piece limit is 10 rows; 9 already billed, 1 left; this bill is 2"
    assert ledger.ok("bill", "rows/ben", "--pieces", "1")["amount"] == "0.50"


def test_top_up_past_the_campaign_budget(ledger: Ledger) -> None:
    ledger.ok("campaign", "create", "Photos", "--slug", "photos", "--rate", "5", "--budget", "50")
    for handle in ("ana", "ben"):
        ledger.ok("worker", "add", handle)
        ledger.ok("offer", "create", "photos", handle)
        ledger.ok("offer", "accept", f"photos/{handle}")
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "30")
    ledger.ok("milestone", "add", "photos/ben", "--top-up", "20")
    message = refused(ledger, 1, "milestone", "add", "photos/ben", "--top-up", "0.01", error="exceeds_campaign_budget")
    assert message == "campaign budget 50.00 USD has 0.00 USD left; this top-up is 0.01 USD"
    # ana's contract ends after 10.00 was released: the 20.00 refunded goes back to the budget
    ledger.ok("release", str(ledger.ok("bill", "photos/ana", "--pieces", "2")["id"]))
    assert ledger.ok("end", "photos/ana")["refunded"] == "20.00"
    message = refused(ledger, 1, "milestone", "add", "photos/ben", "--top-up", "20.01", error="exceeds_campaign_budget")
    assert message == "campaign budget 50.00 USD has 20.00 USD left; this top-up is 20.01 USD"
    assert ledger.ok("milestone", "add", "photos/ben", "--top-up", "20")["top_up_minor"] == 2000


# --------------------------------------------------------------------------- states


def test_paused_campaign_takes_no_bills_nor_top_ups(funded: Ledger) -> None:
    funded.ok("campaign", "pause", "photos")
    message = refused(funded, 1, "bill", "--pieces", "1", error="campaign_paused")
    assert "photos" in message and "paused" in message
    refused(funded, 1, "milestone", "add", "photos/ana", "--top-up", "5", error="campaign_paused")
    refused(funded, 1, "campaign", "pause", "photos", error="campaign_paused")
    funded.ok("campaign", "resume", "photos")
    refused(funded, 1, "campaign", "resume", "photos", error="campaign_open")
    assert funded.ok("bill", "--pieces", "1")["status"] == "pending"


def test_closed_campaign(funded: Ledger) -> None:
    funded.ok("worker", "add", "ben")
    funded.ok("offer", "create", "photos", "ben")
    refused(funded, 1, "campaign", "close", "photos", error="campaign_has_active_contracts")
    funded.ok("end", "photos/ana")
    funded.ok("campaign", "close", "photos")
    refused(funded, 1, "bill", "photos/ana", "--pieces", "1", error="contract_not_active")
    refused(funded, 1, "offer", "create", "photos", "ana", error="campaign_closed")
    refused(funded, 1, "offer", "accept", "photos/ben", error="offer_withdrawn")  # closing withdrew it
    refused(funded, 1, "campaign", "close", "photos", error="campaign_closed")
    refused(funded, 1, "campaign", "pause", "photos", error="campaign_closed")
    refused(funded, 1, "campaign", "resume", "photos", error="campaign_closed")


def test_deadline_passed(ledger: Ledger) -> None:
    ledger.today = "2026-10-01"
    ledger.ok("campaign", "create", "Photos", "--slug", "photos", "--rate", "5", "--deadline", "2026-10-31")
    for handle in ("ana", "ben"):
        ledger.ok("worker", "add", handle)
        ledger.ok("offer", "create", "photos", handle)
    ledger.ok("offer", "accept", "photos/ana")
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "50")
    assert ledger.ok("bill", "--pieces", "1", today="2026-10-31")["date"] == "2026-10-31"  # the last day counts
    message = refused(ledger, 1, "bill", "--pieces", "1", error="deadline_passed", today="2026-11-01")
    assert "2026-10-31" in message
    refused(ledger, 1, "milestone", "add", "photos/ana", "--top-up", "5", error="deadline_passed", today="2026-11-01")
    refused(ledger, 1, "offer", "accept", "photos/ben", error="deadline_passed", today="2026-11-01")


def test_ended_contract_takes_no_bills(funded: Ledger) -> None:
    funded.ok("end", "photos/ana")
    message = refused(funded, 1, "bill", "photos/ana", "--pieces", "1", error="contract_not_active")
    assert "ended" in message
    refused(funded, 1, "bill", "--pieces", "1", error="no_active_contract")
    refused(funded, 1, "milestone", "add", "photos/ana", "--top-up", "5", error="contract_not_active")
    refused(funded, 1, "end", "photos/ana", error="contract_not_active")


def test_a_bill_resolves_once(funded: Ledger) -> None:
    released = str(funded.ok("bill", "--pieces", "1")["id"])
    rejected = str(funded.ok("bill", "--pieces", "1")["id"])
    funded.ok("release", released)
    funded.ok("reject", rejected, "--reason", "duplicate")
    assert refused(funded, 1, "release", released, error="bill_already_released") == (
        f"bill {released} was already released"
    )
    refused(funded, 1, "reject", released, "--reason", "late", error="bill_already_released")
    assert refused(funded, 1, "reject", rejected, "--reason", "again", error="bill_already_rejected") == (
        f"bill {rejected} was already rejected"
    )
    funded.ok("release", rejected)  # a rejection reversed (tests/test_revisions.py), once
    refused(funded, 1, "release", rejected, error="bill_already_released")
    refused(funded, 1, "reject", rejected, "--reason", "again", error="bill_already_released")


def test_release_cannot_exceed_the_bill(funded: Ledger) -> None:
    bill = str(funded.ok("bill", "--pieces", "3")["id"])
    refused(funded, 1, "release", bill, "--pieces", "4", error="release_exceeds_bill")
    refused(funded, 2, "release", bill, "--pieces", "0", error="not_positive")
    refused(funded, 2, "release", bill, "--pieces", "1.5", error="not_whole")


def test_end_with_pending_bills_needs_a_choice(funded: Ledger) -> None:
    funded.ok("bill", "--pieces", "1")
    funded.ok("bill", "--pieces", "2")
    message = refused(funded, 1, "end", "photos/ana", error="pending_bills")
    assert "2 pending bill(s)" in message
    assert "--release-pending" in message and "--reject-pending" in message
    refused(funded, 2, "end", "photos/ana", "--release-pending", "--reject-pending", error="conflicting_options")


def test_offers_resolve_once(ledger: Ledger) -> None:
    ledger.ok("campaign", "create", "Photos", "--slug", "photos", "--rate", "5")
    for handle in ("ana", "ben", "cy"):
        ledger.ok("worker", "add", handle)
        ledger.ok("offer", "create", "photos", handle)
    ledger.ok("offer", "accept", "photos/ana")
    message = refused(ledger, 1, "offer", "accept", "photos/ana", error="offer_active")
    assert "active" in message
    refused(ledger, 1, "offer", "decline", "photos/ana", error="offer_active")
    refused(ledger, 1, "offer", "create", "photos", "ana", error="already_engaged")
    refused(ledger, 1, "offer", "create", "photos", "ben", error="already_engaged")
    ledger.ok("offer", "decline", "photos/ben")
    refused(ledger, 1, "offer", "accept", "photos/ben", error="offer_declined")
    refused(ledger, 1, "offer", "withdraw", "photos/ben", error="offer_declined")
    ledger.ok("offer", "withdraw", "photos/cy")
    refused(ledger, 1, "offer", "accept", "photos/cy", error="offer_withdrawn")


@pytest.mark.parametrize(
    ("action", "done"), [("accept", "accepted"), ("decline", "declined"), ("withdraw", "withdrawn")]
)
def test_a_closed_offer_refusal_reads_as_english(ledger: Ledger, action: str, done: str) -> None:
    ledger.ok("campaign", "create", "Photos", "--slug", "photos", "--rate", "5")
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "photos", "ana")
    ledger.ok("offer", "decline", "photos/ana")
    message = refused(ledger, 1, "offer", action, "photos/ana", error="offer_declined")
    assert message == f"offer #1 (photos/ana) is declined; only an open offer can be {done}"


def test_workers_limit(ledger: Ledger) -> None:
    ledger.ok("campaign", "create", "Photos", "--slug", "photos", "--rate", "5", "--workers", "1")
    for handle in ("ana", "ben"):
        ledger.ok("worker", "add", handle)
        ledger.ok("offer", "create", "photos", handle)
    ledger.ok("offer", "accept", "photos/ana")
    message = refused(ledger, 1, "offer", "accept", "photos/ben", error="campaign_full")
    assert "1 worker(s)" in message
    ledger.ok("end", "photos/ana")  # an ended contract still took the place
    refused(ledger, 1, "offer", "accept", "photos/ben", error="campaign_full")


def test_no_open_milestone(contract: Ledger) -> None:
    message = refused(contract, 1, "bill", "--pieces", "1", error="no_open_milestone")
    assert "piecepay milestone add photos/ana" in message


def test_a_bill_worth_less_than_a_cent_reserves_one_and_its_release_carries_the_rest(ledger: Ledger) -> None:
    """No bill rounds to nothing: it reserves its value rounded up; what its release posts is
    the contract's running total rounded once (0.004 released: nothing yet, 0.4 of a cent carried)."""
    ledger.ok("campaign", "create", "Rows", "--slug", "rows", "--unit", "row", "--rate", "0.004")
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "rows", "ana")
    ledger.ok("offer", "accept", "rows/ana")
    ledger.ok("milestone", "add", "rows/ana", "--top-up", "1")
    first = ledger.ok("bill", "--pieces", "1")
    assert (first["amount"], ledger.ok("release", str(first["id"]))["released"]) == ("0.01", "0.00")
    second = ledger.ok("bill", "--pieces", "1")  # 0.008 released in all: 0.01
    assert (second["amount"], ledger.ok("release", str(second["id"]))["released"]) == ("0.01", "0.01")


def test_duplicate_names_are_refused(contract: Ledger) -> None:
    refused(contract, 1, "worker", "add", "ana", error="worker_exists")
    refused(contract, 1, "campaign", "create", "Other", "--slug", "photos", "--rate", "1", error="campaign_exists")


# --------------------------------------------------------------------------- not found: exit 3


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("campaign", "show", "nope"), "campaign_not_found"),
        (("campaign", "pause", "nope"), "campaign_not_found"),
        (("campaign", "close", "nope"), "campaign_not_found"),
        (("offer", "create", "nope", "ana"), "campaign_not_found"),
        (("report", "--campaign", "nope"), "campaign_not_found"),
        (("offer", "create", "photos", "nobody"), "worker_not_found"),
        (("payout", "nobody"), "worker_not_found"),
        (("bill", "photos/nobody", "--pieces", "1"), "contract_not_found"),
        (("bill", "nope/ana", "--pieces", "1"), "contract_not_found"),
        (("bill", "999", "--pieces", "1"), "contract_not_found"),
        (("milestone", "add", "999", "--top-up", "5"), "contract_not_found"),
        (("milestone", "list", "photos/nobody"), "contract_not_found"),
        (("end", "photos/nobody"), "contract_not_found"),
        (("log", "--contract", "999"), "contract_not_found"),
        (("release", "42"), "bill_not_found"),
        (("release", "abc"), "bill_not_found"),
        (("reject", "42", "--reason", "blurred"), "bill_not_found"),
        (("offer", "accept", "77"), "offer_not_found"),
        (("offer", "decline", "photos/nobody"), "offer_not_found"),
        (("offer", "withdraw", "77"), "offer_not_found"),
    ],
)
def test_unknown_references_exit_3(funded: Ledger, args: tuple[str, ...], error: str) -> None:
    message = refused(funded, 3, *args, error=error)
    assert "no " in message


# --------------------------------------------------------------------------- bad amounts and counts: exit 2

# Refused everywhere a positive amount or count is read; each option adds its own cases
# (zero where it must be positive, decimals finer than the currency, whole pieces).
COMMON_BAD = ["-1", "1e3", "NaN", "inf", "1,000", "99999999999999999999"]


def _cases() -> list[Any]:
    cases: list[Any] = []

    def add(option: str, args: tuple[str, ...], values: list[str]) -> None:
        for value in values:
            cases.append(pytest.param(args, value, id=f"{option}={value}:{args[0]}-{args[1]}"))

    add("--pieces", ("bill", "photos/ana", "--pieces"), [*COMMON_BAD, "0", "2.5", "1000000000001"])
    add("--pieces", ("release", "1", "--pieces"), [*COMMON_BAD, "0", "0.5"])
    add("--top-up", ("milestone", "add", "photos/ana", "--top-up"), [*COMMON_BAD, "5.001", "92233720368547758.08"])
    add("--top-up", ("milestone", "add", "tags/emi", "--top-up"), ["5.5", "9223372036854775808"])
    add("--cap", ("milestone", "add", "photos/ana", "--cap"), [*COMMON_BAD, "0", "5.001"])
    add("--cap", ("milestone", "add", "tags/emi", "--cap"), ["0", "5.5", "9223372036854775808"])
    # rates may be finer than the minor unit (0.005 USD), up to nine decimals
    add("--rate", ("campaign", "create", "Other", "--rate"), [*COMMON_BAD, "0", "0.0000000001"])
    add("--rate", ("offer", "create", "photos", "ben", "--rate"), [*COMMON_BAD, "0", "5.0000000001"])
    add("--amount", ("payout", "ana", "--amount"), [*COMMON_BAD, "0", "5.001"])
    add("--amount", ("payout", "emi", "--amount"), ["0", "5.5", "9223372036854775808"])
    add("--budget", ("campaign", "create", "Other", "--budget"), [*COMMON_BAD, "0", "5.001"])
    add("--milestone-cap", ("campaign", "create", "Other", "--milestone-cap"), [*COMMON_BAD, "0", "5.001"])
    return cases


@pytest.mark.parametrize(("args", "value"), _cases())
def test_bad_amounts_and_counts_exit_2(two_currencies: Ledger, args: tuple[str, ...], value: str) -> None:
    ledger = two_currencies
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "0")
    bill = ledger.ok("bill", "photos/ana", "--pieces", "2")  # bill 3, pending: release has something to act on
    if args[0] == "release":
        args = ("release", str(bill["id"]), *args[2:])
    if args[0] == "campaign" and "--rate" not in args:
        args = (*args[:3], "--rate", "1", *args[3:])
    message = refused(ledger, 2, *args, value)
    assert repr(value) in message or value in message


def test_yen_campaigns_refuse_decimals_but_take_fine_rates(two_currencies: Ledger) -> None:
    ledger = two_currencies
    message = refused(ledger, 2, "milestone", "add", "tags/emi", "--top-up", "5.5", error="too_many_decimals")
    assert "0" in message
    refused(ledger, 2, "payout", "emi", "--amount", "5.5", error="too_many_decimals")
    # a JPY rate finer than a yen is allowed, as in any currency
    assert ledger.ok("campaign", "create", "Words", "--rate", "0.5", "--currency", "JPY")["rate"] == "0.5"


def test_half_pieces_on_a_whole_piece_campaign(two_currencies: Ledger) -> None:
    message = refused(two_currencies, 2, "bill", "photos/ana", "--pieces", "2.5", error="not_whole")
    assert "whole" in message
    refused(two_currencies, 2, "offer", "create", "photos", "ben", "--max-pieces", "2.5", error="not_whole")
    refused(two_currencies, 2, "campaign", "create", "Other", "--rate", "1", "--max-pieces", "0.5", error="not_whole")


def test_pieces_must_be_a_multiple_of_a_fine_step(ledger: Ledger) -> None:
    ledger.ok("campaign", "create", "Audio", "--slug", "audio", "--unit", "minute", "--rate", "1", "--step", "0.5")
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "audio", "ana")
    ledger.ok("offer", "accept", "audio/ana")
    ledger.ok("milestone", "add", "audio/ana", "--top-up", "10")
    refused(ledger, 2, "bill", "--pieces", "1.25", error="not_a_step")
    assert ledger.ok("bill", "--pieces", "1.5")["amount"] == "1.50"


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("-1", "bad_number"),
        ("0", "not_positive"),
        ("1e3", "bad_number"),
        ("NaN", "bad_number"),
        ("inf", "bad_number"),
        ("1,000", "bad_number"),
        ("5.001", "too_many_decimals"),
        ("99999999999999999999", "too_large"),
    ],
)
def test_bad_amount_error_codes(funded: Ledger, value: str, error: str) -> None:
    refused(funded, 2, "milestone", "add", "photos/ana", "--cap", value, error=error)


def test_a_bill_whose_amount_overflows_64_bits_exits_2(ledger: Ledger) -> None:
    ledger.ok("campaign", "create", "Huge", "--slug", "huge", "--rate", "999999999999999")
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "huge", "ana")
    ledger.ok("offer", "accept", "huge/ana")
    ledger.ok("milestone", "add", "huge/ana", "--top-up", "1")
    refused(ledger, 2, "bill", "--pieces", "1000000", error="too_large")


def test_a_top_up_that_would_overflow_the_stored_totals_is_refused_not_a_storage_error(contract: Ledger) -> None:
    """Each amount fits 64 bits alone, but the client's running total would not.

    DESIGN: values that overflow a signed 64-bit integer are refused with a clear message;
    exit 5 is for storage problems (locked, read-only, corrupt, newer schema), which this is not.
    """
    contract.ok("milestone", "add", "photos/ana", "--top-up", "92233720368547758.07")
    before = contract.dump()
    result = contract.run("--json", "milestone", "add", "photos/ana", "--top-up", "0.01")
    assert result.code in (1, 2), (result.code, result.err)
    assert "REAL" not in result.error["message"]
    assert contract.dump() == before


# --------------------------------------------------------------------------- bad usage: exit 2


@pytest.mark.parametrize(
    "args",
    [
        ("bill", "--pieces", "1", "--frobnicate"),
        ("bill",),
        ("bill", "--pieces"),
        ("frobnicate",),
        ("milestone", "add"),
        ("reject", "1"),
        ("report", "--by", "month"),
        ("report", "--format", "xml"),
        ("offer", "list", "--status", "lost"),
        ("campaign", "create", "Other"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(funded: Ledger, args: tuple[str, ...]) -> None:
    refused(funded, 2, *args)


def test_unknown_option_and_missing_pieces_name_the_problem(funded: Ledger) -> None:
    assert "--frobnicate" in refused(funded, 2, "bill", "--pieces", "1", "--frobnicate", error="bad_usage")
    assert "--pieces" in refused(funded, 2, "bill", error="bad_usage")


@pytest.mark.parametrize("reason", ["", "   ", "two\nlines"])
def test_a_rejection_needs_a_one_line_reason(funded: Ledger, reason: str) -> None:
    bill = str(funded.ok("bill", "--pieces", "1")["id"])
    refused(funded, 2, "reject", bill, "--reason", reason, error="reason_required")


def test_bill_without_a_contract_when_two_are_active_lists_the_choices(funded: Ledger) -> None:
    funded.ok("worker", "add", "ben")
    funded.ok("offer", "create", "photos", "ben")
    funded.ok("offer", "accept", "photos/ben")
    message = refused(funded, 2, "bill", "--pieces", "1", error="contract_ambiguous")
    assert message.startswith("2 contracts are active")
    assert "photos/ana" in message and "photos/ben" in message


# --------------------------------------------------------------------------- storage: exit 5

COMMANDS_ON_A_BAD_FILE = [
    ("campaign", "list"),
    ("campaign", "create", "Photos", "--rate", "5"),
    ("bill", "1", "--pieces", "1"),
    ("report",),
    ("verify",),
]


def _storage_refusal(db: Path, args: tuple[str, ...], error: str) -> None:
    ledger = Ledger(db)
    before = db.read_bytes()
    siblings = sorted(p.name for p in db.parent.iterdir())
    plain = ledger.run(*args)
    assert plain.code == 5, (args, plain.code, plain.err)
    assert plain.out == "" and plain.err.count("\n") == 1 and plain.err.startswith(PREFIX)
    assert "Traceback" not in plain.err
    machine = ledger.run("--json", *args)
    assert machine.code == 5 and machine.out == ""
    assert machine.error["code"] == error
    assert str(db) in machine.error["message"]
    assert db.read_bytes() == before
    assert sorted(p.name for p in db.parent.iterdir()) == siblings


@pytest.mark.parametrize("args", COMMANDS_ON_A_BAD_FILE)
@pytest.mark.parametrize(
    "garbage",
    [
        b"this is not a database, just some bytes\n" * 100,
        b"SQLite format 3\x00" + b"\xff" * 4080,  # the magic, then nonsense
    ],
    ids=["text", "bad-header"],
)
def test_a_file_that_is_not_a_ledger_exits_5_untouched(tmp_path: Path, args: tuple[str, ...], garbage: bytes) -> None:
    db = tmp_path / "ledger.db"
    db.write_bytes(garbage)
    _storage_refusal(db, args, "not_a_ledger")


def _newer(conn_factory: Callable[[], sqlite3.Connection]) -> int:
    from piecepay.store.migrations import LATEST_VERSION

    conn = conn_factory()
    try:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
        conn.commit()
    finally:
        conn.close()
    return LATEST_VERSION + 1


@pytest.mark.sqlite_only
@pytest.mark.parametrize("args", COMMANDS_ON_A_BAD_FILE)
def test_a_ledger_from_a_newer_piecepay_exits_5_untouched(contract: Ledger, args: tuple[str, ...]) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "10")
    version = _newer(lambda: sqlite3.connect(contract.db))
    _storage_refusal(contract.db, args, "schema_too_new")
    message = contract.run("--json", *args).error["message"]
    assert f"schema version {version}" in message
    conn = sqlite3.connect(contract.db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
    finally:
        conn.close()


def test_a_newer_ledger_in_rollback_journal_mode_is_not_switched_to_wal(tmp_path: Path) -> None:
    """A newer schema is refused before anything touches the file, journal mode included."""
    db = tmp_path / "ledger.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE future (x INTEGER)")
    conn.commit()
    conn.close()
    _newer(lambda: sqlite3.connect(db))
    _storage_refusal(db, ("campaign", "list"), "schema_too_new")
