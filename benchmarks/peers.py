"""piecepay's report against the plain-text accounting tools on the same journal, in one run.

Run it with the interpreter piecepay is installed in:

    .venv/bin/python benchmarks/peers.py [--bills 100000] [--runs 5] [--ledgers DIR]

The ledger has benchmarks/scale.py's shape (10 campaigns of 10 workers, each contract with
a milestone), but every bill is released, so the journal piecepay exports for hledger holds
one transaction per bill as well as the top-ups (a pending bill moves no money and is not
exported). Bills are written with `bill --from` and released in-process, 5,000 to a
transaction. Then, as whole processes on the same ledger and on its hledger export:
`piecepay report` (--runs times, the median), `ledger bal`, `hledger bal` and `bean-check`
on the beancount export, each where installed (--peers chooses). A peer gets --peer-runs runs, at most
--timeout seconds and --memory GiB of address space each (hledger needs more than 15 GB at
a million bills; a run over a bound is shown as such). It prints each median, peak
resident memory, and how many times as long as `report` each peer took. With --ledgers
DIR the ledger and its exports are kept there and reused. A benchmark, not a test: it
always exits 0.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from subprocess import DEVNULL

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.scale import CONTRACTS, FILE_ROWS, piecepay  # noqa: E402

RELEASE_BATCH = 5000


def build(db: Path, bills: int, folder: Path) -> None:
    """``bills`` bills over CONTRACTS contracts, every one released; then the two exports."""
    setup = (
        "import sys; from pathlib import Path; from benchmarks.bulk import setup; "
        f"setup(Path(sys.argv[1]), {CONTRACTS}, {bills})"
    )
    subprocess.run([sys.executable, "-c", setup, str(db)], check=True, cwd=ROOT)
    refs = [f"c{n // 10}/w{n}" for n in range(CONTRACTS)]  # as benchmarks/bulk.py names them
    for start in range(0, bills, FILE_ROWS):
        source = folder / "rows.csv"
        with source.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["contract", "pieces", "note"])
            for n in range(start, min(bills, start + FILE_ROWS)):
                writer.writerow([refs[n % CONTRACTS], 1, f"file {start // FILE_ROWS}"])
        subprocess.run([*piecepay(), "--db", str(db), "bill", "--from", str(source)], check=True, stdout=DEVNULL)
    release_all(db, bills)
    for form, name in (("hledger", "journal.hledger"), ("beancount", "journal.beancount")):
        out = str(folder / name)
        subprocess.run(
            [*piecepay(), "--db", str(db), "export", "--format", form, "--out", out], check=True, stderr=DEVNULL
        )


def release_all(db: Path, bills: int) -> None:
    """Release bills 1..``bills`` in-process, RELEASE_BATCH to a write transaction."""
    from piecepay.locations import ledger_location
    from piecepay.operations.bills import release
    from piecepay.session import open_session

    s = open_session(ledger_location(str(db)), "bench", datetime.now(UTC), write=True)
    try:
        for start in range(1, bills + 1, RELEASE_BATCH):
            with s.store.write():
                for bill_id in range(start, min(bills, start + RELEASE_BATCH - 1) + 1):
                    release(s, bill_id)
    finally:
        s.close()


def once(command: list[str], timeout: float | None = None, memory: int | None = None) -> tuple[float, float] | str:
    """Seconds and peak MiB of one run of ``command``, or why it has none."""

    def bounded() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    began = time.perf_counter()
    proc = subprocess.Popen(command, stdout=DEVNULL, stderr=DEVNULL, preexec_fn=bounded)
    timer = threading.Timer(timeout, proc.kill) if timeout else None
    if timer:
        timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - began
    if timer:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if timeout and elapsed >= timeout:
        return f"over {timeout:.0f} s"
    if proc.returncode != 0:
        return f"failed ({proc.returncode})"
    return elapsed, usage.ru_maxrss / 1024


def run(
    bills: int, runs: int, peer_runs: int, timeout: float, memory_gib: float, kept: Path | None, chosen: list[str]
) -> None:
    with tempfile.TemporaryDirectory(prefix="piecepay-peers-") as tmp:
        folder = (kept or Path(tmp)) / f"released-{bills}"
        db = folder / "ledger.db"
        if not db.exists():
            folder.mkdir(parents=True, exist_ok=True)
            began = time.perf_counter()
            build(db, bills, folder)
            print(f"built {bills} released bills in {time.perf_counter() - began:.0f} s")
        hledger, beancount = folder / "journal.hledger", folder / "journal.beancount"
        print(f"ledger {db.stat().st_size / 2**20:.0f} MiB; hledger journal {hledger.stat().st_size / 2**20:.0f} MiB")
        memory = int(memory_gib * 2**30)
        ours = [once([*piecepay(), "--db", str(db), "report"]) for _ in range(runs)]
        peers = {
            "ledger bal": ["ledger", "-f", str(hledger), "bal"],
            "hledger bal": ["hledger", "-f", str(hledger), "bal"],
            "bean-check": [str(Path(sys.executable).with_name("bean-check")), str(beancount)],
        }
        found = {
            name: [once(command, timeout, memory) for _ in range(peer_runs)]
            for name, command in peers.items()
            if shutil.which(command[0]) and name.split()[0] in chosen
        }
    report = _median(ours)
    print(f"\n{bills} bills, every one released (median of {runs} runs for report, {peer_runs} for each peer)")
    print(f"{'command':<14}{'seconds':>10}{'peak MiB':>10}{'x report':>10}")
    print(f"{'report':<14}{_cell(report)}{1:>10.1f}")
    for name, results in found.items():
        theirs = _median(results)
        ratio = f"{theirs[0] / report[0]:>10.0f}" if isinstance(theirs, tuple) and isinstance(report, tuple) else ""
        print(f"{name:<14}{_cell(theirs)}{ratio}")


def _median(results: list[tuple[float, float] | str]) -> tuple[float, float] | str:
    failed = [r for r in results if isinstance(r, str)]
    if failed:
        return failed[0]
    timed = [r for r in results if isinstance(r, tuple)]
    return statistics.median(r[0] for r in timed), max(r[1] for r in timed)


def _cell(value: tuple[float, float] | str) -> str:
    return f"{value:>20}" if isinstance(value, str) else f"{value[0]:>10.2f}{value[1]:>10.0f}"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bills", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="runs of piecepay report")
    parser.add_argument("--peer-runs", type=int, default=3, help="runs of each peer")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a peer's run may take")
    parser.add_argument("--memory", type=float, default=12, help="GiB of address space a peer's run may use")
    parser.add_argument("--ledgers", type=Path, help="a folder to keep the ledger in and reuse it from")
    parser.add_argument("--peers", default="ledger,hledger,bean-check", help="which peers to run, comma-separated")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse()
    run(args.bills, args.runs, args.peer_runs, args.timeout, args.memory, args.ledgers, args.peers.split(","))
