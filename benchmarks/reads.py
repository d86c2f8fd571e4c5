"""Reads whose cost follows what they print: the same reads on a small and a large ledger.

    .venv/bin/python benchmarks/reads.py [--small 1000] [--large 100000] [--contracts 100] [--runs 5]
                                         [--ledgers DIR]

Two SQLite ledgers hold the same campaign and contracts and differ only in how many bills
they hold (dated today, so nothing is due: no review window has passed, no deadline is
near, no contract is dormant). Each read runs as a whole process; the figures are medians
of this run, and the ratio large / small is what to compare across machines: a read whose
cost follows what it prints stays near 1.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from piecepay.cli import main  # noqa: E402
from piecepay.locations import ledger_location  # noqa: E402
from piecepay.operations.bills import BillRequest, bill  # noqa: E402
from piecepay.session import open_session  # noqa: E402

READS = [
    ("report",),
    ("report", "--by", "worker"),
    ("report", "--by", "contract"),
    ("log", "--last", "20"),
    ("campaign", "show", "rows"),
    ("sweep", "--dry-run"),
]


def build(db: str, bills: int, contracts: int) -> None:
    """A ledger of ``contracts`` active contracts on one campaign and ``bills`` bills among them."""
    top_up = str(bills // contracts + 1)  # 0.01 per bill, with room to spare
    steps = [["init"], ["campaign", "create", "Rows", "--slug", "rows", "--unit", "row", "--rate", "0.01"]]
    for n in range(contracts):
        worker = f"w{n:04d}"
        steps += [
            ["worker", "add", worker],
            ["offer", "create", "rows", worker],
            ["offer", "accept", f"rows/{worker}"],
            ["milestone", "add", f"rows/{worker}", "--top-up", top_up],
        ]
    with contextlib.redirect_stdout(io.StringIO()):
        for args in steps:
            assert main(["--json", "--db", db, *args]) == 0, args
    s = open_session(ledger_location(db), "bench", datetime.now(UTC), write=True)
    try:
        with s.store.write():  # one transaction: a bulk load, not a benchmark of billing
            for n in range(bills):
                bill(s, BillRequest(f"rows/w{n % contracts:04d}", Decimal(1)))
    finally:
        s.close()


def timed(dbs: list[str], args: tuple[str, ...], runs: int) -> list[float]:
    """Median seconds of ``runs`` whole ``piecepay`` processes running ``args`` on each
    ledger, taken in turns so that a busy moment of the machine falls on both alike."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times: list[list[float]] = [[] for _ in dbs]
    for turn in range(runs + 1):
        for db, seen in zip(dbs, times, strict=True):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "piecepay", "--db", db, *args], check=True, capture_output=True, env=env
            )
            if turn:  # the first turn only warms the file cache
                seen.append(time.perf_counter() - start)
    return [statistics.median(seen) for seen in times]


def run(folder: Path, small: int, large: int, contracts: int, runs: int) -> None:
    dbs = []
    for size in (small, large):
        dbs.append(str(folder / f"bills-{size}-{contracts}.db"))
        if Path(dbs[-1]).exists():
            continue  # built by an earlier run
        start = time.perf_counter()
        build(dbs[-1], size, contracts)
        print(f"built {size} bills over {contracts} contracts in {time.perf_counter() - start:.0f} s", flush=True)
    print(f"median of {runs} whole processes, seconds")
    print(f"{'':26}{small:>10}{large:>10}{'ratio':>8}")
    for args in READS:
        a, b = timed(dbs, args, runs)
        print(f"{' '.join(args):26}{a:>10.3f}{b:>10.3f}{b / a:>7.2f}x", flush=True)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--contracts", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ledgers", type=Path, help="keep the ledgers in this folder and reuse them on later runs")
    return parser.parse_args()


if __name__ == "__main__":
    options = parse()
    if options.ledgers:
        options.ledgers.mkdir(parents=True, exist_ok=True)
        run(options.ledgers, options.small, options.large, options.contracts, options.runs)
    else:
        with tempfile.TemporaryDirectory(prefix="piecepay-reads-") as tmp:
            run(Path(tmp), options.small, options.large, options.contracts, options.runs)
