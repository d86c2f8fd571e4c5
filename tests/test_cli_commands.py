"""The commands' happy paths and their output, through the real command line.

Figures are worked out by hand in the comments and asserted as literals, so a change in
the arithmetic or the shape of a document shows up here.
"""

from __future__ import annotations

import csv
import io
import os
import re
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import Ledger, run_in_terminal

BOTH_STORES = True  # every test here runs on a file and on PostgreSQL

MONEY = ("funded", "reserved", "released", "refunded", "escrow", "available")
PIECES = ("pieces_billed", "pieces_pending", "pieces_released", "pieces_rejected")
DIGITS = {"USD": 2, "JPY": 0}
ANSI = "\x1b["


def twins_agree(document: dict[str, Any], names: tuple[str, ...] = MONEY) -> None:
    """Each amount's decimal string and its _minor integer say the same, in its currency's digits."""
    digits = DIGITS[document["currency"]]
    for name in names:
        text, minor = document[name], document[f"{name}_minor"]
        assert isinstance(minor, int), (name, minor)
        assert re.fullmatch(r"-?[0-9]+" + (rf"\.[0-9]{{{digits}}}" if digits else ""), text), (name, text)
        assert Decimal(text).scaleb(digits) == minor, (name, text, minor)


# --------------------------------------------------------------------------- ids chain


def test_create_commands_print_an_id_the_next_command_accepts(ledger: Ledger) -> None:
    campaign = ledger.ok("campaign", "create", "Restaurant photos", "--rate", "5", "--unit", "Photo")
    assert (campaign["id"], campaign["title"], campaign["unit"], campaign["status"]) == (
        "restaurant-photos",
        "Restaurant photos",
        "photo",
        "open",
    )
    worker = ledger.ok("worker", "add", "ana", "--name", "Ana Lima", "--email", "ana@example.org")
    assert (worker["id"], worker["name"], worker["email"]) == ("ana", "Ana Lima", "ana@example.org")
    offer = ledger.ok("offer", "create", campaign["id"], worker["id"], "--rate", "4.5", "--max-pieces", "20")
    assert (offer["ref"], offer["rate"], offer["max_pieces"], offer["status"]) == (
        "restaurant-photos/ana",
        "4.5",
        "20",
        "offered",
    )
    contract = ledger.ok("offer", "accept", str(offer["id"]))
    milestone = ledger.ok("milestone", "add", str(contract["id"]), "--top-up", "50", "--cap", "20")
    assert (milestone["contract"], milestone["seq"], milestone["cap_left"]) == ("restaurant-photos/ana", 1, "20.00")
    bill = ledger.ok("bill", str(contract["id"]), "--pieces", "3")
    assert (bill["amount"], bill["amount_minor"], bill["contract_id"]) == ("13.50", 1350, contract["id"])
    assert bill["milestone_id"] == milestone["id"]
    released = ledger.ok("release", str(bill["id"]))
    assert (released["id"], released["status"], released["released"]) == (bill["id"], "released", "13.50")
    ended = ledger.ok("end", str(contract["id"]))
    assert (ended["id"], ended["status"], ended["refunded"]) == (contract["id"], "ended", "36.50")


def test_offer_accept_prints_the_contract(ledger: Ledger) -> None:
    ledger.today = "2026-10-01"
    ledger.ok("campaign", "create", "Photos", "--slug", "photos", "--unit", "photo", "--rate", "5")
    ledger.ok("worker", "add", "ana")
    offer = ledger.ok("offer", "create", "photos", "ana")
    assert "accepted_on" not in offer and "funded" not in offer
    contract = ledger.ok("offer", "accept", "photos/ana", today="2026-10-03")
    assert contract["id"] == offer["id"]
    assert (contract["ref"], contract["status"], contract["accepted_on"], contract["ended_on"]) == (
        "photos/ana",
        "active",
        "2026-10-03",
        None,
    )
    assert (contract["rate"], contract["unit"], contract["currency"]) == ("5", "photo", "USD")
    for name in MONEY:
        assert (contract[name], contract[f"{name}_minor"]) == ("0.00", 0)
    assert [contract[p] for p in PIECES] == ["0", "0", "0", "0"]
    plain = ledger.run("offer", "accept", "photos/ana")  # already a contract now: refused
    assert plain.code == 1


# --------------------------------------------------------------------------- campaigns


@pytest.fixture
def two_campaigns(ledger: Ledger) -> Ledger:
    ledger.ok(
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
        "--max-pieces",
        "200",
        "--workers",
        "3",
        "--milestone-cap",
        "25",
        "--review-days",
        "7",
        "--deadline",
        "2099-12-31",
    )
    ledger.ok("campaign", "create", "Tags", "--slug", "tags", "--unit", "tag", "--rate", "12", "--currency", "jpy")
    return ledger


def test_campaign_create_and_list(two_campaigns: Ledger) -> None:
    listed = two_campaigns.ok("campaign", "list")
    assert [c["id"] for c in listed] == ["photos", "tags"]
    photos, tags = listed
    assert (photos["budget"], photos["budget_minor"], photos["milestone_cap"], photos["milestone_cap_minor"]) == (
        "500.00",
        50000,
        "25.00",
        2500,
    )
    assert (photos["max_pieces"], photos["workers"], photos["review_days"], photos["deadline"]) == (
        "200",
        3,
        7,
        "2099-12-31",
    )
    assert (tags["currency"], tags["rate"], tags["budget"], tags["review_days"], tags["step"]) == (
        "JPY",
        "12",
        None,
        14,
        "1",
    )
    table = two_campaigns.run("campaign", "list")
    assert table.code == 0 and table.err == ""
    header, first, second = table.out.splitlines()
    assert header.split() == ["Campaign", "Title", "Rate", "Cur", "Unit", "Budget", "Workers", "Deadline", "Status"]
    assert first.split() == ["photos", "Restaurant", "photos", "5", "USD", "photo", "500.00", "3", "2099-12-31", "open"]
    assert second.split() == ["tags", "Tags", "12", "JPY", "tag", "open"]


def test_campaign_show_lists_its_contracts_with_figures(two_campaigns: Ledger) -> None:
    ledger = two_campaigns
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "photos", "ana")
    ledger.ok("offer", "accept", "photos/ana")
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "60")
    ledger.ok("bill", "--pieces", "3")
    shown = ledger.ok("campaign", "show", "photos")
    assert (shown["id"], shown["title"], shown["status"]) == ("photos", "Restaurant photos", "open")
    (contract,) = shown["contracts"]
    assert (contract["ref"], contract["status"]) == ("photos/ana", "active")
    # 60.00 funded, 15.00 reserved by the pending bill
    assert (contract["funded"], contract["reserved"], contract["escrow"], contract["available"]) == (
        "60.00",
        "15.00",
        "60.00",
        "45.00",
    )
    twins_agree(contract)
    assert ledger.ok("campaign", "show", "tags")["contracts"] == []
    plain = ledger.run("campaign", "show", "photos").out.splitlines()
    assert plain[0] == "Campaign photos: Restaurant photos (open)"
    assert plain[-1].split()[:10] == [
        "photos/ana",
        "active",
        "photo",
        "USD",
        "60.00",  # funded
        "0.00",  # released (no bonuses or fees: those columns are left out)
        "0.00",  # refunded
        "15.00",  # reserved
        "45.00",  # available
        "60.00",  # in escrow
    ]


def test_campaign_pause_resume_close(two_campaigns: Ledger) -> None:
    ledger = two_campaigns
    assert ledger.ok("campaign", "pause", "photos")["status"] == "paused"
    assert [c["status"] for c in ledger.ok("campaign", "list")] == ["paused", "open"]
    assert ledger.ok("campaign", "resume", "photos")["status"] == "open"
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "tags", "ana")
    closed = ledger.ok("campaign", "close", "tags")
    assert (closed["id"], closed["status"]) == ("tags", "closed")
    # closing withdrew the open offer
    assert [(o["ref"], o["status"]) for o in ledger.ok("offer", "list")] == [("tags/ana", "withdrawn")]
    assert (
        ledger.run("campaign", "pause", "photos").out.splitlines()[0] == "Campaign photos: Restaurant photos (paused)"
    )


# --------------------------------------------------------------------------- workers and offers


def test_worker_add_and_list(ledger: Ledger) -> None:
    ledger.ok("worker", "add", "ben")
    ledger.ok("worker", "add", "ana", "--name", "Ana Lima", "--email", "ana@example.org")
    listed = ledger.ok("worker", "list")
    assert [(w["id"], w["handle"], w["name"], w["email"]) for w in listed] == [
        ("ana", "ana", "Ana Lima", "ana@example.org"),
        ("ben", "ben", None, None),
    ]
    before = ledger.dump()
    duplicate = ledger.run("--json", "worker", "add", "ana", "--name", "Another Ana")
    assert (duplicate.code, duplicate.error["code"]) == (1, "worker_exists")
    assert ledger.dump() == before
    bad = ledger.run("--json", "worker", "add", "ana lima")
    assert (bad.code, bad.error["code"]) == (2, "bad_handle")
    bad = ledger.run("--json", "worker", "add", "cy", "--email", "not-an-address")
    assert (bad.code, bad.error["code"]) == (2, "bad_email")
    assert ledger.dump() == before
    plain = ledger.run("worker", "list").out.splitlines()
    assert plain[0].split() == ["Handle", "Name", "Email"]
    assert plain[1].split() == ["ana", "Ana", "Lima", "ana@example.org"]
    assert plain[2].split() == ["ben"]


def test_offer_create_accept_decline_withdraw_list(two_campaigns: Ledger) -> None:
    ledger = two_campaigns
    for handle in ("ana", "ben", "cy"):
        ledger.ok("worker", "add", handle)
    first = ledger.ok("offer", "create", "photos", "ana", "--rate", "6", "--max-pieces", "10")
    assert (first["rate"], first["max_pieces"], first["currency"], first["unit"]) == ("6", "10", "USD", "photo")
    second = ledger.ok("offer", "create", "photos", "ben")
    assert (second["rate"], second["max_pieces"]) == ("5", None)  # the campaign's rate
    third = ledger.ok("offer", "create", "tags", "cy")
    assert ledger.ok("offer", "accept", str(first["id"]))["status"] == "active"
    declined = ledger.ok("offer", "decline", "photos/ben")
    assert (declined["id"], declined["status"]) == (second["id"], "declined")
    withdrawn = ledger.ok("offer", "withdraw", str(third["id"]))
    assert (withdrawn["ref"], withdrawn["status"]) == ("tags/cy", "withdrawn")
    # a declined worker may be offered the campaign again
    again = ledger.ok("offer", "create", "photos", "ben")
    assert again["id"] == 4
    listing = ledger.ok("offer", "list")
    assert [(o["id"], o["ref"], o["status"]) for o in listing] == [
        (1, "photos/ana", "active"),
        (2, "photos/ben", "declined"),
        (3, "tags/cy", "withdrawn"),
        (4, "photos/ben", "offered"),
    ]
    assert [o["id"] for o in ledger.ok("offer", "list", "--status", "offered")] == [4]
    assert [o["id"] for o in ledger.ok("offer", "list", "--campaign", "tags")] == [3]
    assert ledger.ok("offer", "list", "--campaign", "tags", "--status", "active") == []
    # campaign/worker names the open offer, not the declined one
    assert ledger.ok("offer", "accept", "photos/ben")["id"] == 4
    plain = ledger.run("offer", "list", "--campaign", "photos").out.splitlines()
    assert plain[0].split() == ["#", "Campaign/worker", "Rate", "Cur", "Unit", "Limit", "Status"]
    assert plain[1].split() == ["1", "photos/ana", "6", "USD", "photo", "10", "active"]


# --------------------------------------------------------------------------- milestones, bills, releases


def test_milestone_list_shows_what_each_cap_has_left(contract: Ledger) -> None:
    ledger = contract
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "100", "--cap", "25")
    partly = ledger.ok("bill", "--pieces", "3")  # 15.00
    ledger.ok("release", str(partly["id"]), "--pieces", "2")  # 10.00 released, 5.00 back
    ledger.ok("bill", "--pieces", "1")  # 5.00 pending
    rejected = ledger.ok("bill", "--pieces", "1")
    ledger.ok("reject", str(rejected["id"]), "--reason", "duplicate")  # counts nothing
    # cap 25.00: used 10.00 released + 5.00 pending = 15.00; left 10.00
    (first,) = ledger.ok("milestone", "list", "photos/ana")
    assert (first["seq"], first["status"], first["cap_used"], first["cap_left"], first["cap_left_minor"]) == (
        1,
        "open",
        "15.00",
        "10.00",
        1000,
    )
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "0", "--cap", "30")
    listed = ledger.ok("milestone", "list", "photos/ana")
    assert [(m["seq"], m["status"], m["top_up"], m["cap"], m["cap_used"], m["cap_left"]) for m in listed] == [
        (1, "closed", "100.00", "25.00", "15.00", "10.00"),
        (2, "open", "0.00", "30.00", "0.00", "30.00"),
    ]
    for m in listed:
        twins_agree(m, ("top_up", "cap", "cap_used", "cap_left"))
    table = ledger.run("milestone", "list", "photos/ana").out.splitlines()
    assert table[0].split() == ["#", "Top-up", "Cap", "Used", "Left", "Cur", "Opened", "Status"]
    assert table[1].split()[:6] == ["1", "100.00", "25.00", "15.00", "10.00", "USD"]
    assert table[2].split()[-1] == "open"


def test_a_milestone_without_a_cap_has_no_cap_left(contract: Ledger) -> None:
    milestone = contract.ok("milestone", "add", "photos/ana", "--top-up", "10")
    assert (milestone["cap"], milestone["cap_minor"], milestone["cap_left"], milestone["cap_left_minor"]) == (
        None,
        None,
        None,
        None,
    )


@pytest.fixture
def rows(ledger: Ledger) -> Ledger:
    """A campaign paying 0.005 USD a row, contract rows/ana with 1.00 in escrow."""
    ledger.ok("campaign", "create", "Data entry", "--slug", "rows", "--unit", "row", "--rate", "0.005")
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "rows", "ana")
    ledger.ok("offer", "accept", "rows/ana")
    ledger.ok("milestone", "add", "rows/ana", "--top-up", "1")
    return ledger


@pytest.mark.parametrize(
    ("pieces", "amount", "minor"),
    [("1", "0.01", 1), ("2", "0.01", 1), ("3", "0.02", 2), ("5", "0.03", 3), ("200", "1.00", 100)],
)
def test_a_bill_is_rounded_once_half_up(rows: Ledger, pieces: str, amount: str, minor: int) -> None:
    bill = rows.ok("bill", "--pieces", pieces)
    assert (bill["amount"], bill["amount_minor"], bill["rate"]) == (amount, minor, "0.005")


def test_release_of_some_pieces_rounds_the_running_total_once(rows: Ledger) -> None:
    bill = rows.ok("bill", "--pieces", "5")  # 0.025 -> 0.03 reserved
    partial = rows.ok("release", str(bill["id"]), "--pieces", "3")
    # 3 x 0.005 = 0.015 -> 0.02 (not 3 x 0.01, not 0.03 - 2 x 0.01)
    assert (partial["status"], partial["released_pieces"], partial["released"], partial["released_minor"]) == (
        "released",
        "3",
        "0.02",
        2,
    )
    assert (partial["amount"], partial["reason"]) == ("0.03", "partial release")
    (row,) = rows.ok("report", "--by", "contract")["rows"]
    # 1.00 funded, 0.02 released, the other 0.01 of the reservation back in escrow
    assert (row["released"], row["reserved"], row["escrow"], row["available"]) == ("0.02", "0.00", "0.98", "0.98")
    assert (row["pieces_released"], row["pieces_rejected"], row["pieces_billed"]) == ("3", "2", "5")
    one = rows.ok("bill", "--pieces", "3")  # 0.015 -> 0.02 reserved
    # 4 pieces released in all: 0.020 exactly, and 0.02 was released already
    assert rows.ok("release", str(one["id"]), "--pieces", "1")["released"] == "0.00"
    full = rows.ok("bill", "--pieces", "3")
    # 7 pieces: 0.035 -> 0.04 in all, so this release posts 0.02
    assert rows.ok("release", str(full["id"]), "--pieces", "3")["released"] == "0.02"
    (row,) = rows.ok("report", "--by", "contract")["rows"]
    assert (row["released"], row["pieces_released"]) == ("0.04", "7")
    assert rows.run("verify").code == 0


def test_release_in_full_and_reject_with_a_reason(contract: Ledger) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "50")
    first = contract.ok("bill", "--pieces", "2", "--note", "terrace", "--proof", "a.jpg", "--proof", "https://x/b")
    assert (first["note"], first["proofs"], first["status"], first["released_pieces"]) == (
        "terrace",
        ["a.jpg", "https://x/b"],
        "pending",
        "0",
    )
    released = contract.ok("release", str(first["id"]))
    assert (released["released"], released["released_pieces"], released["reason"]) == ("10.00", "2", None)
    second = contract.ok("bill", "--pieces", "3")
    rejected = contract.ok("reject", str(second["id"]), "--reason", "  blurred  ")
    assert (rejected["status"], rejected["reason"], rejected["released"], rejected["released_pieces"]) == (
        "rejected",
        "blurred",
        "0.00",
        "0",
    )
    third = str(contract.ok("bill", "--pieces", "1")["id"])
    before = contract.dump()
    empty = contract.run("--json", "reject", third, "--reason", "")
    assert (empty.code, empty.error["code"]) == (2, "reason_required")
    assert contract.dump() == before
    (row,) = contract.ok("report", "--by", "contract")["rows"]
    # 50.00 funded, 10.00 released, 5.00 reserved by bill 3
    assert (row["released"], row["reserved"], row["available"]) == ("10.00", "5.00", "35.00")
    assert (row["pieces_released"], row["pieces_rejected"], row["pieces_pending"]) == ("2", "3", "1")
    plain = contract.run("reject", third, "--reason", "late").out.splitlines()
    assert plain[0] == f"Bill {third}: 1 photo x 5 = 5.00 USD on photos/ana (rejected)"


# --------------------------------------------------------------------------- end


@pytest.fixture
def pending(contract: Ledger) -> Ledger:
    """photos/ana: 100.00 funded; 20.00 released (4 photos); bills of 2 and 3 photos pending."""
    contract.ok("milestone", "add", "photos/ana", "--top-up", "100")
    contract.ok("release", str(contract.ok("bill", "--pieces", "4")["id"]))
    contract.ok("bill", "--pieces", "2")
    contract.ok("bill", "--pieces", "3")
    return contract


def test_end_with_release_pending(pending: Ledger) -> None:
    ended = pending.ok("end", "photos/ana", "--release-pending")
    # released 20.00 + 10.00 + 15.00 = 45.00; refunded 100.00 - 45.00 = 55.00
    assert (ended["status"], ended["released"], ended["refunded"], ended["refunded_minor"]) == (
        "ended",
        "45.00",
        "55.00",
        5500,
    )
    assert (ended["escrow"], ended["available"], ended["reserved"]) == ("0.00", "0.00", "0.00")
    assert (ended["pieces_released"], ended["pieces_pending"], ended["pieces_rejected"]) == ("9", "0", "0")
    assert ended["ended_on"] is not None
    twins_agree(ended)
    assert [b for b in pending.ok("log") if b["kind"] == "release"][-1]["memo"].startswith("release bill 3: 3 of 3")
    assert pending.ok("report", "--by", "worker")["rows"][0]["owed"] == "45.00"


def test_end_with_reject_pending(pending: Ledger) -> None:
    ended = pending.ok("end", "photos/ana", "--reject-pending")
    # released 20.00; refunded 100.00 - 20.00 = 80.00
    assert (ended["released"], ended["refunded"], ended["escrow"]) == ("20.00", "80.00", "0.00")
    assert (ended["pieces_released"], ended["pieces_pending"], ended["pieces_rejected"]) == ("4", "0", "5")
    kinds = [e["kind"] for e in pending.ok("log", "--contract", "photos/ana")]
    assert kinds[-3:] == ["reject", "reject", "refund"]
    assert pending.ok("report", "--by", "worker")["rows"][0]["owed"] == "20.00"


def test_end_with_nothing_left_writes_no_refund(contract: Ledger) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "10")
    contract.ok("release", str(contract.ok("bill", "--pieces", "2")["id"]))
    ended = contract.ok("end", "photos/ana")
    assert (ended["refunded"], ended["released"]) == ("0.00", "10.00")
    assert [e["kind"] for e in contract.ok("log", "--contract", "photos/ana")] == [
        "offer_created",
        "offer_accepted",
        "top_up",
        "bill",
        "release",
        "contract_ended",  # a record of the end: no money moves, no refund entry
    ]


# --------------------------------------------------------------------------- payout


@pytest.fixture
def owed(contract: Ledger) -> Ledger:
    """ana is owed 25.00 USD (photos) and 120 JPY (tags)."""
    ledger = contract
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "100")
    ledger.ok("release", str(ledger.ok("bill", "photos/ana", "--pieces", "5")["id"]))
    ledger.ok("campaign", "create", "Tags", "--slug", "tags", "--unit", "tag", "--rate", "12", "--currency", "JPY")
    ledger.ok("offer", "create", "tags", "ana")
    ledger.ok("offer", "accept", "tags/ana")
    ledger.ok("milestone", "add", "tags/ana", "--top-up", "1000")
    ledger.ok("release", str(ledger.ok("bill", "tags/ana", "--pieces", "10")["id"]))
    return ledger


def test_payout_in_one_currency_defaults_to_all_owed(contract: Ledger) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "100")
    contract.ok("release", str(contract.ok("bill", "--pieces", "5")["id"]))
    part = contract.ok("payout", "ana", "--amount", "7.50", "--ref", "SEPA 1")
    assert (part["worker"], part["amount"], part["amount_minor"], part["owed"], part["owed_minor"], part["ref"]) == (
        "ana",
        "7.50",
        750,
        "17.50",
        1750,
        "SEPA 1",
    )
    before = contract.dump()
    over = contract.run("--json", "payout", "ana", "--amount", "17.51")
    assert (over.code, over.error["code"]) == (1, "exceeds_owed")
    assert over.error["message"] == "worker 'ana' is owed 17.50 USD; this payout is 17.51 USD"
    assert contract.dump() == before
    rest = contract.ok("payout", "ana")
    assert (rest["amount"], rest["owed"], rest["currency"]) == ("17.50", "0.00", "USD")
    nothing = contract.run("--json", "payout", "ana")
    assert (nothing.code, nothing.error["code"]) == (1, "nothing_owed")
    (row,) = contract.ok("report", "--by", "worker")["rows"]
    assert (row["paid_out"], row["owed"], row["released"]) == ("25.00", "0.00", "25.00")
    plain = contract.run("log").out.splitlines()[-1]
    assert "payout 17.50 USD to ana" in plain


def test_payout_when_owed_in_two_currencies_needs_currency(owed: Ledger) -> None:
    before = owed.dump()
    ambiguous = owed.run("--json", "payout", "ana")
    assert (ambiguous.code, ambiguous.error["code"]) == (2, "currency_ambiguous")
    assert "JPY" in ambiguous.error["message"] and "USD" in ambiguous.error["message"]
    assert "--currency" in ambiguous.error["message"]
    assert owed.dump() == before
    yen = owed.ok("payout", "ana", "--currency", "jpy")
    assert (yen["currency"], yen["amount"], yen["amount_minor"], yen["owed"]) == ("JPY", "120", 120, "0")
    # only USD is owed now, so no --currency is needed
    dollars = owed.ok("payout", "ana", "--amount", "5")
    assert (dollars["currency"], dollars["amount"], dollars["owed"]) == ("USD", "5.00", "20.00")
    rows = {r["currency"]: r for r in owed.ok("report", "--by", "worker")["rows"]}
    assert (rows["JPY"]["paid_out"], rows["JPY"]["owed"]) == ("120", "0")
    assert (rows["USD"]["paid_out"], rows["USD"]["owed"]) == ("5.00", "20.00")


# --------------------------------------------------------------------------- report


@pytest.fixture
def month(ledger: Ledger) -> Ledger:
    """Three campaigns in two currencies, four contracts, every kind of movement."""
    ledger.ok("campaign", "create", "Restaurant photos", "--slug", "photos", "--unit", "photo", "--rate", "5")
    ledger.ok("campaign", "create", "Data entry", "--slug", "rows", "--unit", "row", "--rate", "0.005")
    ledger.ok("campaign", "create", "Tags", "--slug", "tags", "--unit", "tag", "--rate", "12", "--currency", "JPY")
    for handle in ("ana", "ben"):
        ledger.ok("worker", "add", handle)
    for ref in ("photos/ana", "photos/ben", "rows/ana", "tags/ben"):
        ledger.ok("offer", "create", *ref.split("/"))
        ledger.ok("offer", "accept", ref)
    # photos/ana: 100.00 funded; 4 photos (20.00) released; 2 photos (10.00) pending
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "100")
    ledger.ok("release", str(ledger.ok("bill", "photos/ana", "--pieces", "4")["id"]))
    ledger.ok("bill", "photos/ana", "--pieces", "2")
    # photos/ben: 50.00 funded; 3 photos rejected; ended, 50.00 refunded
    ledger.ok("milestone", "add", "photos/ben", "--top-up", "50")
    ledger.ok("reject", str(ledger.ok("bill", "photos/ben", "--pieces", "3")["id"]), "--reason", "blurred")
    ledger.ok("end", "photos/ben")
    # rows/ana: 1.00 funded; 5 rows billed (0.03), 3 released (0.015 -> 0.02), 2 rejected
    ledger.ok("milestone", "add", "rows/ana", "--top-up", "1")
    ledger.ok("release", str(ledger.ok("bill", "rows/ana", "--pieces", "5")["id"]), "--pieces", "3")
    # tags/ben: 1000 JPY funded; 10 tags (120) released
    ledger.ok("milestone", "add", "tags/ben", "--top-up", "1000")
    ledger.ok("release", str(ledger.ok("bill", "tags/ben", "--pieces", "10")["id"]))
    # payouts: ana 5.00 USD, ben 100 JPY
    ledger.ok("payout", "ana", "--amount", "5")
    ledger.ok("payout", "ben", "--amount", "100")
    return ledger


def figures(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(row[name] for name in MONEY)


def pieces(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(row[name] for name in PIECES)


def test_report_by_campaign_json(month: Ledger) -> None:
    data = month.ok("report")
    assert sorted(data) == ["rows", "totals"]
    assert data == month.ok("report", "--format", "json")
    assert [r["campaign"] for r in data["rows"]] == ["photos", "rows", "tags"]
    photos, rows, tags = data["rows"]
    # funded, reserved, released, refunded, escrow, available
    assert figures(photos) == ("150.00", "10.00", "20.00", "50.00", "80.00", "70.00")
    assert pieces(photos) == ("9", "2", "4", "3")
    assert figures(rows) == ("1.00", "0.00", "0.02", "0.00", "0.98", "0.98")
    assert pieces(rows) == ("5", "0", "3", "2")
    assert figures(tags) == ("1000", "0", "120", "0", "880", "880")
    assert pieces(tags) == ("10", "0", "10", "0")
    assert (photos["currency"], rows["currency"], tags["currency"]) == ("USD", "USD", "JPY")
    assert (photos["title"], photos["unit"]) == ("Restaurant photos", "photo")
    for row in data["rows"]:
        twins_agree(row)
    # one total per currency, never mixed
    assert [t["currency"] for t in data["totals"]] == ["JPY", "USD"]
    jpy, usd = data["totals"]
    assert figures(jpy) == ("1000", "0", "120", "0", "880", "880")
    assert figures(usd) == ("151.00", "10.00", "20.02", "50.00", "80.98", "70.98")
    assert (usd["funded_minor"], usd["released_minor"], usd["available_minor"]) == (15100, 2002, 7098)
    for total in data["totals"]:
        twins_agree(total)


def test_report_by_contract_and_worker_json(month: Ledger) -> None:
    by_contract = month.ok("report", "--by", "contract")["rows"]
    assert [(r["contract"], r["campaign"], r["worker"], r["status"]) for r in by_contract] == [
        ("photos/ana", "photos", "ana", "active"),
        ("photos/ben", "photos", "ben", "ended"),
        ("rows/ana", "rows", "ana", "active"),
        ("tags/ben", "tags", "ben", "active"),
    ]
    assert figures(by_contract[0]) == ("100.00", "10.00", "20.00", "0.00", "80.00", "70.00")
    assert figures(by_contract[1]) == ("50.00", "0.00", "0.00", "50.00", "0.00", "0.00")
    assert pieces(by_contract[1]) == ("3", "0", "0", "3")
    by_worker = month.ok("report", "--by", "worker")
    assert [(r["worker"], r["currency"], r["campaign"]) for r in by_worker["rows"]] == [
        ("ana", "USD", "photos,rows"),
        ("ben", "USD", "photos"),
        ("ben", "JPY", "tags"),
    ]
    ana, ben_usd, ben_jpy = by_worker["rows"]
    assert figures(ana) == ("101.00", "10.00", "20.02", "0.00", "80.98", "70.98")
    assert (ana["paid_out"], ana["paid_out_minor"], ana["owed"], ana["owed_minor"]) == ("5.00", 500, "15.02", 1502)
    assert (ben_usd["paid_out"], ben_usd["owed"]) == ("0.00", "0.00")
    assert (ben_jpy["paid_out"], ben_jpy["owed"], ben_jpy["owed_minor"]) == ("100", "20", 20)
    for row in by_worker["rows"]:
        twins_agree(row, (*MONEY, "paid_out", "owed"))
    # totals do not depend on the grouping
    assert by_worker["totals"] == month.ok("report")["totals"]
    only = month.ok("report", "--campaign", "tags", "--by", "contract")
    assert [r["contract"] for r in only["rows"]] == ["tags/ben"]
    assert [t["currency"] for t in only["totals"]] == ["JPY"]


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_report_csv(month: Ledger) -> None:
    result = month.run("report", "--format", "csv")
    assert result.code == 0 and result.err == ""
    table = _csv(result.out)
    header = table[0]
    assert header[:5] == ["line", "campaign", "title", "unit", "currency"]
    for name in MONEY:
        assert name in header and f"{name}_minor" in header
    for name in PIECES:
        assert name in header
    lines = [dict(zip(header, row, strict=True)) for row in table[1:]]
    assert [(x["line"], x["campaign"], x["currency"]) for x in lines] == [
        ("row", "photos", "USD"),
        ("row", "rows", "USD"),
        ("row", "tags", "JPY"),
        ("total", "", "JPY"),
        ("total", "", "USD"),
    ]
    photos, usd = lines[0], lines[4]
    assert (photos["funded"], photos["funded_minor"], photos["available"], photos["pieces_billed"]) == (
        "150.00",
        "15000",
        "70.00",
        "9",
    )
    assert (usd["released"], usd["released_minor"], usd["refunded"]) == ("20.02", "2002", "50.00")
    by_worker = _csv(month.run("report", "--by", "worker", "--format", "csv").out)
    assert by_worker[0][:4] == ["line", "worker", "campaign", "currency"]
    assert "owed_minor" in by_worker[0] and "paid_out" in by_worker[0]
    assert by_worker[1][:4] == ["row", "ana", "photos,rows", "USD"]
    by_contract = _csv(month.run("report", "--by", "contract", "--format", "csv").out)
    assert [row[1] for row in by_contract[1:5]] == ["photos/ana", "photos/ben", "rows/ana", "tags/ben"]


TRIGGER_TITLES = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "=1-2"]


def test_report_csv_cells_never_start_a_formula(ledger: Ledger) -> None:
    for n, title in enumerate(TRIGGER_TITLES):
        ledger.ok("campaign", "create", "--slug", f"c{n}", "--rate", "1", "--", title)
    ledger.ok("worker", "add", "ana", "--name", "=cmd")
    ledger.ok("offer", "create", "c0", "ana")
    ledger.ok("offer", "accept", "c0/ana")
    ledger.ok("milestone", "add", "c0/ana", "--top-up", "10")
    ledger.ok("bill", "--pieces", "1", "--note", "@note")
    for by in ("campaign", "contract", "worker"):
        table = _csv(ledger.run("report", "--by", by, "--format", "csv").out)
        for row in table:
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (by, cell)
                if cell.startswith("-"):
                    assert re.fullmatch(r"-[0-9]+(\.[0-9]+)?", cell), (by, cell)
    titles = [row[2] for row in _csv(ledger.run("report", "--format", "csv").out)[1:6]]
    assert titles == ["'" + t for t in TRIGGER_TITLES]  # prefixed, otherwise kept as typed


def test_csv_free_text_that_looks_like_a_negative_number_is_still_prefixed(ledger: Ledger) -> None:
    """DESIGN: CSV cells of *free text* never start with = + - @; a title '-42' is free text."""
    ledger.ok("campaign", "create", "--slug", "c", "--rate", "1", "--", "-42")
    table = _csv(ledger.run("report", "--format", "csv").out)
    assert table[1][2] == "'-42"


def test_negative_numbers_in_csv_are_not_touched(rows: Ledger) -> None:
    """A partial release reverses the pending reservation with negative postings: they stay numbers."""
    bill = rows.ok("bill", "--pieces", "5")
    rows.ok("release", str(bill["id"]), "--pieces", "3")
    result = rows.run("export", "--format", "csv")
    assert result.code == 0
    table = _csv(result.out)
    header = table[0]
    amounts = [(r[header.index("amount")], r[header.index("amount_minor")]) for r in table[1:]]
    assert ("-0.03", "-3") in amounts
    assert not any(a.startswith("'") or m.startswith("'") for a, m in amounts)


def test_report_table(month: Ledger) -> None:
    result = month.run("report")
    assert result.code == 0 and result.err == ""
    lines = result.out.splitlines()
    assert lines[0].split()[:10] == [
        "Campaign",
        "Unit",
        "Cur",
        "Funded",
        "Released",
        "Refunded",
        "Reserved",
        "Available",
        "In",
        "escrow",
    ]
    assert lines[1].split()[:9] == ["photos", "photo", "USD", "150.00", "20.00", "50.00", "10.00", "70.00", "80.00"]
    assert lines[3].split()[:9] == ["tags", "tag", "JPY", "1000", "120", "0", "0", "880", "880"]
    total_header = lines.index(next(line for line in lines if line.startswith("Total")))
    assert lines[total_header + 1].split() == ["JPY", "1000", "120", "0", "0", "880", "880"]
    assert lines[total_header + 2].split() == ["USD", "151.00", "20.02", "50.00", "10.00", "70.98", "80.98"]
    worker = month.run("report", "--by", "worker").out.splitlines()
    assert worker[0].split()[:3] == ["Worker", "Campaigns", "Cur"]
    assert worker[1].split()[:3] == ["ana", "photos,rows", "USD"]


def test_report_on_an_empty_ledger(ledger: Ledger) -> None:
    ledger.ok("campaign", "create", "Photos", "--rate", "5")
    data = ledger.ok("report")
    (row,) = data["rows"]
    assert figures(row) == ("0.00",) * 6
    assert pieces(row) == ("0",) * 4
    (total,) = data["totals"]
    assert (total["currency"], *figures(total)) == ("USD", *("0.00",) * 6)
    assert ledger.ok("report", "--by", "contract") == {"rows": [], "totals": []}


# --------------------------------------------------------------------------- log and verify


def test_log_and_its_contract_filter(month: Ledger) -> None:
    log = month.ok("log")
    assert [e["id"] for e in log] == list(range(1, len(log) + 1))
    assert len([e for e in log if e["postings"]]) == 16  # money movements; the rest are records
    assert log[0]["kind"] == "checkpoint" and log[0]["memo"] == "ledger created"
    for entry in log:  # every entry balances per currency: debits equal credits
        sums: dict[tuple[str, str], int] = {}
        for p in entry["postings"]:
            sums[(p["currency"], p["side"])] = sums.get((p["currency"], p["side"]), 0) + p["amount_minor"]
        for currency in {c for c, _ in sums}:
            assert sums.get((currency, "debit"), 0) == sums.get((currency, "credit"), 0), entry
    ben = month.ok("log", "--contract", "photos/ben")
    assert [(e["kind"], e["contract"]) for e in ben] == [
        ("offer_created", "photos/ben"),
        ("offer_accepted", "photos/ben"),
        ("top_up", "photos/ben"),
        ("bill", "photos/ben"),
        ("reject", "photos/ben"),
        ("refund", "photos/ben"),
    ]
    assert ben[-1]["memo"] == "refund 50.00 USD from photos/ben"
    assert [e["kind"] for e in month.ok("log", "--contract", "4") if e["postings"]] == ["top_up", "bill", "release"]
    payouts = [e for e in log if e["kind"] == "payout"]
    assert [(e["contract"], e["memo"]) for e in payouts] == [
        (None, "payout 5.00 USD to ana"),
        (None, "payout 100 JPY to ben"),
    ]
    plain = month.run("log", "--contract", "photos/ben").out.splitlines()
    assert plain[0].split() == ["#", "Date", "Kind", "Contract", "Memo", "Actor"]
    assert len(plain) == 7 and all("photos/ben" in line for line in plain[1:])
    assert [e["id"] for e in month.ok("log", "--last", "2")] == [len(log) - 1, len(log)]


def test_verify(month: Ledger) -> None:
    facts = month.ok("verify")
    log = month.ok("log")
    assert facts["ok"] is True and facts["entries"] == len(log) and facts["head"] == log[-1]["hash"]
    assert {"integrity", "hash_chain", "entries_balance", "stored_totals", "escrow_not_negative"} <= set(
        facts["checks"]
    )
    plain = month.run("verify")
    assert (plain.code, plain.err) == (0, "")
    assert plain.out == (
        f"ok: entries {len(log)}, head {log[-1]['hash']}; {facts['accounts']} accounts, "
        f"{len(facts['checks'])} checks passed\n"
    )


@pytest.mark.sqlite_only
def test_verify_names_a_tampered_entry(month: Ledger) -> None:
    import sqlite3

    payout = next(e["id"] for e in month.ok("log") if e["kind"] == "payout")
    conn = sqlite3.connect(month.db)
    try:
        triggers = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
        for name in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute("UPDATE entries SET memo = 'payout 500.00 USD to ana' WHERE id = ?", (payout,))
        conn.commit()
    finally:
        conn.close()
    result = month.run("--json", "verify")
    assert (result.code, result.out) == (5, "")
    assert result.error == {
        "code": "entry_altered",
        "message": f"verify failed: entry {payout} (payout) was altered: its hash does not match",
    }
    plain = month.run("verify")
    assert (plain.code, plain.out) == (5, "")
    assert (
        plain.err == f"piecepay: error: verify failed: entry {payout} (payout) was altered: its hash does not match\n"
    )


# --------------------------------------------------------------------------- the contract to bill


def test_bill_without_contract_uses_the_single_active_one(contract: Ledger) -> None:
    contract.ok("campaign", "create", "Tags", "--slug", "tags", "--rate", "1")
    contract.ok("worker", "add", "ben")
    contract.ok("offer", "create", "tags", "ben")  # an offer is not an active contract
    contract.ok("milestone", "add", "photos/ana", "--top-up", "20")
    bill = contract.ok("bill", "--pieces", "2")
    assert (bill["contract"], bill["amount"]) == ("photos/ana", "10.00")


def test_piecepay_contract_names_the_contract(contract: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    contract.ok("worker", "add", "ben")
    contract.ok("offer", "create", "photos", "ben")
    contract.ok("offer", "accept", "photos/ben")
    for ref in ("photos/ana", "photos/ben"):
        contract.ok("milestone", "add", ref, "--top-up", "20")
    monkeypatch.setenv("PIECEPAY_CONTRACT", "photos/ben")
    assert contract.ok("bill", "--pieces", "1")["contract"] == "photos/ben"
    assert contract.ok("bill", "photos/ana", "--pieces", "1")["contract"] == "photos/ana"  # the argument wins
    monkeypatch.setenv("PIECEPAY_CONTRACT", "1")
    assert contract.ok("bill", "--pieces", "1")["contract"] == "photos/ana"
    monkeypatch.setenv("PIECEPAY_CONTRACT", "photos/nobody")
    assert contract.run("bill", "--pieces", "1").code == 3


# --------------------------------------------------------------------------- no colour when not asked for


@pytest.mark.parametrize(
    "args",
    [
        ("campaign", "list"),
        ("campaign", "show", "photos"),
        ("worker", "list"),
        ("offer", "list"),
        ("milestone", "list", "photos/ana"),
        ("report",),
        ("report", "--by", "worker"),
        ("log",),
        ("verify",),
        ("bill", "--pieces", "1"),
    ],
)
def test_piped_output_has_no_ansi_escapes(pending: Ledger, args: tuple[str, ...]) -> None:
    result = pending.run(*args)
    assert result.code == 0, result.err
    assert result.out.strip()
    assert ANSI not in result.out and ANSI not in result.err
    assert "┃" not in result.out and "│" not in result.out


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("args", [("campaign", "show", "photos"), ("report",)])
def test_no_color_in_a_terminal_has_no_ansi_escapes(contract: Ledger, args: tuple[str, ...]) -> None:
    code, styled, _ = run_in_terminal(contract.db, args)
    assert code == 0 and "photos" in styled
    assert ANSI in styled  # a terminal gets styled output by default
    code, plain, _ = run_in_terminal(contract.db, args, {"NO_COLOR": "1"})
    assert code == 0 and "photos" in plain
    assert ANSI not in plain, repr(plain[:200])
