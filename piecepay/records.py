"""Named tuples that cost less to define: ``Record``, piecepay's ``typing.NamedTuple``.

Defining a ``typing.NamedTuple`` checks every annotation and compiles a constructor for the
class (``collections.namedtuple`` evaluates its source); piecepay defines some two dozen before
a ``bill`` can run, about 3 ms of a command's start-up. A ``Record`` class is the same kind of
value (a tuple subclass with named fields, defaults, ``_make``, ``_replace``, ``_asdict``,
``_fields``, ``_field_defaults``, the same ``repr``, equality, hashing and pickling); it
compiles that same constructor the first time the class is called, and classes a command
never builds never pay for one. Type checkers see ``typing.NamedTuple`` itself.

    class Posting(Record):
        account_id: int
        side: str
"""

from typing import TYPE_CHECKING, Any

__all__ = ["Record"]

if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:
    from collections import _tuplegetter

    _tuple_new = tuple.__new__

    class _RecordType(type):
        """Makes each subclass of Record a named tuple, as typing.NamedTuple's metaclass does."""

        def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> type:
            if namespace.get("__module__") == __name__ and name == "Record":
                return super().__new__(mcs, name, bases, namespace)
            if bases != (Record,):
                raise TypeError(f"{name}: a Record is made from Record alone")
            fields = tuple(namespace.get("__annotations__", {}))
            defaults: dict[str, Any] = {}
            for field in fields:
                if field.startswith("_"):
                    raise ValueError(f"{name}: field names cannot start with an underscore: {field!r}")
                if field in namespace:
                    defaults[field] = namespace.pop(field)
                elif defaults:
                    raise TypeError(f"{name}: field {field} without a default follows one with a default")
            for index, field in enumerate(fields):
                namespace[field] = _tuplegetter(index, f"Alias for field number {index}")
            namespace.setdefault("__doc__", f"{name}({', '.join(fields)})")
            namespace.update(
                __slots__=(),
                _fields=fields,
                _field_defaults=defaults,
                __match_args__=fields,
                __new__=_first_new,
            )
            return super().__new__(mcs, name, bases, namespace)

    def _first_new(cls: type, *args: Any, **kwargs: Any) -> Any:
        """The constructor until the class is first called: it compiles the class's own (as
        collections.namedtuple does), puts it in its place, and builds with it."""
        fields = cls._fields
        arguments = ", ".join(fields) + ("," if len(fields) == 1 else "")
        namespace = {"_tuple_new": _tuple_new, "__builtins__": {}, "__name__": f"namedtuple_{cls.__name__}"}
        # the field names are identifiers of piecepay's own class bodies, as in collections.namedtuple
        new = eval(f"lambda _cls, {arguments}: _tuple_new(_cls, ({arguments}))", namespace)
        new.__name__ = "__new__"
        new.__qualname__ = f"{cls.__qualname__}.__new__"
        new.__doc__ = f"Create new instance of {cls.__name__}({', '.join(fields)})"
        if cls._field_defaults:
            new.__defaults__ = tuple(cls._field_defaults.values())
        cls.__new__ = new
        return new(cls, *args, **kwargs)

    class Record(tuple, metaclass=_RecordType):
        """The base of piecepay's named tuples (see the module's docstring)."""

        __slots__ = ()

        @classmethod
        def _make(cls, iterable: Any) -> Any:
            result = _tuple_new(cls, iterable)
            if len(result) != len(cls._fields):
                raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
            return result

        def _replace(self, /, **changes: Any) -> Any:
            result = self._make(map(changes.pop, self._fields, self))
            if changes:
                raise ValueError(f"Got unexpected field names: {list(changes)!r}")
            return result

        def _asdict(self) -> dict[str, Any]:
            return dict(zip(self._fields, self, strict=True))

        def __repr__(self) -> str:
            shown = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self, strict=True))
            return f"{type(self).__name__}({shown})"

        def __getnewargs__(self) -> tuple[Any, ...]:
            return tuple(self)
