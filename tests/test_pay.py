"""Pay per worker over a week or a month: the period and wage as typed, the arithmetic of
pay per hour and of a minimum wage's shortfall at its limits, and `piecepay pay` end to end
on both stores."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest

from piecepay import inputs
from piecepay.dates import Period
from piecepay.errors import BadInput
from piecepay.money import Currency, Money, format_hours, hourly_pay, wage_shortfall
from tests.conftest import Ledger

BOTH_STORES = True
TODAY = "2026-12-10"
ACCEPTED = "2026-11-01"
USD = Currency("USD", 2)
JPY = Currency("JPY", 0)
KWD = Currency("KWD", 3)


# --------------------------------------------------------------------------- the period and the wage


@pytest.mark.parametrize(
    ("week", "first", "last"),
    [
        ("2026-W47", date(2026, 11, 16), date(2026, 11, 22)),
        ("2026-W49", date(2026, 11, 30), date(2026, 12, 6)),  # crosses into December: one ISO week
        ("2026-W01", date(2025, 12, 29), date(2026, 1, 4)),  # starts in the year before
        ("2026-W53", date(2026, 12, 28), date(2027, 1, 3)),  # 2026 has a week 53
        ("2000-W01", date(2000, 1, 3), date(2000, 1, 9)),
        ("2099-W52", date(2099, 12, 21), date(2099, 12, 27)),
    ],
)
def test_an_iso_week_runs_monday_to_sunday(week: str, first: date, last: date) -> None:
    assert inputs.pay_period(week, None) == Period(week, first, last)
    assert first.isoweekday() == 1 and last.isoweekday() == 7


@pytest.mark.parametrize(
    ("month", "first", "last"),
    [
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2000-01", date(2000, 1, 1), date(2000, 1, 31)),
        ("2099-12", date(2099, 12, 1), date(2099, 12, 31)),
    ],
)
def test_a_month_runs_from_its_first_day_to_its_last(month: str, first: date, last: date) -> None:
    assert inputs.pay_period(None, month) == Period(month, first, last)


@pytest.mark.parametrize(
    ("week", "month", "code"),
    [
        (None, None, "period_required"),
        ("2026-W47", "2026-11", "period_required"),
        ("2027-W53", None, "bad_week"),  # 2027 has 52 weeks
        ("2026-W54", None, "bad_week"),
        ("2026-W00", None, "bad_week"),
        ("2026-w47", None, "bad_week"),
        ("1999-W52", None, "date_out_of_range"),  # ends on 2000-01-02, but starts in 1999
        ("2099-W53", None, "date_out_of_range"),  # ends in 2100
        (None, "2026-13", "bad_month"),
        (None, "2026-00", "bad_month"),
        (None, "2026-1", "bad_month"),
        (None, "1999-12", "date_out_of_range"),
        (None, "2100-01", "date_out_of_range"),
    ],
)
def test_a_period_out_of_shape_or_span_is_refused(week: str | None, month: str | None, code: str) -> None:
    with pytest.raises(BadInput) as refused:
        inputs.pay_period(week, month)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("text", "wage"), [("15.00/h", Decimal("15.00")), ("15/h", Decimal(15)), ("15.00", Decimal("15.00"))]
)
def test_a_wage_is_an_amount_per_hour_with_or_without_its_slash_h(text: str, wage: Decimal) -> None:
    assert inputs.hourly_wage(text) == wage


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0/h", "not_positive"),
        ("0.00", "not_positive"),
        ("15/H", "bad_wage"),
        ("15/hr", "bad_wage"),
        ("-15/h", "bad_wage"),
        ("1e3/h", "bad_wage"),
        ("15 /h", "bad_wage"),
        ("/h", "bad_wage"),
    ],
)
def test_a_wage_out_of_shape_is_refused(text: str, code: str) -> None:
    with pytest.raises(BadInput) as refused:
        inputs.hourly_wage(text)
    assert refused.value.code == code


# --------------------------------------------------------------------------- pay per hour and the shortfall


def usd(minor: int) -> Money:
    return Money(minor, USD)


def test_thirty_cents_a_piece_over_an_hour_is_the_issue_case() -> None:
    released = usd(30 * 10)  # 30 pieces at 0.10
    assert hourly_pay(released, 60) == usd(300)
    assert wage_shortfall(usd(1500), 60, released) == usd(1200)


@pytest.mark.parametrize(
    ("released", "minutes", "hourly"),
    [
        (1, 120, 1),  # 0.5 of a cent an hour: half-up
        (1, 121, 0),  # just under half a cent
        (0, 60, 0),
        (1000, 1, 60000),
        (2, 3, 40),
        (1, 7, 9),  # 8.571… cents
    ],
)
def test_pay_per_hour_is_rounded_once_half_up(released: int, minutes: int, hourly: int) -> None:
    assert hourly_pay(usd(released), minutes) == usd(hourly)


def test_no_minutes_have_no_pay_per_hour() -> None:
    assert hourly_pay(usd(500), 0) is None


@pytest.mark.parametrize(
    ("wage", "minutes", "released", "short"),
    [
        (1500, 60, 1500, 0),  # exactly at the wage
        (1500, 60, 1499, 1),  # a cent below
        (1500, 60, 1501, 0),  # above: never below zero
        (1500, 60, 0, 1500),
        (1500, 1, 24, 1),  # 15.00 a minute's worth is exactly 0.25
        (1500, 1, 25, 0),
        (1, 30, 0, 1),  # half a cent owed: half-up
        (1, 29, 0, 0),  # 0.483 of a cent
        (1501, 1, 0, 25),  # 25.0166… cents
        (1500, 90, 1000, 1250),  # an hour and a half: 22.50 owed, 10.00 paid
    ],
)
def test_the_shortfall_at_its_limits(wage: int, minutes: int, released: int, short: int) -> None:
    assert wage_shortfall(usd(wage), minutes, usd(released)) == usd(short)


def test_the_shortfall_keeps_each_currency_s_digits_and_never_mixes_them() -> None:
    assert wage_shortfall(Money(1500, JPY), 45, Money(0, JPY)) == Money(1125, JPY)
    assert wage_shortfall(Money(2_000, KWD), 1, Money(0, KWD)) == Money(33, KWD)  # 33.33… fils
    with pytest.raises(ValueError, match="never mix"):
        wage_shortfall(usd(1500), 60, Money(0, JPY))


@pytest.mark.parametrize(("minutes", "hours"), [(60, "1.00"), (90, "1.50"), (1, "0.02"), (0, "0.00"), (59, "0.98")])
def test_hours_are_shown_to_two_decimals(minutes: int, hours: str) -> None:
    assert format_hours(minutes) == hours


# --------------------------------------------------------------------------- piecepay pay, end to end


@pytest.fixture
def book(ledger: Ledger) -> Ledger:
    """A ledger dated TODAY with campaign tags (0.10 USD a tag) and photos (5 USD a photo)."""
    ledger.today = TODAY
    ledger.ok("campaign", "create", "Tags", "--slug", "tags", "--unit", "tag", "--rate", "0.10")
    ledger.ok("campaign", "create", "Restaurant photos", "--slug", "photos", "--unit", "photo", "--rate", "5")
    return ledger


def engaged(book: Ledger, campaign: str, worker: str, top_up: str = "1000") -> str:
    """An active contract of ``worker`` on ``campaign``, accepted on ACCEPTED, with escrow."""
    if not any(w["handle"] == worker for w in book.ok("worker", "list")):
        book.ok("worker", "add", worker)
    book.ok("offer", "create", campaign, worker)
    ref = f"{campaign}/{worker}"
    book.ok("offer", "accept", ref, "--date", ACCEPTED)
    book.ok("milestone", "add", ref, "--top-up", top_up, "--date", ACCEPTED)
    return ref


def billed(book: Ledger, ref: str, pieces: str, on: str, minutes: str | None = None) -> str:
    timed = ("--minutes", minutes) if minutes is not None else ()
    return str(book.ok("bill", ref, "--pieces", pieces, "--date", on, *timed)["id"])


def rows(book: Ledger, *args: str) -> list[dict[str, object]]:
    return list(book.ok("pay", *args)["rows"])


def test_thirty_pieces_at_ten_cents_in_an_hour_pay_3_an_hour_and_fall_12_short_of_15(book: Ledger) -> None:
    ref = engaged(book, "tags", "ana")
    book.ok("release", billed(book, ref, "30", "2026-11-18", minutes="60"))
    document = book.ok("pay", "--week", "2026-W47", "--minimum-wage", "15.00/h")
    assert (document["period"], document["from"], document["to"]) == ("2026-W47", "2026-11-16", "2026-11-22")
    wage = (document["minimum_wage"], document["minimum_wage_minor"], document["wage_currency"])
    assert wage == ("15.00", 1500, "USD")
    [row] = document["rows"]
    assert (row["worker"], row["currency"], row["pieces_billed"], row["pieces_released"]) == ("ana", "USD", "30", "30")
    assert (row["released"], row["released_minor"], row["minutes"], row["hours"]) == ("3.00", 300, 60, "1.00")
    assert (row["effective_hourly"], row["effective_hourly_minor"]) == ("3.00", 300)
    assert (row["shortfall"], row["shortfall_minor"]) == ("12.00", 1200)
    table = book.run("pay", "--week", "2026-W47", "--minimum-wage", "15/h")
    assert table.code == 0, table.err
    assert "minimum wage 15.00 USD/h" in table.out
    [line] = [text for text in table.out.splitlines() if text.startswith("ana")]
    assert line.split()[-3:] == ["1.00", "3.00", "12.00"]  # hours, per hour, shortfall


PERIODS = [
    ("--week", "2026-W48"),
    ("--week", "2026-W49"),
    ("--week", "2026-W50"),
    ("--month", "2026-11"),
    ("--month", "2026-12"),
]


def test_a_week_that_crosses_a_month_belongs_to_its_iso_week(book: Ledger) -> None:
    ref = engaged(book, "photos", "ana")
    for pieces, day in (("1", "2026-11-29"), ("2", "2026-11-30"), ("4", "2026-12-06"), ("8", "2026-12-07")):
        billed(book, ref, pieces, day)
    found = {period: [r["pieces_billed"] for r in rows(book, flag, period)] for flag, period in PERIODS}
    assert found == {"2026-W48": ["1"], "2026-W49": ["6"], "2026-W50": ["8"], "2026-11": ["3"], "2026-12": ["12"]}


def test_an_empty_period_has_no_rows(book: Ledger) -> None:
    billed(book, engaged(book, "photos", "ana"), "1", "2026-11-18", minutes="10")
    assert rows(book, "--week", "2026-W45", "--minimum-wage", "15/h") == []
    plain = book.run("pay", "--month", "2026-10")
    assert (plain.code, plain.out) == (0, "")  # piped: an empty table prints nothing
    as_csv = book.run("pay", "--month", "2026-10", "--format", "csv")
    assert as_csv.code == 0 and as_csv.out.count("\n") == 1 and as_csv.out.startswith("period,worker,")


def test_bills_without_minutes_count_no_time_and_are_counted(book: Ledger) -> None:
    ref = engaged(book, "photos", "ana")
    for pieces, minutes in (("1", "30"), ("2", "45"), ("3", None)):
        book.ok("release", billed(book, ref, pieces, "2026-11-17", minutes=minutes))
    [row] = rows(book, "--week", "2026-W47", "--minimum-wage", "15/h")
    assert (row["bills"], row["minutes"], row["bills_without_minutes"], row["hours"]) == (3, 75, 1, "1.25")
    assert (row["released"], row["effective_hourly"], row["shortfall"]) == ("30.00", "24.00", "0.00")


def test_no_minutes_at_all_give_no_pay_per_hour_and_no_shortfall(book: Ledger) -> None:
    book.ok("release", billed(book, engaged(book, "tags", "ana"), "3", "2026-11-17"))
    [row] = rows(book, "--week", "2026-W47", "--minimum-wage", "15/h")
    assert (row["minutes"], row["bills_without_minutes"], row["hours"]) == (0, 1, "0.00")
    assert (row["effective_hourly"], row["effective_hourly_minor"], row["shortfall"], row["shortfall_minor"]) == (
        None,
        None,
        None,
        None,
    )


def test_partial_releases_rejections_and_open_bills(book: Ledger) -> None:
    ref = engaged(book, "photos", "ana")
    book.ok("release", billed(book, ref, "10", "2026-11-16", minutes="60"), "--pieces", "4")  # 20.00 released
    book.ok("reject", billed(book, ref, "3", "2026-11-17", minutes="30"), "--reason", "blurry")
    billed(book, ref, "2", "2026-11-18", minutes="15")  # pending: 10.00 reserved
    book.ok("revise", billed(book, ref, "1", "2026-11-19", minutes="15"), "--reason", "crop it")  # still reserved
    [row] = rows(book, "--week", "2026-W47", "--minimum-wage", "15/h")
    assert (row["bills"], row["pieces_billed"], row["pieces_released"]) == (4, "16", "4")
    assert (row["released"], row["pending"], row["pending_minor"]) == ("20.00", "15.00", 1500)
    assert (row["minutes"], row["hours"], row["effective_hourly"]) == (120, "2.00", "10.00")
    assert row["shortfall"] == "10.00"  # 2 hours at 15.00 is 30.00; 20.00 released


def test_a_resubmission_s_minutes_replace_the_bill_s(book: Ledger) -> None:
    ref = engaged(book, "tags", "ana")
    bill = billed(book, ref, "30", "2026-11-18", minutes="60")
    book.ok("revise", bill, "--reason", "retag")
    book.ok("resubmit", bill, "--minutes", "90")
    book.ok("release", bill)
    [row] = rows(book, "--week", "2026-W47", "--minimum-wage", "15/h")
    assert (row["minutes"], row["effective_hourly"], row["shortfall"]) == (90, "2.00", "19.50")


def test_rows_are_per_worker_and_currency_and_a_wage_applies_to_its_currency(book: Ledger) -> None:
    book.ok("campaign", "create", "Menus", "--slug", "menus", "--unit", "word", "--rate", "3", "--currency", "JPY")
    for ref, pieces in ((engaged(book, "tags", "bo"), "10"), (engaged(book, "tags", "ana"), "30")):
        book.ok("release", billed(book, ref, pieces, "2026-11-20", minutes="60"))
    book.ok("release", billed(book, engaged(book, "menus", "ana", "100000"), "100", "2026-11-20", minutes="30"))
    book.ok("release", billed(book, engaged(book, "photos", "ana"), "1", "2026-11-21", minutes="60"))
    usd_wage = rows(book, "--week", "2026-W47", "--minimum-wage", "15/h")
    shown = [(r["worker"], r["currency"], r["released"], r["minutes"], r["shortfall"]) for r in usd_wage]
    assert shown == [
        ("ana", "JPY", "300", 30, None),
        ("ana", "USD", "8.00", 120, "22.00"),  # tags and photos together: 3.00 + 5.00 over two hours
        ("bo", "USD", "1.00", 60, "14.00"),
    ]
    yen = book.ok("pay", "--week", "2026-W47", "--minimum-wage", "1000/h", "--currency", "JPY")
    assert yen["wage_currency"] == "JPY"
    assert [(r["currency"], r["effective_hourly"], r["shortfall"]) for r in yen["rows"]] == [
        ("JPY", "600", "200"),
        ("USD", "4.00", None),
        ("USD", "1.00", None),
    ]
    one = book.ok("pay", "--week", "2026-W47", "--campaign", "menus", "--minimum-wage", "1000/h")
    assert one["wage_currency"] == "JPY"  # the campaign's currency by default
    assert [(r["worker"], r["shortfall_minor"]) for r in one["rows"]] == [("ana", 200)]
    refused = book.run("--json", "pay", "--week", "2026-W47", "--campaign", "menus", "--minimum-wage", "15.50/h")
    assert refused.code == 2 and refused.error["code"] == "too_many_decimals"


def test_csv_and_json_lines_carry_the_rows(book: Ledger) -> None:
    ref = engaged(book, "tags", "ana")
    book.ok("release", billed(book, ref, "30", "2026-11-18", minutes="60"))
    billed(book, ref, "5", "2026-11-19")
    as_csv = book.run("pay", "--week", "2026-W47", "--minimum-wage", "15/h", "--format", "csv")
    assert as_csv.code == 0, as_csv.err
    [row] = list(csv.DictReader(io.StringIO(as_csv.out)))
    assert list(row) == [
        "period",
        "worker",
        "currency",
        "bills",
        "pieces_billed",
        "pieces_released",
        "released",
        "bonuses",
        "pending",
        "minutes",
        "bills_without_minutes",
        "hours",
        "effective_hourly",
        "shortfall",
        "released_minor",
        "bonuses_minor",
        "pending_minor",
        "effective_hourly_minor",
        "shortfall_minor",
    ]
    assert row == {
        "period": "2026-W47",
        "worker": "ana",
        "currency": "USD",
        "bills": "2",
        "pieces_billed": "35",
        "pieces_released": "30",
        "released": "3.00",
        "bonuses": "0.00",
        "pending": "0.50",
        "minutes": "60",
        "bills_without_minutes": "1",
        "hours": "1.00",
        "effective_hourly": "3.00",
        "shortfall": "12.00",
        "released_minor": "300",
        "bonuses_minor": "0",
        "pending_minor": "50",
        "effective_hourly_minor": "300",
        "shortfall_minor": "1200",
    }
    lines = book.run("pay", "--week", "2026-W47", "--format", "jsonl")
    assert lines.code == 0 and len(lines.out.splitlines()) == 1
    [line] = [json.loads(text) for text in lines.out.splitlines()]
    assert line == book.ok("pay", "--week", "2026-W47")["rows"][0]
    assert (line["shortfall"], line["pending_minor"]) == (None, 50)


def test_the_json_document_names_its_period_and_has_no_wage_unless_asked(book: Ledger) -> None:
    billed(book, engaged(book, "tags", "ana"), "30", "2026-11-18", minutes="60")
    document = book.ok("pay", "--month", "2026-11")
    assert set(document) == {"period", "from", "to", "minimum_wage", "minimum_wage_minor", "wage_currency", "rows"}
    assert (document["from"], document["to"], document["minimum_wage"], document["wage_currency"]) == (
        "2026-11-01",
        "2026-11-30",
        None,
        None,
    )
    assert document["rows"][0]["shortfall"] is None and document["rows"][0]["released"] == "0.00"


def test_a_currency_goes_with_a_minimum_wage(book: Ledger) -> None:
    refused = book.run("--json", "pay", "--week", "2026-W47", "--currency", "EUR")
    assert refused.code == 2 and refused.error["code"] == "conflicting_options"
