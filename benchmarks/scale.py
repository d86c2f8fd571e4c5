"""piecepay at scale, in one run: ledgers of 1k, 100k and 1M bills built through bulk
billing, then every read, check and export timed as a whole process, with peak memory.

Run it with the interpreter piecepay is installed in:

    .venv/bin/python benchmarks/scale.py [--sizes 1000,100000,1000000] [--runs 5]

Each ledger has the same shape whatever its size: 10 campaigns of 10 workers (100
contracts), each contract with a capped milestone; the bills (one piece at 0.01 each,
dated today, so nothing is due for the sweep) are written with `bill --from`, 100,000
rows a file, every rule checked; 100 of them, spread over the ledger, are released. With
`--ledgers DIR` the ledgers are kept there and reused by the next run. Then each
command runs `--runs` times as a real process (the median wall time and the largest
peak resident memory are kept): `report` and each `--by`, one `bill`, `verify` (full and
`--since-checkpoint`), `export` in each format, `backup` and `sweep --dry-run`; and
`ledger bal` / `hledger bal` on the hledger export where those programs are installed
(hledger only up to 100k bills: it needs more than 15 GB at 1M). It prints one table:
seconds (and MiB) per size, and the ratio of the largest size to the smallest. A
benchmark, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from subprocess import DEVNULL

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = 100
FILE_ROWS = 100_000
HLEDGER_UP_TO = 100_000
RELEASED = 100  # bills released in each ledger, spread over it


def piecepay() -> list[str]:
    script = Path(sys.executable).with_name("piecepay")
    return [str(script)] if script.exists() else [sys.executable, "-m", "piecepay"]


def build(db: Path, bills: int, folder: Path) -> float:
    """A ledger of ``bills`` bills over CONTRACTS contracts; the seconds bulk billing took.

    The campaigns, workers and contracts are made by a child process (piecepay's commands
    in-process, quicker than a process each), so this one stays small: a child's peak
    memory as the kernel counts it starts from its parent's size when it was forked."""
    setup = (
        "import sys; from pathlib import Path; from benchmarks.bulk import setup; "
        f"setup(Path(sys.argv[1]), {CONTRACTS}, {bills})"
    )
    subprocess.run([sys.executable, "-c", setup, str(db)], check=True, cwd=ROOT)
    refs = [f"c{n // 10}/w{n}" for n in range(CONTRACTS)]  # as benchmarks/bulk.py names them
    spent = 0.0
    for start in range(0, bills, FILE_ROWS):
        source = folder / "rows.csv"
        with source.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["contract", "pieces", "note"])  # files differ, so their rows' keys do
            for n in range(start, min(bills, start + FILE_ROWS)):
                writer.writerow([refs[n % CONTRACTS], 1, f"file {start // FILE_ROWS}"])
        began = time.perf_counter()
        subprocess.run([*piecepay(), "--db", str(db), "bill", "--from", str(source)], check=True, stdout=DEVNULL)
        spent += time.perf_counter() - began
    for bill_id in range(1, bills + 1, max(1, bills // RELEASED)):
        subprocess.run([*piecepay(), "--db", str(db), "release", str(bill_id)], check=True, stdout=DEVNULL)
    subprocess.run(
        [*piecepay(), "--db", str(db), "export", "--format", "hledger", "--out", str(folder / "journal.hledger")],
        check=True,
        stdout=DEVNULL,
    )
    subprocess.run([*piecepay(), "--db", str(db), "verify"], check=True, stdout=DEVNULL)  # keeps a checkpoint
    return spent


def once(command: list[str]) -> tuple[float, float] | None:
    """Seconds and peak MiB of one run of ``command`` (None if it failed)."""
    began = time.perf_counter()
    proc = subprocess.Popen(command, stdout=DEVNULL, stderr=DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    return (elapsed, usage.ru_maxrss / 1024) if proc.returncode == 0 else None


def commands(db: Path, folder: Path, bills: int) -> dict[str, list[str]]:
    pp = [*piecepay(), "--db", str(db)]
    journal = str(folder / "journal.hledger")
    found = {
        "report": [*pp, "report"],
        "report --by campaign": [*pp, "report", "--by", "campaign"],
        "report --by worker": [*pp, "report", "--by", "worker"],
        "report --by contract": [*pp, "report", "--by", "contract"],
        "log --last 20": [*pp, "log", "--last", "20"],
        "bill (one)": [*pp, "bill", "c0/w0", "--pieces", "1"],
        "sweep --dry-run": [*pp, "sweep", "--dry-run"],
        "verify": [*pp, "verify"],
        "verify --since-checkpoint": [*pp, "verify", "--since-checkpoint"],
        "backup": [*pp, "backup", str(folder / "backup.db"), "--force"],
    }
    for form in ("csv", "jsonl", "hledger", "beancount"):
        found[f"export --format {form}"] = [*pp, "export", "--format", form]
    if shutil.which("ledger"):
        found["ledger bal (hledger export)"] = ["ledger", "-f", journal, "bal"]
    if shutil.which("hledger") and bills <= HLEDGER_UP_TO:
        found["hledger bal (hledger export)"] = ["hledger", "-f", journal, "bal"]
    return found


def run(sizes: list[int], runs: int, kept: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="piecepay-scale-") as tmp:
        ledgers = {}
        for bills in sizes:
            folder = (kept or Path(tmp)) / str(bills)
            db = folder / "ledger.db"
            if not db.exists():
                folder.mkdir(parents=True, exist_ok=True)
                spent = build(db, bills, folder)
                print(f"built {_count(bills)}: {spent:.1f} s of bulk billing ({bills / spent:.0f} rows/s)")
            print(f"{_count(bills)}: {db.stat().st_size / 2**20:.0f} MiB")
            ledgers[bills] = commands(db, folder, bills)
        # every command on every ledger in turn, run after run: drift touches them all alike
        samples: dict[str, dict[int, list[tuple[float, float] | None]]] = {}
        for _ in range(runs):
            for bills, found in ledgers.items():
                for name, command in found.items():
                    samples.setdefault(name, {}).setdefault(bills, []).append(once(command))
    table = {name: {n: _summary(found) for n, found in by_size.items()} for name, by_size in samples.items()}
    small, large = min(sizes), max(sizes)
    head = "".join(f"{_count(n):>16}" for n in sizes)
    print(f"\n{'command (median of ' + str(runs) + ' runs: s, peak MiB)':<42}{head}{'ratio':>8}")
    for name, by_size in table.items():
        cells = "".join(f"{_cell(by_size.get(n), n in by_size):>16}" for n in sizes)
        first, last = by_size.get(small), by_size.get(large)
        ratio = f"{last[0] / first[0]:.2f}x" if first and last and len(sizes) > 1 else ""
        print(f"{name:<42}{cells}{ratio:>8}")
    for peer in ("ledger bal (hledger export)", "hledger bal (hledger export)"):
        for n in sorted(table.get(peer, {}), reverse=True):
            theirs, ours = table[peer][n], table["report"].get(n)
            if theirs and ours:
                print(f"at {_count(n)}, {peer.split(' (')[0]} takes {theirs[0] / ours[0]:.1f}x as long as report")
                break


def _summary(found: list[tuple[float, float] | None]) -> tuple[float, float] | None:
    if any(run is None for run in found):
        return None
    return statistics.median(r[0] for r in found if r), max(r[1] for r in found if r)


def _count(n: int) -> str:
    return f"{n // 1_000_000}M bills" if n >= 1_000_000 else f"{n // 1000}k bills"


def _cell(value: tuple[float, float] | None, ran: bool) -> str:
    if not ran:
        return "-"
    return "failed" if value is None else f"{value[0]:.2f}, {value[1]:.0f}"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,100000,1000000", help="bills per ledger, comma-separated")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ledgers", type=Path, help="a folder to keep the ledgers in and reuse them from")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse()
    run([int(n) for n in args.sizes.split(",")], args.runs, args.ledgers)
