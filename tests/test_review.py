"""Bulk review, round trip: `bill list --format csv`, a reviewer's actions, `review --from`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Ledger, with_contract

BOTH_STORES = True


@pytest.fixture
def queue(ledger: Ledger) -> Ledger:
    """Twelve pending bills of 3 photos ($15 each) on photos/ana."""
    with_contract(ledger)
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "1000")
    for _ in range(12):
        ledger.ok("bill", "photos/ana", "--pieces", "3")
    return ledger


def review_file(ledger: Ledger, folder: Path, actions: dict[int, tuple[str, str, str]]) -> Path:
    """The pending bills as `bill list` writes them, with ``actions`` (bill id: action, pieces,
    reason) filled in."""
    listed = ledger.run("bill", "list", "--status", "pending", "--format", "csv")
    assert listed.code == 0, listed.err
    rows = list(csv.DictReader(io.StringIO(listed.out)))
    for row in rows:
        row["action"], row["pieces"], row["reason"] = actions.get(int(row["id"]), ("", "", ""))
    path = folder / "review.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def states(ledger: Ledger) -> dict[int, tuple[str, str]]:
    return {b["id"]: (b["status"], b["released"]) for b in json.loads(ledger.run("bill", "list", "--json").out)}


ACTIONS = {
    1: ("release", "", ""),
    2: ("Release", "1", ""),  # a partial release, the action's case as typed
    3: ("release", "", ""),
    5: ("reject", "", "blurry"),
    6: ("reject", "", "=cmd|' /C calc'!A0"),
    9: (" release ", "", ""),
}


def test_round_trip_applies_each_row_and_a_second_run_writes_nothing(queue: Ledger, tmp_path: Path) -> None:
    path = review_file(queue, tmp_path, ACTIONS)
    first = queue.ok("review", "--from", str(path))
    assert (first["rows"], first["released"], first["rejected"], first["skipped"], first["refused"]) == (
        12,
        4,
        2,
        6,
        [],
    )
    got = states(queue)
    assert got[1] == ("released", "15.00") and got[2] == ("released", "5.00") and got[9] == ("released", "15.00")
    assert got[5] == ("rejected", "0.00") and got[6][0] == "rejected" and got[4] == ("pending", "0.00")
    shown = queue.ok("bill", "show", "6")
    assert shown["reason"] == "=cmd|' /C calc'!A0"  # stored as typed; every CSV shows it formula-safe
    after = queue.dump()
    again = queue.ok("review", "--from", str(path))
    assert (again["replayed"], again["released"], again["rejected"]) == (6, 0, 0)
    assert queue.dump() == after


def test_all_or_nothing_refuses_the_file_at_its_first_bad_row(queue: Ledger, tmp_path: Path) -> None:
    path = review_file(queue, tmp_path, {1: ("release", "", ""), 4: ("reject", "", ""), 7: ("release", "", "")})
    before = queue.dump()
    result = queue.run("--json", "review", "--from", str(path))
    assert result.code == 2, result.err
    error = json.loads(result.err)["error"]
    assert error["code"] == "reason_required"
    assert error["message"].startswith("row 5: ") and error["message"].endswith("nothing reviewed")
    assert queue.dump() == before


def test_partial_applies_the_good_rows_and_lists_the_refused(queue: Ledger, tmp_path: Path) -> None:
    queue.ok("release", "8")  # released already: its row is refused
    actions = {
        1: ("release", "", ""),
        4: ("revise", "", "crop it"),
        7: ("approve", "", ""),
        10: ("release", "4", ""),  # more pieces than billed
        11: ("reject", "", "late"),
        12: ("release", "", "why not"),
    }
    path = review_file(queue, tmp_path, actions)
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    with path.open("a", encoding="utf-8", newline="") as out:  # bill 8, released since the list was made
        csv.writer(out).writerow(["8" if name == "id" else "release" if name == "action" else "" for name in header])
    result = queue.run("--json", "review", "--from", str(path), "--partial")
    assert result.code == 1, result.err
    done: dict[str, Any] = json.loads(result.out)
    assert (done["released"], done["rejected"], done["revised"]) == (1, 1, 1)
    codes = {r["row"]: r["code"] for r in done["refused"]}
    assert sorted(codes.values()) == sorted(
        ["bad_action", "release_exceeds_bill", "conflicting_options", "bill_already_released"]
    ), codes
    written = Path(done["result"])
    assert written == Path(f"{path}.refused.csv")
    assert [row["row"] for row in csv.DictReader(written.open(encoding="utf-8"))] == [str(n) for n in sorted(codes)]
    assert states(queue)[1][0] == "released" and states(queue)[11][0] == "rejected"
    assert states(queue)[4][0] == "revising"


@pytest.mark.parametrize(
    ("header", "code"),
    [("id,pieces,reason", "bad_csv"), ("action,reason", "bad_csv"), ("", "bad_csv")],
)
def test_a_file_without_its_columns_is_refused(queue: Ledger, tmp_path: Path, header: str, code: str) -> None:
    path = tmp_path / "review.csv"
    path.write_text(f"{header}\n1,release\n" if header else "", encoding="utf-8")
    result = queue.run("--json", "review", "--from", str(path))
    assert result.code == 2 and json.loads(result.err)["error"]["code"] == code


def test_review_rows_reports_progress_row_by_row_and_is_all_or_nothing_by_default(queue: Ledger) -> None:
    from datetime import UTC, datetime

    from piecepay.locations import ledger_location
    from piecepay.operations.bulk import RowRefused
    from piecepay.operations.review import Decision, Skipped, review_rows
    from piecepay.session import open_session

    s = open_session(ledger_location(str(queue.db)), "reviewer", datetime.now(UTC), write=True)
    try:
        seen: list[int] = []
        done = review_rows(
            s,
            [Decision(2, 1, "release", None, None, "k:2"), Skipped(3), Decision(4, 2, "reject", None, "late", "k:4")],
            progress=seen.append,
        )
        assert (done.rows, done.released, done.rejected, done.skipped, seen) == (3, 1, 1, 1, [1, 1, 1])
        before = queue.dump()
        with pytest.raises(RowRefused) as refused:  # no partial: the first refusal undoes the file
            review_rows(s, [Decision(2, 3, "release", None, None, "k2:2"), Decision(3, 99, "release", None, None, "x")])
        assert refused.value.message == "row 3: no bill '99'; nothing reviewed"
        assert queue.dump() == before
        kept = review_rows(s, [Decision(5, 1, "reject", None, "no", "k3:5")], partial=True)
        assert [(r.number, r.code, r.message) for r in kept.refused] == [
            (5, "bill_already_released", "bill 1 was already released")
        ]
    finally:
        s.close()


def test_a_refused_row_exits_as_its_refusal_does(queue: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "review.csv"
    path.write_text("id,action\n1,release\n99,release\n", encoding="utf-8")
    before = queue.dump()
    result = queue.run("--json", "review", "--from", str(path))
    assert result.code == 3  # not found, as `release 99` exits
    assert json.loads(result.err)["error"] == {
        "code": "bill_not_found",
        "message": "row 3: no bill '99'; nothing reviewed",
    }
    assert queue.dump() == before
