"""Money: strict parsing, one half-up rounding, exact formatting. No floats anywhere."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from piecepay.errors import BadInput
from piecepay.money import (
    MAX_MINOR,
    Currency,
    Money,
    bill_amount,
    carried_share,
    currencies_in_use,
    currency_digits,
    exact_minor,
    format_carry,
    format_minor,
    format_pieces,
    format_rate,
    milli_to_pieces,
    money_from,
    normalise_currency,
    parse_amount,
    parse_count,
    parse_pieces,
    parse_rate,
    parse_step,
    pieces_to_milli,
    plain_decimal,
    reserved_minor,
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


def test_bill_amount_is_exact_beyond_decimals_default_precision() -> None:
    # 100.001 x 100000000000005.000499995 has 29 significant digits,
    # whose part below the cent is 0.4999999995: exactly, it rounds down. Decimal's default
    # 28 digits would first round that to 0.5 and then up: one cent too much.
    pieces, rate = Decimal("100.001"), Decimal("100000000000005.000499995")
    product = Fraction(pieces) * Fraction(rate) * 100
    assert product - int(product) == Fraction(4999999995, 10**10)
    assert bill_amount(pieces, rate, 2) == int(product) == 1000010000000050005


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


# --------------------------------------------------------------------------- Money, the value


USD, JPY, KWD = Currency("USD", 2), Currency("JPY", 0), Currency("KWD", 3)


def test_money_is_an_integer_of_minor_units_never_a_float_or_a_bool() -> None:
    assert Money(2500, USD).minor == 2500
    assert Money(2500, USD).currency == USD
    for wrong in (1.5, Decimal(1), True, False, "1", None):
        with pytest.raises(TypeError) as caught:
            Money(wrong, USD)  # type: ignore[arg-type]
        assert str(caught.value) == f"money is an integer of minor units, not {wrong!r}"


def test_zero_is_zero_of_its_currency() -> None:
    assert Money.zero(JPY).minor == 0
    assert Money.zero(JPY).currency == JPY
    assert Money.zero(USD) == Money(0, USD)
    assert not Money.zero(USD)
    assert Money(1, USD) and Money(-1, USD)


def test_arithmetic_and_order_within_one_currency() -> None:
    a, b = Money(250, USD), Money(100, USD)
    assert (a + b).minor == 350 and (a + b).currency == USD
    assert (a - b).minor == 150 and (b - a).minor == -150
    assert (-a).minor == -250 and (-a).currency == USD
    assert b < a and not a < b and not a < Money(250, USD)
    assert b <= a and a <= Money(250, USD) and a >= b and a > b
    assert a.max(b) == a and b.max(a) == a and Money(-5, USD).max(Money.zero(USD)) == Money.zero(USD)


def test_equality_needs_the_same_amount_and_currency_and_never_raises() -> None:
    assert Money(5, USD) == Money(5, Currency("USD", 2))
    assert Money(5, USD) != Money(6, USD)
    assert Money(5, USD) != Money(5, JPY)
    assert Money(5, USD) != 5
    assert Money(5, USD).__eq__(5) is NotImplemented
    assert hash(Money(5, USD)) == hash(Money(5, USD))
    assert len({Money(5, USD), Money(5, USD), Money(6, USD), Money(5, JPY)}) == 3
    assert hash(Money(5, USD)) != hash(Money(6, USD))


@pytest.mark.parametrize(
    "combine",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a > b,
        lambda a, b: a <= b,
        lambda a, b: a >= b,
        lambda a, b: a.max(b),
    ],
)
def test_currencies_never_mix(combine: Callable[[Money, Money], object]) -> None:
    with pytest.raises(ValueError) as caught:
        combine(Money(5, USD), Money(5, JPY))
    assert str(caught.value) == "currencies never mix: USD and JPY"
    with pytest.raises(TypeError) as wrong:
        combine(Money(5, USD), 5)
    assert str(wrong.value) == "cannot combine money with 5"


@pytest.mark.parametrize(
    ("minor", "currency", "decimal", "text"),
    [
        (2500, USD, "25.00", "25.00 USD"),
        (-5, USD, "-0.05", "-0.05 USD"),
        (0, USD, "0.00", "0.00 USD"),
        (1050, JPY, "1050", "1050 JPY"),
        (-1050, JPY, "-1050", "-1050 JPY"),
        (1, KWD, "0.001", "0.001 KWD"),
        (MAX_MINOR, USD, "92233720368547758.07", "92233720368547758.07 USD"),
    ],
)
def test_money_formats_exactly(minor: int, currency: Currency, decimal: str, text: str) -> None:
    money = Money(minor, currency)
    assert money.decimal == decimal
    assert str(money) == text
    assert repr(money) == f"Money({minor}, {currency.code})"


# --------------------------------------------------------------------------- money_from


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("5", USD, 500),
        ("5.00", USD, 500),
        ("0.01", USD, 1),
        ("1.1", USD, 110),
        ("1050", JPY, 1050),
        ("0.001", KWD, 1),
        ("92233720368547758.07", USD, MAX_MINOR),
        ("9223372036854775807", JPY, MAX_MINOR),
        ("9223372036854775.807", KWD, MAX_MINOR),
    ],
)
def test_money_from_exact_decimals(amount: str, currency: Currency, minor: int) -> None:
    assert money_from(Decimal(amount), currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("amount", "currency", "code", "message"),
    [
        ("92233720368547758.08", USD, "too_large", "amount '92233720368547758.08' is too large "),
        ("9223372036854775808", JPY, "too_large", "amount '9223372036854775808' is too large "),
        ("1.001", USD, "too_many_decimals", "amount '1.001' has more decimals than USD's 2"),
        ("5.0", JPY, "too_many_decimals", "amount '5.0' has more decimals than JPY's 0"),
        ("0.0001", KWD, "too_many_decimals", "amount '0.0001' has more decimals than KWD's 3"),
        ("0", USD, "not_positive", "amount '0' must be more than zero"),
        ("0.00", USD, "not_positive", "amount '0.00' must be more than zero"),
        ("-0.01", USD, "not_positive", "amount '-0.01' must be a positive amount"),
        ("-1", JPY, "not_positive", "amount '-1' must be a positive amount"),
        ("NaN", USD, "not_positive", "amount 'NaN' must be a positive amount"),
        ("Infinity", USD, "not_positive", "amount 'Infinity' must be a positive amount"),
    ],
)
def test_money_from_refuses_with_the_figures(amount: str, currency: Currency, code: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        money_from(Decimal(amount), currency)
    assert caught.value.code == code
    if code == "too_large":
        message += "(over a signed 64-bit integer of minor units)"
    assert caught.value.message == message


def test_money_from_allows_zero_when_asked_and_names_what_it_parses() -> None:
    assert money_from(Decimal("0.00"), USD, allow_zero=True) == Money(0, USD)
    with pytest.raises(BadInput) as caught:
        money_from(Decimal("0"), USD, what="top-up")
    assert caught.value.message == "top-up '0' must be more than zero"
    with pytest.raises(BadInput) as negative:
        money_from(Decimal("-1"), USD, allow_zero=True, what="cap")
    assert negative.value.message == "cap '-1' must be a positive amount"


# --------------------------------------------------------------------------- parsing at the edges


@pytest.mark.parametrize(
    ("text", "digits", "code", "message"),
    [
        ("0", 2, "not_positive", "amount '0' must be more than zero"),
        ("0.00", 2, "not_positive", "amount '0.00' must be more than zero"),
        ("5.001", 2, "too_many_decimals", "amount '5.001' has more decimals than the currency's 2"),
        ("5.0", 0, "too_many_decimals", "amount '5.0' has more decimals than the currency's 0"),
        ("1e3", 2, "bad_number", "amount '1e3' is not a plain decimal number (like 5, 5.00 or 0.005)"),
        (
            "92233720368547758.08",
            2,
            "too_large",
            "amount '92233720368547758.08' is too large (over a signed 64-bit integer of minor units)",
        ),
    ],
)
def test_parse_amount_refuses_with_the_figures(text: str, digits: int, code: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_amount(text, digits)
    assert (caught.value.code, caught.value.message) == (code, message)


def test_parse_amount_names_what_it_parses_and_keeps_the_64_bit_edge() -> None:
    with pytest.raises(BadInput, match=r"^cap '0' must be more than zero$"):
        parse_amount("0", 2, what="cap")
    assert parse_amount("9223372036854775807", 0) == MAX_MINOR
    assert parse_amount("9223372036854775.807", 3) == MAX_MINOR
    with pytest.raises(BadInput, match="too large"):
        parse_amount("9223372036854775808", 0)
    assert parse_amount("00012.50", 2) == 1250
    assert parse_amount("0", 0, allow_zero=True) == 0


def test_plain_decimal_takes_text_only() -> None:
    assert plain_decimal("0.005", "rate") == Decimal("0.005")
    assert plain_decimal("007", "rate") == Decimal(7)
    for wrong in (5, Decimal(5), None, b"5"):
        with pytest.raises(BadInput) as caught:
            plain_decimal(wrong, "rate")  # type: ignore[arg-type]
        assert caught.value.code == "bad_number"
        assert caught.value.message == f"rate '{wrong}' is not a plain decimal number (like 5, 5.00 or 0.005)"


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("0.000000001", "0.000000001"),  # nine decimals: the finest rate
        ("999999999999999", "999999999999999"),  # fifteen digits: the largest
        ("000000000000000000005", "5"),  # leading zeros do not count
        ("999999999999999.999999999", "999999999999999.999999999"),
    ],
)
def test_rates_at_the_edges_pass(text: str, rate: str) -> None:
    assert parse_rate(text) == Decimal(rate)


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("0.0000000001", "too_many_decimals", "rate '0.0000000001' has more than 9 decimals"),
        ("1000000000000000", "too_large", "rate '1000000000000000' is too large"),
        ("0", "not_positive", "rate '0' must be more than zero"),
        ("0.000000000", "not_positive", "rate '0.000000000' must be more than zero"),
        ("-1", "bad_number", "rate '-1' is not a plain decimal number (like 5, 5.00 or 0.005)"),
    ],
)
def test_rates_past_the_edges_are_refused(text: str, code: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_rate(text)
    assert (caught.value.code, caught.value.message) == (code, message)
    with pytest.raises(BadInput, match=r"^offer rate "):
        parse_rate(text, "offer rate")


@pytest.mark.parametrize("text", ["1", "1.0", "0.5", "0.25", "0.2", "0.125", "0.1", "0.05", "0.001"])
def test_steps_that_divide_one(text: str) -> None:
    assert parse_step(text) == Decimal(text)


@pytest.mark.parametrize("text", ["0", "0.000", "1.001", "2", "0.3", "0.4", "0.75", "0.0005", "0.0001", "abc"])
def test_steps_that_do_not_divide_one_or_are_too_fine(text: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_step(text)
    if text == "abc":
        assert caught.value.code == "bad_number"
        return
    assert caught.value.code == "bad_step"
    assert caught.value.message == f"step '{text}' must be 1 or a fraction that divides 1 (0.5, 0.25, 0.1, 0.001…)"


@pytest.mark.parametrize(
    ("text", "step", "pieces"),
    [
        ("1", "1", "1"),
        ("1000000000000", "1", "1000000000000"),  # MAX_PIECES exactly
        ("1.5", "0.5", "1.5"),
        ("0.001", "0.001", "0.001"),
        ("999999999999.999", "0.001", "999999999999.999"),
    ],
)
def test_pieces_at_the_edges_pass(text: str, step: str, pieces: str) -> None:
    assert parse_pieces(text, Decimal(step)) == Decimal(pieces)


@pytest.mark.parametrize(
    ("text", "step", "code", "message"),
    [
        ("0", "1", "not_positive", "pieces '0' must be more than zero"),
        ("0.000", "0.001", "not_positive", "pieces '0.000' must be more than zero"),
        ("1000000000000.001", "0.001", "too_large", "pieces '1000000000000.001' is too large"),
        ("1000000000001", "1", "too_large", "pieces '1000000000001' is too large"),
        ("1.5", "1", "not_whole", "pieces '1.5' must be whole: this campaign bills whole pieces"),
        ("1.25", "0.5", "not_a_step", "pieces '1.25' must be a multiple of the campaign's step 0.5"),
        ("1.0005", "0.001", "not_a_step", "pieces '1.0005' must be a multiple of the campaign's step 0.001"),
        # finer than a thousandth is refused even on a step finer than parse_step allows
        ("1.0001", "0.0001", "not_a_step", "pieces '1.0001' must be a multiple of the campaign's step 0.0001"),
    ],
)
def test_pieces_past_the_edges_are_refused(text: str, step: str, code: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_pieces(text, Decimal(step))
    assert (caught.value.code, caught.value.message) == (code, message)


def test_parse_pieces_is_whole_by_default_and_names_what_it_parses() -> None:
    assert parse_pieces("3") == Decimal(3)
    with pytest.raises(BadInput, match=r"^release pieces '0\.5' must be whole"):
        parse_pieces("0.5", what="release pieces")


def test_counts_at_their_edges() -> None:
    assert parse_count("1", "workers") == 1
    assert parse_count("1000000000000", "workers") == 10**12
    for text in ("0", "1000000000001"):
        with pytest.raises(BadInput) as caught:
            parse_count(text, "workers")
        assert caught.value.code == "out_of_range"
        assert caught.value.message == f"workers '{text}' must be from 1 to 1000000000000"
    assert parse_count("30", "review days", minimum=0, maximum=30) == 30
    for wrong in ("-1", "1.0", "1e3", " 1", "", 5):
        with pytest.raises(BadInput) as bad:
            parse_count(wrong, "workers")  # type: ignore[arg-type]
        assert bad.value.code == "bad_number"
        assert bad.value.message == f"workers '{wrong}' is not a whole number"


def test_pieces_and_thousandths_convert_exactly() -> None:
    assert [pieces_to_milli(Decimal(t)) for t in ("2.5", "0.001", "1000000000000", "3.000")] == [2500, 1, 10**15, 3000]
    with pytest.raises(BadInput) as caught:
        pieces_to_milli(Decimal("1.0005"))
    assert (caught.value.code, caught.value.message) == (
        "too_many_decimals",
        "pieces '1.0005' are finer than a thousandth",
    )
    assert [str(milli_to_pieces(m)) for m in (5000, 2500, 1, 0, 10**15, 1010)] == [
        "5",
        "2.5",
        "0.001",
        "0",
        "1000000000000",
        "1.01",
    ]


def test_bill_amount_at_the_64_bit_limit() -> None:
    assert bill_amount(Decimal(1), Decimal(MAX_MINOR), 0) == MAX_MINOR
    with pytest.raises(BadInput) as caught:
        bill_amount(Decimal(1), Decimal(MAX_MINOR + 1), 0)
    assert (caught.value.code, caught.value.message) == (
        "too_large",
        "1 x 9223372036854775808 is too large for one bill",
    )


def test_bill_amount_rounds_half_up_at_the_half_in_each_currency() -> None:
    # the exact half goes up; the least amount under it goes down
    assert bill_amount(Decimal(1), Decimal("0.005"), 2) == 1
    assert bill_amount(Decimal(1), Decimal("0.004999999"), 2) == 0
    assert bill_amount(Decimal(1), Decimal("0.5"), 0) == 1
    assert bill_amount(Decimal(1), Decimal("0.499999999"), 0) == 0
    assert bill_amount(Decimal(1), Decimal("0.0005"), 3) == 1
    assert bill_amount(Decimal(1), Decimal("0.000499999"), 3) == 0
    assert bill_amount(Decimal("2.5"), Decimal(1), 0) == 3  # 2.5 -> 3, not banker's 2
    assert bill_amount(Decimal("0.001"), Decimal(1), 2) == 0


def test_currency_lookups() -> None:
    assert currency_digits(" usd ") == 2
    with pytest.raises(BadInput) as caught:
        currency_digits("XYZ")
    assert (caught.value.code, caught.value.message) == ("bad_currency", "currency 'XYZ' is not a known ISO 4217 code")
    in_use = currencies_in_use()
    assert {"USD", "JPY", "KWD", "EUR"} <= in_use
    assert not {"XTS", "XXX", "XAU", "XDR", "USN", "CLF", "DEM"} & in_use
    with pytest.raises(BadInput) as short:
        normalise_currency("US")
    assert (short.value.code, short.value.message) == (
        "bad_currency",
        "currency 'US' is not a three-letter ISO 4217 code",
    )
    for code in ("XTS", "usn"):
        with pytest.raises(BadInput) as caught:
            normalise_currency(code)
        assert caught.value.code == "bad_currency"
        assert caught.value.message == (
            f"currency '{code.upper()}' is not money in use today (ISO 4217 testing, metal, fund and withdrawn codes "
            "are refused)"
        )
    assert normalise_currency("xts", in_use=False) == "XTS"
    assert normalise_currency("usd") == "USD"


def test_conversions_stay_exact_past_decimals_default_precision() -> None:
    """Decimal's default context keeps 28 digits; piecepay's arithmetic never rounds silently."""
    with pytest.raises(BadInput, match="finer than a thousandth"):
        pieces_to_milli(Decimal("1.0000000000000000000000000001"))
    assert str(milli_to_pieces(10**30 + 1)) == "1000000000000000000000000000.001"
    assert str(milli_to_pieces(10**30)) == "1000000000000000000000000000"
    assert format_rate(Decimal("1234567890123456789012345678.90")) == "1234567890123456789012345678.9"


def test_what_is_parsed_is_named_when_it_is_not_a_number() -> None:
    with pytest.raises(BadInput) as step:
        parse_step("abc")
    assert step.value.message == "step 'abc' is not a plain decimal number (like 5, 5.00 or 0.005)"
    with pytest.raises(BadInput) as pieces:
        parse_pieces("abc")
    assert pieces.value.message == "pieces 'abc' is not a plain decimal number (like 5, 5.00 or 0.005)"
    with pytest.raises(BadInput) as released:
        parse_pieces("1e3", what="release pieces")
    assert released.value.message == "release pieces '1e3' is not a plain decimal number (like 5, 5.00 or 0.005)"


@example(released=0, minutes=29, wage=1, digits=2)  # 29/60 of a cent short: nothing, as rounded
@example(released=0, minutes=30, wage=1, digits=2)  # half a cent short: a cent, half-up
@example(released=1, minutes=60, wage=1, digits=2)  # exactly at the wage
@given(
    released=st.integers(0, 10**15),
    minutes=st.integers(1, 10**9),
    wage=st.integers(1, 10**9),
    digits=st.sampled_from([0, 2, 3]),
)
def test_hourly_pay_and_a_wages_shortfall_are_the_exact_figures_rounded_once(
    released: int, minutes: int, wage: int, digits: int
) -> None:
    """Against exact fractions: pay an hour is released x 60 / minutes, the shortfall max(0,
    wage x minutes / 60 - released), each rounded half-up once to the minor unit; and a
    shortfall is owed exactly when the hourly pay, unrounded, is under the wage."""
    from piecepay.money import hourly_pay, wage_shortfall

    currency = Currency("USD" if digits == 2 else "JPY" if digits == 0 else "BHD", digits)

    def half_up(value: Fraction) -> int:
        return int((value + Fraction(1, 2)).__floor__())

    hourly = hourly_pay(Money(released, currency), minutes)
    assert hourly is not None and hourly.minor == half_up(Fraction(released * 60, minutes))
    exact_short = Fraction(wage * minutes, 60) - released
    short = wage_shortfall(Money(wage, currency), minutes, Money(released, currency))
    assert short.minor == (half_up(exact_short) if exact_short > 0 else 0)
    assert (exact_short > 0) == (Fraction(released * 60, minutes) < wage)
    assert hourly_pay(Money(released, currency), 0) is None


# --------------------------------------------------------------------------- exact totals

LONG_RATE = Decimal("123456789012345.123456789")


@pytest.mark.parametrize(
    ("pieces", "rate", "digits", "exact"),
    [
        ("2", "0.004", 2, "0.8"),
        ("1", "0.004", 2, "0.4"),
        ("3", "0.5", 0, "1.5"),
        ("0.001", "0.005", 3, "0.005"),
        ("999999999999.999", LONG_RATE, 2, "12345678901234499999999998765.4876543211"),
    ],
)
def test_exact_minor_is_pieces_times_rate_in_minor_units_unrounded(
    pieces: str, rate: str | Decimal, digits: int, exact: str
) -> None:
    found = exact_minor(Decimal(pieces), Decimal(rate), digits)
    assert found == Decimal(exact)


@pytest.mark.parametrize(
    ("pieces", "rate", "digits", "minor"),
    [
        ("2", "0.004", 2, 1),  # 0.8 of a cent reserves a cent
        ("1", "0.001", 2, 1),  # 0.1 too: nothing billed reserves nothing
        ("2.5", "0.004", 2, 1),  # 1.0 exactly
        ("2.501", "0.004", 2, 2),  # 1.004
        ("3", "0.5", 0, 2),  # 1.5 yen
        ("1", "5", 2, 500),
        ("1", "92233720368547758.07", 2, MAX_MINOR),
    ],
)
def test_a_reservation_is_the_exact_value_rounded_up(pieces: str, rate: str, digits: int, minor: int) -> None:
    found = reserved_minor(Decimal(pieces), Decimal(rate), digits)
    assert (found, type(found)) == (minor, int)


def test_a_reservation_past_64_bits_is_refused() -> None:
    with pytest.raises(BadInput) as caught:
        reserved_minor(Decimal(1), Decimal("92233720368547758.070000001"), 2)  # rounds up past the largest
    assert (caught.value.code, caught.value.message) == (
        "too_large",
        "1 x 92233720368547758.070000001 is too large for one bill",
    )


@pytest.mark.parametrize(
    ("carry", "value", "posted", "after"),
    [
        ("0", "0.8", 1, "-0.2"),
        ("-0.2", "0.8", 1, "-0.4"),
        ("-0.4", "0.4", 0, "0"),
        ("0", "0.5", 1, "-0.5"),  # half rounds up
        ("0", "0.49", 0, "0.49"),
        ("0.4", "0.1", 1, "-0.5"),
        ("-0.5", "0", 0, "-0.5"),  # -0.5 rounds up to 0, not down to -1
        ("-0.5", "1", 1, "-0.5"),
        ("0.49", "0", 0, "0.49"),
        ("-0.2", "0.6", 0, "0.4"),
        ("0", "3", 3, "0"),
        ("0.3", "2.2", 3, "-0.5"),
        ("0", "12345678901234567890123456789.5", 12345678901234567890123456790, "-0.5"),
    ],
)
def test_a_carried_share_posts_the_rounded_running_total_and_carries_the_rest(
    carry: str, value: str, posted: int, after: str
) -> None:
    found, left = carried_share(Decimal(carry), Decimal(value))
    assert (found, left) == (posted, Decimal(after))
    assert type(found) is int
    assert Decimal(carry) + Decimal(value) == found + left  # nothing lost, nothing made


@given(
    st.decimals(min_value=Decimal("-0.5"), max_value=Decimal("0.499"), places=3),
    st.decimals(min_value=Decimal(0), max_value=Decimal(10**6), places=6),
)
def test_a_carry_stays_in_its_half_and_a_share_never_exceeds_the_value_rounded_up(
    carry: Decimal, value: Decimal
) -> None:
    posted, left = carried_share(carry, value)
    assert Decimal("-0.5") <= left < Decimal("0.5")
    assert 0 <= posted <= int(value.to_integral_value(rounding="ROUND_CEILING"))


@pytest.mark.parametrize(
    ("carry", "text"),
    [
        ("0", "0"),
        ("0.000", "0"),
        ("-0", "0"),
        ("-0.40", "-0.4"),
        ("0.25", "0.25"),
        ("-0.5", "-0.5"),
        ("1E-30", "0.000000000000000000000000000001"),
        ("0.1234567890123456789012345678901234", "0.1234567890123456789012345678901234"),
    ],
)
def test_a_carry_is_stored_exactly_without_exponent_or_trailing_zeros(carry: str, text: str) -> None:
    assert format_carry(Decimal(carry)) == text
