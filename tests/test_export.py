"""Exports: stable columns, no formulas, incremental cursors, journals the tools accept."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from piecepay.export.entries import ExportEntry, ExportPosting
from tests.conftest import ROOT, Ledger, run_cli

BOTH_STORES = True  # every test here runs on a file and on PostgreSQL

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def month(ledger: Ledger) -> Ledger:
    """The demo's month, then a revision resubmitted for fewer rows (a reservation cut) and a
    rejection reversed (a release from escrow after all) in the week after."""
    assert ledger.run("demo", "--quiet").code == 0
    ledger.today = "2026-11-06"
    (revised,) = ledger.ok("bill", "list", "--status", "pending", "--contract", "menus/dara")
    ledger.ok("revise", str(revised["id"]), "--reason", "two rows are blank")
    ledger.ok("resubmit", str(revised["id"]), "--pieces", "1500")
    rejected = ledger.ok("bill", "menus/dara", "--pieces", "200")["id"]
    ledger.ok("reject", str(rejected), "--reason", "wrong sheet")
    assert ledger.ok("release", str(rejected))["status"] == "released"
    return ledger


PINNED = ROOT / "tests" / "data" / "export"

# Any text a tampered or older ledger might hold: controls, bidi, separators, surrogates,
# quotes, commas, formula triggers.
HOSTILE_TEXT = st.text(
    st.one_of(
        st.sampled_from(list(",\"'\\=+-@\t\r\n\x1b\x85\u202e\u2028\ud800 ")),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=12,
)
NAMES = st.one_of(st.none(), HOSTILE_TEXT)


@st.composite
def export_entries(draw: st.DrawFn) -> ExportEntry:
    postings = draw(
        st.lists(
            st.builds(
                ExportPosting,
                HOSTILE_TEXT,
                HOSTILE_TEXT,
                HOSTILE_TEXT,
                HOSTILE_TEXT,
                st.integers(0, 4),
                st.integers(-(2**63), 2**63 - 1),
            ),
            max_size=4,
        )
    )
    return ExportEntry(
        draw(st.integers(1, 2**63 - 1)),
        *(draw(HOSTILE_TEXT) for _ in range(3)),
        draw(NAMES),
        draw(NAMES),
        draw(st.one_of(st.none(), st.integers(1, 2**63 - 1))),
        draw(st.one_of(st.none(), st.integers(1, 2**63 - 1))),
        *(draw(HOSTILE_TEXT) for _ in range(3)),
        tuple(postings),
    )


@settings(max_examples=500, deadline=None)
@given(st.one_of(HOSTILE_TEXT, st.text(st.sampled_from(" a\t\x7f"), max_size=6)))
def test_journal_text_is_one_visible_line(text: str) -> None:
    from piecepay.export.journals import _one_line
    from piecepay.text import visible

    assert _one_line(text) == " ".join(visible(text).split())


def _csv_as_the_csv_module_writes_it(entries: list[ExportEntry]) -> str:
    """What write_csv promises: csv.writer rows of safe_cell(value), amounts as they are."""
    from piecepay.export.tabular import CSV_COLUMNS, safe_cell
    from piecepay.money import format_minor

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        for p in e.postings:
            values = (e.id, e.date, e.recorded_at, e.kind, e.campaign, e.contract, e.worker, e.bill_id, p.account)
            values += (p.side, p.phase, p.currency, format_minor(p.amount, p.digits), p.amount, e.memo, e.actor, e.hash)
            writer.writerow([str(v) if n in (12, 13) else safe_cell(v) for n, v in enumerate(values)])
    return out.getvalue()


@settings(max_examples=300, deadline=None)
@given(st.lists(export_entries(), max_size=6))
def test_csv_rows_are_what_the_csv_module_writes(entries: list[ExportEntry]) -> None:
    from piecepay.export.tabular import write_csv

    out = io.StringIO()
    write_csv(iter(entries), out)
    assert out.getvalue() == _csv_as_the_csv_module_writes_it(entries)


@settings(max_examples=300, deadline=None)
@given(st.lists(export_entries(), max_size=6))
def test_json_lines_are_the_standard_encoding_of_each_entry(entries: list[ExportEntry]) -> None:
    from piecepay.export.tabular import entry_document, write_jsonl
    from piecepay.text import json_text

    out = io.StringIO()
    write_jsonl(iter(entries), out)
    assert out.getvalue() == "".join(json_text(entry_document(e)) + "\n" for e in entries)
    assert [json.loads(line)["entry_id"] for line in out.getvalue().splitlines()] == [e.id for e in entries]


def pinned_ledger(where: Path | str) -> Ledger:
    """A small ledger written at a fixed clock, so its exports are the same bytes on every run
    and on either store: three currencies, names the books must rewrite, notes with quotes,
    backslashes, line breaks and formula triggers, effective dates out of entry order, a
    partial release, a rejection, payouts and an ended contract (its refund)."""
    from piecepay.locations import ledger_location
    from piecepay.operations.bills import BillRequest, bill, reject, release
    from piecepay.operations.campaigns import CampaignTerms, create_campaign
    from piecepay.operations.contracts import end_contract
    from piecepay.operations.milestones import add_milestone
    from piecepay.operations.offers import accept_offer, create_offer
    from piecepay.operations.payouts import payout
    from piecepay.operations.workers import add_worker
    from piecepay.session import new_ledger, open_session

    place = ledger_location(str(where))
    now = datetime(2025, 3, 31, 9, 30, tzinfo=UTC)
    new_ledger(place, "=clerk", now, date(2025, 1, 6))
    s = open_session(place, "=clerk", now, date(2025, 1, 6), write=True)
    try:
        create_campaign(s, CampaignTerms("Restaurant photos", "photos", "photo", Decimal("0.25"), "USD"))
        create_campaign(s, CampaignTerms("Audio minutes", "9-minutes", "minute", Decimal(3), "JPY", Decimal("0.5")))
        create_campaign(s, CampaignTerms("Rows", "rows", "row", Decimal("0.005"), "KWD"))
        for handle in ("ana", "bo.b", "9lives"):
            add_worker(s, handle)
        for campaign, worker in (("photos", "ana"), ("photos", "bo.b"), ("9-minutes", "ana"), ("rows", "9lives")):
            create_offer(s, campaign, worker)
            accept_offer(s, f"{campaign}/{worker}")
            add_milestone(s, f"{campaign}/{worker}", top_up=Decimal(40), day=date(2025, 1, 6))
        s.today = date(2025, 3, 31)
        notes = (
            'say "cheese"',
            "C:\\photos\\a.jpg",
            "=SUM(A1:A9)",
            "two\nlines\tand a tab",
            "caf\u00e9 \u2013 \u00fcn\u00ef",
        )
        for n, (contract, day) in enumerate(
            (
                ("photos/ana", date(2025, 3, 3)),
                ("photos/bo.b", date(2025, 2, 1)),
                ("9-minutes/ana", date(2025, 3, 3)),
                ("rows/9lives", date(2025, 1, 20)),
                ("photos/ana", date(2025, 1, 9)),
                ("9-minutes/ana", date(2025, 2, 14)),
            )
        ):
            pieces = Decimal(n + 1) if contract != "9-minutes/ana" else Decimal("2.5")
            state = bill(s, BillRequest(contract, pieces, note=notes[n % len(notes)], day=day))
            if n == 1:
                reject(s, state.bill.id, "+blurred, see @ops", date(2025, 2, 3))
            elif n == 4:
                release(s, state.bill.id, Decimal(2), date(2025, 3, 20))
            elif n != 5:
                release(s, state.bill.id, None, date(2025, 3, 4))
        payout(s, "ana", amount=Decimal("0.5"), currency="USD", ref="-1 transfer", day=date(2025, 3, 25))
        payout(s, "ana", currency="JPY", day=date(2025, 2, 28))
        end_contract(s, "rows/9lives", day=date(2025, 3, 30))
    finally:
        s.close()
    return Ledger(where)  # type: ignore[arg-type]  # --db takes a URL as it takes a path


@pytest.fixture
def pinned(tmp_path: Path, store: str, request: pytest.FixtureRequest) -> Ledger:
    where: Path | str = request.getfixturevalue("pg_url") if store == "postgresql" else tmp_path / "pinned.db"
    return pinned_ledger(where)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("all.csv", ("--format", "csv")),
        ("all.jsonl", ("--format", "jsonl")),
        ("all.journal", ("--format", "hledger")),
        ("all.beancount", ("--format", "beancount")),
        ("february.csv", ("--format", "csv", "--from", "2025-02-01", "--to", "2025-02-28")),
        ("february.journal", ("--format", "hledger", "--from", "2025-02-01", "--to", "2025-02-28")),
        ("february.beancount", ("--format", "beancount", "--from", "2025-02-01", "--to", "2025-02-28")),
    ],
)
def test_exports_are_the_pinned_bytes(pinned: Ledger, tmp_path: Path, name: str, args: tuple[str, ...]) -> None:
    out = tmp_path / name
    assert pinned.run("export", *args, "--out", str(out)).code == 0
    assert out.read_bytes() == (PINNED / name).read_bytes()
    again = pinned.run("export", *args)  # stdout carries the same bytes
    assert again.code == 0 and again.out.encode() == (PINNED / name).read_bytes()


@pytest.mark.parametrize(("name", "fmt"), [("all.journal", "hledger"), ("all.beancount", "beancount")])
def test_journals_piped_from_a_process_are_the_pinned_bytes(
    pinned: Ledger, tmp_path: Path, name: str, fmt: str
) -> None:
    # A real stdout: the entries spooled before the declarations are copied to it as bytes.
    done = run_cli("--db", str(pinned.db), "export", "--format", fmt, env={"TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.encode() == (PINNED / name).read_bytes()
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("pinned.db")] == []  # the spool is gone


def test_cursor_exports_are_the_pinned_bytes(pinned: Ledger, tmp_path: Path) -> None:
    from piecepay.locations import ledger_location
    from piecepay.operations.payouts import payout
    from piecepay.session import open_session

    first = pinned.ok("export", "--format", "hledger", "--cursor", "books", "--out", str(tmp_path / "1.journal"))
    assert (tmp_path / "1.journal").read_bytes() == (PINNED / "all.journal").read_bytes()
    head = first["ledger_entries"]
    assert (first["entries"], first["first_entry"], first["last_entry"], first["cursor_at"]) == (head, 1, head, head)
    assert (
        pinned.ok("export", "--format", "jsonl", "--cursor", "lines", "--out", str(tmp_path / "1.jsonl"))["entries"]
        == head
    )
    s = open_session(ledger_location(str(pinned.db)), "=clerk", datetime(2025, 4, 1, 8, tzinfo=UTC), write=True)
    try:
        payout(s, "ana", amount=Decimal("0.25"), currency="USD", day=date(2025, 3, 31))
    finally:
        s.close()
    for cursor, fmt, name in (("books", "hledger", "later.journal"), ("lines", "jsonl", "later.jsonl")):
        later = pinned.ok("export", "--format", fmt, "--cursor", cursor, "--out", str(tmp_path / name))
        assert (later["entries"], later["first_entry"], later["cursor_at"]) == (1, head + 1, head + 1)
        assert (tmp_path / name).read_bytes() == (PINNED / name).read_bytes()


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
        "revise",
        "resubmit",  # for as many pieces as before
        "campaign_edited",
        "worker_edited",
    }
    reversal = next(e for e in lines if e["kind"] == "reversal")
    assert {(p["side"], p["phase"]) for p in reversal["postings"]} == {("debit", "posted"), ("credit", "posted")}
    cut = next(e for e in lines if e["kind"] == "resubmit")
    assert {p["phase"] for p in cut["postings"]} == {"pending"}


@pytest.mark.sqlite_only
def test_postings_of_a_removed_entry_do_not_hide_the_postings_after_them(month: Ledger) -> None:
    entries = [json.loads(line) for line in month.run("export", "--format", "jsonl").out.splitlines()]
    gone = next(e["entry_id"] for e in entries if e["postings"] and e["entry_id"] < entries[-1]["entry_id"] - 5)
    conn = sqlite3.connect(month.db)  # tampering, as only someone editing the file could
    conn.executescript(f"DROP TRIGGER entries_no_delete; DELETE FROM entries WHERE id = {gone};")
    conn.close()
    after = [json.loads(line) for line in month.run("export", "--format", "jsonl").out.splitlines()]
    assert after == [e for e in entries if e["entry_id"] != gone]


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
