"""CSV (one row per posting) and JSON lines (one entry per line), with stable columns."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

from piecepay.export.entries import ExportEntry
from piecepay.money import format_minor
from piecepay.text import json_text, visible

CSV_COLUMNS = (
    "entry_id",
    "date",
    "recorded_at",
    "kind",
    "campaign",
    "contract",
    "worker",
    "bill_id",
    "account",
    "side",
    "phase",
    "currency",
    "amount",
    "amount_minor",
    "memo",
    "actor",
    "hash",
)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMERIC_COLUMNS = frozenset({"amount", "amount_minor"})


def safe_cell(value: Any) -> str:
    """A free-text CSV cell no spreadsheet runs as a formula (it never starts with = + - @ tab
    or CR, even when it reads like a number) and no terminal obeys (unsafe characters escaped)."""
    text = "" if value is None else visible(str(value))
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def write_csv(entries: Iterable[ExportEntry], stream: IO[str]) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        for p in e.postings:
            writer.writerow(
                [
                    str(v) if name in NUMERIC_COLUMNS else safe_cell(v)
                    for name, v in zip(
                        CSV_COLUMNS,
                        (
                            e.id,
                            e.date,
                            e.recorded_at,
                            e.kind,
                            e.campaign,
                            e.contract,
                            e.worker,
                            e.bill_id,
                            p.account,
                            p.side,
                            p.phase,
                            p.currency,
                            format_minor(p.amount, p.digits),
                            p.amount,
                            e.memo,
                            e.actor,
                            e.hash,
                        ),
                        strict=True,
                    )
                ]
            )


def entry_document(e: ExportEntry) -> dict[str, Any]:
    """One entry as its JSON-lines object."""
    return {
        "entry_id": e.id,
        "date": e.date,
        "recorded_at": e.recorded_at,
        "kind": e.kind,
        "campaign": e.campaign,
        "contract": e.contract,
        "worker": e.worker,
        "bill_id": e.bill_id,
        "memo": e.memo,
        "actor": e.actor,
        "hash": e.hash,
        "postings": [
            {
                "account": p.account,
                "side": p.side,
                "phase": p.phase,
                "currency": p.currency,
                "amount": format_minor(p.amount, p.digits),
                "amount_minor": p.amount,
            }
            for p in e.postings
        ],
    }


def write_jsonl(entries: Iterable[ExportEntry], stream: IO[str]) -> None:
    for e in entries:
        stream.write(json_text(entry_document(e)) + "\n")
