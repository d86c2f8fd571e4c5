"""Revisions and reversals through the real command line, on both stores: `revise` sends a
pending bill back to its worker (reservation kept, review clock stopped), `resubmit` brings
it back (as many pieces or fewer, its review window started again), the sweep rejects a
revision not resubmitted within the campaign's revision window, and `release` reverses a
rejection within the campaign's reversal window when escrow and the cap have room now.

The review round trip of the reviewer's day is played here too, against a model."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Ledger

BOTH_STORES = True

DAY = "2026-11-02"  # the bills' date
RATE = Decimal("0.35")


@pytest.fixture
def photos(ledger: Ledger) -> Ledger:
    """photos/ana at 5.00 USD a photo, 100.00 in escrow under a cap of 60.00 (review window
    14 days, revision window 5, reversal window 10); bills 1 (5 photos) and 2 (4 photos)."""
    ledger.today = DAY
    ledger.ok(
        "campaign", "create", "Photos", "--slug", "photos", "--rate", "5", "--revision-days", "5",
        "--reversal-days", "10",
    )  # fmt: skip
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "photos", "ana")
    ledger.ok("offer", "accept", "photos/ana")
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "100", "--cap", "60")
    ledger.ok("bill", "photos/ana", "--pieces", "5", "--proof", "a.jpg")
    ledger.ok("bill", "photos/ana", "--pieces", "4")
    return ledger


def figures(ledger: Ledger) -> tuple[str, ...]:
    """The campaign's reserved, released and available money, and its pending, released and
    rejected pieces, from the report."""
    (row,) = ledger.ok("report")["rows"]
    return (
        row["reserved"],
        row["released"],
        row["available"],
        row["pieces_pending"],
        row["pieces_released"],
        row["pieces_rejected"],
    )


def kinds(ledger: Ledger) -> list[str]:
    return [entry["kind"] for entry in ledger.ok("log")]


def refusal(ledger: Ledger, *args: str, today: str | None = None) -> tuple[int, str, str]:
    result = ledger.run("--json", *args, today=today)
    assert result.out == "", result.out
    error = json.loads(result.err)["error"]
    return result.code, error["code"], error["message"]


# --------------------------------------------------------------------------- revise and resubmit


def test_a_revision_keeps_the_reservation_and_stops_the_review_clock(photos: Ledger) -> None:
    before = figures(photos)
    revised = photos.ok("revise", "1", "--reason", "two photos are blurry")
    assert (revised["status"], revised["reason"]) == ("revising", "two photos are blurry")
    assert figures(photos) == before == ("45.00", "0.00", "55.00", "9", "0", "0")
    assert kinds(photos)[-1] == "revise"
    # long past bill 1's review window (14 days), the sweep leaves it alone until its revision lapses
    plan = photos.ok("sweep", "--dry-run", today="2026-11-06")
    assert [(a["action"], a["bill_id"], a["date"]) for a in plan if a.get("bill_id") == 1] == [
        ("reject_soon", 1, "2026-11-07")
    ]
    listed = photos.ok("bill", "list", "--status", "revising")
    assert [(b["id"], b["review_closes"]) for b in listed] == [(1, "2026-11-07")]
    assert photos.ok("verify")["ok"] is True


def test_a_resubmission_for_fewer_pieces_gives_back_the_rest_of_the_reservation(photos: Ledger) -> None:
    photos.ok("revise", "1", "--reason", "two photos are blurry")
    back = photos.ok(
        "resubmit", "1", "--pieces", "3", "--proof", "b.jpg", "--note", "retaken", "--date", DAY, today="2026-11-04"
    )
    assert (back["status"], back["pieces"], back["amount"], back["note"]) == ("pending", "3", "15.00", "retaken")
    assert back["proofs"] == ["a.jpg", "b.jpg"]  # proofs are added to the bill's
    assert figures(photos) == ("35.00", "0.00", "65.00", "7", "0", "0")
    log = photos.ok("log")
    assert log[-1]["kind"] == "resubmit" and log[-1]["memo"].endswith("(retaken); was 5 pieces")
    assert [p["amount"] for p in log[-1]["postings"]] == ["-10.00", "-10.00"]
    assert photos.ok("verify")["ok"] is True


def test_a_resubmission_for_as_many_pieces_moves_no_money(photos: Ledger) -> None:
    photos.ok("revise", "2", "--reason", "crop the edges")
    back = photos.ok("resubmit", "2")
    assert (back["status"], back["pieces"], back["amount"]) == ("pending", "4", "20.00")
    assert photos.ok("log")[-1]["postings"] == []
    assert figures(photos) == ("45.00", "0.00", "55.00", "9", "0", "0")
    assert photos.ok("verify")["ok"] is True


def test_a_resubmission_may_not_claim_more_pieces(photos: Ledger) -> None:
    photos.ok("revise", "2", "--reason", "crop the edges")
    before = photos.dump()
    code, error, message = refusal(photos, "resubmit", "2", "--pieces", "5")
    assert (code, error) == (1, "resubmit_exceeds_bill")
    assert message == "bill 2 is for 4 pieces (20.00 USD); a resubmission may claim as many or fewer, not 5 (25.00 USD)"
    assert photos.dump() == before
    assert photos.ok("resubmit", "2", "--pieces", "4")["amount"] == "20.00"  # the limit itself passes


@pytest.mark.parametrize(
    ("first", "args", "code"),
    [
        ((), ("resubmit", "1"), "bill_not_revising"),
        (("revise", "1", "--reason", "x"), ("revise", "1", "--reason", "y"), "bill_revising"),
        (("release", "1"), ("revise", "1", "--reason", "y"), "bill_already_released"),
        (("reject", "1", "--reason", "x"), ("resubmit", "1"), "bill_already_rejected"),
        (("revise", "1", "--reason", "x"), ("resubmit", "1", "--date", "2026-11-01"), "date_before_revision"),
        ((), ("revise", "1", "--reason", "x", "--date", "2026-11-01"), "date_before_bill"),
    ],
    ids=["not revising", "twice", "released", "rejected", "before the revision", "before the bill"],
)
def test_revisions_refused(photos: Ledger, first: tuple[str, ...], args: tuple[str, ...], code: str) -> None:
    if first:
        photos.ok(*first)
    before = photos.dump()
    assert refusal(photos, *args)[:2] == (1, code)
    assert photos.dump() == before


def test_the_review_window_starts_again_on_the_day_of_the_resubmission(photos: Ledger) -> None:
    photos.ok("revise", "1", "--reason", "crop", today="2026-11-03")
    photos.ok("resubmit", "1", today="2026-11-06")
    # bill 2 (dated 2026-11-02) is due on 2026-11-16; bill 1 only 14 days after it came back
    due = {a["bill_id"]: (a["action"], a["date"]) for a in photos.ok("sweep", today="2026-11-19")}
    assert due == {2: ("release", "2026-11-16"), 1: ("release_soon", "2026-11-20")}
    assert [a["bill_id"] for a in photos.ok("sweep", today="2026-11-20")] == [1]
    assert photos.ok("bill", "show", "1")["reason"] == "auto-released: the review window passed"


def test_the_sweep_rejects_a_revision_not_resubmitted_in_time(photos: Ledger) -> None:
    photos.ok("revise", "1", "--reason", "crop", today="2026-11-03")
    assert [a["action"] for a in photos.ok("sweep", today="2026-11-07")] == ["reject_soon"]  # due on the 8th
    assert photos.ok("bill", "show", "1")["status"] == "revising"
    done = photos.ok("sweep", today="2026-11-08")
    assert [(a["action"], a["bill_id"], a["date"], a["status"]) for a in done] == [("reject", 1, "2026-11-08", "done")]
    shown = photos.ok("bill", "show", "1")
    assert (shown["status"], shown["reason"]) == ("rejected", "revision not resubmitted")
    assert [(r["status"], r["resolved_on"]) for r in shown["revisions"]] == [("closed", "2026-11-08")]
    assert photos.ok("sweep", today="2026-11-08") == []  # nothing twice
    assert figures(photos) == ("20.00", "0.00", "80.00", "4", "0", "5")
    assert photos.ok("verify")["ok"] is True


def test_a_bill_out_for_revision_may_still_be_released_or_rejected(photos: Ledger) -> None:
    photos.ok("revise", "1", "--reason", "crop")
    photos.ok("revise", "2", "--reason", "crop")
    assert photos.ok("release", "1", "--pieces", "2")["released"] == "10.00"
    assert photos.ok("reject", "2", "--reason", "never came back")["status"] == "rejected"
    assert {r["status"] for b in (1, 2) for r in photos.ok("bill", "show", str(b))["revisions"]} == {"closed"}
    assert photos.ok("verify")["ok"] is True


def test_a_contract_ends_with_its_revising_bills_resolved(photos: Ledger) -> None:
    photos.ok("revise", "1", "--reason", "crop")
    code, error, message = refusal(photos, "end", "photos/ana")
    assert (code, error) == (1, "pending_bills") and "2 pending bill(s)" in message
    ended = photos.ok("end", "photos/ana", "--reject-pending")
    assert ended["refunded"] == "100.00"
    assert photos.ok("bill", "show", "1")["revisions"][0]["status"] == "closed"
    assert photos.ok("verify")["ok"] is True


def test_revise_and_resubmit_replay_under_their_key(photos: Ledger) -> None:
    first = photos.ok("revise", "1", "--reason", "crop", "--key", "r-1")
    after = photos.dump()
    assert photos.ok("revise", "1", "--reason", "crop", "--key", "r-1") == first
    assert photos.dump() == after
    assert refusal(photos, "revise", "1", "--reason", "other", "--key", "r-1")[:2] == (
        4,
        "key_reused_with_different_request",
    )
    back = photos.ok("resubmit", "1", "--pieces", "4", "--key", "s-1")
    after = photos.dump()
    assert photos.ok("resubmit", "1", "--pieces", "4.0", "--key", "s-1") == back
    assert photos.dump() == after


def test_bill_show_lists_revisions_and_every_entry_about_the_bill(photos: Ledger) -> None:
    photos.ok("revise", "1", "--reason", "crop", today="2026-11-03")
    photos.ok("resubmit", "1", "--pieces", "4", today="2026-11-04")
    photos.ok("revise", "1", "--reason", "again", today="2026-11-05")
    shown = photos.ok("bill", "show", "1", today="2026-11-05")
    assert [(r["reason"], r["asked_on"], r["status"]) for r in shown["revisions"]] == [
        ("crop", "2026-11-03", "resubmitted"),
        ("again", "2026-11-05", "open"),
    ]
    assert [e["kind"] for e in shown["entries"]] == ["bill", "revise", "resubmit", "revise"]
    assert shown["review_closes"] == "2026-11-10"  # the revision window: 5 days from the 5th
    table = photos.run("bill", "show", "1", today="2026-11-05").out
    assert "Revisions" in table and "resubmitted" in table


# --------------------------------------------------------------------------- reversing a rejection


def test_a_rejection_is_reversed_by_a_release_that_names_it(photos: Ledger) -> None:
    photos.ok("reject", "2", "--reason", "wrong venue")
    rejection = photos.ok("log")[-1]["id"]
    back = photos.ok("release", "2", "--pieces", "3", today="2026-11-12")  # the window's last day
    assert (back["status"], back["released"], back["reason"]) == (
        "released",
        "15.00",
        f"reverses the rejection in entry {rejection}",
    )
    last = photos.ok("log")[-1]
    assert last["kind"] == "reversal" and f"after its rejection (entry {rejection})" in last["memo"]
    assert figures(photos) == ("25.00", "15.00", "60.00", "5", "3", "1")
    assert [e["kind"] for e in photos.ok("bill", "show", "2")["entries"]] == ["bill", "reject", "reversal"]
    assert refusal(photos, "release", "2", today="2026-11-12")[:2] == (1, "bill_already_released")
    assert photos.ok("verify")["ok"] is True


def test_a_rejection_is_not_reversed_after_its_window(photos: Ledger) -> None:
    photos.ok("reject", "2", "--reason", "wrong venue")
    before = photos.dump()
    code, error, message = refusal(photos, "release", "2", today="2026-11-13")
    assert (code, error) == (1, "reversal_window_passed")
    assert message == (
        "bill 2 was rejected on 2026-11-02; a rejection may be reversed within 10 days (until 2026-11-12)"
    )
    assert photos.dump() == before


def test_a_reversal_says_what_is_short(photos: Ledger) -> None:
    photos.ok("reject", "2", "--reason", "wrong venue")  # 20.00 back: 25.00 of the cap of 60.00 spent
    photos.ok("bill", "photos/ana", "--pieces", "7")  # 35.00 more: 60.00 spent
    before = photos.dump()
    code, error, message = refusal(photos, "release", "2")
    assert (code, error, message) == (
        1,
        "exceeds_milestone_cap",
        "milestone cap 60.00 USD has 0.00 USD left; releasing bill 2 needs 20.00 USD",
    )
    assert photos.dump() == before
    photos.ok("milestone", "add", "photos/ana", "--top-up", "0")  # a new milestone: the old cap still binds bill 2
    assert refusal(photos, "release", "2")[1] == "exceeds_milestone_cap"
    photos.ok("reject", "3", "--reason", "duplicate")  # room in the cap again
    photos.ok("end", "photos/ana", "--reject-pending")  # everything left in escrow refunded
    assert refusal(photos, "release", "2")[1] == "contract_not_active"


def test_a_reversal_needs_room_in_escrow(ledger: Ledger) -> None:
    ledger.today = DAY
    ledger.ok("campaign", "create", "Rows", "--slug", "rows", "--rate", "1")
    ledger.ok("worker", "add", "bo")
    ledger.ok("offer", "create", "rows", "bo")
    ledger.ok("offer", "accept", "rows/bo")
    ledger.ok("milestone", "add", "rows/bo", "--top-up", "10")
    ledger.ok("bill", "rows/bo", "--pieces", "6")
    ledger.ok("reject", "1", "--reason", "wrong sheet")
    ledger.ok("bill", "rows/bo", "--pieces", "5")
    code, error, message = refusal(ledger, "release", "1")
    assert (code, error, message) == (
        1,
        "exceeds_escrow",
        "escrow has 5.00 USD available; releasing bill 1 needs 6.00 USD",
    )
    assert ledger.ok("release", "1", "--pieces", "5")["released"] == "5.00"  # exactly what is there
    assert ledger.ok("verify")["ok"] is True


# --------------------------------------------------------------------------- the review round trip


@dataclass
class Modelled:
    """What the model expects of one bill."""

    pieces: int
    status: str = "pending"
    released: int = 0  # pieces released


def cents(pieces: int) -> int:
    return int((pieces * RATE * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_the_review_round_trip(ledger: Ledger, tmp_path: Path) -> None:
    """Fifty bills listed as CSV, marked 30 release (5 of them in part), 10 reject and 10
    revise, and applied; the same file again writes nothing; 5 revisions are resubmitted and
    the sweep rejects the other 5 when the revision window passes; one rejection is reversed.
    The report and verify agree with a model of each bill."""
    ledger.today = "2026-11-02"
    ledger.ok("campaign", "create", "Rows", "--slug", "rows", "--unit", "row", "--rate", str(RATE))
    for worker in ("ana", "bo"):
        ledger.ok("worker", "add", worker)
        ledger.ok("offer", "create", "rows", worker)
        ledger.ok("offer", "accept", f"rows/{worker}")
        ledger.ok("milestone", "add", f"rows/{worker}", "--top-up", "1000")
    model: dict[int, Modelled] = {}
    for number in range(1, 51):
        pieces = 10 + number
        ledger.ok("bill", f"rows/{'ana' if number % 2 else 'bo'}", "--pieces", str(pieces))
        model[number] = Modelled(pieces)

    ledger.today = "2026-11-03"
    listed = ledger.run("bill", "list", "--status", "pending", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(listed.out)))
    assert [int(row["id"]) for row in rows] == list(range(1, 51))
    for row in rows:
        bill = int(row["id"])
        if bill <= 30:
            row["action"] = "release"
            if bill <= 5:
                row["pieces"] = str(bill)  # in part
        elif bill <= 40:
            row["action"], row["reason"] = "reject", f"rows {bill} are empty"
        else:
            row["action"], row["reason"] = "revise", "add the missing column"
    path = tmp_path / "review.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    done = ledger.ok("review", "--from", str(path))
    assert (done["released"], done["rejected"], done["revised"], done["replayed"]) == (30, 10, 10, 0)
    for bill, m in model.items():
        if bill <= 30:
            m.status, m.released = "released", bill if bill <= 5 else m.pieces
        elif bill <= 40:
            m.status = "rejected"
        else:
            m.status = "revising"
    written = ledger.dump()
    again = ledger.ok("review", "--from", str(path))
    assert (again["released"], again["rejected"], again["revised"], again["replayed"]) == (0, 0, 0, 50)
    assert ledger.dump() == written

    for bill in range(41, 46):  # five come back, two of them for fewer rows
        fewer = ("--pieces", str(model[bill].pieces - 3)) if bill < 43 else ()
        ledger.ok("resubmit", str(bill), *fewer)
        model[bill].status = "pending"
        if fewer:
            model[bill].pieces -= 3
    ledger.today = "2026-11-10"  # the default revision window is 7 days: the other five lapse
    swept = ledger.ok("sweep")
    assert sorted((a["action"], a["bill_id"]) for a in swept) == [("reject", bill) for bill in range(46, 51)]
    for bill in range(46, 51):
        model[bill].status = "rejected"
    assert ledger.ok("release", "33")["status"] == "released"  # a rejection reversed
    model[33].status, model[33].released = "released", model[33].pieces

    statuses = {b["id"]: (b["status"], b["pieces"], b["released"]) for b in ledger.ok("bill", "list")}
    assert statuses == {
        bill: (m.status, str(m.pieces), f"{Decimal(cents(m.released)) / 100:.2f}") for bill, m in model.items()
    }
    totals: dict[str, Any] = ledger.ok("report")["totals"][0]
    pending = [m for m in model.values() if m.status == "pending"]
    assert totals["released_minor"] == sum(cents(m.released) for m in model.values())
    assert totals["reserved_minor"] == sum(cents(m.pieces) for m in pending)
    assert totals["available_minor"] == 200000 - totals["released_minor"] - totals["reserved_minor"]
    (row,) = ledger.ok("report")["rows"]
    assert (row["pieces_pending"], row["pieces_released"], row["pieces_rejected"]) == (
        str(sum(m.pieces for m in pending)),
        str(sum(m.released for m in model.values())),
        str(sum(m.pieces - m.released for m in model.values() if m.status != "pending")),
    )
    assert ledger.ok("verify")["ok"] is True
