"""Exports: stable columns, no formulas, incremental cursors, journals the tools accept."""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, Ledger

BOTH_STORES = True  # every test here runs on a file and on PostgreSQL

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def month(ledger: Ledger) -> Ledger:
    assert ledger.run("demo", "--quiet").code == 0
    return ledger


def test_csv_has_stable_columns_and_one_row_per_posting(month: Ledger, tmp_path: Path) -> None:
    out = tmp_path / "journal.csv"
    assert month.run("export", "--format", "csv", "--out", str(out)).code == 0
    rows = list(csv.DictReader(out.open(newline="")))
    assert list(rows[0]) == [
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
    ]
    assert len(rows) == month.query("SELECT COUNT(*) FROM postings")[0][0]
    first = rows[0]
    assert (first["kind"], first["account"], first["amount"], first["amount_minor"]) == (
        "top_up",
        "client",
        "100.00",
        "10000",
    )
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def _formula_cells(rows: list[list[str]]) -> list[str]:
    return [c for row in rows for c in row if c.startswith(TRIGGERS) and not c.lstrip("-").replace(".", "").isdigit()]


def test_no_csv_cell_starts_with_a_formula_trigger(ledger: Ledger, tmp_path: Path) -> None:
    ledger.ok("campaign", "create", '=HYPERLINK("http://evil","click")', "--slug", "photos", "--rate", "5")
    ledger.ok("worker", "add", "ana", "--name", "+cmd")
    ledger.ok("offer", "create", "photos", "ana")
    ledger.ok("offer", "accept", "photos/ana")
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "50")
    first = ledger.ok("bill", "--pieces", "2", "--note", "@SUM(A1:A9)")
    ledger.ok("reject", str(first["id"]), "--reason", "-1+1")
    second = ledger.ok("bill", "--pieces", "1", "--note", "+cmd|' /C calc'!A0")
    ledger.run("--actor", "=actor", "reject", str(second["id"]), "--reason", '=HYPERLINK("http://evil")')
    out = tmp_path / "e.csv"
    assert ledger.run("--actor", "@admin", "export", "--out", str(out)).code == 0
    rows = list(csv.reader(out.open(newline="")))
    memos = [row[14] for row in rows[1:]]
    assert any("@SUM" in m for m in memos) and any("-1+1" in m for m in memos)
    actors = {row[15] for row in rows[1:]}
    assert "'=actor" in actors
    assert _formula_cells(rows) == []
    report = ledger.run("report", "--format", "csv")
    report_rows = list(csv.reader(report.out.splitlines()))
    assert report_rows[1][2] == '\'=HYPERLINK("http://evil","click")'
    assert _formula_cells(report_rows) == []
    negative = ledger.run("report", "--by", "contract", "--format", "csv")
    assert _formula_cells(list(csv.reader(negative.out.splitlines()))) == []


def test_jsonl_is_one_entry_per_line_with_its_postings(month: Ledger) -> None:
    result = month.run("export", "--format", "jsonl")
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert [e["entry_id"] for e in lines] == list(range(1, len(lines) + 1))
    release = next(e for e in lines if e["kind"] == "release")
    assert {p["phase"] for p in release["postings"]} == {"pending", "posted"}
    assert f"exported {len(month.ok('log'))} entries" in result.err
    assert {e["kind"] for e in lines if not e["postings"]} <= {
        "checkpoint",
        "campaign_created",
        "worker_added",
        "offer_created",
        "offer_accepted",
        "offer_declined",
        "offer_withdrawn",
        "campaign_paused",
        "campaign_resumed",
        "campaign_closed",
        "milestone_opened",
        "contract_ended",
        "key_recorded",
    }


def test_incremental_export_sends_each_entry_once(contract: Ledger, tmp_path: Path) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "50")
    contract.ok("bill", "--pieces", "2")
    first = contract.ok("export", "--format", "jsonl", "--cursor", "nightly", "--out", str(tmp_path / "1.jsonl"))
    head = len(contract.ok("log"))
    assert (first["entries"], first["cursor_at"], first["ledger_entries"]) == (head, head, head)
    again = contract.ok("export", "--format", "jsonl", "--cursor", "nightly", "--out", str(tmp_path / "2.jsonl"))
    assert again["entries"] == 0 and (tmp_path / "2.jsonl").read_text() == ""
    contract.ok("release", "1")
    contract.ok("bill", "--pieces", "1")
    third = contract.ok("export", "--format", "jsonl", "--cursor", "nightly", "--out", str(tmp_path / "3.jsonl"))
    ids = [json.loads(line)["entry_id"] for line in (tmp_path / "3.jsonl").read_text().splitlines()]
    assert (third["entries"], ids) == (2, [head + 1, head + 2])
    other = contract.ok("export", "--format", "jsonl", "--cursor", "weekly", "--out", str(tmp_path / "w.jsonl"))
    assert other["entries"] == head + 2


def test_a_failed_export_does_not_move_the_cursor(contract: Ledger, tmp_path: Path) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "50")
    missing = tmp_path / "no-such-folder" / "e.csv"
    assert contract.run("export", "--cursor", "c", "--out", str(missing)).code == 2
    assert contract.ok("export", "--cursor", "c", "--out", str(tmp_path / "e.csv"))["entries"] == len(
        contract.ok("log")
    )


def _report_figures(ledger: Ledger) -> dict[str, dict[str, int]]:
    totals = {t["currency"]: t for t in ledger.ok("report")["totals"]}
    workers = ledger.ok("report", "--by", "worker")["rows"]
    owed: dict[str, int] = {}
    for row in workers:
        owed[row["currency"]] = owed.get(row["currency"], 0) + row["owed_minor"]
    return {
        cur: {"escrow": t["escrow_minor"], "expense": t["released_minor"], "owed": owed.get(cur, 0)}
        for cur, t in totals.items()
    }


def _minor(text: str, digits: int) -> int:
    whole, _, frac = text.replace(",", "").partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole or "0")) * 10**digits + int((frac + "0" * digits)[:digits] or "0"))


@pytest.mark.skipif(shutil.which("hledger") is None and not os.environ.get("CI"), reason="hledger not installed")
def test_hledger_accepts_the_journal_and_agrees_with_the_report(month: Ledger, tmp_path: Path) -> None:
    journal = tmp_path / "books.journal"
    assert month.run("export", "--format", "hledger", "--out", str(journal)).code == 0
    check = subprocess.run(["hledger", "-f", str(journal), "check", "-s"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    expected = _report_figures(month)
    for account, figure, sign in (
        ("Assets:Escrow", "escrow", 1),
        ("Expenses:PieceWork", "expense", 1),
        ("Liabilities:Workers", "owed", -1),
    ):
        out = subprocess.run(
            ["hledger", "-f", str(journal), "bal", account, "--depth", "2", "-N", "-O", "csv"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        amounts = [a.split() for row in csv.reader(out.splitlines()[1:]) for a in row[1].split(", ") if a != "0"]
        seen = {currency: number for number, currency in amounts}
        for currency, figures in expected.items():
            digits = 0 if currency == "JPY" else 2
            assert sign * _minor(seen.get(currency, "0"), digits) == figures[figure], (account, currency, seen)


def test_beancount_accepts_the_ledger_and_agrees_with_the_report(month: Ledger, tmp_path: Path) -> None:
    loader = pytest.importorskip("beancount.loader")
    realization = pytest.importorskip("beancount.core.realization")
    path = tmp_path / "books.beancount"
    assert month.run("export", "--format", "beancount", "--out", str(path)).code == 0
    entries, errors, _options = loader.load_file(str(path))
    assert errors == []
    assert any(type(e).__name__ == "Balance" for e in entries)  # assertions were written and passed
    root = realization.realize(entries)
    expected = _report_figures(month)
    for account, figure, sign in (
        ("Assets:Escrow", "escrow", 1),
        ("Expenses:PieceWork", "expense", 1),
        ("Liabilities:Workers", "owed", -1),
    ):
        balance = realization.compute_balance(realization.get(root, account))
        for currency, figures in expected.items():
            digits = 0 if currency == "JPY" else 2
            units = balance.get_currency_units(currency).number
            assert sign * int(units.scaleb(digits)) == figures[figure], (account, currency)
    bean_check = Path(sys.executable).with_name("bean-check")
    command = [str(bean_check)] if bean_check.exists() else [sys.executable, "-m", "beancount.scripts.check"]
    check = subprocess.run([*command, str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_export_killed_mid_write_leaves_old_or_complete_file(month: Ledger, tmp_path: Path) -> None:
    target = tmp_path / "books.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "piecepay", "--db", str(month.db), "export", "--format", "jsonl", "--out", str(target)]
    rng = random.Random(7)
    kills = 0
    entries = len(month.ok("log"))
    for _ in range(25):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(rng.uniform(0.05, 0.35))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
        if target.exists():
            lines = target.read_text().splitlines()
            assert len(lines) == entries and all(json.loads(line)["entry_id"] for line in lines)
    assert kills > 0
    assert month.run("export", "--format", "jsonl", "--out", str(target)).code == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_backup_while_another_process_bills(contract: Ledger, tmp_path: Path) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "1000")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    script = (
        "import sys\nfrom piecepay.cli import main\n"
        f"for _ in range(40): main(['--db', {str(contract.db)!r}, 'bill', 'photos/ana', '--pieces', '1'])\n"
    )
    biller = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL, env=env)
    copies = []
    while biller.poll() is None and len(copies) < 5:
        copy = tmp_path / f"backup-{len(copies)}.db"
        result = contract.run("--json", "backup", str(copy))
        assert result.code == 0, result.err
        copies.append((copy, result.json["entries"]))
    biller.wait(timeout=120)
    assert copies
    for copy, entries in copies:
        assert Ledger(copy).run("verify").code == 0
        assert not copy.with_name(copy.name + "-wal").exists()
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
        assert entries >= 1


def test_atomic_writer_killed_at_any_moment_leaves_old_or_whole(tmp_path: Path) -> None:
    target = tmp_path / "big.txt"
    target.write_text("old\n")
    lines = 200_000
    script = (
        "import sys\nfrom pathlib import Path\nfrom piecepay.files import atomic_text\n"
        f"with atomic_text(Path({str(target)!r})) as out:\n"
        f"    for n in range({lines}):\n"
        "        out.write(f'line {n}\\n')\n"
        "        if n % 5000 == 0: out.flush()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rng = random.Random(11)
    outcomes = set()
    for _ in range(20):
        proc = subprocess.Popen([sys.executable, "-c", script], env=env)
        time.sleep(rng.uniform(0.02, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        text = target.read_text()
        assert text == "old\n" or (text.count("\n") == lines and text.endswith(f"line {lines - 1}\n"))
        outcomes.add("old" if text == "old\n" else "new")
        target.write_text("old\n")
    assert "old" in outcomes  # some kills landed before the rename
    subprocess.run([sys.executable, "-c", script], env=env, check=True)
    assert target.read_text().count("\n") == lines
    assert [p.name for p in tmp_path.iterdir()] == ["big.txt"]  # the next run swept the dead writers' files
