"""Record behaves as typing.NamedTuple does: the same values, errors and protocols."""

import copy
import pickle
import typing
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from piecepay.records import Record


class Plain(Record):
    a: int
    b: str
    c: Decimal | None = None
    d: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.a}:{self.b}"


class Twin(typing.NamedTuple):
    a: int
    b: str
    c: Decimal | None = None
    d: tuple[str, ...] = ()


class Single(Record):
    only: int


values = st.tuples(st.integers(), st.text(), st.none() | st.decimals(allow_nan=False), st.tuples(st.text()))


@given(values)
def test_a_record_is_the_named_tuple_it_stands_for(fields: tuple[object, ...]) -> None:
    mine, theirs = Plain(*fields), Twin(*fields)
    assert tuple(mine) == tuple(theirs) == fields
    assert mine == theirs and hash(mine) == hash(theirs)
    assert repr(mine) == repr(theirs).replace("Twin", "Plain")
    assert mine._asdict() == theirs._asdict()
    assert Plain._make(fields) == mine
    assert mine._replace(b="x") == theirs._replace(b="x")
    assert pickle.loads(pickle.dumps(mine)) == mine
    assert type(copy.deepcopy(mine)) is Plain
    assert (mine.a, mine.b, mine.c, mine.d) == fields


def test_fields_defaults_keywords_and_matching() -> None:
    assert Plain._fields == Twin._fields == ("a", "b", "c", "d")
    assert Plain._field_defaults == Twin._field_defaults
    assert Plain(b="x", a=1) == Plain(1, "x", None, ())
    assert Plain(1, "x").label == "1:x"
    assert Single(5) == (5,) and Single._make([6]).only == 6
    assert typing.get_type_hints(Plain) == typing.get_type_hints(Twin)
    match Plain(1, "x"):
        case Plain(a, b):
            assert (a, b) == (1, "x")


@pytest.mark.parametrize(
    "build",
    [
        lambda kind: kind(),
        lambda kind: kind(1, "x", None, (), 5),
        lambda kind: kind(1, "x", e=1),
        lambda kind: kind(1, "x", a=2),
        lambda kind: kind._make([1]),
        lambda kind: kind(1, "x")._replace(e=1),
        lambda kind: setattr(kind(1, "x"), "a", 2),
        lambda kind: setattr(kind(1, "x"), "e", 2),
    ],
)
def test_refuses_what_named_tuples_refuse(build: typing.Callable[[type], object]) -> None:
    with pytest.raises(Exception) as mine:
        build(Plain)
    with pytest.raises(Exception) as theirs:
        build(Twin)
    assert type(mine.value) is type(theirs.value)
    assert str(mine.value).replace("Plain", "Twin") == str(theirs.value)


def test_bad_definitions_are_refused() -> None:
    with pytest.raises(TypeError, match="without a default"):

        class Late(Record):
            a: int = 1
            b: int

    with pytest.raises(ValueError, match="underscore"):

        class Hidden(Record):
            _a: int

    with pytest.raises(TypeError, match="from Record alone"):

        class Mixed(Record, dict):  # type: ignore[misc]
            a: int
