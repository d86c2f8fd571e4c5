"""A real ``piecepay serve`` process on a loopback port, over a ledger the test set up.

    def test_something(team: Team) -> None:
        server = team.start()                       # after setting up team.ledger as needed
        reply = server.post("/api/bills", team.tokens["ana"], {"pieces": "5"})
        assert reply.status_code == 201

``team`` is a ledger (a file, or PostgreSQL in a BOTH_STORES module) with campaigns 'photos'
($5/photo) and 'audio' ($2/minute), active contracts photos/ana, photos/bob and audio/cy, each
topped up 100 with a milestone cap of 50, and tokens by name: 'owner', 'rev' (a reviewer of
every campaign), 'audio-rev' (a reviewer of audio only), and the workers 'ana', 'bob', 'cy'.
The server is stopped with SIGTERM after the test, and must stop cleanly (exit 0).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, Ledger, with_contract

TODAY = "2026-11-02"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A running server: its address, process and log."""

    url: str
    process: subprocess.Popen[str]
    log: Path
    proofs: Path

    def client(self, token: str | None = None, **kwargs: Any) -> Any:
        """An httpx client for this server, sending ``token`` as its bearer token."""
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kwargs)

    def get(self, path: str, token: str | None, **kwargs: Any) -> Any:
        with self.client(token) as http:
            return http.get(path, **kwargs)

    def post(self, path: str, token: str | None, body: Any = None, key: str | None = None, **kwargs: Any) -> Any:
        headers = {"Idempotency-Key": key} if key is not None else {}
        with self.client(token) as http:
            return http.post(path, json=body, headers=headers, **kwargs)

    def stop(self) -> int:
        """SIGTERM, then the exit code (killed after 30 s)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)

    def log_text(self) -> str:
        return self.log.read_text()


def start_server(
    db: Path | str, workdir: Path, env: dict[str, str] | None = None, args: tuple[str, ...] = ()
) -> Server:
    """Start ``piecepay serve`` on a free loopback port and wait until it answers."""
    import httpx

    port = free_port()
    log = workdir / f"serve-{port}.log"
    proofs = workdir / "proofs"
    full_env = {**os.environ, "PIECEPAY_TODAY": TODAY, **(env or {})}
    full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
    with log.open("w") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "piecepay",
                "--db",
                str(db),
                "serve",
                "--port",
                str(port),
                "--proofs",
                str(proofs),
                *args,
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=full_env,
            text=True,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log, proofs)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"piecepay serve exited {process.returncode}: {log.read_text()}")
        try:
            if httpx.get(f"{server.url}/api/openapi.json", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.stop()
    raise AssertionError(f"piecepay serve did not answer within 30 s: {log.read_text()}")


@dataclass
class Team:
    """A ledger set up for serving, its tokens by name, and the servers a test started."""

    ledger: Ledger
    workdir: Path
    tokens: dict[str, str] = field(default_factory=dict)
    servers: list[Server] = field(default_factory=list)

    def token(self, *args: str) -> str:
        """Make a token with ``piecepay token create ARGS``; its secret."""
        made = self.ledger.ok("token", "create", *args)
        self.tokens[made["name"]] = made["token"]
        return str(made["token"])

    def start(self, env: dict[str, str] | None = None, args: tuple[str, ...] = ()) -> Server:
        server = start_server(self.ledger.db, self.workdir, env, args)
        self.servers.append(server)
        return server


def set_up_team(ledger: Ledger) -> None:
    """Campaigns 'photos' ($5/photo) and 'audio' ($2/minute); contracts photos/ana, photos/bob
    and audio/cy, each topped up 100 with a milestone cap of 50."""
    with_contract(ledger)
    ledger.ok("campaign", "create", "Audio minutes", "--slug", "audio", "--unit", "minute", "--rate", "2")
    for handle in ("bob", "cy"):
        ledger.ok("worker", "add", handle)
    ledger.ok("offer", "create", "photos", "bob")
    ledger.ok("offer", "accept", "photos/bob")
    ledger.ok("offer", "create", "audio", "cy")
    ledger.ok("offer", "accept", "audio/cy")
    for contract in ("photos/ana", "photos/bob", "audio/cy"):
        ledger.ok("milestone", "add", contract, "--top-up", "100", "--cap", "50")


@pytest.fixture
def team(ledger: Ledger, tmp_path: Path) -> Iterator[Team]:
    """The seeded team ledger with its tokens (see the module's docstring); the servers a test
    starts are stopped after it, each with SIGTERM, and each must exit 0."""
    ledger.today = TODAY
    set_up_team(ledger)
    crew = Team(ledger, tmp_path)
    crew.token("--role", "owner")
    crew.token("--role", "reviewer", "--name", "rev")
    crew.token("--role", "reviewer", "--campaign", "audio", "--name", "audio-rev")
    for handle in ("ana", "bob", "cy"):
        crew.token("--role", "worker", "--worker", handle)
    yield crew
    codes = [(server.stop(), server) for server in crew.servers]
    for code, server in codes:
        assert code == 0, f"piecepay serve exited {code} on SIGTERM: {server.log_text()}"
