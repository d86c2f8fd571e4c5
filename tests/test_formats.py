"""Every listing in four forms: a table, JSON, CSV and JSON lines, each holding the same rows."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from tests.conftest import Ledger, with_contract

BOTH_STORES = True

LISTINGS = [
    ("campaign", "list"),
    ("worker", "list"),
    ("offer", "list"),
    ("milestone", "list", "photos/ana"),
    ("bill", "list"),
    ("log",),
    ("report",),
    ("report", "--by", "contract"),
    ("report", "--by", "worker"),
    ("sweep", "--dry-run", "--warn-days", "30"),
]


@pytest.fixture
def busy(ledger: Ledger) -> Ledger:
    """A contract with a milestone, three bills (one released), and a second worker."""
    ledger.today = "2026-11-01"
    with_contract(ledger)
    ledger.ok("worker", "add", "bo")
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "100")
    for pieces in ("1", "2", "3"):
        ledger.ok("bill", "photos/ana", "--pieces", pieces, "--note", "=1+1")
    ledger.ok("release", "1")
    ledger.today = "2026-11-12"  # the pending bills' windows close within the sweep's warning
    return ledger


def rows_of(document: Any) -> list[dict[str, Any]]:
    """A listing's rows as JSON gives them (a report: its rows, then its totals)."""
    if isinstance(document, dict):
        return [*document["rows"], *document["totals"]]
    return list(document)


@pytest.mark.parametrize("listing", LISTINGS, ids=" ".join)
def test_the_four_forms_hold_the_same_rows(busy: Ledger, listing: tuple[str, ...]) -> None:
    as_json = busy.run(*listing, "--format", "json")
    assert as_json.code == 0, as_json.err
    expected = rows_of(json.loads(as_json.out))
    assert expected, "the listing is empty: nothing is compared"
    assert busy.run(*listing, "--json").out == as_json.out  # --json stays the shorthand

    lines = busy.run(*listing, "--format", "jsonl").out.splitlines()
    parsed = [json.loads(line) for line in lines]
    assert [{k: v for k, v in row.items() if k != "line"} for row in parsed] == expected

    table = csv.reader(io.StringIO(busy.run(*listing, "--format", "csv").out))
    header, *rows = list(table)
    assert len(rows) == len(expected) and all(len(row) == len(header) for row in rows)
    if "id" in header:
        assert [row[header.index("id")] for row in rows] == [str(row["id"]) for row in expected]

    shown = busy.run(*listing, "--format", "table").out.splitlines()
    assert len([line for line in shown if line.strip()]) >= len(expected) + 1  # a header and every row


@pytest.mark.parametrize("listing", LISTINGS, ids=" ".join)
def test_an_unknown_format_is_refused(busy: Ledger, listing: tuple[str, ...]) -> None:
    before = busy.dump()
    result = busy.run("--json", *listing, "--format", "xml")
    assert result.code == 2 and json.loads(result.err)["error"]["code"] == "bad_format"
    assert busy.dump() == before
