"""Export benchmark: whole `piecepay export` processes on a small and a large ledger, in one run.

    .venv/bin/python benchmarks/exports.py [--bills 2000 50000] [--formats csv jsonl hledger beancount]
                                           [--runs 1] [--pg] [--keep DIR] [--against CHECKOUT]

Each ledger is built in-process (one write transaction through piecepay's own operations):
two campaigns (USD and JPY), three contracts with a new milestone every 200 of their
bills, N bills spread over them with effective dates out of id order, nine in ten
released (some in part), the rest rejected, then a payout per worker and one contract
ended (its refund); about 2N entries. Every export runs as its own process writing to a
file; its wall time, CPU time and peak RSS (the whole process's, from getrusage) are printed,
with the CPU time per entry (steadier than wall time on a shared machine) and the ratios
between the largest and the smallest ledger, which is what to compare across machines:
time per entry should stay flat and memory should not grow with the ledger. --against
runs the same exports with another checkout of piecepay (say, main's), interleaved,
checks that both wrote the same bytes and prints how much faster this one is. With --pg
the ledgers are copied into a throwaway PostgreSQL cluster (`piecepay copy`) and exported
from there.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from piecepay.locations import ledger_location  # noqa: E402
from piecepay.operations.bills import BillRequest, bill, reject, release  # noqa: E402
from piecepay.operations.campaigns import CampaignTerms, create_campaign  # noqa: E402
from piecepay.operations.contracts import end_contract  # noqa: E402
from piecepay.operations.milestones import add_milestone  # noqa: E402
from piecepay.operations.offers import accept_offer, create_offer  # noqa: E402
from piecepay.operations.payouts import payout  # noqa: E402
from piecepay.operations.workers import add_worker  # noqa: E402
from piecepay.session import new_ledger, open_session  # noqa: E402

FORMATS = ("csv", "jsonl", "hledger", "beancount")
START = date(2025, 1, 1)
TODAY = date(2025, 6, 30)
CONTRACTS = (("photos", "ana"), ("photos", "bo"), ("minutes", "ana"))
MILESTONE_BILLS = 600


def build(db: str, bills: int) -> int:
    """A ledger of ``bills`` bills at ``db``; how many entries it holds."""
    where = ledger_location(db)
    now = datetime.now(UTC)
    new_ledger(where, "bench", now, START)
    s = open_session(where, "bench", now, START, write=True)
    try:
        with s.store.write():
            create_campaign(s, CampaignTerms("Photos", "photos", "photo", Decimal("0.25"), "USD"))
            create_campaign(s, CampaignTerms("Minutes", "minutes", "minute", Decimal(3), "JPY"))
            for handle in ("ana", "bo"):
                add_worker(s, handle)
            for campaign, worker in CONTRACTS:
                create_offer(s, campaign, worker)
                accept_offer(s, f"{campaign}/{worker}")
        s.today = TODAY
        rng = random.Random(bills)
        span = (TODAY - START).days
        with s.store.write():
            for n in range(bills):
                campaign, worker = CONTRACTS[n % len(CONTRACTS)]
                contract = f"{campaign}/{worker}"
                if n % MILESTONE_BILLS < len(CONTRACTS):  # a milestone's spent sum grows with its bills
                    add_milestone(s, contract, top_up=Decimal(MILESTONE_BILLS * 3), day=START)
                day = START + timedelta(days=rng.randrange(span))
                pieces = rng.randrange(1, 4)
                state = bill(s, BillRequest(contract, Decimal(pieces), note=f"batch {n}", day=day))
                later = min(TODAY, day + timedelta(days=rng.randrange(20)))
                if n % 10 == 9:
                    reject(s, state.bill.id, "blurred", later)
                else:
                    release(s, state.bill.id, Decimal(pieces - (n % 7 == 0 and pieces > 1)), later)
            for worker in ("ana", "bo"):
                payout(s, worker, currency="USD", day=TODAY)
            end_contract(s, "minutes/ana", day=TODAY)
        return s.store.head()[0]
    finally:
        s.close()


class Run(NamedTuple):
    wall: float  # seconds
    cpu: float  # seconds, user and system
    rss: float  # peak resident MiB of the whole process


# Each export runs under a small Python of its own that reports the export's figures: the
# export's ru_maxrss then starts from that launcher's few MiB, not from this process's peak
# (a child's maxrss includes what its parent held when it forked and exec'd).
MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps([done.returncode, done.stderr.decode(), wall, use.ru_utime + use.ru_stime, use.ru_maxrss]))
"""


def timed_export(db: str, fmt: str, out: Path, code: Path) -> Run:
    """One `piecepay export` process, running the piecepay found in ``code``."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    command = [sys.executable, "-m", "piecepay", "--db", db, "export", "--format", fmt, "--out", str(out)]
    # cwd elsewhere, so that `-m` imports piecepay from ``code`` and not from the current folder
    report = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], env=env, cwd=out.parent, capture_output=True, check=True
    )
    code_, err, wall, cpu, maxrss = json.loads(report.stdout)
    if code_ != 0:
        raise SystemExit(f"export --format {fmt} failed: {err}")
    return Run(wall, cpu, maxrss / 1024)  # ru_maxrss is in KiB on Linux


def ledger_file(folder: Path, bills: int) -> tuple[str, int]:
    """The ledger of ``bills`` bills in ``folder`` (built unless an earlier run kept it), and its entries."""
    db = folder / f"ledger-{bills}.db"
    if db.exists():
        return str(db), sqlite3.connect(db).execute("SELECT MAX(id) FROM entries").fetchone()[0]
    t = time.perf_counter()
    entries = build(str(db), bills)
    print(f"built {bills} bills ({entries} entries) in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return str(db), entries


def on_server(db: str, url: str) -> str:
    """The ledger file copied into the empty PostgreSQL database at ``url`` (faster than billing there)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "piecepay", "copy", db, url], env=env, check=True, capture_output=True)
    return url


def run(
    databases: list[tuple[int, str, int]], formats: list[str], runs: int, folder: Path, against: Path | None
) -> None:
    sizes = {bills: entries for bills, _, entries in databases}
    codes = {"this": ROOT, **({"against": against} if against else {})}
    figures: dict[tuple[str, str, int], Run] = {}
    for fmt in formats:
        for bills, db, _ in databases:
            for _ in range(runs):  # interleaved, so a busy moment touches both alike
                for name, code in codes.items():
                    got = timed_export(db, fmt, folder / f"{name}-{bills}.{fmt}", code)
                    best = figures.get((name, fmt, bills))
                    figures[name, fmt, bills] = got if best is None or got.cpu < best.cpu else best
            if (
                against
                and (folder / f"this-{bills}.{fmt}").read_bytes() != (folder / f"against-{bills}.{fmt}").read_bytes()
            ):
                print(f"!! {fmt} of {bills} bills differs between the two", file=sys.stderr)
    small, large = min(sizes), max(sizes)
    print(f"export as a whole process; entries: {', '.join(f'{b} bills = {n}' for b, n in sizes.items())}")
    print("µs/entry is CPU time (user + system) per ledger entry; marginal: the extra CPU time per")
    print("extra entry over the smallest ledger; ratios: the largest ledger against the smallest")
    head = f"{'code':8}{'format':10}{'bills':>8}{'wall s':>8}{'cpu s':>8}{'µs/entry':>10}{'marginal':>10}"
    print(head + f"{'peak MiB':>10}{'µs/entry ratio':>16}{'memory ratio':>14}")
    for fmt in formats:
        for name in codes:
            first = figures[name, fmt, small]
            for bills in sizes:
                got = figures[name, fmt, bills]
                line = f"{name:8}{fmt:10}{bills:>8}{got.wall:>8.2f}{got.cpu:>8.2f}{got.cpu / sizes[bills] * 1e6:>10.1f}"
                if bills != small:
                    line += f"{(got.cpu - first.cpu) / (sizes[bills] - sizes[small]) * 1e6:>10.1f}"
                else:
                    line += f"{'':>10}"
                line += f"{got.rss:>10.1f}"
                if bills == large and large != small:
                    ratio = (got.cpu / sizes[bills]) / (first.cpu / sizes[small])
                    line += f"{ratio:>15.2f}x{got.rss / first.rss:>13.2f}x"
                print(line)
    if against:
        print(f"this against {against}, at {large} bills (CPU per entry, marginal CPU per entry, peak memory):")
        for fmt in formats:
            this, other = figures["this", fmt, large], figures["against", fmt, large]
            if large != small:
                margin = [(figures[n, fmt, large].cpu - figures[n, fmt, small].cpu) for n in ("this", "against")]
                marginal = f"{margin[1] / margin[0]:.1f}x faster" if margin[0] > 0 else "n/a"
            else:
                marginal = "n/a"
            memory = this.rss / other.rss
            print(f"  {fmt:10} {other.cpu / this.cpu:.1f}x faster, marginal {marginal}, {memory:.2f}x the memory")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bills", type=int, nargs="+", default=[2000, 50000])
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--runs", type=int, default=1, help="runs per export; the fastest counts")
    parser.add_argument("--pg", action="store_true", help="ledgers in a throwaway PostgreSQL cluster")
    parser.add_argument(
        "--keep", type=Path, help="build the ledgers (or take those an earlier run kept) and write the exports in DIR"
    )
    parser.add_argument("--against", type=Path, help="another checkout of piecepay to run the same exports with")
    return parser.parse_args()


def main() -> None:
    options = parse()
    with tempfile.TemporaryDirectory(prefix="piecepay-bench-") as tmp:
        folder = options.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        files = [(bills, *ledger_file(folder, bills)) for bills in sorted(options.bills)]
        if not options.pg:
            run(files, options.formats, options.runs, folder, options.against)
            return
        from tests.postgres import start_server

        server = start_server()
        try:
            servers = [(bills, on_server(db, server.new_database()), entries) for bills, db, entries in files]
            run(servers, options.formats, options.runs, folder, options.against)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
