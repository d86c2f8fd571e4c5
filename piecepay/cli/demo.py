"""piecepay demo: play the sample month through the real command line, then report."""

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from piecepay.cli import output
from piecepay.cli.invocation import invocation
from piecepay.errors import RuleRefused
from piecepay.locations import Location, ServerLedger

if TYPE_CHECKING:
    from piecepay.session import Session


def demo(
    ctx: typer.Context,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the final report.")] = False,
) -> None:
    """Play the bundled sample month into a fresh ledger (temporary unless --db) and report.

    Example: piecepay demo --quiet
    """
    from piecepay.sample import load_month

    g = invocation(ctx)
    quiet = quiet or g.json  # with --json, stdout carries only the report document
    steps = load_month()
    # a database must hold a ledger already (piecepay init --db URL); a file is made if missing
    existing = isinstance(g.db, ServerLedger) or (g.db is not None and (g.db.exists() or g.db.is_symlink()))
    if existing and not _is_empty(g.session(write=True)):
        raise RuleRefused(f"demo plays into a new or empty ledger; {g.db} already holds one", "ledger_not_fresh")
    g.close()
    with tempfile.TemporaryDirectory(prefix="piecepay-demo-") as tmp:
        db = g.db or Path(tmp) / "demo.db"
        if not existing:
            g.create(db)
        for step in steps:
            if not quiet:
                output.line("")
                output.line(f"[{step.day.isoformat()}] $ piecepay {step.text}")
            code = _play(db, step.day.isoformat(), step.args, quiet)
            if code != step.expect:
                raise RuleRefused(
                    f"sample line {step.line} ended with exit {code}, expected {step.expect}", "demo_step_failed"
                )
        if not quiet:
            where = db if g.db else "a temporary ledger"
            output.line("")
            output.line(f"The month in figures ({len(steps)} steps played into {where}):")
        _play(db, steps[-1].day.isoformat(), ("report",) if not g.json else ("--json", "report"), False)


def _is_empty(session: "Session") -> bool:
    return session.store.is_empty()


def _play(db: Location, day: str, args: tuple[str, ...], quiet: bool) -> int:
    """Run one piecepay command in this process against ``db`` on ``day``."""
    from piecepay.cli import main

    saved = os.environ.get("PIECEPAY_TODAY")
    os.environ["PIECEPAY_TODAY"] = day
    streams = sys.stdout, sys.stderr
    try:
        if quiet:
            sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - restored in finally
        else:
            sys.stdout.flush()
            sys.stderr = sys.stdout  # refusals the story shows read in order with the rest
        where = db.url if isinstance(db, ServerLedger) else str(db)
        return main(["--db", where, "--actor", "demo", *args])
    finally:
        if quiet:
            sys.stdout.close()
        sys.stdout, sys.stderr = streams
        if saved is None:
            os.environ.pop("PIECEPAY_TODAY", None)
        else:
            os.environ["PIECEPAY_TODAY"] = saved
