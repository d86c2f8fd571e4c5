"""The review queue: `bill list` (filters, order, age, review window, four formats) and
`bill show`, through the real command line."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from tests.conftest import Ledger, run_in_terminal

BOTH_STORES = True

START = "2026-11-01"
TODAY = "2026-11-20"
REVIEW_DAYS = 5


@pytest.fixture
def queue(ledger: Ledger) -> Ledger:
    """Two campaigns (review windows of 5 and 14 days), three contracts, bills dated over
    November; bill 2 released, bill 4 rejected."""
    ledger.today = START
    photos = ("Photos", "--slug", "photos", "--unit", "photo", "--rate", "5", "--review-days", str(REVIEW_DAYS))
    ledger.ok("campaign", "create", *photos)
    ledger.ok("campaign", "create", "Rows", "--slug", "rows", "--unit", "row", "--rate", "0.5")
    for worker in ("ana", "bo"):
        ledger.ok("worker", "add", worker)
    for ref in ("photos/ana", "photos/bo", "rows/ana"):
        campaign, worker = ref.split("/")
        ledger.ok("offer", "create", campaign, worker)
        ledger.ok("offer", "accept", ref)
        ledger.ok("milestone", "add", ref, "--top-up", "1000")
    ledger.today = TODAY
    bills = [
        ("photos/ana", "2", "2026-11-10"),  # 1
        ("photos/bo", "1", "2026-11-05"),  # 2, released
        ("rows/ana", "10", "2026-11-15"),  # 3
        ("photos/ana", "3", "2026-11-15"),  # 4, rejected
        ("photos/bo", "4", "2026-11-20"),  # 5
        ("rows/ana", "6", "2026-11-02"),  # 6
    ]
    for ref, pieces, day in bills:
        ledger.ok("bill", ref, "--pieces", pieces, "--date", day, "--note", f"=note {day}")
    ledger.ok("release", "2")
    ledger.ok("reject", "4", "--reason", "blurry")
    return ledger


def listed(ledger: Ledger, *args: str) -> list[dict[str, Any]]:
    result = ledger.run("bill", "list", *args, "--format", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def ids(ledger: Ledger, *args: str) -> list[int]:
    return [row["id"] for row in listed(ledger, *args)]


def test_oldest_first_by_date_then_id_with_each_filter(queue: Ledger) -> None:
    assert ids(queue) == [6, 2, 1, 3, 4, 5]
    assert ids(queue, "--status", "pending") == [6, 1, 3, 5]
    assert ids(queue, "--status", "released") == [2]
    assert ids(queue, "--status", "rejected") == [4]
    assert ids(queue, "--campaign", "rows") == [6, 3]
    assert ids(queue, "--worker", "bo") == [2, 5]
    assert ids(queue, "--contract", "photos/ana") == [1, 4]
    assert ids(queue, "--status", "pending", "--campaign", "photos", "--worker", "ana") == [1]


def test_age_and_review_window_are_counted_from_today(queue: Ledger) -> None:
    rows = {row["id"]: row for row in listed(queue)}
    # photos waits 5 days: bill 1 dated 11-10 closed 11-15; rows waits 14: bill 6 (11-02) closed 11-16
    assert (rows[1]["age_days"], rows[1]["review_closes"]) == (10, "2026-11-15")
    assert (rows[6]["age_days"], rows[6]["review_closes"]) == (18, "2026-11-16")
    assert (rows[5]["age_days"], rows[5]["review_closes"]) == (0, "2026-11-25")
    assert (rows[3]["age_days"], rows[3]["review_closes"]) == (5, "2026-11-29")
    assert rows[2]["review_closes"] is None and rows[4]["review_closes"] is None  # resolved
    assert (rows[4]["status"], rows[4]["reason"], rows[3]["amount"], rows[3]["unit"]) == (
        "rejected",
        "blurry",
        "5.00",
        "row",
    )


def test_older_than_is_exact_at_its_limit(queue: Ledger) -> None:
    # ages today: 6:18, 2:15, 1:10, 3:5, 4:5, 5:0
    assert ids(queue, "--older-than", "10") == [6, 2]  # 10 days old is not more than 10
    assert ids(queue, "--older-than", "9") == [6, 2, 1]
    assert ids(queue, "--older-than", "0") == [6, 2, 1, 3, 4]
    assert ids(queue, "--older-than", "18") == []


def test_due_within_is_exact_at_its_limit_and_keeps_what_is_overdue(queue: Ledger) -> None:
    # pending windows close: 1 on 11-15 and 6 on 11-16 (both passed), 5 on 11-25, 3 on 11-29
    assert ids(queue, "--due-within", "0") == [6, 1]
    assert ids(queue, "--due-within", "4") == [6, 1]
    assert ids(queue, "--due-within", "5") == [6, 1, 5]
    assert ids(queue, "--due-within", "8") == [6, 1, 5]
    assert ids(queue, "--due-within", "9", "--status", "pending") == [6, 1, 3, 5]


def test_csv_is_a_review_file_with_empty_columns_to_fill_and_safe_cells(queue: Ledger) -> None:
    result = queue.run("bill", "list", "--status", "pending", "--format", "csv")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert [row["id"] for row in rows] == ["6", "1", "3", "5"]
    assert list(rows[0])[-3:] == ["action", "pieces", "reason"]
    assert all(row["action"] == row["pieces"] == row["reason"] == "" for row in rows)
    assert (rows[1]["billed"], rows[1]["amount"], rows[1]["currency"]) == ("2", "10.00", "USD")
    assert rows[1]["note"] == "'=note 2026-11-10"  # a spreadsheet shows it, never runs it
    rejected = list(
        csv.DictReader(io.StringIO(queue.run("bill", "list", "--format", "csv", "--status", "rejected").out))
    )
    assert (rejected[0]["status_reason"], rejected[0]["reason"]) == ("blurry", "")


def test_jsonl_and_json_carry_the_same_documents(queue: Ledger) -> None:
    lines = queue.run("bill", "list", "--format", "jsonl").out.splitlines()
    assert [json.loads(line) for line in lines] == listed(queue)
    assert queue.run("--json", "bill", "list").out == queue.run("bill", "list", "--format", "json").out


def test_a_table_names_what_it_lists_and_an_empty_one_says_so_at_a_terminal(queue: Ledger) -> None:
    table = queue.run("bill", "list", "--status", "pending").out
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["#", "Contract", "Pieces", "Unit"]
    assert [line.split()[0] for line in lines[1:]] == ["6", "1", "3", "5"]
    assert queue.run("bill", "list", "--worker", "bo", "--status", "rejected").out == ""  # piped: nothing
    if isinstance(queue.db, str):
        return  # a terminal run goes through a file path
    code, shown, err = run_in_terminal(
        queue.db, ("bill", "list", "--status", "rejected", "--worker", "bo"), env={"PIECEPAY_TODAY": TODAY}
    )
    assert (code, shown.strip()) == (0, ""), err
    assert err.strip() == "no bills rejected"
    code, shown, err = run_in_terminal(
        queue.db, ("bill", "list", "--status", "revising"), env={"PIECEPAY_TODAY": TODAY}
    )
    assert (code, err.strip()) == (0, "no bills out for a revision")


def test_show_gives_every_field_the_review_window_and_the_entries(queue: Ledger) -> None:
    shown = queue.ok("bill", "show", "2")
    assert (shown["id"], shown["status"], shown["released"], shown["review_closes"]) == (2, "released", "5.00", None)
    assert [e["kind"] for e in shown["entries"]] == ["bill", "release"]
    assert all(e["bill_id"] == 2 for e in shown["entries"])
    pending = queue.ok("bill", "show", "5")
    assert (pending["review_closes"], [e["kind"] for e in pending["entries"]]) == ("2026-11-25", ["bill"])
    text = queue.run("bill", "show", "4").out
    assert text.startswith("Bill 4: 3 photos x 5 = 15.00 USD on photos/ana (rejected)")
    assert "blurry" in text and "Entries" in text


def test_show_of_a_bill_that_is_not_there_is_not_found(queue: Ledger) -> None:
    result = queue.run("--json", "bill", "show", "99")
    assert result.code == 3 and json.loads(result.err)["error"]["code"] == "bill_not_found"


def test_several_bills_are_released_in_one_go_or_not_at_all(queue: Ledger) -> None:
    before = queue.dump()
    refused = queue.run("--json", "release", "1", "3", "2")  # 2 was released
    assert refused.code == 1, refused.err
    error = json.loads(refused.err)["error"]
    assert error["message"].startswith("bill 2") and error["message"].endswith("nothing released")
    assert queue.dump() == before
    done = queue.ok("release", "1", "3")
    assert [(b["id"], b["status"], b["released"]) for b in done] == [(1, "released", "10.00"), (3, "released", "5.00")]
    assert ids(queue, "--status", "pending") == [6, 5]


def test_several_bills_under_one_key_replay_as_a_whole(queue: Ledger) -> None:
    first = queue.run("reject", "6", "5", "--reason", "late", "--key", "round-1", "--json")
    assert first.code == 0, first.err
    after = queue.dump()
    again = queue.run("reject", "6", "5", "--reason", "late", "--key", "round-1", "--json")
    assert (again.code, again.out) == (0, first.out)
    assert queue.dump() == after  # the second run wrote nothing
    assert [b["reason"] for b in json.loads(first.out)] == ["late", "late"]
    other = queue.run("--json", "reject", "6", "5", "--reason", "other", "--key", "round-1")
    assert other.code != 0 and json.loads(other.err)["error"]["code"] == "key_reused_with_different_request"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("release", "1", "3", "--pieces", "1"), "conflicting_options"),
        (("release", "1", "3", "1"), "duplicate_bill"),
        (("reject", "1", "99", "--reason", "x"), "bill_not_found"),
    ],
)
def test_several_bills_refused_before_anything_is_written(queue: Ledger, args: tuple[str, ...], code: str) -> None:
    before = queue.dump()
    result = queue.run("--json", *args)
    assert result.code != 0 and json.loads(result.err)["error"]["code"] == code
    assert queue.dump() == before


def test_several_bills_under_a_key_each_run_under_their_own_and_carry_the_date(queue: Ledger) -> None:
    done = queue.ok("release", "1", "3", "--key", "friday", "--date", TODAY)
    assert [b["id"] for b in done] == [1, 3]
    releases = [e for e in queue.ok("log", "--kind", "release") if e["bill_id"] in (1, 3)]
    assert [e["date"] for e in releases] == [TODAY, TODAY]
    keys = [e["memo"] for e in queue.ok("log", "--kind", "key_recorded")]
    assert any("'friday/1'" in memo for memo in keys) and any("'friday/3'" in memo for memo in keys)
    # each bill's own key replays it on its own too
    again = queue.ok("release", "3", "--key", "friday/3", "--date", TODAY)
    assert again["status"] == "released"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("release", "1", "99"), "bill_not_found", "no bill '99'; nothing released"),
        (("release", "1", "2"), "bill_already_released", "bill 2 was already released; nothing released"),
        (
            ("reject", "1", "4", "--reason", "x"),
            "bill_already_rejected",
            "bill 4 was already rejected; nothing rejected",
        ),
        (("release", "3", "1", "1"), "duplicate_bill", "bill 1 is named twice"),
        (
            ("bill", "list", "--due-within", "1", "--status", "released"),
            "conflicting_options",
            "--due-within lists pending bills",
        ),
    ],
)
def test_refusals_of_several_bills_name_the_bill_once(
    queue: Ledger, args: tuple[str, ...], code: str, message: str
) -> None:
    result = queue.run("--json", *args)
    assert result.code != 0
    error = json.loads(result.err)["error"]
    assert error["code"] == code and error["message"].startswith(message), error
    assert error["message"].count("bill 2") <= 1 and error["message"].count("bill 4") <= 1


def test_several_bills_without_a_key_record_none_and_a_rejection_carries_its_date(queue: Ledger) -> None:
    keys_before = len(queue.ok("log", "--kind", "key_recorded"))
    queue.ok("reject", "1", "3", "--reason", "late", "--date", TODAY)
    assert len(queue.ok("log", "--kind", "key_recorded")) == keys_before
    rejections = [e for e in queue.ok("log", "--kind", "reject") if e["bill_id"] in (1, 3)]
    assert [e["date"] for e in rejections] == [TODAY, TODAY]
