"""Every refusal through the real CLI: its exit code, one line on stderr, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Ledger

BAD_AMOUNTS = ["-1", "0", "1e3", "NaN", "inf", "1,000", "5.001", " 5", "+5", "0x10", "99999999999999999999", ""]


def refused(ledger: Ledger, code: int, *args: str, error: str | None = None, today: str | None = None) -> str:
    """Run a command that must be refused; check the exit code, the one-line error, no write."""
    before = ledger.dump()
    result = ledger.run("--json", *args, today=today)
    assert result.code == code, (args, result.code, result.out, result.err)
    assert result.out == ""
    assert "Traceback" not in result.err
    if error is not None:
        assert result.error["code"] == error, result.err
    assert ledger.dump() == before
    plain = ledger.run(*args, today=today)
    assert plain.code == code and plain.err.count("\n") == 1 and plain.err.startswith("piecepay: error: ")
    return str(result.error["message"])


@pytest.fixture
def funded(contract: Ledger) -> Ledger:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "30", "--cap", "25")
    return contract


def test_milestone_cap_names_the_cap_what_is_left_and_the_bill(funded: Ledger) -> None:
    funded.ok("bill", "--pieces", "3")
    message = refused(funded, 1, "bill", "--pieces", "3", error="exceeds_milestone_cap")
    assert message == "milestone cap 25.00 USD has 10.00 USD left; this bill is 15.00 USD"


def test_escrow_refuses_what_the_cap_would_allow(contract: Ledger) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "12", "--cap", "100")
    message = refused(contract, 1, "bill", "--pieces", "3", error="exceeds_escrow")
    assert message == "escrow has 12.00 USD available; this bill is 15.00 USD"


def test_contract_and_campaign_piece_limits(ledger: Ledger) -> None:
    ledger.ok("campaign", "create", "Rows", "--rate", "0.01", "--unit", "row", "--max-pieces", "100")
    for handle in ("ana", "ben"):
        ledger.ok("worker", "add", handle)
    ledger.ok("offer", "create", "rows", "ana", "--max-pieces", "30")
    ledger.ok("offer", "create", "rows", "ben")
    for ref in ("rows/ana", "rows/ben"):
        ledger.ok("offer", "accept", ref)
        ledger.ok("milestone", "add", ref, "--top-up", "10")
    ledger.ok("bill", "rows/ana", "--pieces", "25")
    refused(ledger, 1, "bill", "rows/ana", "--pieces", "6", error="exceeds_contract_piece_limit")
    ledger.ok("bill", "rows/ben", "--pieces", "70")
    message = refused(ledger, 1, "bill", "rows/ben", "--pieces", "6", error="exceeds_campaign_piece_limit")
    assert "95 already billed, 5 left" in message


def test_top_up_past_the_budget(ledger: Ledger) -> None:
    ledger.ok("campaign", "create", "Photos", "--rate", "5", "--budget", "50")
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "photos", "ana")
    ledger.ok("offer", "accept", "1")
    ledger.ok("milestone", "add", "1", "--top-up", "40")
    message = refused(ledger, 1, "milestone", "add", "1", "--top-up", "10.01", error="exceeds_campaign_budget")
    assert message == "campaign budget 50.00 USD has 10.00 USD left; this top-up is 10.01 USD"
    ledger.ok("milestone", "add", "1", "--top-up", "10")


def test_states_refuse_bills(funded: Ledger) -> None:
    funded.ok("campaign", "pause", "photos")
    refused(funded, 1, "bill", "--pieces", "1", error="campaign_paused")
    refused(funded, 1, "campaign", "pause", "photos", error="campaign_paused")
    funded.ok("campaign", "resume", "photos")
    bill = funded.ok("bill", "--pieces", "1")["id"]
    refused(funded, 1, "end", "photos/ana", error="pending_bills")
    funded.ok("release", str(bill))
    refused(funded, 1, "release", str(bill), error="bill_already_released")
    refused(funded, 1, "reject", str(bill), "--reason", "late", error="bill_already_released")
    funded.ok("end", "photos/ana")
    refused(funded, 1, "bill", "photos/ana", "--pieces", "1", error="contract_not_active")
    refused(funded, 1, "milestone", "add", "photos/ana", "--top-up", "5", error="contract_not_active")
    refused(funded, 1, "end", "photos/ana", error="contract_not_active")
    funded.ok("campaign", "close", "photos")
    refused(funded, 1, "offer", "create", "photos", "ana", error="campaign_closed")


def test_rejected_bill_cannot_be_resolved_again(funded: Ledger) -> None:
    bill = str(funded.ok("bill", "--pieces", "2")["id"])
    funded.ok("reject", bill, "--reason", "blurred")
    refused(funded, 1, "reject", bill, "--reason", "again", error="bill_already_rejected")
    funded.ok("release", bill)  # within the reversal window: the rejection reversed, once
    refused(funded, 1, "release", bill, error="bill_already_released")


def test_deadline_refuses_bills_after_it(ledger: Ledger) -> None:
    ledger.ok("campaign", "create", "Photos", "--rate", "5", "--deadline", "2026-10-31", today="2026-10-01")
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "photos", "ana", today="2026-10-01")
    ledger.ok("offer", "accept", "1", today="2026-10-01")
    ledger.ok("milestone", "add", "1", "--top-up", "50", today="2026-10-02")
    ledger.ok("bill", "--pieces", "1", today="2026-10-31")
    refused(ledger, 1, "bill", "--pieces", "1", error="deadline_passed", today="2026-11-01")


def test_dates_in_the_future_or_before_the_contract(funded: Ledger) -> None:
    refused(funded, 2, "bill", "--pieces", "1", "--date", "2099-01-01", error="date_in_future")
    refused(funded, 2, "bill", "--pieces", "1", "--date", "2999-01-01", error="date_out_of_range")
    refused(funded, 1, "bill", "--pieces", "1", "--date", "2000-01-01", error="date_before_contract")
    refused(funded, 2, "bill", "--pieces", "1", "--date", "01/02/2026", error="bad_date")


def test_offers_states_and_the_workers_limit(ledger: Ledger) -> None:
    ledger.ok("campaign", "create", "Photos", "--rate", "5", "--workers", "1")
    for handle in ("ana", "ben"):
        ledger.ok("worker", "add", handle)
    ledger.ok("offer", "create", "photos", "ana")
    ledger.ok("offer", "create", "photos", "ben")
    refused(ledger, 1, "offer", "create", "photos", "ana", error="already_engaged")
    ledger.ok("offer", "accept", "1")
    refused(ledger, 1, "offer", "accept", "1", error="offer_active")
    refused(ledger, 1, "offer", "accept", "2", error="campaign_full")
    refused(ledger, 1, "bill", "photos/ana", "--pieces", "1", error="no_open_milestone")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("campaign", "show", "nope"), "campaign_not_found"),
        (("offer", "create", "photos", "nobody"), "worker_not_found"),
        (("bill", "photos/nobody", "--pieces", "1"), "contract_not_found"),
        (("bill", "999", "--pieces", "1"), "contract_not_found"),
        (("release", "42"), "bill_not_found"),
        (("reject", "x", "--reason", "r"), "bill_not_found"),
        (("offer", "accept", "77"), "offer_not_found"),
        (("payout", "nobody"), "worker_not_found"),
        (("log", "--contract", "nope/nobody"), "contract_not_found"),
    ],
)
def test_unknown_references_exit_3(funded: Ledger, args: tuple[str, ...], error: str) -> None:
    refused(funded, 3, *args, error=error)


@pytest.mark.parametrize("bad", BAD_AMOUNTS)
@pytest.mark.parametrize("option", ["--top-up", "--cap"])
def test_bad_milestone_amounts_exit_2(contract: Ledger, option: str, bad: str) -> None:
    if option == "--top-up" and bad == "0":
        return  # a zero top-up is allowed: a milestone may add no money
    refused(contract, 2, "milestone", "add", "photos/ana", option, bad)


@pytest.mark.parametrize("bad", [*BAD_AMOUNTS, "2.5"])
def test_bad_piece_counts_exit_2(funded: Ledger, bad: str) -> None:
    refused(funded, 2, "bill", "--pieces", bad)


@pytest.mark.parametrize("bad", BAD_AMOUNTS)
def test_bad_rates_exit_2(contract: Ledger, bad: str) -> None:
    if bad == "5.001":
        bad = "5.0000000001"  # rates may be finer than a cent, up to nine decimals
    refused(contract, 2, "campaign", "create", "Other photos", "--rate", bad)
    refused(contract, 2, "offer", "create", "photos", "ana", "--rate", bad)


@pytest.mark.parametrize("bad", BAD_AMOUNTS)
def test_bad_payout_amounts_exit_2(funded: Ledger, bad: str) -> None:
    funded.ok("release", str(funded.ok("bill", "--pieces", "2")["id"]))
    refused(funded, 2, "payout", "ana", "--amount", bad)


def test_yen_have_no_decimals(ledger: Ledger) -> None:
    ledger.ok("campaign", "create", "Tags", "--rate", "12", "--currency", "jpy")
    ledger.ok("worker", "add", "emi")
    ledger.ok("offer", "create", "tags", "emi")
    ledger.ok("offer", "accept", "1")
    refused(ledger, 2, "milestone", "add", "1", "--top-up", "5.5", error="too_many_decimals")
    refused(ledger, 2, "campaign", "create", "Other", "--rate", "1", "--currency", "XYZ", error="bad_currency")


def test_bad_usage_is_one_line_and_exit_2(funded: Ledger) -> None:
    refused(funded, 2, "bill", "--pieces", "1", "--frobnicate")
    refused(funded, 2, "bill")
    refused(funded, 2, "report", "--format", "xml", error="bad_format")
    refused(funded, 2, "end", "photos/ana", "--release-pending", "--reject-pending")
    refused(funded, 2, "reject", "1", "--reason", "   ")


def test_bill_without_a_contract_lists_the_choices(funded: Ledger) -> None:
    funded.ok("worker", "add", "ben")
    funded.ok("offer", "create", "photos", "ben")
    funded.ok("offer", "accept", "photos/ben")
    message = refused(funded, 2, "bill", "--pieces", "1", error="contract_ambiguous")
    assert "photos/ana" in message and "photos/ben" in message


def test_a_file_that_is_not_a_ledger_exits_5(ledger: Ledger) -> None:
    ledger.db.write_bytes(b"this is not a database, just some bytes " * 100)
    before = ledger.db.read_bytes()
    result = ledger.run("--json", "report")
    assert (result.code, result.error["code"]) == (5, "not_a_ledger")
    assert ledger.db.read_bytes() == before


def test_a_missing_ledger_is_not_created_by_reading_commands(tmp_path: Path) -> None:
    missing = Ledger(tmp_path / "ledger.db")
    result = missing.run("--json", "verify")
    assert (result.code, result.error["code"]) == (3, "ledger_not_found")
    assert not missing.db.exists()


def test_effective_dates_on_every_money_movement(ledger: Ledger) -> None:
    ledger.today = "2026-10-01"
    ledger.ok("campaign", "create", "Photos", "--rate", "5")
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "photos", "ana")
    ledger.ok("offer", "accept", "photos/ana")
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "30")
    funded = ledger
    bill = str(funded.ok("bill", "--pieces", "1", "--date", "2026-10-05", today="2026-10-10")["id"])
    refused(funded, 1, "release", bill, "--date", "2026-10-04", error="date_before_bill", today="2026-10-10")
    refused(
        funded, 2, "reject", bill, "--reason", "r", "--date", "2026-10-11", error="date_in_future", today="2026-10-10"
    )
    assert funded.ok("release", bill, "--date", "2026-10-06", today="2026-10-10")["resolved_on"] == "2026-10-06"
    refused(funded, 2, "payout", "ana", "--date", "2026-10-11", error="date_in_future", today="2026-10-10")
    refused(funded, 2, "end", "photos/ana", "--date", "2026-10-11", error="date_in_future", today="2026-10-10")
    refused(funded, 2, "milestone", "add", "photos/ana", "--date", "2026-13-01", error="bad_date")
    log = funded.ok("log")
    assert [(e["kind"], e["date"]) for e in log[-2:]] == [("bill", "2026-10-05"), ("release", "2026-10-06")]
    assert log[-1]["recorded_at"].startswith(str(__import__("datetime").date.today().year))


@pytest.mark.parametrize("bad", ["-1", "0", "1.5", "1e3", "NaN", "1,000", "", "99999999999999999999"])
@pytest.mark.parametrize(
    "option",
    [
        ("campaign", "create", "Other", "--rate", "5", "--workers"),
        ("campaign", "create", "Other", "--rate", "5", "--max-pieces"),
        ("bill", "--pieces", "1", "--minutes"),
        ("offer", "create", "photos", "ben", "--max-pieces"),
    ],
)
def test_bad_counts_exit_2(funded: Ledger, option: tuple[str, ...], bad: str) -> None:
    funded.ok("worker", "add", "ben")
    refused(funded, 2, *option, bad)


@pytest.mark.parametrize("bad", ["-1", "31", "1.5", "x"])
def test_review_days_are_0_to_30(funded: Ledger, bad: str) -> None:
    refused(funded, 2, "campaign", "create", "Other", "--rate", "5", "--review-days", bad)
