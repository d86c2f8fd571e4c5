"""A bounded load on ``piecepay serve``: a crowd of workers, each billing its own capped
contract over HTTP from a thread of its own (tests/test_server_load.py, benchmarks/serve.py).

    crowd = set_up_crowd(ledger, workers=50, cap_bills=80)   # through the real command line
    sent = drive([server.url], crowd, bills=100, deadline=time.monotonic() + 240)

Every bill is one piece at $1 with an Idempotency-Key of its own; a request that failed on the
wire or was answered 503 is sent again with the same key, a bounded number of times; every
``replay_every``-th bill that succeeded is sent once more with its key (a client retrying after
a lost answer), which must be answered as a replay. Each request has a timeout and the whole
run a deadline; a worker whose request stays unanswered stops (its server is gone).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import Ledger

CAMPAIGN = "crowd"
TOP_UP = 100  # dollars in each contract's escrow: more than its cap, so only the cap refuses


@dataclass
class Crowd:
    """Workers by handle, each with a worker token and a contract ``crowd/HANDLE`` whose
    milestone cap lets ``cap_bills`` one-dollar bills through."""

    tokens: dict[str, str]
    cap_bills: int

    @property
    def handles(self) -> list[str]:
        return sorted(self.tokens)


def set_up_crowd(ledger: Ledger, workers: int, cap_bills: int) -> Crowd:
    """Campaign 'crowd' ($1 a row, a milestone cap of ``cap_bills`` dollars) and ``workers``
    active contracts, each topped up $100, with a worker token each."""
    ledger.ok(
        "campaign", "create", "Crowd rows", "--slug", CAMPAIGN, "--unit", "row", "--rate", "1",
        "--milestone-cap", str(cap_bills),
    )  # fmt: skip
    tokens = {}
    for n in range(workers):
        handle = f"w{n:03d}"
        ledger.ok("worker", "add", handle)
        ledger.ok("offer", "create", CAMPAIGN, handle)
        ledger.ok("offer", "accept", f"{CAMPAIGN}/{handle}")
        ledger.ok("milestone", "add", f"{CAMPAIGN}/{handle}", "--top-up", str(TOP_UP), "--cap", str(cap_bills))
        tokens[handle] = ledger.ok("token", "create", "--role", "worker", "--worker", handle)["token"]
    return Crowd(tokens, cap_bills)


@dataclass
class Sent:
    """One keyed bill request as the client saw it in the end: its status (None: never
    answered), the bill it names, whether it was a replay, its latency in seconds (first send
    to final answer, retries included) and how many times it was sent."""

    handle: str
    key: str
    status: int | None
    bill: int | None = None
    code: str | None = None
    replayed: bool = False
    seconds: float = 0.0
    attempts: int = 0
    again: bool = False  # the second send of a key that had succeeded


@dataclass
class Run:
    """What a load did: every request, the wall time, and what stopped a worker early."""

    sent: list[Sent] = field(default_factory=list)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def first(self) -> list[Sent]:
        """The first send of each key (not the deliberate second sends)."""
        return [s for s in self.sent if not s.again]

    def created(self) -> list[Sent]:
        return [s for s in self.sent if s.status == 201]

    def statuses(self) -> Counter[int | None]:
        return Counter(s.status for s in self.sent)

    def latencies(self) -> list[float]:
        return sorted(s.seconds for s in self.sent if s.status is not None)


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile of sorted ``values``."""
    if not values:
        return float("nan")
    rank = max(0, min(len(values) - 1, round(p / 100 * len(values) + 0.5) - 1))
    return values[rank]


def send(http: Any, handle: str, key: str, retries: int, deadline: float) -> Sent:
    """POST one bill of one piece with ``key``; a transport failure or a 503 is sent again with
    the same key, at most ``retries`` more times (never past ``deadline``)."""
    import httpx

    body = {"contract": f"{CAMPAIGN}/{handle}", "pieces": "1"}
    started = time.perf_counter()
    sent = Sent(handle, key, None)
    for attempt in range(retries + 1):
        sent.attempts = attempt + 1
        try:
            reply = http.post("/api/bills", json=body, headers={"Idempotency-Key": key})
        except httpx.TransportError as exc:
            sent.code = type(exc).__name__
        else:
            sent.code = reply.json().get("error", {}).get("code") if reply.status_code >= 400 else None
            if reply.status_code != 503:
                sent.status = reply.status_code
                if reply.status_code in (200, 201):
                    sent.bill = int(reply.json()["id"])
                    sent.replayed = reply.headers.get("idempotent-replayed") == "true"
                break
        if time.monotonic() > deadline:
            break
        time.sleep(min(0.05 * 2**attempt, 1.0))
    sent.seconds = time.perf_counter() - started
    return sent


def drive(
    urls: Sequence[str],
    crowd: Crowd,
    bills: int,
    deadline: float,
    *,
    replay_every: int = 10,
    retries: int = 5,
    timeout: float = 30.0,
    keys: str = "b",
    run: Run | None = None,
) -> Run:
    """Each worker of ``crowd`` sends ``bills`` keyed bills from a thread of its own, worker i
    to ``urls[i % len(urls)]``; returns when every thread has finished (each stops at its
    first unanswered request, or at ``deadline``). Requests are added to ``run`` (a new one
    by default) as they are answered, so another thread may watch it fill."""
    import httpx

    run = run if run is not None else Run()
    lock = threading.Lock()

    def note(sent: Sent) -> None:
        with lock:
            run.sent.append(sent)

    def worker(i: int, handle: str) -> None:
        headers = {"Authorization": f"Bearer {crowd.tokens[handle]}"}
        try:
            with httpx.Client(base_url=urls[i % len(urls)], headers=headers, timeout=timeout) as http:
                for n in range(bills):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{handle}: deadline passed after {n} bills")
                    key = f"{keys}-{handle}-{n}"
                    first = send(http, handle, key, retries, deadline)
                    note(first)
                    if first.status is None:
                        break  # the server is gone: this client gives up
                    if first.status == 201 and n % replay_every == 0:
                        again = send(http, handle, key, retries, deadline)
                        again.again = True
                        note(again)
                        if again.status is None:
                            break
        except Exception as exc:
            with lock:
                run.errors.append(f"{handle}: {exc!r}")

    threads = [threading.Thread(target=worker, args=(i, h), daemon=True) for i, h in enumerate(crowd.handles)]
    begun = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 5)
    run.seconds = time.perf_counter() - begun
    if any(thread.is_alive() for thread in threads):
        run.errors.append("a worker thread was still running past the deadline")
    return run
