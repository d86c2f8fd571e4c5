"""Shared fixtures: a fresh ledger file driven through the real command line."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from piecepay.cli import main

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["tests.postgres", "tests.serving", "tests.browser"]  # pg_url; team: a served ledger; phone


@dataclass
class Result:
    """What one piecepay invocation did."""

    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def error(self) -> dict[str, str]:
        return json.loads(self.err)["error"]


@dataclass
class Ledger:
    """A ledger file and a way to run piecepay against it, in this process."""

    db: Path
    today: str | None = None

    def run(self, *args: str, today: str | None = None, env: dict[str, str] | None = None, db: bool = True) -> Result:
        """Run ``piecepay --db DB ARGS…`` through main(), capturing stdout and stderr.

        ``env`` sets environment variables for this run only; ``db=False`` leaves out
        ``--db`` (so PIECEPAY_DB in ``env`` names the ledger)."""
        out, err = io.StringIO(), io.StringIO()
        changes = dict(env or {})
        day = today or self.today
        if day:
            changes["PIECEPAY_TODAY"] = day
        saved = {name: os.environ.get(name) for name in changes}
        os.environ.update(changes)
        try:
            with redirect_stdout(out), redirect_stderr(err):
                code = main([*(["--db", str(self.db)] if db else []), *args])
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        return Result(code, out.getvalue(), err.getvalue())

    def ok(self, *args: str, today: str | None = None) -> Any:
        """Run with --json, assert exit 0, and return the parsed document."""
        result = self.run("--json", *args, today=today)
        assert result.code == 0, f"piecepay {' '.join(args)} exited {result.code}: {result.err}"
        return result.json

    @property
    def on_server(self) -> bool:
        """Whether this ledger is a PostgreSQL database (``db`` is then its URL)."""
        return str(self.db).startswith("postgresql://")

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of a read-only SQL statement both stores understand, straight from the database."""
        if self.on_server:
            import psycopg

            with psycopg.connect(str(self.db)) as server:
                return [tuple(row) for row in server.execute(sql).fetchall()]
        conn = sqlite3.connect(self.db)
        try:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
        finally:
            conn.close()

    def dump(self) -> str:
        """Every table's rows and the schema, as text: equal dumps mean nothing was written.
        Statements are sorted, so a trigger dropped and made again (later in the file's
        schema than it was) dumps as before."""
        if self.on_server:
            return _server_dump(str(self.db))
        conn = sqlite3.connect(self.db)
        try:
            return "\n".join(sorted(conn.iterdump()))
        finally:
            conn.close()


def _server_dump(url: str) -> str:
    import psycopg

    lines = []
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        ).fetchall()
        for (table,) in tables:
            for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall():
                lines.append(f"{table}: {row!r}")
    return "\n".join(lines)


# A test module that sets BOTH_STORES = True runs each test that uses a ledger twice: on a
# file and on a PostgreSQL database (tests marked sqlite_only, which read the file itself,
# run on the file alone).
STORES = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: reads or edits the SQLite file itself")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if (
        "store" in metafunc.fixturenames
        and getattr(metafunc.module, "BOTH_STORES", False)
        and metafunc.definition.get_closest_marker("sqlite_only") is None
    ):
        metafunc.parametrize("store", STORES, indirect=True)


@pytest.fixture
def store(request: pytest.FixtureRequest) -> str:
    """Which store the ledger lives in: "sqlite" unless the module runs on both."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def ledger(tmp_path: Path, store: str, request: pytest.FixtureRequest) -> Ledger:
    """A new, empty ledger made by ``piecepay init`` (a file, or a PostgreSQL database)."""
    where: Any = request.getfixturevalue("pg_url") if store == "postgresql" else tmp_path / "ledger.db"
    return initialised(where)


def initialised(where: Path | str) -> Ledger:
    """A new, empty ledger made by ``piecepay init`` at a path or a PostgreSQL URL."""
    fresh = Ledger(where)  # type: ignore[arg-type]  # --db takes a URL as it takes a path
    fresh.ok("init")
    return fresh


def with_contract(ledger: Ledger) -> Ledger:
    """``ledger`` given campaign 'photos' ($5/photo) and an active contract photos/ana."""
    ledger.ok("campaign", "create", "Restaurant photos", "--slug", "photos", "--unit", "photo", "--rate", "5")
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "photos", "ana")
    ledger.ok("offer", "accept", "photos/ana")
    return ledger


@pytest.fixture
def contract(ledger: Ledger) -> Ledger:
    """A ledger with campaign 'photos' ($5/photo) and an active contract photos/ana."""
    return with_contract(ledger)


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run piecepay as its own process (python -m piecepay), for process-level tests."""
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "piecepay", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )


def run_in_terminal(
    db: Path, args: tuple[str, ...], env: dict[str, str] | None = None, *, interactive: bool = False
) -> tuple[int, str, str]:
    """Run piecepay with stdout on a pseudo-terminal (so Rich styles it); return the exit code,
    what the terminal received and stderr. ``interactive``: stdin is the terminal too (as when
    a person types the command), so a pager may run."""
    import pty

    controller, terminal = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    full_env.update({"PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "COLUMNS": "400", **(env or {})})
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "piecepay", "--db", str(db), *args],
            stdin=terminal if interactive else subprocess.DEVNULL,
            stdout=terminal,
            stderr=subprocess.PIPE,
            env=full_env,
            timeout=60,
            check=False,
        )
    finally:
        os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace"), proc.stderr.decode()
