"""Pay per worker over a week or a month: the period and the wage as typed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from piecepay import inputs
from piecepay.dates import Period
from piecepay.errors import BadInput

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
