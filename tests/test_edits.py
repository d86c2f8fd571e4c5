"""A campaign's terms, end to end: the revision and reversal windows it starts with."""

from __future__ import annotations

import pytest

from tests.conftest import Ledger, Result

BOTH_STORES = True  # every test here runs on a file and on PostgreSQL

TODAY = "2026-11-20"


@pytest.fixture
def photos(ledger: Ledger) -> Ledger:
    """Campaign photos ($5 a photo, budget 500, 200 pieces, deadline 2026-12-31) and an active
    contract photos/ana with 100.00 in escrow; the calendar pinned to 2026-11-20."""
    ledger.today = TODAY
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
        "--deadline",
        "2026-12-31",
    )
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "photos", "ana")
    ledger.ok("offer", "accept", "photos/ana")
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "100")
    return ledger


def edits(ledger: Ledger, kind: str = "campaign_edited") -> list[dict[str, object]]:
    return [entry for entry in ledger.ok("log") if entry["kind"] == kind]


def refused(ledger: Ledger, code: int, error: str, *args: str, today: str | None = None) -> str:
    """Run a command that must be refused with ``code`` and ``error``, writing nothing; its message."""
    before = ledger.dump()
    result = ledger.run("--json", *args, today=today)
    assert (result.code, result.out) == (code, ""), result.err
    assert result.error["code"] == error, result.err
    assert ledger.dump() == before
    plain = ledger.run(*args, today=today)
    assert plain.code == code and plain.err.count("\n") == 1 and plain.err.startswith("piecepay: error: ")
    return str(result.error["message"])


def verified(ledger: Ledger) -> Result:
    result = ledger.run("--json", "verify")
    assert result.code == 0, result.err
    return result


# --------------------------------------------------------------------------- the windows a campaign starts with


def test_create_sets_the_revision_and_reversal_windows_and_show_and_list_give_them(photos: Ledger) -> None:
    made = photos.ok("campaign", "create", "Rows", "--rate", "0.01", "--revision-days", "3", "--reversal-days", "0")
    assert (made["revision_days"], made["reversal_days"]) == (3, 0)
    listed = {c["id"]: c for c in photos.ok("campaign", "list", "--format", "json")}
    assert (listed["photos"]["revision_days"], listed["photos"]["reversal_days"]) == (7, 30)  # the defaults
    assert (listed["rows"]["revision_days"], listed["rows"]["reversal_days"]) == (3, 0)
    shown = photos.ok("campaign", "show", "rows")
    assert (shown["revision_days"], shown["reversal_days"]) == (3, 0)
    plain = photos.run("campaign", "show", "rows").out
    assert "  revision days  3\n" in plain and "  reversal days  0\n" in plain


@pytest.mark.parametrize(
    ("option", "value", "error"),
    [
        ("--revision-days", "0", "out_of_range"),
        ("--revision-days", "31", "out_of_range"),
        ("--reversal-days", "366", "out_of_range"),
        ("--reversal-days", "-1", "bad_number"),
    ],
)
def test_create_refuses_windows_out_of_range(photos: Ledger, option: str, value: str, error: str) -> None:
    refused(photos, 2, error, "campaign", "create", "Rows", "--rate", "0.01", option, value)
    photos.ok("campaign", "create", "Rows", "--rate", "0.01", option, "30")
