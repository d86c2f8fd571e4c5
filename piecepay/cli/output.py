"""The one output sink: a result goes out as a table for people, JSON or CSV for scripts.

Tables are drawn with Rich when stdout is a terminal; piped, the same table is plain
aligned text, so cron mail and grep see no box drawing and Rich is never imported.

Stored text is shown, never obeyed: every cell and message passes through
``piecepay.text.visible`` (control and bidi characters become escapes), Rich receives
it as ``Text`` (so ``[bold]`` or ``[link=…]`` in a note is printed, not parsed), and
JSON escapes what a terminal would act on while staying standard JSON.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from piecepay.text import json_text, visible

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import Console

Columns = Sequence[tuple[str, str]]  # (key in the view, header shown)


def to_terminal() -> bool:
    return sys.stdout.isatty()


def json_out(data: Any, stream: Any = None) -> None:
    stream = stream or sys.stdout
    stream.write(json_text(data, indent=2) + "\n")


def json_line(data: Any) -> None:
    """One document on one line (JSON lines)."""
    sys.stdout.write(json_text(data) + "\n")


def cell(value: Any) -> str:
    """A value as the text of a table cell or field, with unsafe characters made visible."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(visible(str(v)) for v in value)
    return visible(str(value))


def csv_out(rows: Sequence[dict[str, Any]], columns: Sequence[str], numeric: Collection[str] = ()) -> None:
    """Rows as CSV; cells outside ``numeric`` are free text and made formula-safe."""
    import csv

    from piecepay.export.tabular import safe_cell

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(col)) if col in numeric else safe_cell(cell(row.get(col))) for col in columns])


# Columns never shortened in a table, besides the numeric ones: dates, statuses, currencies,
# kinds and references are read whole.
WHOLE = frozenset(
    {
        "date",
        "review_closes",
        "asked_on",
        "resolved_on",
        "opened_on",
        "deadline",
        "status",
        "currency",
        "kind",
        "contract",
        "ref",
        "seq",
    }
)


def _console() -> Console:
    """A Rich console that never reads markup or emoji codes out of text; NO_COLOR means no styling."""
    from rich.console import Console

    plain = bool(os.environ.get("NO_COLOR"))
    return Console(highlight=False, markup=False, emoji=False, color_system=None if plain else "auto")


def table_out(
    rows: Sequence[dict[str, Any]],
    columns: Columns,
    title: str | None = None,
    numeric: Sequence[str] = (),
    *,
    paged: bool = False,
) -> None:
    """Rows as a table; ``numeric`` columns are right-aligned. ``paged``: in a terminal, a
    table longer than the screen goes through the pager ($PAGER, else less)."""
    if to_terminal():
        _rich_table(rows, columns, title, numeric, paged)
    else:
        _plain_table(rows, columns, title, numeric)


def _rich_table(
    rows: Sequence[dict[str, Any]], columns: Columns, title: str | None, numeric: Sequence[str], paged: bool
) -> None:
    """A table that fits the terminal: numbers, ids and dates are never wrapped or cut; when the
    table is too wide, text columns (memos, notes, names) are shortened first, then columns
    are left out from the right, and a note on stderr says how many."""
    from rich.table import Table
    from rich.text import Text

    console = _console()
    texts = [[cell(row.get(key)) for key, _ in columns] for row in rows]
    shown, widths = _fitted(columns, texts, numeric, console.size.width)
    table = Table(title=Text(title) if title else None, title_justify="left", header_style="bold")
    for index in shown:
        key, header = columns[index]
        table.add_column(
            header,
            justify="right" if key in numeric else "left",
            no_wrap=True,
            overflow="ellipsis",
            min_width=widths[index],
            max_width=widths[index],
        )
    for line in texts:
        table.add_row(*(Text(line[index]) for index in shown))
    if paged and len(rows) + 4 > console.size.height:
        with console.pager(styles=True):
            console.print(table)
    else:
        console.print(table)
    if len(shown) < len(columns):
        left_out = [columns[i][1] for i in range(len(columns)) if i not in shown]
        note(f"({len(left_out)} columns left out at this width: {', '.join(left_out)}; --format csv shows all)")


SHORTEST_TEXT = 8  # a text column is not shortened below this many characters


def _fitted(
    columns: Columns, texts: list[list[str]], numeric: Sequence[str], width: int
) -> tuple[list[int], list[int]]:
    """Which columns to show and how wide each is, so the table fits ``width``: text columns
    shortened (not below SHORTEST_TEXT), then the rightmost columns left out (never the first)."""
    natural = [max([len(header), *(len(line[i]) for line in texts)]) for i, (_, header) in enumerate(columns)]
    widths = list(natural)
    shown = list(range(len(columns)))

    def total() -> int:
        return sum(widths[i] for i in shown) + 3 * len(shown) + 1  # borders and padding

    text = [i for i, (key, _) in enumerate(columns) if key not in numeric and key not in WHOLE]
    while total() > width and any(widths[i] > SHORTEST_TEXT for i in text if i in shown):
        widest = max((i for i in text if i in shown), key=lambda i: widths[i])
        widths[widest] = max(SHORTEST_TEXT, widths[widest] - max(1, total() - width))
    while total() > width and len(shown) > 1:
        shown.pop()
    return shown, widths


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
    headline = visible(headline)
    if to_terminal():
        from rich.text import Text

        console = _console()
        console.print(Text(headline, style="bold"))
        for label, value in pairs:
            console.print(Text.assemble("  ", (label.ljust(width), "dim"), "  ", value))
        return
    lines = [headline] + [f"  {label.ljust(width)}  {value}" for label, value in pairs]
    sys.stdout.write("\n".join(lines) + "\n")


def help_text(text: str) -> None:
    """Help as the command line's own text (not stored text: written as it is)."""
    sys.stdout.write(text + "\n")


def script_out(text: str) -> None:
    """A script piecepay wrote itself (a shell's completion), exactly as it is."""
    sys.stdout.write(text.rstrip("\n") + "\n")


def document_out(text: str) -> None:
    """A document piecepay rendered itself, every stored text in it already made visible
    and escaped for its format (a statement in Markdown or HTML), exactly as it is."""
    sys.stdout.write(text)


def file_out(target: Path, content: str | bytes) -> None:
    """``content`` written to ``target`` atomically (a checked target: see piecepay.files)."""
    from piecepay.files import atomic_bytes, atomic_text

    if isinstance(content, bytes):
        atomic_bytes(target, content)
        return
    with atomic_text(target) as stream:
        stream.write(content)


def line(text: str) -> None:
    """A line for people on stdout (the demo's narration), flushed so it reads in order."""
    sys.stdout.write(visible(text) + "\n")
    sys.stdout.flush()


def note(message: str) -> None:
    """A line for people on stderr (never part of the machine output)."""
    sys.stderr.write(visible(message) + "\n")


def error_out(code: str, message: str, as_json: bool) -> None:
    """The one-line error report: plain text, or a one-line JSON document with --json."""
    shown = visible(message)  # echoed input can hold anything; the message never does
    if as_json:
        sys.stderr.write(json_text({"error": {"code": code, "message": shown}}) + "\n")
    else:
        sys.stderr.write(f"piecepay: error: {shown}\n")


@contextlib.contextmanager
def progress(what: str, total: int) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar on stderr when it is a terminal; otherwise nothing is drawn.
    Yields the function that advances it by a number of rows."""
    if not sys.stderr.isatty():
        yield lambda _: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True, highlight=False, markup=False), transient=True) as bar:
        task = bar.add_task(what, total=max(total, 1))
        yield lambda done: bar.advance(task, done)
