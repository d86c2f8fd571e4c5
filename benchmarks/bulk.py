"""Bulk billing against single bills, in one run: `piecepay bill --from FILE` as a whole
process over many contracts, every cap enforced, next to in-process single `bill` operations.

Run it with the interpreter piecepay is installed in:

    .venv/bin/python benchmarks/bulk.py [--rows 100000] [--contracts 100] [--singles 500]

It makes a ledger of `--contracts` contracts (ten workers per campaign, each contract with a
milestone whose cap is checked on every row), writes a CSV of `--rows` rows spread over them,
then times, each on a fresh copy of that ledger: the file all-or-nothing, the file with
--partial, and the same file run a second time (every row replays, nothing is written). It
prints rows per second and each rate as a ratio to single `bill` operations in-process on
the same ledger. A benchmark, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
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

PER_CAMPAIGN = 10


def quietly(db: Path, *args: str) -> None:
    with open(os.devnull, "w") as sink:
        saved, sys.stdout = sys.stdout, sink
        try:
            assert main(["--json", "--db", str(db), *args]) == 0, args
        finally:
            sys.stdout = saved


def contracts_of(count: int) -> list[str]:
    return [f"c{n // PER_CAMPAIGN}/w{n}" for n in range(count)]


def setup(db: Path, contracts: int, rows: int) -> None:
    """Contracts at 0.01 a row; each milestone's top-up and cap leave room for its rows."""
    quietly(db, "init")
    room = str(max(10, rows // contracts * 5 // 100 * 2 + 10))
    for n, ref in enumerate(contracts_of(contracts)):
        campaign, worker = ref.split("/")
        if n % PER_CAMPAIGN == 0:
            quietly(db, "campaign", "create", campaign, "--slug", campaign, "--unit", "row", "--rate", "0.01")
        quietly(db, "worker", "add", worker)
        quietly(db, "offer", "create", campaign, worker)
        quietly(db, "offer", "accept", ref)
        quietly(db, "milestone", "add", ref, "--top-up", room, "--cap", room)


def write_rows(path: Path, contracts: list[str], rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["contract", "pieces", "note"])
        for n in range(rows):
            writer.writerow([contracts[n % len(contracts)], 1 + n % 5, f"batch {n // 1000}"])


def piecepay() -> list[str]:
    script = Path(sys.executable).with_name("piecepay")
    return [str(script)] if script.exists() else [sys.executable, "-m", "piecepay"]


def fresh(base: Path, folder: Path, name: str) -> Path:
    target = folder / name
    shutil.copyfile(base, target)
    return target


def timed(db: Path, source: Path, *extra: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [*piecepay(), "--json", "--db", str(db), "bill", "--from", str(source), *extra],
        stdout=subprocess.DEVNULL,
        check=False,
    )
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, f"bill --from exited {done.returncode}"
    return elapsed


def singles(db: Path, contracts: list[str], count: int) -> float:
    """Single bill operations per second, in-process."""
    s = open_session(ledger_location(str(db)), "bench", datetime.now(UTC), write=True)
    try:
        start = time.perf_counter()
        for n in range(count):
            bill(s, BillRequest(contracts[n % len(contracts)], Decimal(1)))
        return count / (time.perf_counter() - start)
    finally:
        s.close()


def run(rows: int, contracts: int, count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="piecepay-bulk-") as tmp:
        folder = Path(tmp)
        base = folder / "base.db"
        setup(base, contracts, rows)
        source = folder / "rows.csv"
        write_rows(source, contracts_of(contracts), rows)
        single_rate = singles(fresh(base, folder, "single.db"), contracts_of(contracts), count)
        whole = fresh(base, folder, "whole.db")
        results = [
            ("bill --from (all-or-nothing)", timed(whole, source)),
            ("bill --from --partial", timed(fresh(base, folder, "partial.db"), source, "--partial")),
            ("same file again (every row replays)", timed(whole, source)),
        ]
    print(f"{rows} rows over {contracts} contracts, every milestone capped; whole processes")
    print(f"{'what':<38} {'seconds':>8} {'rows/s':>9} {'x single':>9}")
    print(f"{'single bill operations (in-process)':<38} {'':>8} {single_rate:>9.0f} {1:>9.1f}")
    for name, seconds in results:
        rate = rows / seconds
        print(f"{name:<38} {seconds:>8.2f} {rate:>9.0f} {rate / single_rate:>9.1f}")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--contracts", type=int, default=100)
    parser.add_argument("--singles", type=int, default=500)
    return parser.parse_args()


if __name__ == "__main__":
    args = parse()
    run(args.rows, args.contracts, args.singles)
