"""How each kind of result looks: headlines and columns, handed to the output sink."""

from __future__ import annotations

from typing import Any

import typer

from piecepay.cli import output
from piecepay.cli.state import globals_of

View = dict[str, Any]

HEADLINES = {
    "campaign": "Campaign {id}: {title} ({status})",
    "worker": "Worker {handle}",
    "offer": "Offer #{id}: {ref} at {rate} {currency} per {unit} ({status})",
    "contract": "Contract #{id}: {ref} at {rate} {currency} per {unit} ({status})",
    "milestone": "Milestone {seq} on {contract} ({status})",
    "bill": "Bill {id}: {pieces} {unit} x {rate} = {amount} {currency} on {contract} ({status})",
    "payout": "Payout to {worker}: {amount} {currency} (entry {id})",
}

FIELDS: dict[str, list[tuple[str, str]]] = {
    "campaign": [
        ("rate", "rate"),
        ("unit", "unit"),
        ("step", "step"),
        ("currency", "currency"),
        ("budget", "budget"),
        ("max_pieces", "piece limit"),
        ("workers", "workers"),
        ("milestone_cap", "milestone cap"),
        ("review_days", "review days"),
        ("deadline", "deadline"),
    ],
    "worker": [("name", "name"), ("email", "email")],
    "offer": [("max_pieces", "piece limit"), ("offered_at", "offered")],
    "contract": [
        ("funded", "funded"),
        ("reserved", "reserved"),
        ("released", "released"),
        ("refunded", "refunded"),
        ("escrow", "in escrow"),
        ("available", "available"),
        ("pieces_released", "pieces released"),
        ("pieces_pending", "pieces pending"),
        ("max_pieces", "piece limit"),
        ("accepted_on", "accepted"),
        ("ended_on", "ended"),
    ],
    "milestone": [
        ("top_up", "top-up"),
        ("cap", "cap"),
        ("cap_used", "cap used"),
        ("cap_left", "cap left"),
        ("opened_on", "opened"),
    ],
    "bill": [
        ("released_pieces", "pieces released"),
        ("released", "released"),
        ("reason", "reason"),
        ("note", "note"),
        ("minutes", "minutes"),
        ("proofs", "proofs"),
        ("date", "date"),
    ],
    "payout": [("owed", "still owed"), ("ref", "reference"), ("date", "date")],
}

COLUMNS: dict[str, list[tuple[str, str]]] = {
    "campaign": [
        ("id", "Campaign"),
        ("title", "Title"),
        ("rate", "Rate"),
        ("currency", "Cur"),
        ("unit", "Unit"),
        ("budget", "Budget"),
        ("workers", "Workers"),
        ("deadline", "Deadline"),
        ("status", "Status"),
    ],
    "worker": [("handle", "Handle"), ("name", "Name"), ("email", "Email")],
    "offer": [
        ("id", "#"),
        ("ref", "Campaign/worker"),
        ("rate", "Rate"),
        ("currency", "Cur"),
        ("unit", "Unit"),
        ("max_pieces", "Limit"),
        ("status", "Status"),
    ],
    "milestone": [
        ("seq", "#"),
        ("top_up", "Top-up"),
        ("cap", "Cap"),
        ("cap_used", "Used"),
        ("cap_left", "Left"),
        ("currency", "Cur"),
        ("opened_on", "Opened"),
        ("status", "Status"),
    ],
    "action": [
        ("action", "Action"),
        ("contract", "Contract"),
        ("bill_id", "Bill"),
        ("date", "Date"),
        ("amount", "Amount"),
        ("currency", "Cur"),
        ("status", "Status"),
        ("note", "Note"),
    ],
    "log": [
        ("id", "#"),
        ("date", "Date"),
        ("kind", "Kind"),
        ("contract", "Contract"),
        ("memo", "Memo"),
        ("actor", "Actor"),
    ],
}
NUMERIC = {
    "amount",
    "bill_id",
    "rate",
    "budget",
    "workers",
    "top_up",
    "cap",
    "cap_used",
    "cap_left",
    "id",
    "seq",
    "funded",
    "reserved",
    "released",
    "refunded",
    "escrow",
    "available",
    "pieces_billed",
    "pieces_pending",
    "pieces_released",
    "pieces_rejected",
    "paid_out",
    "owed",
}


def one(ctx: typer.Context, kind: str, view: View) -> None:
    """Print one created or changed record."""
    if globals_of(ctx).json:
        output.json_out(view)
        return
    headline = HEADLINES[kind].format_map(_Blank(view))
    output.object_out(view, headline, FIELDS[kind])


def many(ctx: typer.Context, kind: str, rows: list[View], title: str | None = None) -> None:
    """Print a listing."""
    if globals_of(ctx).json:
        output.json_out(rows)
        return
    if not rows:
        if output.to_terminal():  # unattended runs stay silent, so cron mails only news
            output.note(f"no {kind}s")
        return
    output.table_out(rows, COLUMNS[kind], title, tuple(NUMERIC))


REPORT_MONEY = [
    ("funded", "Funded"),
    ("released", "Released"),
    ("refunded", "Refunded"),
    ("reserved", "Reserved"),
    ("available", "Available"),
    ("escrow", "In escrow"),
]
REPORT_PIECES = [
    ("pieces_billed", "Billed"),
    ("pieces_released", "Released pcs"),
    ("pieces_pending", "Pending pcs"),
    ("pieces_rejected", "Rejected pcs"),
]
REPORT_LABELS = {
    "campaign": [("campaign", "Campaign"), ("unit", "Unit")],
    "contract": [("contract", "Contract"), ("status", "Status"), ("unit", "Unit")],
    "worker": [("worker", "Worker"), ("campaign", "Campaigns")],
}


def report(ctx: typer.Context, data: View, by: str, fmt: str | None) -> None:
    """The report as a table, JSON ({rows, totals}) or CSV (rows, then a total line per currency)."""
    mode = fmt or ("json" if globals_of(ctx).json else "table")
    extra = [("paid_out", "Paid out"), ("owed", "Owed")] if by == "worker" else []
    columns = REPORT_LABELS[by] + [("currency", "Cur")] + REPORT_MONEY + extra + REPORT_PIECES
    if mode == "json":
        output.json_out(data)
    elif mode == "csv":
        title = ["title"] if by == "campaign" else []
        keys = ["line", *[k for k, _ in columns][:1], *title, *[k for k, _ in columns][1:]]
        keys += [f"{k}_minor" for k, _ in REPORT_MONEY + extra]
        lines = [{"line": "row", **row} for row in data["rows"]]
        lines += [{"line": "total", **total} for total in data["totals"]]
        output.csv_out(lines, keys, NUMERIC | {k for k in keys if k.endswith("_minor")})
    else:
        output.table_out(data["rows"], columns, None, tuple(NUMERIC))
        if data["totals"]:
            output.table_out(data["totals"], [("currency", "Total"), *REPORT_MONEY], None, tuple(NUMERIC))


class _Blank(dict[str, Any]):
    """format_map source that shows missing or None fields as '-'."""

    def __init__(self, view: View) -> None:
        super().__init__({k: ("-" if v is None else v) for k, v in view.items()})

    def __missing__(self, key: str) -> str:
        return "-"
