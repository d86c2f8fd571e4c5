"""piecepay export | backup: the unattended side, for cron."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from piecepay.cli import output
from piecepay.cli.invocation import invocation


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
    """Export the journal as CSV, JSON lines, or an hledger or beancount journal.

    Example: piecepay export --format hledger --out books.journal
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.exports import export as run_export

    typed = inputs.cursor_name(cursor), inputs.day(start, "--from"), inputs.day(end, "--to")
    run = invocation(ctx)
    session = run.session(write=cursor is not None)
    done = run_export(session, format, out, sys.stdout, cursor=typed[0], start=typed[1], end=typed[2])
    summary = f"exported {done.entries} entries" + (f" to {out}" if out != "-" else "")
    summary += f"; ledger head {done.ledger_entries}:{done.ledger_head}"
    if done.cursor:
        summary += f"; cursor {done.cursor} at entry {done.cursor_at}"
    if out == "-":
        output.note(summary)  # stdout carries the export itself
    else:
        run.sink.done(documents.exported(done), summary)


def backup(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Where the copy goes (replaced atomically if it exists).")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing file even if the ledger does not extend it.")
    ] = False,
) -> None:
    """Copy the ledger consistently while others write, then check the copy.

    Example: piecepay backup ledger-backup.db
    """
    from piecepay.cli import documents
    from piecepay.operations.backup import backup as run_backup

    run = invocation(ctx)
    done = run_backup(run.session(write=False), path, force=force)
    summary = f"backed up {done.entries} entries ({done.bytes} bytes) to {done.path}; verified; "
    summary += f"head {done.entries}:{done.head}"
    run.sink.done(documents.backup(done), summary)


def copy(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="The ledger to copy: a file or postgresql://… URL.")],
    target: Annotated[str, typer.Argument(help="Where the copy goes: a new file, or an empty PostgreSQL database.")],
) -> None:
    """Copy a whole ledger between stores (file to PostgreSQL and back), then verify the copy.

    Example: piecepay copy ledger.db postgresql://piecepay_owner@db.example/ledger
    """
    from piecepay.cli import documents
    from piecepay.locations import ledger_location
    from piecepay.operations.copies import copy_ledger

    run = invocation(ctx)
    run.db = ledger_location(source)
    destination = ledger_location(target)
    done = copy_ledger(run.session(write=False), destination)
    summary = f"copied {done.entries} entries from {done.source} to {done.target}; verified; "
    summary += f"head {done.entries}:{done.head}"
    run.sink.done(documents.copied(done), summary)
