"""The two stores side by side, in one run: in-process `bill` and `report` operations on a
SQLite file and on a PostgreSQL database, and whole `bill` / `report` commands.

    .venv/bin/python benchmarks/stores.py [--bills 2000] [--pg postgresql://…]

Without --pg a throwaway PostgreSQL cluster is started from the installed server binaries
(as the tests do) and removed at the end. Figures are medians of this run; the ratios
(PostgreSQL / SQLite) are what to compare across machines. The bulk path (`bill --from`)
comes with its own issue; until then a bulk row costs what one `bill` operation costs.
"""

from __future__ import annotations

import argparse
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
from piecepay.locations import Location, ledger_location  # noqa: E402
from piecepay.operations.bills import BillRequest, bill  # noqa: E402
from piecepay.operations.reports import report  # noqa: E402
from piecepay.session import open_session  # noqa: E402


def setup(db: str, bills: int) -> None:
    quiet = ["--json", "--db", db]
    for args in (
        ["init"],
        ["campaign", "create", "Rows", "--slug", "rows", "--unit", "row", "--rate", "0.01"],
        ["worker", "add", "ana"],
        ["offer", "create", "rows", "ana"],
        ["offer", "accept", "rows/ana"],
        ["milestone", "add", "rows/ana", "--top-up", str(bills * 2)],
    ):
        with open(os.devnull, "w") as sink:
            saved, sys.stdout = sys.stdout, sink
            try:
                assert main([*quiet, *args]) == 0, args
            finally:
                sys.stdout = saved


def operations(where: Location, bills: int, reports: int) -> tuple[float, float]:
    """Bills per second over ``bills`` bill operations, and the median report in ms."""
    s = open_session(where, "bench", datetime.now(UTC), write=True)
    try:
        start = time.perf_counter()
        for _ in range(bills):
            bill(s, BillRequest("rows/ana", Decimal(1)))
        rate = bills / (time.perf_counter() - start)
        times = []
        for _ in range(reports):
            t = time.perf_counter()
            report(s)
            times.append(time.perf_counter() - t)
    finally:
        s.close()
    return rate, statistics.median(times) * 1000


def commands(db: str, runs: int) -> tuple[float, float]:
    """Median ms of a whole `bill` and a whole `report` process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    piecepay = [sys.executable, "-m", "piecepay", "--db", db]
    timings: dict[str, list[float]] = {"bill": [], "report": []}
    for _ in range(runs):
        for name, args in (("bill", ["bill", "rows/ana", "--pieces", "1"]), ("report", ["report"])):
            t = time.perf_counter()
            subprocess.run([*piecepay, *args], check=True, capture_output=True, env=env)
            timings[name].append(time.perf_counter() - t)
    return statistics.median(timings["bill"]) * 1000, statistics.median(timings["report"]) * 1000


def run(pg_url: str, bills: int, runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="piecepay-bench-") as tmp:
        file_db = str(Path(tmp) / "bench.db")
        figures = {}
        for name, db in (("SQLite", file_db), ("PostgreSQL", pg_url)):
            setup(db, bills + runs)
            rate, report_ms = operations(ledger_location(db), bills, runs)
            bill_ms, report_cmd_ms = commands(db, runs)
            figures[name] = (rate, report_ms, bill_ms, report_cmd_ms)
        print(f"{bills} bill operations, then {runs} reports and {runs} whole commands each, on one ledger per store")
        print(f"{'':28}{'SQLite':>12}{'PostgreSQL':>12}{'PG/SQLite':>11}")
        rows = (
            ("bill operations per second", 0, "{:.0f}"),
            ("report operation, ms", 1, "{:.1f}"),
            ("bill command, ms", 2, "{:.0f}"),
            ("report command, ms", 3, "{:.0f}"),
        )
        for label, i, fmt in rows:
            a, b = figures["SQLite"][i], figures["PostgreSQL"][i]
            print(f"{label:28}{fmt.format(a):>12}{fmt.format(b):>12}{b / a:>10.2f}x")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bills", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--pg", help="an empty PostgreSQL database (default: a throwaway cluster)")
    return parser.parse_args()


if __name__ == "__main__":
    options = parse()
    if options.pg:
        run(options.pg, options.bills, options.runs)
    else:
        from tests.postgres import start_server

        server = start_server()
        try:
            run(server.new_database(), options.bills, options.runs)
        finally:
            server.stop()
