"""The one output sink: a result goes out as a table for people, JSON or CSV for scripts.

Tables are drawn with Rich when stdout is a terminal; piped, the same table is plain
aligned text, so cron mail and grep see no box drawing and Rich is never imported.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

Columns = Sequence[tuple[str, str]]  # (key in the view, header shown)


def to_terminal() -> bool:
    return sys.stdout.isatty()


def json_out(data: Any, stream: Any = None) -> None:
    stream = stream or sys.stdout
    stream.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def csv_out(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    import csv

    from piecepay.export.tabular import safe_cell

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(cell(row.get(col))) for col in columns])


def table_out(
    rows: Sequence[dict[str, Any]], columns: Columns, title: str | None = None, numeric: Sequence[str] = ()
) -> None:
    """Rows as a table; ``numeric`` columns are right-aligned."""
    if to_terminal():
        _rich_table(rows, columns, title, numeric)
    else:
        _plain_table(rows, columns, title, numeric)


def _rich_table(rows: Sequence[dict[str, Any]], columns: Columns, title: str | None, numeric: Sequence[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold")
    for key, header in columns:
        table.add_column(header, justify="right" if key in numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*(cell(row.get(key)) for key, _ in columns))
    Console(highlight=False).print(table)


def _plain_table(rows: Sequence[dict[str, Any]], columns: Columns, title: str | None, numeric: Sequence[str]) -> None:
    grid = [[header for _, header in columns]] + [[cell(row.get(key)) for key, _ in columns] for row in rows]
    widths = [max(len(line[i]) for line in grid) for i in range(len(columns))]
    out = [title] if title else []
    for line in grid:
        parts = [
            text.rjust(w) if key in numeric else text.ljust(w)
            for text, w, (key, _) in zip(line, widths, columns, strict=True)
        ]
        out.append("  ".join(parts).rstrip())
    sys.stdout.write("\n".join(out) + "\n")


def object_out(view: dict[str, Any], headline: str, fields: Columns) -> None:
    """One record as a headline and its fields, label and value."""
    pairs = [(label, cell(view.get(key))) for key, label in fields if view.get(key) not in (None, "", [])]
    width = max((len(label) for label, _ in pairs), default=0)
    if to_terminal():
        from rich.console import Console
        from rich.markup import escape

        console = Console(highlight=False)
        console.print(f"[bold]{escape(headline)}[/bold]")
        for label, value in pairs:
            console.print(f"  [dim]{escape(label.ljust(width))}[/dim]  {escape(value)}")
        return
    lines = [headline] + [f"  {label.ljust(width)}  {value}" for label, value in pairs]
    sys.stdout.write("\n".join(lines) + "\n")


def note(message: str) -> None:
    """A line for people on stderr (never part of the machine output)."""
    sys.stderr.write(message + "\n")


def error_out(code: str, message: str, as_json: bool) -> None:
    """The one-line error report: plain text, or a JSON document with --json."""
    if as_json:
        json_out({"error": {"code": code, "message": message}}, sys.stderr)
    else:
        sys.stderr.write(f"piecepay: error: {message}\n")
