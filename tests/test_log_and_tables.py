"""`log`'s filters and order, the pager, and tables that fit a narrow terminal without
splitting an amount, an id or a date."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import Ledger, initialised, run_in_terminal, with_contract

ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


@pytest.fixture
def history(tmp_path: Path) -> Ledger:
    """Two campaigns; ana works on both, bo on one; bills, releases and a payout over November."""
    ledger = initialised(tmp_path / "ledger.db")
    ledger.today = "2026-11-01"
    with_contract(ledger)
    ledger.ok("campaign", "create", "Rows", "--slug", "rows", "--unit", "row", "--rate", "0.5")
    ledger.ok("worker", "add", "bo")
    for campaign, worker in (("rows", "ana"), ("photos", "bo")):
        ledger.ok("offer", "create", campaign, worker)
        ledger.ok("offer", "accept", f"{campaign}/{worker}")
    for ref in ("photos/ana", "rows/ana", "photos/bo"):
        ledger.ok("milestone", "add", ref, "--top-up", "1000")
    ledger.ok("bill", "photos/ana", "--pieces", "2", "--date", "2026-11-01")
    ledger.today = "2026-11-10"
    ledger.ok("bill", "rows/ana", "--pieces", "10", "--date", "2026-11-05")
    ledger.ok("bill", "photos/bo", "--pieces", "1", "--date", "2026-11-10")
    ledger.ok("release", "1", "--date", "2026-11-10")
    ledger.ok("release", "2", "--date", "2026-11-10")
    ledger.ok("payout", "ana", "--date", "2026-11-10")
    return ledger


def kinds(ledger: Ledger, *args: str) -> list[tuple[str, str | None]]:
    result = ledger.run("log", *args, "--format", "json")
    assert result.code == 0, result.err
    return [(e["kind"], e["contract"]) for e in json.loads(result.out)]


def test_worker_campaign_and_kind_filters(history: Ledger) -> None:
    ana = kinds(history, "--worker", "ana")
    assert ("payout", None) in ana  # a payout names no contract; it is ana's all the same
    assert {ref for _, ref in ana} == {"photos/ana", "rows/ana", None}
    assert {ref for _, ref in kinds(history, "--worker", "bo")} == {"photos/bo"}
    assert {ref for _, ref in kinds(history, "--campaign", "rows")} == {"rows/ana"}
    assert kinds(history, "--kind", "release") == [("release", "photos/ana"), ("release", "rows/ana")]
    assert kinds(history, "--kind", "bill", "--worker", "ana", "--campaign", "photos") == [("bill", "photos/ana")]


def test_dates_are_inclusive_at_both_ends_and_reverse_turns_the_order(history: Ledger) -> None:
    assert [k for k, _ in kinds(history, "--kind", "bill", "--from", "2026-11-05", "--to", "2026-11-05")] == ["bill"]
    assert len(kinds(history, "--kind", "bill", "--from", "2026-11-02", "--to", "2026-11-09")) == 1
    assert len(kinds(history, "--kind", "bill", "--from", "2026-11-01")) == 3
    assert kinds(history, "--kind", "bill", "--to", "2026-10-31") == []
    forward = kinds(history)
    assert kinds(history, "--reverse") == forward[::-1]
    assert kinds(history, "--reverse", "--last", "2") == forward[-2:][::-1]
    assert kinds(history, "--kind", "release", "--last", "1") == [("release", "rows/ana")]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--kind", "bogus"), "bad_kind"),
        (("--from", "2026-11-10", "--to", "2026-11-09"), "bad_date_range"),
        (("--from", "11/10/2026"), "bad_date"),
        (("--worker", "nobody"), "worker_not_found"),
        (("--campaign", "nothing"), "campaign_not_found"),
    ],
)
def test_bad_filters_are_refused(history: Ledger, args: tuple[str, ...], code: str) -> None:
    result = history.run("--json", "log", *args)
    assert result.code in (2, 3) and json.loads(result.err)["error"]["code"] == code


def test_a_long_log_goes_through_the_pager_in_a_terminal_and_a_short_one_does_not(history: Ledger) -> None:
    env = {"PAGER": "echo PAGED-BY-PAGER; cat", "LINES": "10", "COLUMNS": "100"}
    code, shown, err = run_in_terminal(history.db, ("log",), env, interactive=True)
    assert code == 0, err
    assert "PAGED-BY-PAGER" in shown and "payout" in shown
    code, shown, err = run_in_terminal(history.db, ("log", "--last", "2"), env, interactive=True)
    assert code == 0, err
    assert "PAGED-BY-PAGER" not in shown and "payout" in shown


def _scalars(document: object) -> set[str]:
    """Every number, date and id a JSON document holds, as text."""
    if isinstance(document, dict):
        return set().union(*(_scalars(v) for v in document.values())) if document else set()
    if isinstance(document, list):
        return set().union(*(_scalars(v) for v in document)) if document else set()
    return {str(document)}


@pytest.mark.parametrize("command", [("report", "--by", "contract"), ("report",), ("bill", "list")])
def test_a_table_fits_80_columns_and_never_splits_an_amount_an_id_or_a_date(
    history: Ledger, command: tuple[str, ...]
) -> None:
    values = _scalars(json.loads(history.run(*command, "--format", "json").out))
    code, shown, err = run_in_terminal(history.db, command, {"COLUMNS": "80", "PIECEPAY_TODAY": "2026-11-10"})
    assert code == 0, err
    lines = [ANSI.sub("", line) for line in shown.replace("\r", "").splitlines()]
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    numbers = re.findall(r"(?<![\w.-])[0-9][0-9.-]*", "\n".join(lines))
    assert numbers, "no figures shown"
    assert all(number in values for number in numbers), [n for n in numbers if n not in values]
    if "left out" in err:
        assert "--format csv shows all" in err


def test_a_narrow_log_shortens_memos_and_keeps_ids_and_dates_whole(history: Ledger) -> None:
    entries = json.loads(history.run("log", "--format", "json").out)
    code, shown, err = run_in_terminal(history.db, ("log",), {"COLUMNS": "72", "PIECEPAY_TODAY": "2026-11-10"})
    assert code == 0, err
    lines = [ANSI.sub("", line) for line in shown.replace("\r", "").splitlines()]
    assert all(len(line) <= 72 for line in lines)
    rows = re.findall(r"^│\s+([0-9]+)\s+│\s+([0-9]{4}-[0-9]{2}-[0-9]{2})\s+│", "\n".join(lines), re.M)
    assert rows == [(str(e["id"]), e["date"]) for e in entries]
    assert "…" in shown  # the memos were shortened to fit
