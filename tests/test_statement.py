"""A worker's statement end to end: the entries of a period with their notes and reasons,
balances before and after, weeks that cross a month, totals equal to the report's, hostile
text neutralised in Markdown and HTML, the HTML in a real Chromium, and PDF."""

from __future__ import annotations

import json
import re
import sqlite3
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Ledger
from tests.postgres import unavailable

BOTH_STORES = True
TODAY = "2026-11-20"
ACCEPTED = "2026-10-20"
HOSTILE_NOTE = "a | b\n<script>alert(1)</script> *bold* [x](javascript:alert(1)) `code` # &amp;"


@pytest.fixture
def book(ledger: Ledger) -> Ledger:
    """Campaign photos (5 USD a photo), worker ana, contract photos/ana accepted on ACCEPTED
    with 200.00 in escrow; dated TODAY."""
    ledger.today = TODAY
    ledger.ok("campaign", "create", "Restaurant photos", "--slug", "photos", "--unit", "photo", "--rate", "5")
    hire(ledger, "photos", "ana")
    return ledger


def hire(book: Ledger, campaign: str, worker: str, top_up: str = "200") -> str:
    if not any(w["handle"] == worker for w in book.ok("worker", "list")):
        book.ok("worker", "add", worker)
    book.ok("offer", "create", campaign, worker)
    ref = f"{campaign}/{worker}"
    book.ok("offer", "accept", ref, "--date", ACCEPTED)
    book.ok("milestone", "add", ref, "--top-up", top_up, "--date", ACCEPTED)
    return ref


def bill(book: Ledger, pieces: str, on: str, *more: str, ref: str = "photos/ana") -> str:
    return str(book.ok("bill", ref, "--pieces", pieces, "--date", on, *more)["id"])


def statement(book: Ledger, *args: str) -> dict[str, Any]:
    return dict(book.ok("statement", "ana", *args))


def total(document: dict[str, Any], currency: str = "USD") -> dict[str, Any]:
    [found] = [t for t in document["totals"] if t["currency"] == currency]
    return dict(found)


def weeks(document: dict[str, Any]) -> list[tuple[str, str, str, list[str]]]:
    return [(w["week"], w["from"], w["to"], [e["amount"] for e in w["earned"]]) for w in document["weeks"]]


# --------------------------------------------------------------------------- the period


def test_a_period_with_nothing_in_it_shows_balances_no_rows_and_an_empty_chart(book: Ledger) -> None:
    book.ok("release", bill(book, "2", "2026-10-30"), "--date", "2026-10-31")
    bill(book, "1", "2026-10-31")  # still reserved
    document = statement(book, "--period", "2026-W46")
    assert (document["period"], document["from"], document["to"]) == ("2026-W46", "2026-11-09", "2026-11-15")
    assert document["entries"] == []
    t = total(document)
    assert (t["opening_balance"], t["earned"], t["paid_out"], t["closing_balance"]) == (
        "10.00",
        "0.00",
        "0.00",
        "10.00",
    )
    assert (t["pending"], t["effective_hourly"]) == ("5.00", None)
    assert weeks(document) == [("2026-W46", "2026-11-09", "2026-11-15", ["0.00"])]
    text = book.run("statement", "ana", "--period", "2026-W46")
    assert text.code == 0, text.err
    assert "No entries in this period." in text.out and "| USD | 10.00 | 0.00 | 0.00 | 10.00 | 5.00 |" in text.out
    assert re.search(r"^2026-W46 +0\.00 USD$", text.out, re.M)
    page = book.run("statement", "ana", "--period", "2026-W46", "--format", "html")
    assert page.code == 0 and "<svg" in page.out and "<rect" not in page.out and "nothing earned" in page.out


def test_the_default_period_is_the_month_of_today(book: Ledger) -> None:
    bill(book, "1", "2026-11-02")
    document = statement(book)
    assert (document["period"], document["from"], document["to"]) == ("2026-11", "2026-11-01", "2026-11-30")
    assert [e["kind"] for e in document["entries"]] == ["bill"]
    assert [w["week"] for w in document["weeks"]] == [f"2026-W{n}" for n in range(44, 50)]


def test_a_week_that_crosses_a_month_is_counted_in_each_and_whole_in_itself(book: Ledger) -> None:
    """2026-W44 runs from Monday 26 October to Sunday 1 November."""
    book.ok("release", bill(book, "1", "2026-10-30"), "--date", "2026-10-30")  # 5.00 in W44, October
    book.ok("release", bill(book, "2", "2026-11-01"), "--date", "2026-11-01")  # 10.00 in W44, November
    book.ok("release", bill(book, "4", "2026-11-02"), "--date", "2026-11-02")  # 20.00 in W45
    week = statement(book, "--period", "2026-W44")
    assert weeks(week) == [("2026-W44", "2026-10-26", "2026-11-01", ["15.00"])]
    assert (total(week)["opening_balance"], total(week)["earned"], total(week)["closing_balance"]) == (
        "0.00",
        "15.00",
        "15.00",
    )
    assert [e["date"] for e in week["entries"]] == ["2026-10-30"] * 2 + ["2026-11-01"] * 2
    november = statement(book, "--period", "2026-11")
    assert weeks(november)[:2] == [
        ("2026-W44", "2026-11-01", "2026-11-01", ["10.00"]),
        ("2026-W45", "2026-11-02", "2026-11-08", ["20.00"]),
    ]
    assert (total(november)["opening_balance"], total(november)["earned"]) == ("5.00", "30.00")
    october = statement(book, "--period", "2026-10")
    assert weeks(october)[-1] == ("2026-W44", "2026-10-26", "2026-10-31", ["5.00"])
    year = statement(book, "--period", "2026")
    assert (year["from"], year["to"], len(year["weeks"])) == ("2026-01-01", "2026-12-31", 53)
    assert sum(Decimal(w["earned"][0]["amount"]) for w in year["weeks"]) == Decimal("35.00")


# --------------------------------------------------------------------------- the entries


def test_every_kind_of_entry_shows_with_its_pieces_amounts_note_and_reason(book: Ledger) -> None:
    first = bill(book, "3", "2026-11-02", "--note", "front of house", "--minutes", "30")
    book.ok("reject", first, "--reason", "blurry", "--date", "2026-11-03")
    second = bill(book, "4", "2026-11-04", "--minutes", "60")
    book.ok("revise", second, "--reason", "crop the menus", "--date", "2026-11-05")
    book.ok("resubmit", second, "--pieces", "3", "--note", "cropped", "--date", "2026-11-06")
    book.ok("release", second, "--pieces", "2", "--date", "2026-11-07")
    book.ok("release", first, "--date", "2026-11-08")  # a reversal of the rejection
    book.ok("payout", "ana", "--amount", "12", "--ref", "bank 7", "--date", "2026-11-09")
    document = statement(book, "--period", "2026-11")
    shown = [(e["kind"], e["bill_id"], e["pieces"], e["reserved"], e["posted"], e["text"]) for e in document["entries"]]
    assert shown == [
        ("bill", int(first), "3", "15.00", None, "front of house"),
        ("reject", int(first), "3", "-15.00", None, "blurry"),
        ("bill", int(second), "4", "20.00", None, None),
        ("revise", int(second), "4", None, None, "crop the menus"),
        ("resubmit", int(second), "3", "-5.00", None, "cropped"),
        ("release", int(second), "2", "-15.00", "10.00", "partial release"),
        ("reversal", int(first), "3", None, "15.00", f"reverses the rejection in entry {shown_reject(document)}"),
        ("payout", None, None, None, "-12.00", "payout 12.00 USD to ana (bank 7)"),
    ]
    assert [e["date"] for e in document["entries"]] == sorted(e["date"] for e in document["entries"])
    t = total(document)
    assert (t["earned"], t["paid_out"], t["closing_balance"], t["pending"]) == ("25.00", "12.00", "13.00", "0.00")
    assert [(k["kind"], k["amount"]) for k in t["earned_by_kind"]] == [("release", "10.00"), ("reversal", "15.00")]
    # pay per hour: 25.00 released of the bills dated in November, over their 90 minutes
    assert (t["bills_released"], t["minutes"], t["hours"], t["effective_hourly"]) == ("25.00", 90, "1.50", "16.67")
    text = book.run("statement", "ana", "--period", "2026-11").out
    for words in ("blurry", "crop the menus", "cropped", "front of house", "partial release", "bank 7"):
        assert words in text
    assert "| 3 photos |" in text and "| 2 photos |" in text


def shown_reject(document: dict[str, Any]) -> int:
    return int(next(e["id"] for e in document["entries"] if e["kind"] == "reject"))


def test_another_worker_s_entries_are_left_out(book: Ledger) -> None:
    hire(book, "photos", "bo")
    book.ok("release", bill(book, "7", "2026-11-02", ref="photos/bo"))
    book.ok("payout", "bo", "--amount", "35")
    book.ok("release", bill(book, "1", "2026-11-03"))
    document = statement(book, "--period", "2026-11")
    assert [e["kind"] for e in document["entries"]] == ["bill", "release"]
    assert total(document)["earned"] == "5.00"


def test_balances_and_totals_are_per_currency(book: Ledger) -> None:
    book.ok("campaign", "create", "Menus", "--slug", "menus", "--unit", "word", "--rate", "3", "--currency", "JPY")
    hire(book, "menus", "ana", "100000")
    book.ok("release", bill(book, "100", "2026-11-02", "--minutes", "30", ref="menus/ana"))
    book.ok("release", bill(book, "1", "2026-11-02"))
    document = statement(book, "--period", "2026-11")
    assert [(t["currency"], t["earned"], t["effective_hourly"]) for t in document["totals"]] == [
        ("JPY", "300", "600"),
        ("USD", "5.00", None),
    ]
    assert all([e["currency"] for e in w["earned"]] == ["JPY", "USD"] for w in document["weeks"])


# --------------------------------------------------------------------------- the report


def report_rows(book: Ledger) -> dict[tuple[str, str], dict[str, Any]]:
    result = book.run("report", "--by", "worker", "--format", "json")
    assert result.code == 0, result.err
    return {(r["worker"], r["currency"]): r for r in json.loads(result.out)["rows"]}


def test_the_statement_of_a_period_covering_everything_equals_the_report(book: Ledger) -> None:
    """report has no date range, so the statement of the whole year (every entry is dated in
    2026) must show what report --by worker shows, per worker and currency."""
    book.ok("campaign", "create", "Menus", "--slug", "menus", "--unit", "word", "--rate", "3", "--currency", "JPY")
    hire(book, "menus", "ana", "100000")
    hire(book, "photos", "bo")
    book.ok("release", bill(book, "5", "2026-10-25"), "--pieces", "3")
    rejected = bill(book, "2", "2026-10-28")
    book.ok("reject", rejected, "--reason", "dark")
    book.ok("release", rejected)  # reversed
    bill(book, "4", "2026-11-03")  # pending
    book.ok("release", bill(book, "300", "2026-11-04", ref="menus/ana"))
    bill(book, "10", "2026-11-05", ref="menus/ana")  # pending
    book.ok("payout", "ana", "--amount", "7", "--currency", "USD")
    book.ok("release", bill(book, "6", "2026-11-06", ref="photos/bo"))
    rows = report_rows(book)
    for worker in ("ana", "bo"):
        document = book.ok("statement", worker, "--period", "2026")
        for t in document["totals"]:
            row = rows[worker, t["currency"]]
            assert t["earned_minor"] == row["released_minor"], (worker, t["currency"])
            assert t["pending_minor"] == row["reserved_minor"], (worker, t["currency"])
            assert t["paid_out_minor"] == row["paid_out_minor"], (worker, t["currency"])
            assert t["closing_balance_minor"] == row["owed_minor"], (worker, t["currency"])
            assert t["opening_balance_minor"] + t["earned_minor"] - t["paid_out_minor"] == t["closing_balance_minor"]
        assert {t["currency"] for t in document["totals"]} == {c for w, c in rows if w == worker}
    assert total(book.ok("statement", "ana", "--period", "2026"), "USD")["earned"] == "25.00"


# --------------------------------------------------------------------------- hostile text


def table_rows(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("| 20")]


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_a_hostile_note_and_reason_are_neutralised_in_markdown_and_html(book: Ledger) -> None:
    book.ok("worker", "edit", "ana", "--name", "Ana <img src=x onerror=alert(1)> | *")
    first = bill(book, "1", "2026-11-02", "--note", HOSTILE_NOTE)
    book.ok("reject", first, "--reason", "<script>x</script> | `rm` *no*")
    book.ok("revise", bill(book, "1", "2026-11-03"), "--reason", "[link](https://evil.example) | <b>")
    markdown = book.run("statement", "ana", "--period", "2026-11")
    assert markdown.code == 0, markdown.err
    rows = table_rows(markdown.out)
    assert len(rows) == 4 and all(unescaped_pipes(row) == 11 for row in rows), rows
    heading = markdown.out.splitlines()[0]
    for line in [heading, *rows]:  # no markup but the table's own pipes: every other sign escaped
        assert not re.search(r"(?<!\\)[<>\[\]*`_]", line), line
    assert r"a \| b \<script\>alert\(1\)\</script\> \*bold\*" in markdown.out
    page = book.run("statement", "ana", "--period", "2026-11", "--format", "html").out
    assert "<script" not in page and "<img" not in page and "<b>" not in page and "onerror=alert" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&amp;amp;" in page
    assert "https://" in page  # a reason's text, shown, never a link
    tags = set(re.findall(r"<([A-Za-z][A-Za-z0-9]*)", page))
    assert tags <= PAGE_TAGS, tags - PAGE_TAGS  # the page's own markup, and nothing a text brought


PAGE_TAGS = {
    *("html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "p", "div", "ul", "li"),
    *("table", "thead", "tbody", "tr", "th", "td", "figure", "figcaption", "svg", "line", "rect", "text"),
}


@pytest.mark.sqlite_only
def test_control_characters_in_an_older_ledger_s_text_are_shown_as_escapes(book: Ledger) -> None:
    """Input refuses control characters; a ledger written before that rule may hold them."""
    first = bill(book, "1", "2026-11-02", "--note", "plain")
    book.ok("reject", first, "--reason", "plain too")
    esc = "\x1b[2J\x1b]8;;x\x07\u202e"
    plant(book.db, int(first), f"n{esc}|x", f"r{esc}")
    # the escape's backslash is Markdown's to escape too: the text rendered reads \x1b[2J
    for fmt, shown in (("md", r"n\\x1b\[2J\\x1b\]8;;x\\x07\\u202e\|x"), ("html", r"n\x1b[2J\x1b]8;;x\x07\u202e|x")):
        result = book.run("statement", "ana", "--period", "2026-11", "--format", fmt)
        assert result.code == 0, result.err
        assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]", result.out), fmt
        assert shown in result.out, fmt
    document = statement(book, "--period", "2026-11")
    assert [e["text"] for e in document["entries"]] == [f"n{esc}|x", f"r{esc}"]  # JSON keeps the text itself


def plant(db: Path, bill_id: int, note: str, reason: str) -> None:
    """Write a note and a reason into the file as an older piecepay could have left them:
    in the bill and in the facts its entries sealed (the guards are dropped to do it)."""
    conn = sqlite3.connect(db)
    try:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute("UPDATE bills SET note = ?, reason = ? WHERE id = ?", (note, reason, bill_id))
        for entry_id, facts in conn.execute("SELECT id, facts FROM entries WHERE bill_id = ?", (bill_id,)).fetchall():
            sealed = json.loads(facts)
            sealed["bills"][str(bill_id)].update(note=note, reason=reason)
            conn.execute("UPDATE entries SET facts = ? WHERE id = ?", (json.dumps(sealed), entry_id))
        conn.commit()
    finally:
        conn.close()


# --------------------------------------------------------------------------- files and refusals


def test_html_is_one_self_contained_file(book: Ledger, tmp_path: Path) -> None:
    book.ok("release", bill(book, "2", "2026-11-02", "--note", "see the menu"))
    target = tmp_path / "ana.html"
    written = book.run("statement", "ana", "--period", "2026-11", "--format", "html", "--output", str(target))
    assert written.code == 0 and written.out == "" and str(target) in written.err
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "<svg" in page and "<rect" in page
    for external in ("http:", "https:", "<script", "<link", "src=", "href=", "url(", "@import"):
        assert external not in page, external
    assert 'data-total="earned" data-currency="USD">10.00<' in page
    again = book.run("statement", "ana", "--period", "2026-11", "--format", "html", "--output", str(target))
    assert again.code == 0 and target.read_text(encoding="utf-8") == page  # replaced whole


def test_pdf_is_written_to_a_file(book: Ledger, tmp_path: Path) -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        unavailable(f"WeasyPrint or Pango missing ({error}): pip install -e '.[pdf]'")
    book.ok("release", bill(book, "2", "2026-11-02"))
    target = tmp_path / "ana.pdf"
    written = book.run("statement", "ana", "--period", "2026-11", "--format", "pdf", "--output", str(target))
    assert written.code == 0, written.err
    data = target.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF") and len(data) > 2000


def test_pdf_without_the_extra_names_it(book: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint now raises ImportError
    target = tmp_path / "ana.pdf"
    refused = book.run("statement", "ana", "--format", "pdf", "--output", str(target))
    assert refused.code == 2 and refused.out == ""
    assert (
        refused.err == "piecepay: error: pdf needs the pdf extra (weasyprint is missing): pip install 'piecepay[pdf]'\n"
    )
    assert not target.exists()


@pytest.mark.parametrize(
    ("args", "code", "error"),
    [
        (("nobody",), 3, "worker_not_found"),
        (("ana", "--period", "2026-13"), 2, "bad_month"),
        (("ana", "--period", "2026-W54"), 2, "bad_week"),
        (("ana", "--period", "November"), 2, "bad_period"),
        (("ana", "--period", "1999"), 2, "date_out_of_range"),
        (("ana", "--format", "docx"), 2, "bad_format"),
        (("ana", "--format", "pdf"), 2, "output_required"),
        (("ana", "--output", "@DIR@"), 2, "bad_target"),
    ],
)
def test_refusals(book: Ledger, tmp_path: Path, args: tuple[str, ...], code: int, error: str) -> None:
    given = tuple(str(tmp_path) if a == "@DIR@" else a for a in args)
    refused = book.run("--json", "statement", *given)
    assert (refused.code, refused.out, refused.error["code"]) == (code, "", error)
    plain = book.run("statement", *given)
    assert plain.code == code and plain.err.count("\n") == 1 and plain.err.startswith("piecepay: error: ")
    if error == "worker_not_found":
        assert "no worker 'nobody'" in plain.err


# --------------------------------------------------------------------------- in a browser


@pytest.mark.sqlite_only
def test_the_html_statement_in_chromium_matches_the_report(book: Ledger, phone: Any, tmp_path: Path) -> None:
    """``statement ana --period 2026-11 --format html`` opened from its file in a real Chromium:
    no console error, no request but the file itself, a screenshot, and the totals read off
    the page equal to what report --by worker shows (every entry is dated in November)."""
    from tests.browser import SCREENSHOTS

    terrace = bill(book, "4", "2026-11-02", "--note", "<b>terrace</b> | 4", "--minutes", "45")
    book.ok("release", terrace, "--date", "2026-11-02")
    rejected = bill(book, "3", "2026-11-03")
    book.ok("reject", rejected, "--reason", "blurry <script>alert(1)</script>", "--date", "2026-11-04")
    book.ok("release", rejected)  # a reversal
    book.ok("revise", bill(book, "2", "2026-11-16"), "--reason", "crop | tighter")
    bill(book, "1", "2026-11-18")  # pending
    book.ok("payout", "ana", "--amount", "12.50", "--ref", "bank")
    theirs = "SELECT effective_date FROM entries WHERE kind IN ('bill', 'release', 'reject', 'reversal', 'payout')"
    assert all(day.startswith("2026-11") for (day,) in book.query(theirs))
    target = tmp_path / "statement.html"
    written = book.run("statement", "ana", "--period", "2026-11", "--format", "html", "--output", str(target))
    assert written.code == 0, written.err

    requests: list[str] = []
    phone.context.on("request", lambda request: requests.append(request.url))
    page = phone.page
    page.goto(target.as_uri())
    page.wait_for_load_state("load")
    assert requests == [target.as_uri()]  # nothing fetched but the file: no network URL at all
    assert page.title() == "Statement: ana, 2026-11"
    assert page.locator("svg rect.bar").count() == 2  # W45 and W47 (today's reversal): the weeks with earnings

    def shown(field: str) -> str:
        return str(page.locator(f'[data-total="{field}"][data-currency="USD"]').inner_text())

    [row] = [r for r in report_rows(book).values() if r["worker"] == "ana"]
    assert shown("earned") == row["released"] == "35.00"
    assert shown("pending") == row["reserved"] == "15.00"
    assert shown("paid_out") == row["paid_out"] == "12.50"
    assert shown("closing_balance") == row["owed"] == "22.50"
    texts = page.locator("table.entries td.text").all_inner_texts()
    assert "<b>terrace</b> | 4" in texts and "blurry <script>alert(1)</script>" in texts and "crop | tighter" in texts
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "statement.png"), full_page=True)
    assert (SCREENSHOTS / "statement.png").stat().st_size > 10_000
