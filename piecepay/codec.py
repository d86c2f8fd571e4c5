"""Domain values to JSON and back, exactly: what an idempotency key keeps of a result.

A result is stored as the records it holds, not as any rendering of them, so a replay
gives back the same typed values and the interface renders them as it does today.
Decoding follows the record's own type annotations; nothing is guessed.
"""

from __future__ import annotations

import functools
import types
import typing
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar, Union

from piecepay.money import Currency, Money

T = TypeVar("T")


def encode(value: Any) -> Any:
    """A JSON-able form of a domain value (records, money, decimals, dates, enums, tuples)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Money):
        return {"minor": value.minor, "currency": value.currency.code, "digits": value.currency.digits}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {name: encode(getattr(value, name)) for name in value._fields}
    if isinstance(value, tuple | list):
        return [encode(item) for item in value]
    raise TypeError(f"cannot encode {type(value).__name__}")


def decode(kind: Any, data: Any) -> Any:
    """The value of type ``kind`` that ``encode`` turned into ``data``."""
    origin = typing.get_origin(kind)
    if origin in (Union, types.UnionType):
        options = typing.get_args(kind)
        if data is None and type(None) in options:
            return None
        (real,) = [option for option in options if option is not type(None)]
        return decode(real, data)
    if origin is tuple:
        item = typing.get_args(kind)[0]
        return tuple(decode(item, element) for element in data)
    if origin is list:
        item = typing.get_args(kind)[0]
        return [decode(item, element) for element in data]
    if kind is Money:
        return Money(data["minor"], Currency(data["currency"], data["digits"]))
    if kind is Decimal:
        return Decimal(data)
    if kind is date:
        return date.fromisoformat(data)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(data)
    if isinstance(kind, type) and issubclass(kind, tuple) and hasattr(kind, "_fields"):
        hints = _hints(kind)
        return kind(**{name: decode(hints[name], data[name]) for name in kind._fields})
    if kind in (int, str, bool) or kind is Any:
        return data
    raise TypeError(f"cannot decode {kind!r}")


@functools.cache
def _hints(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)
