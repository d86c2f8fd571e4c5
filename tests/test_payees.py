"""piecepay payees: a tax year's payouts per worker and currency, flagged at the 1099-NEC
threshold, on both stores, held against the journal's own postings."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest

from piecepay import rules
from piecepay.money import Currency, Money
from tests.conftest import Ledger, run_in_terminal

BOTH_STORES = True

TODAY = "2026-07-01"
USD = Currency("USD", 2)
JPY = Currency("JPY", 0)
NAME = '=HYPERLINK("https://evil.example","Ana")'
EMAIL = "+ana@example.com"


@pytest.fixture
def paid(ledger: Ledger) -> Ledger:
    """Workers ana, ben and cy on photos ($5 a photo) and ana on tags (12 JPY a tag), every
    contract accepted on 2025-01-02 with earnings released; payouts:

    - ana: 599.99 USD on 2025-12-31; 1500.00 USD on 2026-01-01 and 500.00 USD on 2026-06-30
      (2,000.00 in 2026); 100 JPY on 2026-01-15
    - ben: 600.00 USD on 2025-03-01; 1999.99 USD on 2026-02-01
    - cy: released earnings, never paid out
    """
    ledger.today = TODAY
    ledger.ok("campaign", "create", "Photos", "--slug", "photos", "--unit", "photo", "--rate", "5")
    ledger.ok("campaign", "create", "Tags", "--slug", "tags", "--unit", "tag", "--rate", "12", "--currency", "JPY")
    ledger.ok("worker", "add", "ana", "--name", NAME, "--email", EMAIL)
    ledger.ok("worker", "add", "ben", "--name", "Ben Okafor", "--email", "ben@example.com")
    ledger.ok("worker", "add", "cy")
    for ref, top_up, pieces in (
        ("photos/ana", "5000", "1000"),
        ("photos/ben", "5000", "1000"),
        ("photos/cy", "100", "10"),
        ("tags/ana", "1200", "100"),
    ):
        ledger.ok("offer", "create", *ref.split("/"))
        ledger.ok("offer", "accept", ref, "--date", "2025-01-02")
        ledger.ok("milestone", "add", ref, "--top-up", top_up, "--date", "2025-01-02")
        bill = ledger.ok("bill", ref, "--pieces", pieces, "--date", "2025-01-03")["id"]
        ledger.ok("release", str(bill), "--date", "2025-01-04")
    for worker, amount, day, *currency in (
        ("ana", "599.99", "2025-12-31", "--currency", "USD"),
        ("ana", "1500", "2026-01-01", "--currency", "USD"),
        ("ana", "500", "2026-06-30", "--currency", "USD"),
        ("ana", "100", "2026-01-15", "--currency", "JPY"),
        ("ben", "600", "2025-03-01"),
        ("ben", "1999.99", "2026-02-01"),
    ):
        ledger.ok("payout", worker, "--amount", amount, "--date", day, *currency)
    return ledger


ROW = ("worker", "currency", "paid", "paid_minor", "payouts", "first_payout", "last_payout", "over_threshold")


def rows(document: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [tuple(r[key] for key in ROW) for r in document["rows"]]


def journal_sums(ledger: Ledger, year: int) -> dict[tuple[str, str], tuple[int, int]]:
    """(worker, currency) -> (minor units, payouts), summed from every payout entry of the
    whole journal dated in ``year``: the worker's account debited, the payout sink credited."""
    sums: dict[tuple[str, str], tuple[int, int]] = {}
    for entry in ledger.ok("log"):
        if entry["kind"] != "payout" or not entry["date"].startswith(f"{year}-"):
            continue
        (debit,) = [p for p in entry["postings"] if p["side"] == "debit"]
        (credit,) = [p for p in entry["postings"] if p["side"] == "credit"]
        assert (credit["account"], credit["amount_minor"], debit["phase"]) == (
            "payouts",
            debit["amount_minor"],
            "posted",
        )
        worker = debit["account"].removeprefix("worker:")
        minor, count = sums.get((worker, debit["currency"]), (0, 0))
        sums[(worker, debit["currency"])] = (minor + debit["amount_minor"], count + 1)
    return sums


# --------------------------------------------------------------------------- the rule


def test_the_default_threshold_is_600_through_2025_and_2000_from_2026() -> None:
    assert rules.payee_threshold(2025) == Decimal(600)
    assert rules.payee_threshold(2026) == Decimal(2000)
    assert rules.payee_threshold(2000) == Decimal(600)
    assert rules.payee_threshold(2099) == Decimal(2000)


def test_the_threshold_flags_at_or_over_and_only_its_own_currency() -> None:
    limit = Money(200000, USD)
    assert rules.over_threshold(Money(200000, USD), limit) is True
    assert rules.over_threshold(Money(199999, USD), limit) is False
    assert rules.over_threshold(Money(10**9, JPY), limit) is None


# --------------------------------------------------------------------------- the command


def test_a_year_lists_its_payouts_per_worker_and_currency(paid: Ledger) -> None:
    document = paid.ok("payees", "--year", "2026")
    assert (document["year"], document["threshold"], document["threshold_minor"]) == (2026, "2000.00", 200000)
    assert document["threshold_currency"] == "USD"
    assert rows(document) == [
        ("ana", "JPY", "100", 100, 1, "2026-01-15", "2026-01-15", None),
        ("ana", "USD", "2000.00", 200000, 2, "2026-01-01", "2026-06-30", True),  # exactly at it
        ("ben", "USD", "1999.99", 199999, 1, "2026-02-01", "2026-02-01", False),  # a cent below
    ]
    assert [(r["name"], r["email"]) for r in document["rows"]] == [
        (NAME, EMAIL),
        (NAME, EMAIL),
        ("Ben Okafor", "ben@example.com"),
    ]
    assert document["totals"] == [
        {"currency": "JPY", "paid": "100", "paid_minor": 100, "payouts": 1, "workers": 1},
        {"currency": "USD", "paid": "3999.99", "paid_minor": 399999, "payouts": 3, "workers": 2},
    ]


def test_the_effective_date_decides_the_year_and_2025_defaults_to_600(paid: Ledger) -> None:
    document = paid.ok("payees", "--year", "2025")
    assert (document["threshold"], document["threshold_minor"]) == ("600.00", 60000)
    assert rows(document) == [
        ("ana", "USD", "599.99", 59999, 1, "2025-12-31", "2025-12-31", False),  # a cent below
        ("ben", "USD", "600.00", 60000, 1, "2025-03-01", "2025-03-01", True),  # exactly at it
    ]
    assert [t["paid_minor"] for t in document["totals"]] == [119999]


def test_threshold_overrides_the_default(paid: Ledger) -> None:
    document = paid.ok("payees", "--year", "2026", "--threshold", "1999.99")
    assert (document["threshold"], document["threshold_minor"]) == ("1999.99", 199999)
    assert [(r["worker"], r["currency"], r["over_threshold"]) for r in document["rows"]] == [
        ("ana", "JPY", None),
        ("ana", "USD", True),
        ("ben", "USD", True),
    ]
    higher = paid.ok("payees", "--year", "2025", "--threshold", "2000")
    assert [r["over_threshold"] for r in higher["rows"]] == [False, False]


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_figures_are_the_journals_payouts(paid: Ledger, year: int) -> None:
    document = paid.ok("payees", "--year", str(year))
    shown = {(r["worker"], r["currency"]): (r["paid_minor"], r["payouts"]) for r in document["rows"]}
    assert shown == journal_sums(paid, year)
    for total in document["totals"]:
        in_currency = [v for (_, code), v in shown.items() if code == total["currency"]]
        assert total["paid_minor"] == sum(minor for minor, _ in in_currency)
        assert total["payouts"] == sum(count for _, count in in_currency)


def test_a_worker_never_paid_out_is_not_listed(paid: Ledger) -> None:
    assert paid.ok("report", "--by", "worker")["rows"]  # cy has released earnings
    for year in ("2025", "2026"):
        assert "cy" not in {r["worker"] for r in paid.ok("payees", "--year", year)["rows"]}


def test_a_year_without_payouts_is_an_empty_listing(paid: Ledger) -> None:
    document = paid.ok("payees", "--year", "2024")
    assert (document["rows"], document["totals"], document["threshold"]) == ([], [], "600.00")
    piped = paid.run("payees", "--year", "2024")
    assert (piped.code, piped.out, piped.err) == (0, "", "")
    assert paid.run("payees", "--year", "2024", "--format", "jsonl").out == ""
    assert paid.run("payees", "--year", "2024", "--format", "csv").out.splitlines() == [
        "line,worker,name,email,currency,paid,paid_minor,payouts,first_payout,last_payout,over_threshold,workers"
    ]
    code, shown, err = run_in_terminal(paid.db, ("payees", "--year", "2024"), {"PIECEPAY_TODAY": TODAY})
    assert (code, shown.strip(), err.strip()) == (0, "", "no payouts in 2024")


def test_an_empty_ledger_has_no_payees(ledger: Ledger) -> None:
    document = ledger.ok("payees", "--year", "2026")
    assert (document["rows"], document["totals"], document["threshold_minor"]) == ([], [], 200000)


def test_csv_is_formula_safe_and_marks_rows_and_totals(paid: Ledger) -> None:
    result = paid.run("payees", "--year", "2026", "--format", "csv")
    assert result.code == 0, result.err
    lines = list(csv.DictReader(io.StringIO(result.out)))
    assert [(x["line"], x["worker"], x["currency"], x["paid_minor"]) for x in lines] == [
        ("row", "ana", "JPY", "100"),
        ("row", "ana", "USD", "200000"),
        ("row", "ben", "USD", "199999"),
        ("total", "", "JPY", "100"),
        ("total", "", "USD", "399999"),
    ]
    assert (lines[0]["name"], lines[0]["email"]) == ("'" + NAME, "'" + EMAIL)
    assert [x["over_threshold"] for x in lines[:3]] == ["", "yes", "no"]
    for line in lines:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in line.values())


def test_jsonl_gives_rows_then_totals(paid: Ledger) -> None:
    import json

    result = paid.run("payees", "--year", "2026", "--format", "jsonl")
    lines = [json.loads(x) for x in result.out.splitlines()]
    assert [(x["line"], x["currency"], x["paid_minor"]) for x in lines] == [
        ("row", "JPY", 100),
        ("row", "USD", 200000),
        ("row", "USD", 199999),
        ("total", "JPY", 100),
        ("total", "USD", 399999),
    ]


def test_the_table_names_the_year_and_threshold(paid: Ledger) -> None:
    result = paid.run("payees", "--year", "2026")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "Payees 2026 (over: 2000.00 USD or more)"
    assert lines[1].split() == ["Worker", "Name", "Email", "Cur", "Paid", "Payouts", "First", "Last", "Over"]
    assert lines[2].endswith("2026-01-15  2026-01-15")  # JPY: no threshold, the cell left blank
    assert lines[3].endswith("yes") and lines[4].endswith("no")
    assert lines[5].split() == ["Total", "Paid", "Payouts", "Workers"]
    assert lines[6].split() == ["JPY", "100", "1", "1"]
    assert lines[7].split() == ["USD", "3999.99", "3", "2"]
