"""Money and quantities: strict parsing, exact arithmetic, formatting.

Amounts are integers of the currency's minor unit (ISO 4217 digits). Decimal is used
only to parse text, to multiply a rate by pieces, and to format; never float.
"""

from __future__ import annotations

import functools
import re
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, localcontext

from piecepay.errors import BadInput
from piecepay.records import Record

MAX_MINOR: int = 2**63 - 1  # amounts must fit SQLite's signed 64-bit INTEGER
MAX_PIECES = Decimal(10**12)
RATE_DECIMALS = 9
PLAIN_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?", re.ASCII)
EXACT = Context(prec=80, rounding=ROUND_HALF_UP)
HALF = Decimal("0.5")


class Currency(Record):
    """An ISO 4217 currency and the digits of its minor unit (USD 2, JPY 0, KWD 3)."""

    code: str
    digits: int


class Money:
    """An amount of one currency, in integer minor units.

    Adding, subtracting or comparing amounts of different currencies is a bug and raises;
    nothing here ever becomes a float.
    """

    __slots__ = ("currency", "minor")

    def __init__(self, minor: int, currency: Currency) -> None:
        if not isinstance(minor, int) or isinstance(minor, bool):
            raise TypeError(f"money is an integer of minor units, not {minor!r}")
        self.minor = minor
        self.currency = currency

    @classmethod
    def zero(cls, currency: Currency) -> Money:
        return cls(0, currency)

    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine money with {other!r}")
        if other.currency.code != self.currency.code:
            raise ValueError(f"currencies never mix: {self.currency.code} and {other.currency.code}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.minor + self._same(other).minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.minor - self._same(other).minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.minor == other.minor and self.currency.code == other.currency.code

    def __hash__(self) -> int:
        return hash((self.minor, self.currency.code))

    def __lt__(self, other: Money) -> bool:
        return self.minor < self._same(other).minor

    # each written out (not derived from __lt__ by functools.total_ordering): a cap is checked
    # with > on every bill
    def __gt__(self, other: Money) -> bool:
        return self.minor > self._same(other).minor

    def __le__(self, other: Money) -> bool:
        return self.minor <= self._same(other).minor

    def __ge__(self, other: Money) -> bool:
        return self.minor >= self._same(other).minor

    def max(self, other: Money) -> Money:
        return self if self >= other else other

    def __bool__(self) -> bool:
        return self.minor != 0

    @property
    def decimal(self) -> str:
        """The exact decimal string: 25.00, 100 (JPY), -0.05."""
        return format_minor(self.minor, self.currency.digits)

    def __str__(self) -> str:
        return f"{self.decimal} {self.currency.code}"

    def __repr__(self) -> str:
        return f"Money({self.minor}, {self.currency.code})"


def money_from(amount: Decimal, currency: Currency, *, allow_zero: bool = False, what: str = "amount") -> Money:
    """An exact decimal amount as Money of ``currency``; refuses more decimals than it has,
    zero unless allowed, anything below zero, and anything past 64 bits of minor units."""
    if not amount.is_finite() or amount < 0:
        raise BadInput(f"{what} '{amount}' must be a positive amount", "not_positive")
    if _decimals(amount) > currency.digits:
        raise BadInput(
            f"{what} '{amount}' has more decimals than {currency.code}'s {currency.digits}", "too_many_decimals"
        )
    minor = int(amount.scaleb(currency.digits, EXACT))
    if minor == 0 and not allow_zero:
        raise BadInput(f"{what} '{amount}' must be more than zero", "not_positive")
    if minor > MAX_MINOR:
        raise BadInput(f"{what} '{amount}' is too large (over a signed 64-bit integer of minor units)", "too_large")
    return Money(minor, currency)


def normalise_currency(code: str, *, in_use: bool = True) -> str:
    """The upper-case ISO 4217 code, or BadInput if it is not one.

    With ``in_use`` (for new campaigns) it must also be money that some country uses
    today: testing (XTS), "no currency" (XXX), precious-metal (XAU…), fund (XDR, CLF,
    USN…) and withdrawn codes are refused.
    """
    text = code.upper()
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise BadInput(f"currency '{code}' is not a three-letter ISO 4217 code", "bad_currency")
    if in_use and text not in currencies_in_use():
        raise BadInput(
            f"currency '{text}' is not money in use today (ISO 4217 testing, metal, fund and withdrawn codes "
            "are refused)",
            "bad_currency",
        )
    return text


@functools.cache
def currencies_in_use() -> frozenset[str]:
    """Codes that are legal tender in some territory today, from CLDR's ISO 4217 data (Babel)."""
    from babel.core import get_global
    from babel.numbers import get_territory_currencies

    codes: set[str] = set()
    for territory in get_global("territory_currencies"):
        codes.update(get_territory_currencies(territory, tender=True, non_tender=False))
    return frozenset(codes)


def currency_digits(code: str) -> int:
    """How many digits the currency's minor unit has (USD 2, JPY 0, KWD 3), from ISO 4217 data."""
    from babel.numbers import get_currency_precision, list_currencies

    text = code.strip().upper()
    if text not in list_currencies():
        raise BadInput(f"currency '{code}' is not a known ISO 4217 code", "bad_currency")
    return int(get_currency_precision(text))


def plain_decimal(text: str, what: str) -> Decimal:
    """A non-negative decimal written plainly: digits, optionally a point and more digits."""
    if not isinstance(text, str) or not PLAIN_DECIMAL.fullmatch(text):
        raise BadInput(f"{what} '{text}' is not a plain decimal number (like 5, 5.00 or 0.005)", "bad_number")
    return Decimal(text)


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(-exponent, 0)


def parse_amount(text: str, digits: int, *, allow_zero: bool = False, what: str = "amount") -> int:
    """Minor units from text like '5', '5.00' or '0.5'; refuses anything not exact and in range."""
    value = plain_decimal(text, what)
    if _decimals(value) > digits:
        raise BadInput(f"{what} '{text}' has more decimals than the currency's {digits}", "too_many_decimals")
    minor = int(value.scaleb(digits, EXACT))
    if minor == 0 and not allow_zero:
        raise BadInput(f"{what} '{text}' must be more than zero", "not_positive")
    if minor > MAX_MINOR:
        raise BadInput(f"{what} '{text}' is too large (over a signed 64-bit integer of minor units)", "too_large")
    return minor


def parse_rate(text: str, what: str = "rate") -> Decimal:
    """A positive exact rate, which may be finer than the minor unit (e.g. 0.005)."""
    value = plain_decimal(text, what)
    if _decimals(value) > RATE_DECIMALS:
        raise BadInput(f"{what} '{text}' has more than {RATE_DECIMALS} decimals", "too_many_decimals")
    if len(text.split(".")[0].lstrip("0")) > 15:
        raise BadInput(f"{what} '{text}' is too large", "too_large")
    if value == 0:
        raise BadInput(f"{what} '{text}' must be more than zero", "not_positive")
    return value


def parse_step(text: str) -> Decimal:
    """The smallest billable part of a piece: 1, 0.5, 0.25, 0.1, 0.001…; 1 must divide by it."""
    value = plain_decimal(text, "step")
    if value == 0 or _decimals(value) > 3 or (Decimal(1) % value) != 0:  # so 1 at most
        raise BadInput(f"step '{text}' must be 1 or a fraction that divides 1 (0.5, 0.25, 0.1, 0.001…)", "bad_step")
    return value


def parse_pieces(text: str, step: Decimal = Decimal(1), what: str = "pieces") -> Decimal:
    """A positive count of pieces, a whole multiple of ``step``."""
    value = plain_decimal(text, what)
    if value == 0:
        raise BadInput(f"{what} '{text}' must be more than zero", "not_positive")
    if value > MAX_PIECES:
        raise BadInput(f"{what} '{text}' is too large", "too_large")
    if _decimals(value) > 3 or value % step != 0:
        if step == 1:
            raise BadInput(f"{what} '{text}' must be whole: this campaign bills whole pieces", "not_whole")
        raise BadInput(f"{what} '{text}' must be a multiple of the campaign's step {format_rate(step)}", "not_a_step")
    return value


def parse_count(text: str, what: str, *, minimum: int = 1, maximum: int = 10**12) -> int:
    """A whole number between ``minimum`` and ``maximum``."""
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]+", text):
        raise BadInput(f"{what} '{text}' is not a whole number", "bad_number")
    value = int(text)
    if not minimum <= value <= maximum:
        raise BadInput(f"{what} '{text}' must be from {minimum} to {maximum}", "out_of_range")
    return value


def pieces_to_milli(pieces: Decimal) -> int:
    """Pieces as stored: integer thousandths."""
    milli = pieces.scaleb(3, EXACT)
    if milli != milli.to_integral_value():
        raise BadInput(f"pieces '{pieces}' are finer than a thousandth", "too_many_decimals")
    return int(milli)


def milli_to_pieces(milli: int) -> Decimal:
    """Stored thousandths back to pieces, without trailing zeros or exponent."""
    value = Decimal(milli).scaleb(-3, EXACT)
    whole = value.to_integral_value()
    return whole if value == whole else value.normalize(EXACT)


def format_pieces(milli: int) -> str:
    return f"{milli_to_pieces(milli):f}"


def bill_amount(pieces: Decimal, rate: Decimal, digits: int) -> int:
    """pieces x rate in minor units, rounded once, half-up (0.015 USD -> 0.02)."""
    with localcontext(EXACT):
        exact = pieces * rate
        minor = int(exact.scaleb(digits).to_integral_value(rounding=ROUND_HALF_UP))
    if minor > MAX_MINOR:
        raise BadInput(f"{pieces} x {rate} is too large for one bill", "too_large")
    return minor


def exact_minor(pieces: Decimal, rate: Decimal, digits: int) -> Decimal:
    """pieces x rate in minor units, exactly (0.008 for 2 rows at 0.004 USD: 0.8 cents)."""
    with localcontext(EXACT):
        return (pieces * rate).scaleb(digits)


def reserved_minor(pieces: Decimal, rate: Decimal, digits: int) -> int:
    """What a bill of ``pieces`` at ``rate`` reserves: its exact value rounded up to the minor
    unit, the most its release can post whatever was released on its contract before."""
    value = exact_minor(pieces, rate, digits)
    minor = int(value.to_integral_value(rounding=ROUND_CEILING))
    if minor > MAX_MINOR:
        raise BadInput(f"{pieces} x {rate} is too large for one bill", "too_large")
    return minor


def carried_share(carry: Decimal, value: Decimal) -> tuple[int, Decimal]:
    """What releasing ``value`` (exact, in minor units) posts on a contract whose released
    money so far falls short of its exact value released by ``carry``, and the carry after.

    The contract's released money is its exact value released rounded once, half-up, at every
    moment: the posting is round(before + value) - round(before), which is round(carry +
    value) with the carry in [-0.5, 0.5). It is never more than ``value`` rounded up (the
    reservation), never below zero, and the carry stays in [-0.5, 0.5)."""
    with localcontext(EXACT):
        total = carry + value
        posted = int((total + HALF).to_integral_value(rounding=ROUND_FLOOR))  # half-up, also at -0.5
        return posted, total - posted


def format_carry(carry: Decimal) -> str:
    """A carry as stored: exact, without exponent or trailing zeros ('0', '-0.4', '0.25')."""
    if carry == 0:
        return "0"
    return f"{carry.normalize(EXACT):f}"


def format_minor(minor: int, digits: int) -> str:
    """The exact decimal string of an amount: (2500, 2) -> '25.00', (-5, 2) -> '-0.05'."""
    sign = "-" if minor < 0 else ""
    text = str(abs(minor))
    if digits == 0:
        return sign + text
    text = text.rjust(digits + 1, "0")
    return f"{sign}{text[:-digits]}.{text[-digits:]}"


def format_rate(rate: Decimal) -> str:
    """A rate as typed, without exponent: Decimal('0.005') -> '0.005'."""
    text = f"{rate.normalize(EXACT):f}"
    return text


# --------------------------------------------------------------------------- pay per hour

MINUTES_PER_HOUR = 60


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator (both >= 0, denominator > 0) rounded half-up to a whole number,
    exactly: integers never lose a digit."""
    return (2 * numerator + denominator) // (2 * denominator)


def hourly_pay(released: Money, minutes: int) -> Money | None:
    """What ``released`` pays an hour over ``minutes`` of work: released x 60 / minutes, exact,
    rounded once, half-up, to the minor unit; None when no minutes were recorded."""
    if minutes <= 0:
        return None
    return Money(_half_up(max(released.minor, 0) * MINUTES_PER_HOUR, minutes), released.currency)


def wage_shortfall(wage: Money, minutes: int, released: Money) -> Money:
    """What ``released`` falls short of ``wage`` an hour over ``minutes``: max(0, wage x
    minutes / 60 - released), exact, rounded once, half-up, to the minor unit."""
    short = wage.minor * minutes - MINUTES_PER_HOUR * wage._same(released).minor
    return Money(_half_up(short, MINUTES_PER_HOUR) if short > 0 else 0, wage.currency)


def format_hours(minutes: int) -> str:
    """Minutes as hours to two decimals, rounded half-up (for display): 90 -> '1.50', 1 -> '0.02'."""
    return format_minor(_half_up(minutes * 100, MINUTES_PER_HOUR), 2)
