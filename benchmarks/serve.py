"""The served ledger under load, against the same bills made in-process, in one run.

    .venv/bin/python benchmarks/serve.py [--workers 50] [--bills 100] [--cap 80]
                                         [--store sqlite|postgresql|both] [--servers 1]

A fresh ledger (campaign 'crowd', one contract, token and capped milestone per worker, set up
through the command line) is served by ``piecepay serve`` on a loopback port; each worker
then POSTs ``--bills`` keyed bills of one piece from a thread of its own (tests/load.py: a
retry after a failed or 503 answer keeps its key, every tenth bill is sent twice), bills past
the cap being refused with 409. Printed: requests a second over the whole load, the median
and 99th-percentile latency, and, on another fresh ledger, as many `bill` operations made
in-process one transaction each (piecepay.operations.bills.bill), with the ratio of the two.
On PostgreSQL a throwaway cluster is started from the installed server binaries (as the
tests do), and ``--servers`` processes share its database, the workers spread across them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from piecepay.locations import ledger_location  # noqa: E402
from piecepay.operations.bills import BillRequest, bill  # noqa: E402
from piecepay.session import open_session  # noqa: E402
from tests.conftest import initialised  # noqa: E402
from tests.load import drive, percentile, set_up_crowd  # noqa: E402
from tests.serving import TODAY, start_server  # noqa: E402

DEADLINE = 1800.0


def served(db: str, workdir: Path, workers: int, bills: int, cap: int, servers: int) -> tuple[float, float, float, str]:
    """Requests a second, p50 and p99 in ms over the load, and a line of what was answered."""
    ledger = initialised(db)
    ledger.today = TODAY
    crowd = set_up_crowd(ledger, workers, cap)
    started = [start_server(ledger.db, workdir) for _ in range(servers)]
    try:
        run = drive([s.url for s in started], crowd, bills, time.monotonic() + DEADLINE)
    finally:
        codes = [s.stop() for s in started]
    if run.errors or any(codes) or None in run.statuses():
        raise SystemExit(f"the load failed: {run.errors[:3]} exits {codes} {run.statuses()}")
    if ledger.run("verify").code != 0:
        raise SystemExit("verify failed after the load")
    lat = run.latencies()
    statuses = ", ".join(f"{n} x {code}" for code, n in sorted(run.statuses().items(), key=lambda kv: str(kv[0])))
    retried = sum(s.attempts - 1 for s in run.sent)
    shown = f"{len(run.sent)} requests in {run.seconds:.1f} s ({statuses}; {retried} retries)"
    return len(run.sent) / run.seconds, percentile(lat, 50) * 1000, percentile(lat, 99) * 1000, shown


def in_process(db: str, count: int) -> float:
    """Bill operations a second: ``count`` bills on one contract, one transaction each."""
    ledger = initialised(db)
    ledger.ok("campaign", "create", "Rows", "--slug", "rows", "--unit", "row", "--rate", "1")
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "rows", "ana")
    ledger.ok("offer", "accept", "rows/ana")
    ledger.ok("milestone", "add", "rows/ana", "--top-up", str(count))
    s = open_session(ledger_location(db), "bench", datetime.now(UTC), write=True)
    try:
        start = time.perf_counter()
        for _ in range(count):
            bill(s, BillRequest("rows/ana", Decimal(1)))
        return count / (time.perf_counter() - start)
    finally:
        s.close()


def measure(name: str, dbs: tuple[str, str], workdir: Path, options: argparse.Namespace) -> None:
    servers = options.servers or (2 if name == "PostgreSQL" else 1)
    rate, p50, p99, shown = served(dbs[0], workdir, options.workers, options.bills, options.cap, servers)
    ops = in_process(dbs[1], options.workers * options.bills)
    print(f"{name}, {servers} server{'s' if servers > 1 else ''}: {shown}")
    print(f"  served       {rate:8.0f} requests/s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")
    print(f"  in-process   {ops:8.0f} bills/s      served / in-process {rate / ops:.2f}x")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--bills", type=int, default=100, help="bills each worker sends")
    parser.add_argument("--cap", type=int, default=80, help="bills each worker's milestone cap lets through")
    parser.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--servers", type=int, default=0, help="server processes (default: 1, 2 on PostgreSQL)")
    return parser.parse_args()


def main() -> None:
    options = parse()
    print(f"{options.workers} workers x {options.bills} bills (cap {options.cap} each), on loopback")
    with tempfile.TemporaryDirectory(prefix="piecepay-bench-") as tmp:
        workdir = Path(tmp)
        if options.store in ("sqlite", "both"):
            measure("SQLite", (str(workdir / "served.db"), str(workdir / "local.db")), workdir, options)
        if options.store in ("postgresql", "both"):
            from tests.postgres import start_server as start_cluster

            cluster = start_cluster()
            try:
                measure("PostgreSQL", (cluster.new_database(), cluster.new_database()), workdir, options)
            finally:
                cluster.stop()


if __name__ == "__main__":
    main()
