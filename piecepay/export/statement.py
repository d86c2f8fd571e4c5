"""A worker's statement as Markdown, as one self-contained HTML file, and as PDF.

Each is drawn from the statement's JSON document (``piecepay.cli.documents.statement``), so
every format shows the same figures. Stored text (names, notes, reasons, memos) is shown,
never obeyed: control and bidi characters become visible escapes (``piecepay.text.visible``),
then Markdown's punctuation is backslash-escaped, or HTML's special characters escaped, so
no note can move a terminal's cursor, break a table or add markup. The HTML has inline CSS
and inline SVG only: no script and nothing fetched from anywhere.
"""

from __future__ import annotations

import re
from typing import Any

from piecepay.text import visible

Document = dict[str, Any]

BAR_WIDTH = 24  # cells of the longest bar in the Markdown chart
EIGHTHS = "▏▎▍▌▋▊▉"  # a bar's last cell, by eighths of a cell
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&$-])")
LINE_BREAKS = re.compile(r"[\r\n\t]+")
PDF_EXTRA = "pip install 'piecepay[pdf]'"


def plain(text: object) -> str:
    """Stored text on one line, every unsafe character shown as an escape."""
    return visible(LINE_BREAKS.sub(" ", str(text))).strip()


def md(text: object) -> str:
    """Stored text as Markdown that shows it literally, on one line (safe in a table cell)."""
    if text is None:
        return ""
    return MARKDOWN_SPECIAL.sub(r"\\\1", plain(text))


def esc(text: object) -> str:
    """Stored text as HTML that shows it literally."""
    import html

    return "" if text is None else html.escape(plain(text), quote=True)


def _amount(document: Document, name: str, currency: str | None = None) -> str:
    value = document.get(name)
    if value is None:
        return ""
    return f"{value} {currency}" if currency else str(value)


def _title(document: Document) -> str:
    name = document.get("name")
    return f"{document['worker']} ({name})" if name else str(document["worker"])


def _period(document: Document) -> str:
    return f"{document['period']}: {document['from']} to {document['to']}"


def _pieces(entry: Document) -> str:
    """'3 photos', '1 photo', or nothing for an entry about no bill."""
    if entry.get("pieces") is None:
        return ""
    from decimal import Decimal

    from piecepay.models import units
    from piecepay.money import pieces_to_milli

    return f"{entry['pieces']} {units(pieces_to_milli(Decimal(entry['pieces'])), entry['unit'] or '')}"


def _hourly(total: Document) -> str:
    if total["effective_hourly"] is None:
        return "no minutes recorded"
    return f"{total['effective_hourly']} {total['currency']}/h"


def _by_kind(total: Document) -> str:
    return ", ".join(f"{k['kind']} {k['amount']}" for k in total["earned_by_kind"]) or "nothing"


# --------------------------------------------------------------------------- Markdown

TOTAL_COLUMNS = (
    ("opening_balance", "Opening"),
    ("earned", "Earned"),
    ("paid_out", "Paid out"),
    ("closing_balance", "Closing"),
    ("pending", "Pending"),
)


def markdown(document: Document) -> str:
    """The statement as Markdown text: totals, the week chart (bars of block characters)
    and a row per entry."""
    out = [f"# Statement: {md(_title(document))}", "", f"Period {_period(document)}", "", "## Totals", ""]
    if document["totals"]:
        out.append("| Currency | " + " | ".join(label for _, label in TOTAL_COLUMNS) + " | Per hour |")
        out.append("| --- | " + " | ".join("---:" for _ in TOTAL_COLUMNS) + " | ---: |")
        for t in document["totals"]:
            cells = [str(t[key]) for key, _ in TOTAL_COLUMNS]
            out.append(f"| {t['currency']} | " + " | ".join(cells) + f" | {md(_hourly(t))} |")
        out.append("")
        for t in document["totals"]:
            out.append(
                f"- {t['currency']}: earned by kind: {md(_by_kind(t))}; pay per hour: {t['bills_released']} released "
                f"for the bills dated in the period over {t['hours']} hours"
            )
    else:
        out.append("No accounts or contracts yet.")
    out += ["", "## Earnings per week", "", "```text", *_bars(document), "```", "", "## Entries", ""]
    if not document["entries"]:
        out.append("No entries in this period.")
    else:
        out.append("| Date | Entry | Kind | Contract | Bill | Pieces | Reserved | Posted | Cur | Note or reason |")
        out.append("| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | --- | --- |")
        for e in document["entries"]:
            cells = [
                e["date"],
                str(e["id"]),
                md(e["kind"]),
                md(e["contract"]),
                "" if e["bill_id"] is None else str(e["bill_id"]),
                md(_pieces(e)),
                _amount(e, "reserved"),
                _amount(e, "posted"),
                e["currency"] or "",
                md(e["text"]),
            ]
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def _bars(document: Document) -> list[str]:
    """A line per week and currency: the week, a bar scaled to the currency's best week, the amount."""
    weeks = document["weeks"]
    codes = [t["currency"] for t in document["totals"]]
    if not codes:
        return [f"{w['week']}  (nothing earned)" for w in weeks]
    lines = []
    for index, code in enumerate(codes):
        amounts = [w["earned"][index] for w in weeks]
        top = max((a["amount_minor"] for a in amounts), default=0)
        width = max(len(a["amount"]) for a in amounts)
        for week, amount in zip(weeks, amounts, strict=True):
            lines.append(
                f"{week['week']}  {bar(amount['amount_minor'], top):<{BAR_WIDTH}}  {amount['amount']:>{width}} {code}"
            )
    return lines


def bar(value: int, top: int, width: int = BAR_WIDTH) -> str:
    """``value`` of ``top`` as a bar of block characters ``width`` cells long at most, to an
    eighth of a cell (integers only); anything above zero shows at least an eighth."""
    if value <= 0 or top <= 0:
        return ""
    eighths = max(1, value * width * 8 // top)
    return "█" * (eighths // 8) + (EIGHTHS[eighths % 8 - 1] if eighths % 8 else "")


# --------------------------------------------------------------------------- HTML

STYLE = """
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --line: #d9dee7; --bar: #2f6fdb; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  background: #fff; }
main { max-width: 60rem; margin: 0 auto; padding: 1.25rem 1rem 2rem; }
h1 { font-size: 1.45rem; margin: 0 0 .25rem; overflow-wrap: anywhere; }
h2 { font-size: 1.1rem; margin: 1.75rem 0 .5rem; }
p.period { color: var(--muted); margin: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: .35rem .5rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
td.num, th.num, td.date { text-align: right; white-space: nowrap; }
td.date { text-align: left; }
td.text { overflow-wrap: anywhere; min-width: 10rem; }
ul.notes { padding-left: 1.1rem; color: var(--muted); }
figure { margin: 0 0 1rem; }
figcaption { font-size: .85rem; color: var(--muted); }
svg { width: 100%; height: auto; max-width: 40rem; display: block; }
svg .bar { fill: var(--bar); }
svg text { font: 11px system-ui, sans-serif; fill: var(--ink); }
svg .axis { stroke: var(--line); }
p.empty { color: var(--muted); }
@media print { main { max-width: none; padding: 0; } .scroll { overflow: visible; } }
"""


def html(document: Document) -> str:
    """The statement as one self-contained HTML page: inline CSS, an inline SVG chart per
    currency, no script and no external resource."""
    title = f"Statement: {esc(_title(document))}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}, {esc(document['period'])}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{title}</h1>",
        f'<p class="period">Period {esc(_period(document))}</p>',
        "<h2>Totals</h2>",
        *_html_totals(document),
        "<h2>Earnings per week</h2>",
        *_charts(document),
        "<h2>Entries</h2>",
        *_html_entries(document),
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _html_totals(document: Document) -> list[str]:
    totals = document["totals"]
    if not totals:
        return ['<p class="empty">No accounts or contracts yet.</p>']
    head = "".join(f'<th class="num">{label}</th>' for _, label in TOTAL_COLUMNS)
    rows = []
    for t in totals:
        code = esc(t["currency"])
        cells = "".join(
            f'<td class="num" data-total="{key}" data-currency="{code}">{esc(t[key])}</td>' for key, _ in TOTAL_COLUMNS
        )
        hourly = f'<td class="num" data-total="effective_hourly" data-currency="{code}">{esc(_hourly(t))}</td>'
        rows.append(f'<tr><th scope="row">{code}</th>{cells}{hourly}</tr>')
    notes = [
        f"<li>{esc(t['currency'])}: earned by kind: {esc(_by_kind(t))}; pay per hour: {esc(t['bills_released'])} "
        f"released for the bills dated in the period over {esc(t['hours'])} hours</li>"
        for t in totals
    ]
    return [
        '<div class="scroll"><table class="totals">',
        f'<thead><tr><th scope="col">Currency</th>{head}<th class="num">Per hour</th></tr></thead>',
        "<tbody>",
        *rows,
        "</tbody></table></div>",
        '<ul class="notes">',
        *notes,
        "</ul>",
    ]


def _html_entries(document: Document) -> list[str]:
    entries = document["entries"]
    if not entries:
        return ['<p class="empty">No entries in this period.</p>']
    headers = ("Date", "Entry", "Kind", "Contract", "Bill", "Pieces", "Reserved", "Posted", "Cur", "Note or reason")
    numeric = {"Entry", "Bill", "Pieces", "Reserved", "Posted"}
    head = "".join(f'<th scope="col"{" class=num" if h in numeric else ""}>{h}</th>' for h in headers)
    rows = []
    for e in entries:
        cells = [
            f'<td class="date">{esc(e["date"])}</td>',
            f'<td class="num">{e["id"]}</td>',
            f"<td>{esc(e['kind'])}</td>",
            f"<td>{esc(e['contract'])}</td>",
            f'<td class="num">{"" if e["bill_id"] is None else e["bill_id"]}</td>',
            f'<td class="num">{esc(_pieces(e))}</td>',
            f'<td class="num">{esc(_amount(e, "reserved"))}</td>',
            f'<td class="num">{esc(_amount(e, "posted"))}</td>',
            f"<td>{esc(e['currency'])}</td>",
            f'<td class="text">{esc(e["text"])}</td>',
        ]
        rows.append(f'<tr data-entry="{e["id"]}">' + "".join(cells) + "</tr>")
    return [
        '<div class="scroll"><table class="entries">',
        f"<thead><tr>{head}</tr></thead>",
        "<tbody>",
        *rows,
        "</tbody></table></div>",
    ]


CHART_HEIGHT = 120  # the tallest bar, in the SVG's units
COLUMN = 44  # each week's column
TOP, BOTTOM = 18, 20  # room for the amount above a bar and the week below it


def _charts(document: Document) -> list[str]:
    """An SVG bar chart of earnings per ISO week for each currency (one without bars when
    the statement has no currency)."""
    weeks = document["weeks"]
    codes = [t["currency"] for t in document["totals"]] or [None]
    out = []
    for index, code in enumerate(codes):
        amounts = [w["earned"][index] if code is not None else None for w in weeks]
        out.append(_chart(weeks, amounts, code))
    return out


def _chart(weeks: list[Document], amounts: list[Document | None], code: str | None) -> str:
    width = max(1, len(weeks)) * COLUMN
    height = TOP + CHART_HEIGHT + BOTTOM
    top = max((a["amount_minor"] for a in amounts if a is not None), default=0)
    label = f"Earnings per ISO week{f', {code}' if code else ''}"
    shapes = [f'<line class="axis" x1="0" y1="{TOP + CHART_HEIGHT}" x2="{width}" y2="{TOP + CHART_HEIGHT}"/>']
    for place, (week, amount) in enumerate(zip(weeks, amounts, strict=True)):
        x = place * COLUMN
        minor = amount["amount_minor"] if amount is not None else 0
        tall = minor * CHART_HEIGHT // top if top > 0 and minor > 0 else 0
        if minor > 0:
            tall = max(tall, 1)
            y = TOP + CHART_HEIGHT - tall
            shapes.append(
                f'<rect class="bar" x="{x + 8}" y="{y}" width="{COLUMN - 16}" height="{tall}">'
                f"<title>{esc(week['week'])}: {esc(amount['amount'] if amount else '')} {esc(code)}</title></rect>"
            )
            shown = esc(amount["amount"] if amount else "")
            shapes.append(f'<text x="{x + COLUMN // 2}" y="{y - 4}" text-anchor="middle">{shown}</text>')
        shapes.append(
            f'<text x="{x + COLUMN // 2}" y="{height - 6}" text-anchor="middle">W{esc(week["week"][-2:])}</text>'
        )
    caption = esc(label) + ("" if top else ": nothing earned in this period")
    return (
        f'<figure><svg role="img" aria-label="{esc(label)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" data-currency="{esc(code or "")}"><title>{esc(label)}</title>'
        + "".join(shapes)
        + f"</svg><figcaption>{caption}</figcaption></figure>"
    )


# --------------------------------------------------------------------------- PDF


def require_pdf() -> None:
    """Refuse (exit 2) before anything is read when WeasyPrint, the pdf extra, is missing."""
    try:
        import weasyprint  # noqa: F401
    except ImportError as exc:
        from piecepay.errors import BadInput

        raise BadInput(f"pdf needs the pdf extra ({exc.name} is missing): {PDF_EXTRA}", "extra_missing") from None
    except OSError as exc:  # WeasyPrint is there but a system library it loads (Pango) is not
        from piecepay.errors import BadInput

        raise BadInput(f"pdf needs Pango, which WeasyPrint could not load ({exc})", "extra_missing") from None


def pdf(document: Document) -> bytes:
    """The HTML statement printed to PDF by WeasyPrint, fetching nothing from anywhere."""
    import weasyprint

    def refuse(url: str, *args: Any, **kwargs: Any) -> Any:
        raise ValueError(f"a statement fetches nothing ({url})")

    written = weasyprint.HTML(string=html(document), url_fetcher=refuse).write_pdf()
    assert written is not None
    return bytes(written)
