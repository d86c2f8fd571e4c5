"""How each kind of result looks (headlines, fields, columns) and the sink that shows it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from piecepay.cli import output

if TYPE_CHECKING:
    from pathlib import Path

Document = dict[str, Any]

HEADLINES = {
    "campaign": "Campaign {id}: {title} ({status})",
    "worker": "Worker {handle}",
    "offer": "Offer #{id}: {ref} at {rate} {currency} per {unit} ({status})",
    "contract": "Contract #{id}: {ref} at {rate} {currency} per {unit} ({status})",
    "milestone": "Milestone {seq} on {contract} ({status})",
    "bill": "Bill {id}: {pieces} {units} x {rate} = {amount} {currency} on {contract} ({status})",
    "payout": "Payout to {worker}: {amount} {currency} (entry {id})",
    "bonus": "Bonus {id}: {amount} {currency} to {worker} on {contract} (from {source})",
    "time": "Time {id}: {minutes} minutes on {contract}",
    "fees": "Fees of {campaign}: {charged} {currency} on {payments} payments of {paid} {currency}",
    "token": "Token {id}: {name} ({role}, {state})",
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
        ("revision_days", "revision days"),
        ("reversal_days", "reversal days"),
        ("tiers", "tiers"),
        ("tier_period", "tier period"),
        ("fee", "fee"),
        ("fee_min", "fee minimum"),
        ("minimum_wage", "minimum wage /h"),
    ],
    "worker": [("name", "name"), ("email", "email")],
    "token": [("worker", "worker"), ("campaigns", "campaigns"), ("expires_on", "last day"), ("revoked_on", "revoked")],
    "offer": [("max_pieces", "piece limit"), ("tiers", "tiers"), ("offered_at", "offered")],
    "contract": [
        ("funded", "funded"),
        ("reserved", "reserved"),
        ("released", "released"),
        ("bonuses", "bonuses"),
        ("fees", "fees"),
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
    "bonus": [("reason", "reason"), ("makeup_period", "makes up"), ("date", "date"), ("entry", "entry")],
    "time": [("note", "note"), ("date", "date"), ("entry", "entry")],
    "fees": [
        ("fee", "fee"),
        ("fee_min", "fee minimum"),
        ("what_if", "what if"),
        ("what_if_min", "its minimum"),
        ("would_charge", "would charge"),
        ("difference", "difference"),
    ],
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
    "token": [
        ("id", "#"),
        ("name", "Name"),
        ("role", "Role"),
        ("worker", "Worker"),
        ("campaigns", "Campaigns"),
        ("expires_on", "Last day"),
        ("state", "State"),
    ],
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
    "bill": [
        ("id", "#"),
        ("contract", "Contract"),
        ("pieces", "Pieces"),
        ("unit", "Unit"),
        ("amount", "Amount"),
        ("currency", "Cur"),
        ("status", "Status"),
        ("released", "Released"),
        ("date", "Date"),
        ("age_days", "Age"),
        ("review_closes", "Closes"),
        ("note", "Note"),
        ("proofs", "Proofs"),
    ],
    "revision": [
        ("id", "#"),
        ("asked_on", "Asked"),
        ("reason", "Reason"),
        ("status", "Status"),
        ("resolved_on", "Ended"),
    ],
    "payee": [
        ("worker", "Worker"),
        ("name", "Name"),
        ("email", "Email"),
        ("currency", "Cur"),
        ("paid", "Paid"),
        ("payouts", "Payouts"),
        ("first_payout", "First"),
        ("last_payout", "Last"),
        ("over_threshold", "Over"),
    ],
    "payee_total": [("currency", "Total"), ("paid", "Paid"), ("payouts", "Payouts"), ("workers", "Workers")],
    "log": [
        ("id", "#"),
        ("date", "Date"),
        ("kind", "Kind"),
        ("contract", "Contract"),
        ("memo", "Memo"),
        ("actor", "Actor"),
    ],
}
# The columns of a listing as CSV, where they differ from its table's. A bill's pieces are
# "billed" there, and the reason its status has (a rejection's, a revision's, a partial or
# automatic release's) "status_reason": action, pieces and reason are left empty for the
# reviewer to fill.
CSV_COLUMNS: dict[str, list[str]] = {
    "bill": [
        "id",
        "contract",
        "billed",
        "unit",
        "amount",
        "currency",
        "status",
        "released",
        "status_reason",
        "date",
        "age_days",
        "review_closes",
        "note",
        "proofs",
        "action",
        "pieces",
        "reason",
    ],
    "payee": [
        "line",  # row, or total (one per currency)
        "worker",
        "name",
        "email",
        "currency",
        "paid",
        "paid_minor",
        "payouts",
        "first_payout",
        "last_payout",
        "over_threshold",
        "workers",
    ],
}
CSV_ROWS: dict[str, Any] = {
    "bill": lambda d: {**d, "billed": d["pieces"], "status_reason": d["reason"], "pieces": None, "reason": None}
}
FORMATS = ("table", "json", "csv", "jsonl")
NUMERIC = {
    "age_days",
    "billed",
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
    "bonuses",
    "fees",
    "refunded",
    "escrow",
    "available",
    "pieces_billed",
    "pieces_pending",
    "pieces_released",
    "pieces_rejected",
    "paid_out",
    "owed",
    "paid",
    "payouts",
}


class Sink:
    """Where every result goes: one JSON document with --json, else headlines and tables.

    The choice is made once, from the invocation's --json, and no command prints by hand.
    """

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def record(self, kind: str, document: Document) -> None:
        """One created or changed record."""
        if self.as_json:
            output.json_out(document)
            return
        headline = HEADLINES[kind].format_map(_Blank(document))
        output.object_out(document, headline, FIELDS[kind])

    def listing(
        self,
        kind: str,
        documents: list[Document],
        title: str | None = None,
        *,
        fmt: str | None = None,
        empty: str | None = None,
        paged: bool = False,
    ) -> None:
        """A listing as a table (the default), JSON (``--json``), CSV or JSON lines. An empty
        table says so (``empty``, or "no {kind}s") only to a person at a terminal: cron mails
        only news. ``paged``: a table longer than the terminal goes through a pager there."""
        mode = fmt or ("json" if self.as_json else "table")
        if mode == "json":
            output.json_out(documents)
        elif mode == "jsonl":
            for document in documents:
                output.json_line(document)
        elif mode == "csv":
            columns = CSV_COLUMNS.get(kind) or [key for key, _ in COLUMNS[kind]]
            shaped = CSV_ROWS.get(kind)
            output.csv_out([shaped(d) for d in documents] if shaped else documents, columns, NUMERIC)
        elif not documents:
            if output.to_terminal():
                output.note(empty or f"no {kind}s")
        else:
            output.table_out(documents, COLUMNS[kind], title, tuple(NUMERIC), paged=paged)

    def bill_detail(self, document: Document) -> None:
        """One bill with its fields, then the entries that moved it (``bill show``)."""
        if self.as_json:
            output.json_out(document)
            return
        headline = HEADLINES["bill"].format_map(_Blank(document))
        output.object_out(document, headline, [*FIELDS["bill"], ("review_closes", "review closes")])
        if document["revisions"]:
            output.table_out(document["revisions"], COLUMNS["revision"], "Revisions", tuple(NUMERIC))
        output.table_out(document["entries"], COLUMNS["log"], "Entries", tuple(NUMERIC))

    def done(self, document: Document, summary: str, fields: list[tuple[str, str]] | None = None) -> None:
        """What a command did: its document with --json, else a summary line (and fields)."""
        if self.as_json:
            output.json_out(document)
        else:
            output.object_out(document, summary, fields or [])

    def report(self, document: Document, by: str, fmt: str | None) -> None:
        """The report as a table, JSON ({rows, totals}), or CSV or JSON lines (rows, then a total
        line per currency, each marked by its ``line``)."""
        mode = fmt or ("json" if self.as_json else "table")
        extra = [("paid_out", "Paid out"), ("owed", "Owed")] if by == "worker" else []
        columns = REPORT_LABELS[by] + [("currency", "Cur")] + REPORT_MONEY + extra + REPORT_PIECES
        if mode == "json":
            output.json_out(document)
        elif mode == "jsonl":
            for line in rows_and_totals(document):
                output.json_line(line)
        elif mode == "csv":
            title = ["title"] if by == "campaign" else []
            keys = ["line", *[k for k, _ in columns][:1], *title, *[k for k, _ in columns][1:]]
            keys += [f"{k}_minor" for k, _ in REPORT_MONEY + extra]
            output.csv_out(rows_and_totals(document), keys, NUMERIC | {k for k in keys if k.endswith("_minor")})
        else:
            everything = [*document["rows"], *document["totals"]]
            output.table_out(document["rows"], paid_columns(columns, everything), None, tuple(NUMERIC))
            if document["totals"]:
                totals = paid_columns([("currency", "Total"), *REPORT_MONEY], everything)
                output.table_out(document["totals"], totals, None, tuple(NUMERIC))

    def payees(self, document: Document, fmt: str | None) -> None:
        """The year's payees as a table (rows, then totals per currency), JSON ({year,
        threshold, rows, totals}), or CSV or JSON lines (rows, then a total line per currency,
        each marked by its ``line``). No payouts: a table says so only at a terminal."""
        mode = fmt or ("json" if self.as_json else "table")
        if mode == "json":
            output.json_out(document)
        elif mode == "jsonl":
            for line in rows_and_totals(document):
                output.json_line(line)
        elif mode == "csv":
            output.csv_out(rows_and_totals(document), CSV_COLUMNS["payee"], NUMERIC | {"paid_minor"})
        elif not document["rows"]:
            if output.to_terminal():
                output.note(f"no payouts in {document['year']}")
        else:
            limit = f"{document['threshold']} {document['threshold_currency']}"
            title = f"Payees {document['year']} (over: {limit} or more)"
            output.table_out(document["rows"], COLUMNS["payee"], title, tuple(NUMERIC))
            output.table_out(document["totals"], COLUMNS["payee_total"], None, tuple(NUMERIC))

    def pay(self, document: Document, fmt: str | None) -> None:
        """Pay over a period as a table (titled by the period), JSON (the whole document), or
        its rows as CSV or JSON lines; an empty table says so only at a terminal."""
        mode = fmt or ("json" if self.as_json else "table")
        rows = document["rows"]
        if mode == "json":
            output.json_out(document)
        elif mode == "jsonl":
            for row in rows:
                output.json_line(row)
        elif mode == "csv":
            keys = [*PAY_CSV, *(f"{k}_minor" for k in PAY_MONEY)]
            output.csv_out(rows, keys, PAY_NUMERIC | {k for k in keys if k.endswith("_minor")})
        elif not rows:
            if output.to_terminal():
                output.note(f"no bills dated in {document['period']} ({document['from']} to {document['to']})")
        else:
            title = f"Pay {document['period']}: {document['from']} to {document['to']}"
            columns = paid_columns(PAY_COLUMNS, rows)
            if document["minimum_wage"] is not None:
                title += f", minimum wage {document['minimum_wage']} {document['wage_currency']}/h"
                columns = [*columns, ("shortfall", "Shortfall")]
            output.table_out(rows, columns, title, tuple(PAY_NUMERIC))

    def made_up(self, document: Document) -> None:
        """What a make-up run paid: the bonuses as a table (JSON: the whole document); a run
        that paid nothing says so."""
        if self.as_json:
            output.json_out(document)
            return
        wage = f"{document['minimum_wage']} {document['wage_currency']}/h"
        if not document["paid"]:
            output.line(f"nobody fell short of {wage} in {document['period']}: nothing paid")
            return
        title = f"Make-up to {wage} for {document['period']}: {document['from']} to {document['to']}"
        output.table_out(document["paid"], MAKEUP_COLUMNS, title, ("amount",))

    def statement(self, document: Document, fmt: str, target: Path | None) -> None:
        """A worker's statement as Markdown (the default), JSON, one HTML file or PDF, on
        stdout or written to ``target``; a file written is named on stderr."""
        from piecepay.export import statement as shown

        content: str | bytes
        if fmt == "json":
            from piecepay.text import json_text

            content = json_text(document, indent=2) + "\n"
        elif fmt == "html":
            content = shown.html(document)
        elif fmt == "pdf":
            content = shown.pdf(document)
        else:
            content = shown.markdown(document)
        if target is None:
            assert isinstance(content, str)
            output.document_out(content)
            return
        output.file_out(target, content)
        output.note(f"piecepay: statement of {document['worker']} for {document['period']} written to {target}")


MAKEUP_COLUMNS = [
    ("worker", "Worker"),
    ("contract", "Contract"),
    ("amount", "Paid"),
    ("currency", "Cur"),
    ("id", "Bonus"),
    ("entry", "Entry"),
]


SOMETIMES_PAID = ("bonuses", "fees")  # a table's columns that show only when some row has any


def paid_columns(columns: list[tuple[str, str]], rows: list[Document]) -> list[tuple[str, str]]:
    """``columns`` for a table of ``rows``, but for bonuses and fees where no row has any (CSV
    and JSON keep every column, so scripts see the same ones)."""
    unpaid = {key for key in SOMETIMES_PAID if not any(row.get(f"{key}_minor") for row in rows)}
    return [(key, label) for key, label in columns if key not in unpaid]


def rows_and_totals(document: Document) -> list[Document]:
    """A document's rows, then its totals, each line marked as one or the other (``line``):
    how the report and the payees go out as CSV or JSON lines."""
    return [{"line": "row", **row} for row in document["rows"]] + [
        {"line": "total", **total} for total in document["totals"]
    ]


REPORT_MONEY = [
    ("funded", "Funded"),
    ("released", "Released"),
    ("bonuses", "Bonuses"),
    ("fees", "Fees"),
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

PAY_COLUMNS = [
    ("worker", "Worker"),
    ("currency", "Cur"),
    ("bills", "Bills"),
    ("pieces_billed", "Billed"),
    ("pieces_released", "Released pcs"),
    ("released", "Released"),
    ("bonuses", "Bonuses"),
    ("pending", "Pending"),
    ("minutes", "Minutes"),
    ("bills_without_minutes", "Untimed bills"),
    ("hours", "Hours"),
    ("effective_hourly", "Per hour"),
]
PAY_MONEY = ("released", "bonuses", "pending", "effective_hourly", "shortfall")
PAY_CSV = ["period", *(key for key, _ in PAY_COLUMNS), "shortfall"]
PAY_NUMERIC = {key for key, _ in PAY_COLUMNS[2:]} | {"shortfall"}


class _Blank(dict[str, Any]):
    """format_map source that shows missing or None fields as '-'."""

    def __init__(self, document: Document) -> None:
        super().__init__({k: ("-" if v is None else v) for k, v in document.items()})
        if isinstance(document.get("pieces"), str) and isinstance(document.get("unit"), str):
            from decimal import Decimal

            from piecepay.models import units
            from piecepay.money import pieces_to_milli

            self["units"] = units(pieces_to_milli(Decimal(document["pieces"])), document["unit"])

    def __missing__(self, key: str) -> str:
        return "-"
