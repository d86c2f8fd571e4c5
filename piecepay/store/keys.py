"""Idempotency keys, kept for ever: the request each key first carried and its result."""

from __future__ import annotations

import json
import sqlite3
from typing import Any


def find_key(conn: sqlite3.Connection, key: str) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
    """The command, request and result first recorded under ``key``, if any."""
    row = conn.execute("SELECT command, request, result FROM idempotency_keys WHERE key = ?", (key,)).fetchone()
    if row is None:
        return None
    return row[0], json.loads(row[1]), json.loads(row[2])


def save_key(
    conn: sqlite3.Connection, key: str, command: str, request: dict[str, Any], result: dict[str, Any], created_at: str
) -> None:
    conn.execute(
        "INSERT INTO idempotency_keys (key, command, request, result, created_at) VALUES (?, ?, ?, ?, ?)",
        (key, command, json.dumps(request, sort_keys=True), json.dumps(result), created_at),
    )
