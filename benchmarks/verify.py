"""verify's cost per entry, in one run: the full check on ledgers of two sizes, and the
incremental check (`verify --since-checkpoint`) after a few new bills.

    .venv/bin/python benchmarks/verify.py [--sizes 2000,50000] [--new 100] [--runs 3]

Each ledger is built in-process (campaign, a hundred workers, then bills as `bill --from` writes
them: each under its own idempotency key, every fourth one released), inside one write
transaction for speed. Then whole `piecepay verify` processes are timed (median of
--runs), as a user runs them; "net" takes off the same command on an empty ledger (the
process start-up and the checks that do not grow with the journal). The incremental
check runs after --new more bills, on a copy of the ledger restored before each run (a
passing check moves the checkpoint on). On a piecepay without --since-checkpoint (an
older checkout) the incremental columns stay empty, so the same file measures before and
after a change.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bulk import quietly as quiet  # noqa: E402
from piecepay.locations import ledger_location  # noqa: E402
from piecepay.operations.bills import BillRequest, bill, release  # noqa: E402
from piecepay.session import open_session  # noqa: E402

WORKERS = 100
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def new_ledger(db: Path, bills: int) -> None:
    """A ledger with one campaign, WORKERS active contracts funded for ``bills`` bills each."""
    quiet(db, "init")
    quiet(db, "campaign", "create", "Rows", "--slug", "rows", "--unit", "row", "--rate", "0.01")
    for n in range(WORKERS):
        quiet(db, "worker", "add", f"w{n}")
        quiet(db, "offer", "create", "rows", f"w{n}")
        quiet(db, "offer", "accept", f"rows/w{n}")
        quiet(db, "milestone", "add", f"rows/w{n}", "--top-up", str(bills * 2 + 1000))


def add_bills(db: Path, count: int, first: int) -> None:
    """``count`` keyed bills spread over the contracts, every fourth one released, in one write."""
    s = open_session(ledger_location(str(db)), "bench", datetime.now(UTC), write=True)
    try:
        with s.store.write():
            for n in range(first, first + count):
                done = bill(s, BillRequest(f"rows/w{n % WORKERS}", Decimal(1 + n % 7), note=f"row {n}"), f"b{n}")
                if n % 4 == 3:
                    release(s, done.bill.id)
    finally:
        s.close()


def entries(db: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
    finally:
        conn.close()


class Timing(NamedTuple):
    wall: float  # seconds, median of the runs
    cpu: float  # seconds of user and system time the process used, median of the runs


def timed(db: Path, *args: str, restore: Path | None = None, runs: int = 3) -> Timing:
    """A whole ``piecepay verify ARGS`` process (which must pass), timed."""
    walls, cpus = [], []
    for _ in range(runs):
        if restore is not None:
            shutil.copyfile(restore, db)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "piecepay", "--db", str(db), "verify", *args],
            capture_output=True,
            text=True,
            env=ENV,
            check=False,
        )
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        assert done.returncode == 0, done.stderr
    return Timing(statistics.median(walls), statistics.median(cpus))


def incremental_supported() -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "piecepay", "verify", "--help"], capture_output=True, text=True, env=ENV, check=False
    )
    return "--since-checkpoint" in done.stdout


def run(sizes: list[int], new: int, runs: int) -> None:
    incremental = incremental_supported()
    with tempfile.TemporaryDirectory(prefix="piecepay-verify-bench-") as tmp:
        folder = Path(tmp)
        empty = folder / "empty.db"
        new_ledger(empty, 0)
        base = timed(empty, runs=runs)
        base_since = timed(empty, "--since-checkpoint", runs=runs) if incremental else None
        print(f"a process on an empty ledger: full verify {base.wall * 1000:.0f} ms", end="")
        print(f" (cpu {base.cpu * 1000:.0f} ms)", end="")
        print(f", --since-checkpoint {base_since.wall * 1000:.0f} ms" if base_since else "")
        print("µs/entry: the process's cpu time (user + system) per entry; net: less the empty ledger's")
        print(f"{'bills':>7}{'entries':>9}{'full s':>8}{'µs/entry':>10}{'net':>7}", end="")
        print(f"{'since s':>9}{'new':>6}{'net µs/new':>12}{'full/since':>12}" if incremental else "")
        net_per_entry = {}
        for size in sizes:
            db = folder / f"ledger-{size}.db"
            start = time.perf_counter()
            new_ledger(db, size + new)
            add_bills(db, size, 0)
            built = time.perf_counter() - start
            count = entries(db)
            full = timed(db, runs=runs)  # a full verify records the checkpoint (where it can)
            net_per_entry[size] = (full.cpu - base.cpu) / count
            line = f"{size:>7}{count:>9}{full.wall:>8.2f}{full.cpu / count * 1e6:>10.1f}"
            line += f"{net_per_entry[size] * 1e6:>7.1f}"
            if base_since is not None:
                add_bills(db, new, size)
                added = entries(db) - count
                saved = folder / "saved.db"
                shutil.copyfile(db, saved)
                since = timed(db, "--since-checkpoint", restore=saved, runs=runs)
                net = (since.cpu - base_since.cpu) / added
                line += f"{since.wall:>9.2f}{added:>6}{net * 1e6:>12.0f}{full.cpu / since.cpu:>11.1f}x"
            print(line + f"   (built in {built:.0f} s)")
        if len(sizes) > 1:
            small, large = min(sizes), max(sizes)
            ratio = net_per_entry[large] / net_per_entry[small]
            print(f"net µs/entry of the full verify, {large} bills over {small} bills: {ratio:.2f}")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,50000", help="bills per ledger, comma-separated")
    parser.add_argument("--new", type=int, default=100, help="bills added before the incremental check")
    parser.add_argument("--runs", type=int, default=3)
    return parser.parse_args()


if __name__ == "__main__":
    options = parse()
    run([int(size) for size in options.sizes.split(",")], options.new, options.runs)
