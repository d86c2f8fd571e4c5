"""piecepay export | backup: the unattended side, for cron."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from piecepay.cli import output
from piecepay.cli.state import globals_of


def export(
    ctx: typer.Context,
    format: Annotated[str, typer.Option("--format", "-f", help="csv, jsonl, hledger or beancount.")] = "csv",
    out: Annotated[str, typer.Option("--out", "-o", help="File to write (atomically), or - for stdout.")] = "-",
    cursor: Annotated[
        str | None, typer.Option(help="Export only what is new since the last run under this name.")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="First effective date, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last effective date, YYYY-MM-DD.")] = None,
) -> None:
    """Export the journal as CSV, JSON lines, or an hledger or beancount journal."""
    from piecepay.export.run import export as run_export

    session = globals_of(ctx).session(write=cursor is not None)
    facts = run_export(session, format, out, sys.stdout, cursor=cursor, start=start, end=end)
    summary = f"exported {facts['entries']} entries" + (f" to {out}" if out != "-" else "")
    summary += f"; ledger head {facts['ledger_entries']}:{facts['ledger_head']}"
    if facts["cursor"]:
        summary += f"; cursor {facts['cursor']} at entry {facts['cursor_at']}"
    if out == "-":
        output.note(summary)  # stdout carries the export itself
    elif globals_of(ctx).json:
        output.json_out(facts)
    else:
        output.object_out({}, summary, [])


def backup(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Where the copy goes (replaced atomically if it exists).")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing file even if the ledger does not extend it.")
    ] = False,
) -> None:
    """Copy the ledger consistently while others write, then check the copy."""
    from piecepay.backup import backup as run_backup

    facts = run_backup(globals_of(ctx).session(write=False), path, force=force)
    if globals_of(ctx).json:
        output.json_out(facts)
    else:
        output.object_out(
            facts,
            f"backed up {facts['entries']} entries ({facts['bytes']} bytes) to {facts['path']}; verified; "
            f"head {facts['entries']}:{facts['head']}",
            [],
        )
