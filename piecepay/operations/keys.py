"""Idempotency keys: a money-moving request runs at most once per key, for ever.

The same key with the same request (compared after normalising it: amounts as numbers,
references resolved, so `--top-up 100` and `--top-up 100.00`, or a contract by id and by
name, are the same request) replays the first result and writes nothing; the same key
with another request, or for another command, is refused, naming what differs. A result
is kept as the records it holds (``piecepay.codec``), so a replay does not depend on how
it is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from piecepay.codec import decode, encode
from piecepay.errors import KeyConflict
from piecepay.inputs import numeric_id
from piecepay.models import Contract
from piecepay.money import PLAIN_DECIMAL
from piecepay.session import Session

R = TypeVar("R")
RESULT_FORMAT = 2  # results stored as encoded records; 0.1.0 stored rendered documents
REFERENCE_FORMAT = 3  # a result kept as the id of the record written (bulk rows), rebuilt when replayed


def claim(s: Session, key: str | None, command: str) -> dict[str, Any] | None:
    """The request ``key`` was first used with, if any. A key first used for another command
    is refused before anything else: the first thing a keyed operation does."""
    if key is None:
        return None
    found = s.store.find_key(key)
    if found is None:
        return None
    if found[0] != command:
        raise KeyConflict(f"key '{key}' was first used for '{found[0]}', not '{command}'")
    first: dict[str, Any] = found[1]
    return first


def contract_key(contract: Contract) -> str:
    """How a request names a contract: by id, with its reference for people ('#1 photos/ana')."""
    return f"#{contract.id} {contract.ref}"


def contract_id_of(request: Mapping[str, Any] | None) -> int | None:
    """The contract id a normalised request names, if it names one."""
    named = request.get("contract") if request else None
    return int(named.split()[0][1:]) if isinstance(named, str) and named.startswith("#") else None


def replay(
    s: Session,
    key: str | None,
    command: str,
    request: Mapping[str, object],
    kind: type[R],
    rebuild: Callable[[dict[str, Any]], R],
) -> R | None:
    """The first result under ``key`` if it carried this same request; None if the key is new.

    Runs inside the operation's write transaction, after its references are resolved.
    ``rebuild`` makes a result from the record a kept result names by its ``id``: a
    reference (``reference``), or a document rendered by piecepay 0.1.0 (whose request was
    kept as typed and is compared number to number, reference to reference).
    """
    if key is None:
        return None
    found = s.store.find_key(key)
    if found is None:
        return None
    first_command, first_request, result = found
    if first_command != command:
        raise KeyConflict(f"key '{key}' was first used for '{first_command}', not '{command}'")
    form = result.get("format") if isinstance(result, dict) else None
    kept_by_0_1 = form not in (RESULT_FORMAT, REFERENCE_FORMAT)
    if kept_by_0_1:
        differs = _legacy_differs(s, first_request, request)
    else:
        differs = [n for n in sorted(set(first_request) | set(request)) if first_request.get(n) != request.get(n)]
    if differs:
        detail = "; ".join(f"{n} was {_shown(first_request.get(n))}, now {_shown(request.get(n))}" for n in differs)
        raise KeyConflict(f"key '{key}' was first used for {command} with other values: {detail}")
    s.replayed += 1
    if form != RESULT_FORMAT:
        return rebuild(result)
    decoded: R = decode(kind, result["result"])
    return decoded


def remember(s: Session, key: str | None, command: str, request: Mapping[str, object], result: object) -> None:
    """Keep ``key`` with its request and result, sealed into the journal by a record entry."""
    if key is None:
        return
    s.store.save_key(key, command, dict(request), {"format": RESULT_FORMAT, "result": encode(result)}, s.recorded_at)
    s.record("key_recorded", f"idempotency key '{key}' for {command}")


def reference(record_id: int) -> dict[str, int]:
    """A result kept as the id of the record written, for writers of many rows at once."""
    return {"format": REFERENCE_FORMAT, "id": record_id}


def _legacy_differs(s: Session, first: dict[str, Any], request: Mapping[str, object]) -> list[str]:
    """Fields where a request differs from one 0.1.0 kept as typed: numbers compared as
    numbers, references resolved as they are now (a contract left out matches any)."""
    differs = []
    for name in sorted(set(first) | set(request)):
        was, now = first.get(name), request.get(name)
        if name == "contract":
            if was is None:
                continue
            was = contract_key(s.store.find_contract(str(was)))
        elif name == "worker" and was is not None:
            was = s.store.find_worker(str(was)).handle
        elif name == "bill" and was is not None:
            was = numeric_id(str(was))
        elif isinstance(was, str) and _number(was) is not None and now is not None:
            was, now = _number(was), _number(str(now))
        if was != now:
            differs.append(name)
    return differs


def _number(text: str) -> Decimal | None:
    return Decimal(text) if PLAIN_DECIMAL.fullmatch(text) else None


def _shown(value: object) -> str:
    return "none" if value is None else repr(value)
