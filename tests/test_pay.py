"""Pay per worker over a week or a month: the period and wage as typed, and the arithmetic
of pay per hour and of a minimum wage's shortfall at its limits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from piecepay import inputs
from piecepay.dates import Period
from piecepay.errors import BadInput
from piecepay.money import Currency, Money, format_hours, hourly_pay, wage_shortfall

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
