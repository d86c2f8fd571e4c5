"""Calendar dates as users type them: only ``YYYY-MM-DD``, and only within the span piecepay keeps.

Every date a user, the environment or the clock gives must lie in 2000-01-01 … 2099-12-31,
so that no date arithmetic (review windows, warnings, dormancy) can leave Python's
calendar, and typos such as 1900 or 9999 are refused rather than recorded.
"""

from __future__ import annotations

import re
from datetime import date

from piecepay.errors import BadInput
from piecepay.records import Record

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
MAX_DAYS = 36500  # the longest span of days an option may name: a hundred years


def parse_day(text: str, what: str) -> date:
    """A YYYY-MM-DD date within the span, or BadInput naming ``what``."""
    try:
        if not ISO_DAY.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{what} '{text}' is not a date in the form YYYY-MM-DD", "bad_date") from None
    return within_span(day, what)


def within_span(day: date, what: str) -> date:
    """``day`` if piecepay keeps such dates, else BadInput."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadInput(
            f"{what} {day.isoformat()} is outside the dates piecepay keeps "
            f"({FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()})",
            "date_out_of_range",
        )
    return day


def pinned_today() -> date | None:
    """PIECEPAY_TODAY (YYYY-MM-DD) pins the calendar date the rules see, for tests and the demo;
    the time each entry is recorded at stays the real clock."""
    import os

    pinned = os.environ.get("PIECEPAY_TODAY")
    return parse_day(pinned, "PIECEPAY_TODAY") if pinned else None


class Period(Record):
    """The days a report covers, ``first`` to ``last`` inclusive, by the name it was asked
    by: an ISO week (``2026-W47``, Monday to Sunday) or a calendar month (``2026-11``)."""

    name: str
    first: date
    last: date


def week_of(day: date) -> Period:
    """The ISO week (Monday to Sunday) ``day`` falls in."""
    from datetime import timedelta

    year, week, weekday = day.isocalendar()
    first = day - timedelta(days=weekday - 1)
    return Period(f"{year:04d}-W{week:02d}", first, first + timedelta(days=6))


def calendar_month_of(day: date) -> Period:
    """The calendar month ``day`` falls in."""
    from datetime import timedelta

    after = date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
    return Period(f"{day.year:04d}-{day.month:02d}", date(day.year, day.month, 1), after - timedelta(days=1))
