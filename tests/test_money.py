"""Money: strict parsing, one half-up rounding, exact formatting. No floats anywhere."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from piecepay.errors import BadInput
from piecepay.money import (
    MAX_MINOR,
    bill_amount,
    currency_digits,
    format_minor,
    format_pieces,
    format_rate,
    normalise_currency,
    parse_amount,
    parse_count,
    parse_pieces,
    parse_rate,
    parse_step,
    pieces_to_milli,
)

REFUSED = [
    "-1",
    "1e3",
    "1E3",
    "NaN",
    "nan",
    "inf",
    "Infinity",
    "1,000",
    "",
    " 5",
    "5 ",
    "+5",
    "0x10",
    ".5",
    "5.",
    "١٢",
    "5.001",
    "99999999999999999999",
    "9223372036854775.808",
]


@pytest.mark.parametrize("text", REFUSED)
def test_amounts_that_are_not_plain_exact_and_in_range_are_refused(text: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_amount(text, 2)
    assert repr(text)[1:-1] in caught.value.message or text.strip() in caught.value.message


@pytest.mark.parametrize(
    ("text", "digits", "minor"),
    [
        ("5", 2, 500),
        ("5.00", 2, 500),
        ("0.5", 2, 50),
        ("0.01", 2, 1),
        ("1050", 0, 1050),
        ("0.001", 3, 1),
        ("92233720368547758.07", 2, MAX_MINOR),
    ],
)
def test_plain_amounts_parse_to_minor_units(text: str, digits: int, minor: int) -> None:
    assert parse_amount(text, digits) == minor


def test_zero_is_refused_unless_allowed_and_yen_take_no_decimals() -> None:
    with pytest.raises(BadInput, match="more than zero"):
        parse_amount("0", 2)
    assert parse_amount("0.00", 2, allow_zero=True) == 0
    with pytest.raises(BadInput, match="more decimals"):
        parse_amount("5.5", 0)


@pytest.mark.parametrize(
    ("pieces", "rate", "digits", "minor"),
    [
        ("3", "0.005", 2, 2),  # 0.015 -> 0.02: the half goes up
        ("1", "0.005", 2, 1),
        ("1", "0.004", 2, 0),
        ("1", "0.0049999", 2, 0),
        ("1203", "0.005", 2, 602),
        ("997", "0.005", 2, 499),  # 4.985 -> 4.99
        ("5", "5", 2, 2500),
        ("7", "150", 0, 1050),
        ("3", "0.0005", 3, 2),  # KWD: 0.0015 -> 0.002
        ("2.5", "1.20", 2, 300),
        ("0.5", "0.01", 2, 1),  # 0.005 -> 0.01
    ],
)
def test_bill_amount_rounds_once_half_up(pieces: str, rate: str, digits: int, minor: int) -> None:
    assert bill_amount(Decimal(pieces), Decimal(rate), digits) == minor


def test_bill_amount_refuses_overflow() -> None:
    assert bill_amount(Decimal(MAX_MINOR), Decimal("0.01"), 2) == MAX_MINOR
    with pytest.raises(BadInput, match="too large"):
        bill_amount(Decimal(10**12), Decimal("999999999999999"), 2)


@given(minor=st.integers(0, MAX_MINOR), digits=st.integers(0, 3))
def test_format_then_parse_gives_back_the_same_minor_units(minor: int, digits: int) -> None:
    assert parse_amount(format_minor(minor, digits), digits, allow_zero=True) == minor


@given(
    pieces_milli=st.integers(1, 10**9),
    rate_units=st.integers(1, 10**9),
    rate_scale=st.integers(0, 9),
    digits=st.integers(0, 3),
)
def test_bill_amount_matches_exact_fraction_arithmetic(
    pieces_milli: int, rate_units: int, rate_scale: int, digits: int
) -> None:
    pieces = Fraction(pieces_milli, 1000)
    rate = Fraction(rate_units, 10**rate_scale)
    exact = pieces * rate * 10**digits
    expected = int(exact + Fraction(1, 2))  # half-up for non-negative values
    got = bill_amount(Decimal(pieces_milli).scaleb(-3), Decimal(rate_units).scaleb(-rate_scale), digits)
    assert got == expected


def test_formatting_is_exact_and_signed() -> None:
    assert [format_minor(m, d) for m, d in [(2500, 2), (5, 2), (-5, 2), (0, 2), (1050, 0), (1, 3)]] == [
        "25.00",
        "0.05",
        "-0.05",
        "0.00",
        "1050",
        "0.001",
    ]
    assert [format_pieces(m) for m in (5000, 2500, 1250, 0)] == ["5", "2.5", "1.25", "0"]
    assert [format_rate(Decimal(t)) for t in ("0.005", "5", "5.00", "100", "1.20")] == ["0.005", "5", "5", "100", "1.2"]


def test_pieces_rates_steps_and_counts() -> None:
    assert pieces_to_milli(parse_pieces("2.5", Decimal("0.5"))) == 2500
    with pytest.raises(BadInput, match="whole"):
        parse_pieces("2.5")
    with pytest.raises(BadInput, match="multiple"):
        parse_pieces("2.25", Decimal("0.5"))
    assert parse_rate("0.005") == Decimal("0.005")
    with pytest.raises(BadInput):
        parse_rate("0.0000000001")
    assert parse_step("0.25") == Decimal("0.25")
    with pytest.raises(BadInput):
        parse_step("0.3")
    assert parse_count("0", "review days", minimum=0, maximum=30) == 0
    with pytest.raises(BadInput, match="from 0 to 30"):
        parse_count("31", "review days", minimum=0, maximum=30)


def test_currency_digits_come_from_iso_4217() -> None:
    assert [currency_digits(c) for c in ("USD", "JPY", "KWD", "eur")] == [2, 0, 3, 2]
    assert normalise_currency("jpy") == "JPY"
    for bad in ("XYZ", "US", "usd1", "€"):
        with pytest.raises(BadInput):
            normalise_currency(bad)
