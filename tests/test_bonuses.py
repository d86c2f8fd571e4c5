"""Bonuses, make-up pay to a minimum wage, and time recorded apart from bills, end to end
through the command line on both stores."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Ledger

BOTH_STORES = True
TODAY = "2026-12-10"
ACCEPTED = "2026-10-01"


def photos(ledger: Ledger, top_up: str = "100") -> Ledger:
    """Campaign photos at 5 USD a photo, contract photos/ana accepted on ACCEPTED, ``top_up`` in escrow."""
    ledger.today = TODAY
    ledger.ok("campaign", "create", "Restaurant photos", "--slug", "photos", "--unit", "photo", "--rate", "5")
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "photos", "ana")
    ledger.ok("offer", "accept", "photos/ana", "--date", ACCEPTED)
    ledger.ok("milestone", "add", "photos/ana", "--top-up", top_up, "--date", ACCEPTED)
    return ledger


def rows(ledger: Ledger) -> Ledger:
    """Campaign rows at 0.10 USD a row, contract rows/ana accepted on ACCEPTED with 50.00 in escrow."""
    ledger.today = TODAY
    ledger.ok("campaign", "create", "Rows", "--slug", "rows", "--unit", "row", "--rate", "0.10")
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "rows", "ana")
    ledger.ok("offer", "accept", "rows/ana", "--date", ACCEPTED)
    ledger.ok("milestone", "add", "rows/ana", "--top-up", "50", "--date", ACCEPTED)
    return ledger


def row(ledger: Ledger, *args: str) -> dict[str, Any]:
    (only,) = ledger.ok("report", *args)["rows"]
    return dict(only)


def entries(ledger: Ledger) -> int:
    return len(ledger.ok("log"))


# --------------------------------------------------------------------------- bonuses


def test_a_bonus_from_escrow_takes_what_escrow_has_available_and_is_owed_until_paid_out(ledger: Ledger) -> None:
    photos(ledger)
    before = row(ledger)
    paid = ledger.ok("bonus", "photos/ana", "--amount", "20", "--reason", "rush weekend")
    assert (paid["amount_minor"], paid["source"], paid["reason"], paid["worker"]) == (
        2000,
        "escrow",
        "rush weekend",
        "ana",
    )
    after = row(ledger)
    assert after["available_minor"] == before["available_minor"] - 2000
    assert after["escrow_minor"] == before["escrow_minor"] - 2000
    assert (after["bonuses"], after["released_minor"]) == ("20.00", 0)
    assert row(ledger, "--by", "worker")["owed_minor"] == 2000
    assert ledger.ok("log", "--last", "1")[0]["kind"] == "bonus"
    ledger.ok("payout", "ana", "--amount", "20")
    assert row(ledger, "--by", "worker")["owed_minor"] == 0
    assert ledger.run("verify").code == 0


def test_a_bonus_from_funding_leaves_escrow_alone_and_may_follow_the_end(ledger: Ledger) -> None:
    photos(ledger)
    before = row(ledger)
    assert ledger.ok("bonus", "photos/ana", "--amount", "7.50", "--reason", "extra", "--from-funding")["source"] == (
        "funding"
    )
    after = row(ledger)
    assert (after["escrow_minor"], after["available_minor"]) == (before["escrow_minor"], before["available_minor"])
    assert after["bonuses_minor"] == 750
    ledger.ok("end", "photos/ana")
    refused = ledger.run("--json", "bonus", "photos/ana", "--amount", "1", "--reason", "late")
    assert (refused.code, refused.error["code"]) == (1, "contract_not_active")
    ledger.ok("bonus", "photos/ana", "--amount", "1", "--reason", "late", "--from-funding")
    assert ledger.ok("log", "--last", "1")[0]["kind"] == "funded_bonus"
    assert row(ledger)["bonuses_minor"] == 850
    assert row(ledger, "--by", "worker")["owed_minor"] == 850
    assert ledger.run("verify").code == 0


def test_a_bonus_over_what_escrow_has_available_is_refused_and_pending_bills_keep_their_reservation(
    ledger: Ledger,
) -> None:
    """100.00 in escrow, a bill of 2 photos reserves 10.00: a bonus of 90.01 is refused and
    writes nothing; 90.00 is paid; the bill is then released in full."""
    photos(ledger)
    billed = ledger.ok("bill", "photos/ana", "--pieces", "2")
    before = ledger.dump()
    refused = ledger.run("--json", "bonus", "photos/ana", "--amount", "90.01", "--reason", "too much")
    assert (refused.code, refused.error["code"]) == (1, "exceeds_escrow")
    assert ledger.dump() == before
    ledger.ok("bonus", "photos/ana", "--amount", "90", "--reason", "all the rest")
    assert row(ledger)["available_minor"] == 0
    assert ledger.ok("release", str(billed["id"]))["released_minor"] == 1000
    assert ledger.run("verify").code == 0


def test_a_keyed_bonus_replays_and_a_changed_request_under_its_key_is_refused(ledger: Ledger) -> None:
    photos(ledger)
    first = ledger.ok("bonus", "photos/ana", "--amount", "5", "--reason", "thanks", "--key", "b1")
    count = entries(ledger)
    assert ledger.ok("bonus", "photos/ana", "--amount", "5.00", "--reason", "thanks", "--key", "b1") == first
    assert entries(ledger) == count
    conflict = ledger.run("--json", "bonus", "photos/ana", "--amount", "6", "--reason", "thanks", "--key", "b1")
    assert conflict.code == 4 and "amount" in conflict.error["message"]
    assert entries(ledger) == count
    assert row(ledger)["bonuses_minor"] == 500


@pytest.mark.skipif(shutil.which("hledger") is None, reason="hledger not installed")
def test_hledger_and_bean_check_accept_a_journal_with_bonuses(ledger: Ledger, tmp_path: Path) -> None:
    photos(ledger)
    ledger.ok("bill", "photos/ana", "--pieces", "1")
    ledger.ok("release", "1")
    ledger.ok("bonus", "photos/ana", "--amount", "2.50", "--reason", "rush")
    ledger.ok("bonus", "photos/ana", "--amount", "1", "--reason", "extra", "--from-funding")
    journal, beans = tmp_path / "books.journal", tmp_path / "books.beancount"
    assert ledger.run("export", "--format", "hledger", "--out", str(journal)).code == 0
    assert ledger.run("export", "--format", "beancount", "--out", str(beans)).code == 0
    check = subprocess.run(["hledger", "-f", str(journal), "check", "-s"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    balance = subprocess.run(
        ["hledger", "-f", str(journal), "bal", "Expenses:Bonuses", "-N", "-O", "csv"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "3.50 USD" in balance or "USD 3.50" in balance or "3.50" in balance, balance
    bean_check = Path(sys.executable).with_name("bean-check")
    command = [str(bean_check)] if bean_check.exists() else [sys.executable, "-m", "beancount.scripts.check"]
    checked = subprocess.run([*command, str(beans)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "Expenses:Bonuses" in beans.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- make-up pay


def test_makeup_pays_the_shortfall_once_and_pay_then_shows_the_wage(ledger: Ledger) -> None:
    """30 rows at 0.10 USD over 60 minutes in 2026-W47 pay 3.00 an hour, 12.00 short of
    15.00/h; makeup pays 12.00 as a funded bonus dated in the week; run again it writes
    nothing; pay then shows 15.00 an hour and nothing short."""
    rows(ledger)
    billed = ledger.ok("bill", "rows/ana", "--pieces", "30", "--minutes", "60", "--date", "2026-11-17")
    ledger.ok("release", str(billed["id"]), "--date", "2026-11-18")
    week = ("--week", "2026-W47", "--minimum-wage", "15.00/h")
    (before,) = ledger.ok("pay", *week)["rows"]
    assert (before["effective_hourly"], before["shortfall"]) == ("3.00", "12.00")
    made = ledger.ok("makeup", *week)
    (paid,) = made["paid"]
    assert (paid["amount"], paid["source"], paid["makeup_period"], paid["date"]) == (
        "12.00",
        "funding",
        "2026-W47",
        "2026-11-22",
    )
    count, dump = entries(ledger), ledger.dump()
    again = ledger.ok("makeup", *week)
    assert again["paid"] == [] and entries(ledger) == count and ledger.dump() == dump
    (after,) = ledger.ok("pay", *week)["rows"]
    assert (after["bonuses"], after["effective_hourly"], after["shortfall"]) == ("12.00", "15.00", "0.00")
    assert ledger.run("verify").code == 0


def test_a_campaigns_own_minimum_wage_is_what_pay_and_makeup_measure_it_against(ledger: Ledger) -> None:
    """A campaign may name its wage (campaign create or edit --minimum-wage): pay and makeup of
    that campaign use it when none is given; given, the one typed wins; a makeup with neither
    is refused and writes nothing."""
    rows(ledger)
    billed = ledger.ok("bill", "rows/ana", "--pieces", "30", "--minutes", "60", "--date", "2026-11-17")
    ledger.ok("release", str(billed["id"]), "--date", "2026-11-18")
    count = entries(ledger)
    refused = ledger.run("--json", "makeup", "--week", "2026-W47", "--campaign", "rows")
    assert (refused.code, refused.error["code"], entries(ledger)) == (2, "wage_required", count)
    edited = ledger.ok("campaign", "edit", "rows", "--minimum-wage", "12/h")
    assert (edited["minimum_wage"], edited["minimum_wage_minor"]) == ("12.00", 1200)
    (own,) = ledger.ok("pay", "--week", "2026-W47", "--campaign", "rows")["rows"]
    assert own["shortfall"] == "9.00"
    (typed,) = ledger.ok("pay", "--week", "2026-W47", "--campaign", "rows", "--minimum-wage", "15/h")["rows"]
    assert typed["shortfall"] == "12.00"
    (everyone,) = ledger.ok("pay", "--week", "2026-W47")["rows"]  # no campaign named: no wage but one typed
    assert everyone["shortfall"] is None
    (paid,) = ledger.ok("makeup", "--week", "2026-W47", "--campaign", "rows")["paid"]
    assert paid["amount"] == "9.00"
    assert ledger.ok("campaign", "edit", "rows", "--minimum-wage", "none")["minimum_wage"] is None
    assert ledger.run("verify").code == 0


def test_a_makeup_of_one_campaign_pays_on_that_campaigns_contract(ledger: Ledger) -> None:
    """ana works on rows and on photos in 2026-W47, photos the later: a make-up of rows alone
    is paid on rows/ana, and counts only rows' bills."""
    rows(ledger)
    ledger.ok("campaign", "create", "Photos", "--slug", "photos", "--unit", "photo", "--rate", "5")
    ledger.ok("offer", "create", "photos", "ana")
    ledger.ok("offer", "accept", "photos/ana", "--date", ACCEPTED)
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "50", "--date", ACCEPTED)
    for ref, pieces, day in (("rows/ana", "30", "2026-11-17"), ("photos/ana", "1", "2026-11-20")):
        billed = ledger.ok("bill", ref, "--pieces", pieces, "--minutes", "60", "--date", day)
        ledger.ok("release", str(billed["id"]), "--date", day)
    (paid,) = ledger.ok("makeup", "--week", "2026-W47", "--minimum-wage", "15/h", "--campaign", "rows")["paid"]
    assert (paid["contract"], paid["amount"]) == ("rows/ana", "12.00")
    (both,) = ledger.ok("makeup", "--week", "2026-W47", "--minimum-wage", "15/h")["paid"]
    # both campaigns: 2 hours, 3.00 + 5.00 + 12.00 paid, 10.00 short; on the latest worked
    assert (both["contract"], both["amount"]) == ("photos/ana", "10.00")
    assert ledger.run("verify").code == 0


def test_makeup_of_a_week_that_crosses_a_month_counts_its_days_in_both(ledger: Ledger) -> None:
    """2026-W44 runs from Monday 26 October to Sunday 1 November: a bill on 27 October (30 rows,
    60 minutes) and time on 1 November (60 minutes) make 2 hours paid 3.00; the make-up, dated
    the week's last day, pays 27.00."""
    rows(ledger)
    billed = ledger.ok("bill", "rows/ana", "--pieces", "30", "--minutes", "60", "--date", "2026-10-27")
    ledger.ok("release", str(billed["id"]), "--date", "2026-10-28")
    ledger.ok("time", "rows/ana", "--minutes", "60", "--date", "2026-11-01", "--note", "training")
    (paid,) = ledger.ok("makeup", "--week", "2026-W44", "--minimum-wage", "15.00/h")["paid"]
    assert (paid["amount"], paid["date"]) == ("27.00", "2026-11-01")
    assert ledger.ok("makeup", "--week", "2026-W44", "--minimum-wage", "15.00/h")["paid"] == []
    (after,) = ledger.ok("pay", "--week", "2026-W44", "--minimum-wage", "15.00/h")["rows"]
    assert (after["minutes"], after["shortfall"]) == (120, "0.00")


def test_makeup_refuses_a_date_outside_its_period_and_a_period_not_begun(ledger: Ledger) -> None:
    rows(ledger)
    billed = ledger.ok("bill", "rows/ana", "--pieces", "30", "--minutes", "60", "--date", "2026-11-17")
    ledger.ok("release", str(billed["id"]))
    before = ledger.dump()
    outside = ledger.run("--json", "makeup", "--week", "2026-W47", "--minimum-wage", "15/h", "--date", "2026-11-23")
    assert (outside.code, outside.error["code"]) == (2, "date_outside_period")
    ahead = ledger.run("--json", "makeup", "--week", "2026-W52", "--minimum-wage", "15/h")
    assert ahead.code == 1 and ahead.error["code"] == "period_ahead"
    assert ledger.dump() == before
    inside = ledger.ok("makeup", "--week", "2026-W47", "--minimum-wage", "15/h", "--date", "2026-11-20")
    assert inside["paid"][0]["date"] == "2026-11-20"


# --------------------------------------------------------------------------- time


def test_time_counts_in_pay_s_hours_and_only_on_an_active_contract(ledger: Ledger) -> None:
    rows(ledger)
    billed = ledger.ok("bill", "rows/ana", "--pieces", "30", "--minutes", "30", "--date", "2026-11-17")
    ledger.ok("release", str(billed["id"]))
    recorded = ledger.ok("time", "rows/ana", "--minutes", "90", "--date", "2026-11-18", "--note", "a meeting")
    assert (recorded["minutes"], recorded["date"], recorded["note"]) == (90, "2026-11-18", "a meeting")
    assert ledger.ok("log", "--last", "1")[0]["kind"] == "time_recorded"
    (week,) = ledger.ok("pay", "--week", "2026-W47")["rows"]
    assert (week["minutes"], week["hours"], week["effective_hourly"]) == (120, "2.00", "1.50")
    ledger.ok("end", "rows/ana")
    count = entries(ledger)
    ended = ledger.run("--json", "time", "rows/ana", "--minutes", "10")
    assert (ended.code, ended.error["code"]) == (1, "contract_not_active")
    assert entries(ledger) == count


def test_a_statement_shows_a_bonus_among_the_earnings(ledger: Ledger) -> None:
    photos(ledger)
    ledger.ok("bill", "photos/ana", "--pieces", "1", "--date", "2026-11-05")
    ledger.ok("release", "1", "--date", "2026-11-05")
    ledger.ok("bonus", "photos/ana", "--amount", "2", "--reason", "rush", "--date", "2026-11-06")
    (totals,) = ledger.ok("statement", "ana", "--period", "2026-11")["totals"]
    earned = {part["kind"]: part["amount"] for part in totals["earned_by_kind"]}
    assert earned == {"release": "5.00", "bonus": "2.00"} and totals["earned"] == "7.00"
    text = ledger.run("statement", "ana", "--period", "2026-11").out
    assert "bonus" in text and "rush" in text
