"""Start-up benchmark: median wall time of piecepay commands against the floor Typer sets.

Run it with the interpreter piecepay is installed in:

    .venv/bin/python benchmarks/startup.py [--runs 30] [--json]

It prepares a small ledger in a temporary folder with the CLI itself, and writes a
minimal Typer app (one command, one option) beside it. It then times each command as a
real process (the `piecepay` console script beside the interpreter if there is one, else
`python -m piecepay`), interleaving the commands with `python -c pass` and the minimal
Typer app so drift on a shared machine touches them all alike. It prints the median and
the minimum, in milliseconds, and the ratio of each median to `python -c pass` and to the
minimal Typer app. The target is 1.1x the minimal Typer app or less for --help, bill and
report: the minimal app is what any Typer command line pays written plainly, and piecepay
should add little to it (it also spares the garbage collector's work at start-up and exit,
which a plain app does not, so --help can come in under 1x). A benchmark, not a test: it
always exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.1  # times the minimal Typer app's median
TARGETED = ("piecepay --help", "piecepay bill", "piecepay report")
FLOOR = "minimal Typer app"
# The floor: what any Typer command line pays to start, parse one option and run.
MINIMAL_TYPER_APP = """\
import typer

app = typer.Typer(add_completion=False)


@app.command()
def hello(name: str = typer.Option("world", help="Who to greet.")) -> None:
    print(f"hello {name}")


if __name__ == "__main__":
    app()
"""


def piecepay_command() -> list[str]:
    script = Path(sys.executable).with_name("piecepay")
    return [str(script)] if script.exists() else [sys.executable, "-m", "piecepay"]


def runner_name(cli: list[str]) -> str:
    return "the piecepay console script" if len(cli) == 1 else "python -m piecepay"


def prepare(db: Path, cli: list[str], env: dict[str, str]) -> None:
    steps = [
        ["init"],
        ["campaign", "create", "Restaurant photos", "--slug", "photos", "--unit", "photo", "--rate", "5"],
        ["worker", "add", "ana"],
        ["offer", "create", "photos", "ana"],
        ["offer", "accept", "photos/ana"],
        ["milestone", "add", "photos/ana", "--top-up", "1000000"],
        *[["bill", "photos/ana", "--pieces", "2"] for _ in range(10)],
        *[["release", str(n)] for n in range(1, 6)],
    ]
    for step in steps:
        subprocess.run([*cli, "--db", str(db), *step], env=env, check=True, stdout=subprocess.DEVNULL)


def time_once(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    cli = piecepay_command()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PIECEPAY_DB")}
    with tempfile.TemporaryDirectory(prefix="piecepay-bench-") as tmp:
        db = Path(tmp) / "ledger.db"
        prepare(db, cli, env)
        minimal = Path(tmp) / "minimal_typer_app.py"
        minimal.write_text(MINIMAL_TYPER_APP, encoding="utf-8")
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            FLOOR: [sys.executable, str(minimal), "--name", "ana"],
            "piecepay --help": [*cli, "--help"],
            "piecepay bill": [*cli, "--db", str(db), "bill", "photos/ana", "--pieces", "1"],
            "piecepay report": [*cli, "--db", str(db), "report"],
            "piecepay --json report": [*cli, "--db", str(db), "--json", "report"],
            "piecepay verify": [*cli, "--db", str(db), "verify"],
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(3):  # warm-up: page cache, bytecode
            for command in commands.values():
                time_once(command, env)
        for _ in range(args.runs):
            for name, command in commands.items():
                samples[name].append(time_once(command, env))
    base = statistics.median(samples["python -c pass"])
    floor = statistics.median(samples[FLOOR])
    results = [
        {
            "command": name,
            "median_ms": round(statistics.median(s), 1),
            "min_ms": round(min(s), 1),
            "ratio": round(statistics.median(s) / base, 2),
            "typer_ratio": round(statistics.median(s) / floor, 2),
        }
        for name, s in samples.items()
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "python": platform.python_version(),
                    "sqlite": sqlite3.sqlite_version,
                    "runs": args.runs,
                    "runner": runner_name(cli),
                    "floor": FLOOR,
                    "target": TARGET,
                    "results": results,
                },
                indent=2,
            )
        )
        return
    print(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} cores"
    )
    print(f"runner: {runner_name(cli)}; {args.runs} runs each, interleaved, after 3 warm-up rounds")
    print(
        f"{'command':<24} {'median ms':>10} {'min ms':>8} {'x python':>9} {'x typer':>8}  target <= {TARGET:g}x typer"
    )
    for r in results:
        verdict = ("PASS" if r["typer_ratio"] <= TARGET else "OVER") if r["command"] in TARGETED else ""
        print(
            f"{r['command']:<24} {r['median_ms']:>10} {r['min_ms']:>8} {r['ratio']:>9} {r['typer_ratio']:>8}  {verdict}"
        )


if __name__ == "__main__":
    main()
