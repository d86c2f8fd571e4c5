"""The input rules: every value a user or a worker can type, from text to a typed value.

Each interface (the command line today, a server tomorrow) parses with these functions and
hands the operations typed values; what breaks a rule is refused with BadInput (exit 2)
naming the field, and a reference that can name no row with NotFound (exit 3). The
README's "Input rules" table is this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

from piecepay.dates import FIRST_DAY, LAST_DAY, MAX_DAYS, Period, parse_day, within_span
from piecepay.errors import BadInput, NotFound
from piecepay.models import BillStatus, Grouping, Removed, Tier, TierPeriod
from piecepay.money import (
    MAX_PIECES,
    normalise_currency,
    parse_count,
    parse_rate,
    parse_step,
    plain_decimal,
)
from piecepay.text import (
    ACTOR_MAX,
    EMAIL_MAX,
    KEY_MAX,
    NAME_MAX,
    NOTE_MAX,
    PROOF_MAX,
    REASON_MAX,
    REF_MAX,
    TITLE_MAX,
    checked_text,
    visible,
)

# Patterns, compiled by re on first use: most commands check none of these.
SLUG = r"(?a)[a-z0-9][a-z0-9-]{0,39}"
HANDLE = r"(?a)[A-Za-z0-9][A-Za-z0-9._-]{0,39}"
UNIT = r"(?a)[a-z][a-z -]{0,29}"
EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
CURSOR = r"(?a)[A-Za-z0-9._-]{1,64}"
MAX_WORKERS = 1_000_000
MAX_REVIEW_DAYS = 30
MAX_REVISION_DAYS = 30
MAX_REVERSAL_DAYS = 365
NO_LIMIT = "none"  # the word that takes a limit off a campaign in an edit
MAX_LAST = 10**9
MAX_MINUTES = 10**12

__all__ = ["MAX_DAYS", "parse_count", "parse_rate", "parse_step"]

Value = TypeVar("Value")


def title(text: str) -> str:
    return checked_text(text, "campaign title", max_length=TITLE_MAX, code="bad_title")


def slug_from(title_text: str) -> str:
    """A short lowercase slug from a title: 'Restaurant photos' -> 'restaurant-photos'."""
    slug = re.sub(r"[^a-z0-9]+", "-", title_text.lower()).strip("-")[:40].strip("-")
    return slug or "campaign"


def slug(text: str) -> str:
    if not re.fullmatch(SLUG, text):
        raise BadInput(
            f"campaign slug '{text}' must be 1-40 of a-z, 0-9 and '-', starting with a letter or digit", "bad_slug"
        )
    return text


def unit(text: str) -> str:
    value = text.strip().lower()
    if not re.fullmatch(UNIT, value):
        raise BadInput(f"unit '{text}' must be a word of up to 30 letters (spaces and '-' allowed)", "bad_unit")
    return value


def handle(text: str) -> str:
    if not re.fullmatch(HANDLE, text):
        raise BadInput(
            f"worker handle '{text}' must be 1-40 of letters, digits, '.', '_' and '-', "
            "starting with a letter or digit",
            "bad_handle",
        )
    return text


def person_name(text: str | None) -> str | None:
    return None if text is None else checked_text(text, "worker name", max_length=NAME_MAX)


def email(text: str | None) -> str | None:
    if text is None:
        return None
    value = checked_text(text, "worker email", max_length=EMAIL_MAX)
    if not re.fullmatch(EMAIL, value):
        raise BadInput(f"worker email '{text}' is not an e-mail address", "bad_email")
    return value


def note(text: str | None) -> str | None:
    """A bill's note: the one free text that may span lines."""
    return None if text is None else checked_text(text, "note", max_length=NOTE_MAX, multiline=True)


def proof(text: str) -> str:
    return checked_text(text, "proof", max_length=PROOF_MAX)


def reason(text: str) -> str:
    return checked_text(text, "a rejection's reason", max_length=REASON_MAX, code="reason_required")


TIER = re.compile(r"([0-9]{1,13}):([0-9]+(?:\.[0-9]+)?)", re.ASCII)
PERCENT = re.compile(r"([0-9]+(?:\.[0-9]+)?)%?", re.ASCII)


def tiers(texts: list[str] | None) -> tuple[Tier, ...] | None:
    """``--tier N:RATE`` as typed, once or more (None when not given; the word ``none``
    alone: no tiers, for an offer that drops its campaign's): from the N-th piece released
    in a period, RATE a piece. Their order and limits are rules (``rules.check_tiers``)."""
    if not texts:
        return None
    if texts == [NO_LIMIT]:
        return ()
    found = []
    for text in texts:
        match = TIER.fullmatch(text)
        if match is None:
            raise BadInput(
                f"tier '{text}' is not FROM_PIECE:RATE, like 1000:0.005 (from the 1000th piece, 0.005 a piece)",
                "bad_tier",
            )
        found.append(Tier(int(match[1]), parse_rate(match[2], "tier rate")))
    return tuple(found)


def tier_period(text: str) -> TierPeriod:
    try:
        return TierPeriod(text)
    except ValueError:
        raise BadInput(f"tier period '{text}' is not week or month", "bad_tier_period") from None


def fee_percent(text: str | None) -> Decimal | None:
    """``--fee 20%`` (or 20): a percentage as a plain decimal (its limits are a rule)."""
    if text is None:
        return None
    match = PERCENT.fullmatch(text)
    if match is None:
        raise BadInput(f"fee '{text}' is not a percentage like 20% or 12.5%", "bad_fee")
    return Decimal(match[1])


def bonus_reason(text: str) -> str:
    return checked_text(text, "a bonus's reason", max_length=REASON_MAX, code="reason_required")


def time_note(text: str | None) -> str | None:
    return None if text is None else checked_text(text, "note", max_length=NOTE_MAX)


def payout_ref(text: str | None) -> str | None:
    return None if text is None else checked_text(text, "payout reference", max_length=REF_MAX)


def actor(text: str) -> str:
    return checked_text(text, "actor", max_length=ACTOR_MAX, code="bad_actor")


def key(text: str | None) -> str | None:
    """An idempotency key: 1 to 200 printable characters, kept exactly as typed."""
    if text is None:
        return None
    checked_text(text, "an idempotency key", max_length=KEY_MAX, code="bad_key")
    if text != text.strip():
        raise BadInput("an idempotency key cannot start or end with spaces", "bad_key")
    return text


def cursor_name(text: str | None) -> str | None:
    if text is not None and not re.fullmatch(CURSOR, text):
        raise BadInput(f"cursor name '{text}' must be 1-64 letters, digits, '.', '_' or '-'", "bad_cursor")
    return text


def amount(text: str | None, what: str) -> Decimal | None:
    """An amount as typed (its currency's digits are checked when it meets the currency)."""
    return None if text is None else plain_decimal(text, what)


def rate(text: str | None) -> Decimal | None:
    return None if text is None else parse_rate(text)


def pieces(text: str | None, what: str = "pieces") -> Decimal | None:
    """A positive count of pieces, to a thousandth (the campaign's step is checked against it)."""
    if text is None:
        return None
    value = plain_decimal(text, what)
    if value == 0:
        raise BadInput(f"{what} '{text}' must be more than zero", "not_positive")
    if value > MAX_PIECES:
        raise BadInput(f"{what} '{text}' is too large", "too_large")
    return value


def count(text: str | None, what: str, *, minimum: int = 1, maximum: int = MAX_MINUTES) -> int | None:
    return None if text is None else parse_count(text, what, minimum=minimum, maximum=maximum)


def limit(text: str | None, parse: Callable[[str], Value | None]) -> Value | Removed | None:
    """A limit as an edit gives it: None when not given, ``Removed.LIMIT`` for the word
    ``none`` (the limit taken off), else the text as ``parse`` reads it."""
    if text is None:
        return None
    return Removed.LIMIT if text == NO_LIMIT else parse(text)


def cleared(text: str | None, check: Callable[[str], str | None]) -> str | None:
    """Free text as an edit gives it: None when not given, "" (cleared) for empty text,
    else the text as ``check`` accepts it."""
    if text is None or text == "":
        return text
    return check(text)


def revision_days(text: str) -> int:
    """Days a worker has to resubmit a bill sent back for a revision."""
    return parse_count(text, "revision days", minimum=1, maximum=MAX_REVISION_DAYS)


def reversal_days(text: str) -> int:
    """Days after a rejection within which it may be reversed (0: on its own day only)."""
    return parse_count(text, "reversal days", minimum=0, maximum=MAX_REVERSAL_DAYS)


def review_days(text: str) -> int:
    """Days a pending bill waits before the sweep releases it."""
    return parse_count(text, "review days", minimum=0, maximum=MAX_REVIEW_DAYS)


def day(text: str | None, what: str) -> date | None:
    """A YYYY-MM-DD date within the span piecepay keeps, or None (today) when not given."""
    return None if text is None else parse_day(text, what)


def year(text: str) -> int:
    """A calendar year written as four digits, within the span piecepay keeps dates in."""
    if not re.fullmatch(r"(?a)[0-9]{4}", text):
        raise BadInput(f"--year '{text}' is not a year like 2026", "bad_year")
    value = int(text)
    if not FIRST_DAY.year <= value <= LAST_DAY.year:
        raise BadInput(
            f"--year {value} is outside the years piecepay keeps ({FIRST_DAY.year} to {LAST_DAY.year})",
            "date_out_of_range",
        )
    return value


def threshold(text: str | None) -> Decimal | None:
    """A payee threshold in US dollars, more than zero (its cents are checked as money)."""
    value = amount(text, "--threshold")
    if value is not None and value == 0:
        raise BadInput(f"--threshold '{text}' must be more than zero", "not_positive")
    return value


ISO_WEEK = r"(?a)([0-9]{4})-W([0-9]{2})"
MONTH = r"(?a)([0-9]{4})-([0-9]{2})"
HOURLY = r"(?a)([0-9]+(?:\.[0-9]+)?)(/h)?"


def pay_period(week: str | None, month: str | None) -> Period:
    """The period of ``--week`` or ``--month`` (exactly one of them): an ISO week
    ``YYYY-Www`` (Monday to Sunday; week 53 only in a year that has one) or a month
    ``YYYY-MM``, within the dates piecepay keeps."""
    if (week is None) == (month is None):
        raise BadInput("pass --week YYYY-Www or --month YYYY-MM (one of them)", "period_required")
    if week is not None:
        return _iso_week(week, "--week")
    assert month is not None
    return _month(month, "--month")


def _iso_week(week: str, what: str) -> Period:
    found = re.fullmatch(ISO_WEEK, week)
    try:
        if found is None:
            raise ValueError(week)
        year = _kept_year(int(found[1]), what, week)
        first = date.fromisocalendar(year, int(found[2]), 1)
    except ValueError:
        raise BadInput(
            f"{what} '{week}' is not an ISO week like 2026-W47 (week 01 to 52, or 53 in a year that has one)",
            "bad_week",
        ) from None
    return _within_span(Period(week, first, first + timedelta(days=6)), what)


def _month(month: str, what: str) -> Period:
    found = re.fullmatch(MONTH, month)
    if found is None or not 1 <= int(found[2]) <= 12:
        raise BadInput(f"{what} '{month}' is not a month like 2026-11", "bad_month")
    year, number = _kept_year(int(found[1]), what, month), int(found[2])
    after = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return _within_span(Period(month, date(year, number, 1), after - timedelta(days=1)), what)


def month_of(day: date) -> Period:
    """The calendar month ``day`` falls in."""
    return _month(f"{day.year:04d}-{day.month:02d}", "--period")


def statement_period(text: str) -> Period:
    """A statement's ``--period``: a month ``YYYY-MM``, an ISO week ``YYYY-Www`` or a year
    ``YYYY``, within the dates piecepay keeps."""
    if re.fullmatch(r"(?a)[0-9]{4}-[Ww].*", text):
        return _iso_week(text, "--period")
    if re.fullmatch(r"(?a)[0-9]{4}-.*", text):
        return _month(text, "--period")
    if not re.fullmatch(r"(?a)[0-9]{4}", text):
        raise BadInput(
            f"--period '{text}' is not a month (2026-11), an ISO week (2026-W47) or a year (2026)", "bad_period"
        )
    number = _kept_year(int(text), "--period", text)
    return Period(text, date(number, 1, 1), date(number, 12, 31))


STATEMENT_FORMATS = ("md", "json", "html", "pdf")


def statement_format(text: str) -> str:
    """A statement's --format: md, json, html or pdf."""
    if text not in STATEMENT_FORMATS:
        raise BadInput(f"--format must be md, json, html or pdf, not '{text}'", "bad_format")
    return text


def _kept_year(year: int, what: str, text: str) -> int:
    """``year`` if piecepay keeps its dates (so no date of it can leave Python's calendar)."""
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise BadInput(
            f"{what} {text} is outside the dates piecepay keeps ({FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()})",
            "date_out_of_range",
        )
    return year


def _within_span(period: Period, what: str) -> Period:
    within_span(period.first, f"{what} {period.name} starts on")
    within_span(period.last, f"{what} {period.name} ends on")
    return period


def hourly_wage(text: str | None) -> Decimal | None:
    """A wage per hour as typed, ``15.00/h`` or ``15.00``: a positive plain decimal (its
    currency's digits are checked when it meets the currency)."""
    if text is None:
        return None
    found = re.fullmatch(HOURLY, text)
    if found is None:
        raise BadInput(f"--minimum-wage '{text}' is not an amount per hour like 15.00/h", "bad_wage")
    value = Decimal(found[1])
    if value == 0:
        raise BadInput(f"--minimum-wage '{text}' must be more than zero", "not_positive")
    return value


def pay_grouping(text: str) -> Grouping:
    """What pay's rows are: one per worker (and currency), the only grouping it has."""
    if text != Grouping.WORKER.value:
        raise BadInput(f"--by must be worker, not '{text}'", "bad_grouping")
    return Grouping.WORKER


def currency(text: str, *, in_use: bool = True) -> str:
    return normalise_currency(text, in_use=in_use)


def role(text: str) -> str:
    """A PostgreSQL role name as piecepay accepts one: lower-case letters, digits and _."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", text):
        raise BadInput(f"role '{visible(text)}' must be lower-case letters, digits and _ (at most 63)", "bad_role")
    return text


def grouping(text: str) -> Grouping:
    """What a report's rows are: campaign, contract or worker."""
    try:
        return Grouping(text)
    except ValueError:
        choices = ", ".join(g.value for g in Grouping)
        raise BadInput(f"--by must be one of {choices}, not '{text}'", "bad_grouping") from None


URL_MAX = 2000
HOST = r"(?a)[A-Za-z0-9.:-]{1,253}"  # a name, an IPv4 or an IPv6 address to listen on


def listen_host(text: str) -> str:
    """The address a server listens on: a host name or an IP address."""
    checked_text(text, "--host", max_length=253, code="bad_host")
    if not re.fullmatch(HOST, text):
        raise BadInput(f"--host must be a host name or an IP address, not '{visible(text)}'", "bad_host")
    return text


def server_url(text: str, what: str) -> str:
    """A served ledger's address: http:// or https://, a host, an optional path prefix; no
    user or password (never shown: it may hold a secret), query, fragment, space or quote
    (it is printed into links). Without a trailing slash."""
    from urllib.parse import urlsplit

    url = checked_text(text, what, max_length=URL_MAX, code="bad_url").rstrip("/")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it checks it
    except ValueError as exc:
        raise BadInput(f"{what} '{url}' is not an address: {exc}", "bad_url") from None
    if "@" in parts.netloc:  # before anything shows the address
        raise BadInput(f"{what} holds a user name or password; a token goes in PIECEPAY_TOKEN", "bad_url")
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise BadInput(f"{what} must be the http:// or https:// address of a piecepay server, not '{url}'", "bad_url")
    if parts.query or parts.fragment or any(c in url for c in "?#\"'<>\\`") or re.search(r"\s", url):
        raise BadInput(f"{what} '{url}' may hold no query, fragment, space or quote", "bad_url")
    return url


BILL_STATUSES = ("pending", "released", "rejected", "revising")


def bill_status(text: str | None) -> BillStatus | None:
    """A bill status to list by: pending, released, rejected or revising."""
    if text is None:
        return None
    if text not in BILL_STATUSES:
        raise BadInput(f"status '{text}' is not one of {', '.join(BILL_STATUSES)}", "bad_status")
    return BillStatus(text)


MAX_ID = 2**63 - 1  # SQLite's largest rowid; a larger number names nothing


def numeric_id(ref: str) -> int | None:
    """The id a reference like '12' or '#12' names; None when it names no possible row."""
    text = ref[1:] if ref.startswith("#") else ref
    if not (text.isascii() and text.isdigit() and len(text) <= 19):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def bill_id(text: str) -> int:
    """A bill by its number ('12' or '#12'); a number no bill can have is not found."""
    found = numeric_id(text)
    if found is None:
        raise NotFound(f"no bill '{text}'", "bill_not_found")
    return found
