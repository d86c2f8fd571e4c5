"""Idempotency keys: a money-moving request runs at most once per key, for ever.

The same key with the same request replays the first result and writes nothing; the
same key with another request is refused, naming what differs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from piecepay.errors import BadInput, KeyConflict
from piecepay.session import Session
from piecepay.store.connection import write_transaction
from piecepay.store.keys import find_key, save_key
from piecepay.text import KEY_MAX, checked_text
from piecepay.views import View


def checked_key(key: str) -> str:
    """An idempotency key: 1 to 200 printable characters, kept exactly as typed."""
    checked_text(key, "an idempotency key", max_length=KEY_MAX, code="bad_key")
    if key != key.strip():
        raise BadInput("an idempotency key cannot start or end with spaces", "bad_key")
    return key


def keyed(s: Session, key: str | None, command: str, request: Mapping[str, object], run: Callable[[], View]) -> View:
    """Run ``run`` in one write transaction, at most once per idempotency key."""
    with write_transaction(s.conn) as conn:
        if key is not None:
            key = checked_key(key)
            found = find_key(conn, key)
            if found is not None:
                result = _replay(key, found, command, request)
                s.replayed += 1
                return result
        result = run()
        if key is not None:
            save_key(conn, key, command, dict(request), result, s.recorded_at)
            s.record("key_recorded", f"idempotency key '{key}' for {command}")
        return result


def _replay(key: str, found: tuple[str, dict[str, object], View], command: str, request: Mapping[str, object]) -> View:
    first_command, first_request, result = found
    if first_command != command:
        raise KeyConflict(f"key '{key}' was first used for '{first_command}', not '{command}'")
    normalised = json.loads(json.dumps(request))
    differs = [
        name for name in sorted(set(first_request) | set(normalised)) if first_request.get(name) != normalised.get(name)
    ]
    if differs:
        detail = "; ".join(f"{n} was {first_request.get(n)!r}, now {normalised.get(n)!r}" for n in differs)
        raise KeyConflict(f"key '{key}' was first used for {command} with other values: {detail}")
    return result
