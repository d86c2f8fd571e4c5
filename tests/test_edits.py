"""campaign edit and worker edit, end to end: terms and contacts change in one entry of their
own kind that gives each old and new value; a change that would not hold what the campaign
has already committed is refused at its limit, with the figures, and writes nothing; the
history verifies, and a change sealed in an entry of another kind is caught."""

from __future__ import annotations

import pytest

from tests.conftest import Ledger, Result
from tests.test_verify_faults import Forger

BOTH_STORES = True  # every test here runs on a file and on PostgreSQL

TODAY = "2026-11-20"


@pytest.fixture
def photos(ledger: Ledger) -> Ledger:
    """Campaign photos ($5 a photo, budget 500, 200 pieces, deadline 2026-12-31) and an active
    contract photos/ana with 100.00 in escrow; the calendar pinned to 2026-11-20."""
    ledger.today = TODAY
    ledger.ok(
        "campaign",
        "create",
        "Restaurant photos",
        "--slug",
        "photos",
        "--unit",
        "photo",
        "--rate",
        "5",
        "--budget",
        "500",
        "--max-pieces",
        "200",
        "--deadline",
        "2026-12-31",
    )
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "photos", "ana")
    ledger.ok("offer", "accept", "photos/ana")
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "100")
    return ledger


def edits(ledger: Ledger, kind: str = "campaign_edited") -> list[dict[str, object]]:
    return [entry for entry in ledger.ok("log") if entry["kind"] == kind]


def refused(ledger: Ledger, code: int, error: str, *args: str, today: str | None = None) -> str:
    """Run a command that must be refused with ``code`` and ``error``, writing nothing; its message."""
    before = ledger.dump()
    result = ledger.run("--json", *args, today=today)
    assert (result.code, result.out) == (code, ""), result.err
    assert result.error["code"] == error, result.err
    assert ledger.dump() == before
    plain = ledger.run(*args, today=today)
    assert plain.code == code and plain.err.count("\n") == 1 and plain.err.startswith("piecepay: error: ")
    return str(result.error["message"])


def verified(ledger: Ledger) -> Result:
    result = ledger.run("--json", "verify")
    assert result.code == 0, result.err
    return result


# --------------------------------------------------------------------------- the windows a campaign starts with


def test_create_sets_the_revision_and_reversal_windows_and_show_and_list_give_them(photos: Ledger) -> None:
    made = photos.ok("campaign", "create", "Rows", "--rate", "0.01", "--revision-days", "3", "--reversal-days", "0")
    assert (made["revision_days"], made["reversal_days"]) == (3, 0)
    listed = {c["id"]: c for c in photos.ok("campaign", "list", "--format", "json")}
    assert (listed["photos"]["revision_days"], listed["photos"]["reversal_days"]) == (7, 30)  # the defaults
    assert (listed["rows"]["revision_days"], listed["rows"]["reversal_days"]) == (3, 0)
    shown = photos.ok("campaign", "show", "rows")
    assert (shown["revision_days"], shown["reversal_days"]) == (3, 0)
    plain = photos.run("campaign", "show", "rows").out
    assert "  revision days  3\n" in plain and "  reversal days  0\n" in plain


@pytest.mark.parametrize(
    ("option", "value", "error"),
    [
        ("--revision-days", "0", "out_of_range"),
        ("--revision-days", "31", "out_of_range"),
        ("--reversal-days", "366", "out_of_range"),
        ("--reversal-days", "-1", "bad_number"),
    ],
)
def test_create_refuses_windows_out_of_range(photos: Ledger, option: str, value: str, error: str) -> None:
    refused(photos, 2, error, "campaign", "create", "Rows", "--rate", "0.01", option, value)
    photos.ok("campaign", "create", "Rows", "--rate", "0.01", option, "30")


# --------------------------------------------------------------------------- what an edit records


def test_an_edit_records_every_change_with_its_old_and_new_value_and_its_actor(photos: Ledger) -> None:
    entries = len(photos.ok("log"))
    edited = photos.ok("--actor", "olga", "campaign", "edit", "photos", "--budget", "800", "--deadline", "2027-01-31")
    assert (edited["id"], edited["budget"], edited["budget_minor"], edited["deadline"]) == (
        "photos",
        "800.00",
        80000,
        "2027-01-31",
    )
    assert edited["changes"] == [
        {"term": "budget", "old": "500.00", "new": "800.00", "old_minor": 50000, "new_minor": 80000},
        {"term": "deadline", "old": "2026-12-31", "new": "2027-01-31"},
    ]
    assert [c["ref"] for c in edited["contracts"]] == ["photos/ana"]  # as campaign show prints it
    shown = photos.ok("campaign", "show", "photos")
    assert {k: v for k, v in edited.items() if k not in ("changes", "entry")} == shown
    log = photos.ok("log")
    assert len(log) == entries + 1
    [entry] = edits(photos)
    assert entry["id"] == edited["entry"]
    assert entry["memo"] == "campaign photos edited: budget 500.00 → 800.00 USD; deadline 2026-12-31 → 2027-01-31"
    assert entry["actor"] == "olga"
    verified(photos)


def test_limits_are_taken_off_with_none_and_set_again(photos: Ledger) -> None:
    photos.ok(
        "campaign", "edit", "photos", "--budget", "none", "--max-pieces", "none", "--deadline", "none", "--workers", "3"
    )
    photos.ok("campaign", "edit", "photos", "--milestone-cap", "25", "--title", "Cafe photos")
    campaign = photos.ok("campaign", "show", "photos")
    assert (campaign["budget"], campaign["max_pieces"], campaign["deadline"], campaign["workers"]) == (
        None,
        None,
        None,
        3,
    )
    assert (campaign["milestone_cap"], campaign["title"]) == ("25.00", "Cafe photos")
    photos.ok("campaign", "edit", "photos", "--max-pieces", "150", "--workers", "none", "--milestone-cap", "none")
    assert [e["memo"] for e in edits(photos)] == [
        "campaign photos edited: budget 500.00 USD → none; piece limit 200 photos → none; workers none → 3; "
        "deadline 2026-12-31 → none",
        'campaign photos edited: title "Restaurant photos" → "Cafe photos"; milestone cap none → 25.00 USD',
        "campaign photos edited: piece limit none → 150 photos; workers 3 → none; milestone cap 25.00 USD → none",
    ]
    verified(photos)


def test_every_window_changes(photos: Ledger) -> None:
    photos.ok("campaign", "create", "Rows", "--rate", "0.01", "--revision-days", "3", "--reversal-days", "0")
    edited = photos.ok(
        "campaign", "edit", "rows", "--review-days", "0", "--revision-days", "30", "--reversal-days", "365"
    )
    assert (edited["review_days"], edited["revision_days"], edited["reversal_days"]) == (0, 30, 365)
    assert edits(photos)[-1]["memo"] == (
        "campaign rows edited: review days 14 → 0; revision days 3 → 30; reversal days 0 → 365"
    )
    plain = photos.run("campaign", "show", "rows").out
    assert "  revision days  30\n" in plain and "  reversal days  365\n" in plain


def test_the_plain_output_is_the_memo_and_the_terms(photos: Ledger) -> None:
    result = photos.run("campaign", "edit", "photos", "--review-days", "7")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "Campaign photos edited: review days 14 → 7"
    assert "  review days    7" in lines


def test_values_equal_to_the_current_ones_write_nothing_and_say_so(photos: Ledger) -> None:
    before = photos.dump()
    same = (
        "campaign",
        "edit",
        "photos",
        "--budget",
        "500.00",
        "--deadline",
        "2026-12-31",
        "--title",
        "Restaurant photos",
    )
    result = photos.run(*same)
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == "Campaign photos unchanged: every term given is as it was"
    unchanged = photos.ok(*same)
    assert (unchanged["changes"], unchanged["entry"]) == ([], None)
    assert photos.dump() == before


def test_an_edit_names_nothing_to_change_when_given_no_term(photos: Ledger) -> None:
    message = refused(photos, 2, "no_change", "campaign", "edit", "photos")
    assert message.startswith("nothing to change")


def test_a_paused_campaign_can_be_edited_a_closed_one_cannot(photos: Ledger) -> None:
    photos.ok("campaign", "pause", "photos")
    assert photos.ok("campaign", "edit", "photos", "--review-days", "3")["status"] == "paused"
    photos.ok("campaign", "create", "Rows", "--rate", "0.01")
    photos.ok("campaign", "close", "rows")
    message = refused(photos, 1, "campaign_closed", "campaign", "edit", "rows", "--budget", "10")
    assert message == "campaign 'rows' is closed; its terms can no longer change"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("--review-days", "-1"), "bad_number"),
        (("--review-days", "31"), "out_of_range"),
        (("--revision-days", "0"), "out_of_range"),
        (("--reversal-days", "366"), "out_of_range"),
        (("--workers", "0"), "out_of_range"),
        (("--budget", "5.001"), "too_many_decimals"),
        (("--budget", "0"), "not_positive"),
        (("--max-pieces", "1.5"), "not_whole"),
        (("--deadline", "2026-02-30"), "bad_date"),
        (("--review-days", "none"), "bad_number"),
        (("--title", ""), "bad_title"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else value,
)
def test_bad_values_are_bad_input(photos: Ledger, args: tuple[str, ...], error: str) -> None:
    before = photos.dump()
    result = photos.run("--json", "campaign", "edit", "photos", *args)
    assert (result.code, result.error["code"]) == (2, error), result.err
    assert photos.dump() == before


def test_an_unknown_campaign_is_not_found(photos: Ledger) -> None:
    refused(photos, 3, "campaign_not_found", "campaign", "edit", "nope", "--budget", "10")


# --------------------------------------------------------------------------- the rules, at their limits


def test_a_budget_equal_to_what_is_committed_passes_one_minor_unit_below_is_refused(photos: Ledger) -> None:
    message = refused(photos, 1, "budget_below_committed", "campaign", "edit", "photos", "--budget", "99.99")
    assert (
        message
        == "campaign 'photos' has committed 100.00 USD (top-ups less refunds); a budget of 99.99 USD is below it"
    )
    assert photos.ok("campaign", "edit", "photos", "--budget", "100")["budget_minor"] == 10000


def test_what_a_campaign_committed_is_its_top_ups_less_its_refunds(photos: Ledger) -> None:
    bill = photos.ok("bill", "photos/ana", "--pieces", "3")
    photos.ok("release", str(bill["id"]))
    photos.ok("end", "photos/ana")  # 85.00 goes back: 15.00 stays committed
    refused(photos, 1, "budget_below_committed", "campaign", "edit", "photos", "--budget", "14.99")
    photos.ok("campaign", "edit", "photos", "--budget", "15")


def test_a_piece_limit_equal_to_the_pieces_pending_and_released_passes_one_below_is_refused(photos: Ledger) -> None:
    released = photos.ok("bill", "photos/ana", "--pieces", "2")
    photos.ok("release", str(released["id"]))
    photos.ok("bill", "photos/ana", "--pieces", "3")  # pending
    rejected = photos.ok("bill", "photos/ana", "--pieces", "4")
    photos.ok("reject", str(rejected["id"]), "--reason", "blurry")  # rejected pieces do not count
    message = refused(photos, 1, "piece_limit_below_billed", "campaign", "edit", "photos", "--max-pieces", "4")
    assert message == "campaign 'photos' has 5 photos pending or released; a piece limit of 4 photos is below it"
    assert photos.ok("campaign", "edit", "photos", "--max-pieces", "5")["max_pieces"] == "5"


def test_workers_equal_to_the_contracts_accepted_passes_one_fewer_is_refused(photos: Ledger) -> None:
    for handle in ("ben", "cy"):
        photos.ok("worker", "add", handle)
        photos.ok("offer", "create", "photos", handle)
    photos.ok("offer", "accept", "photos/ben")
    photos.ok("end", "photos/ben")  # an ended contract still took a place
    message = refused(photos, 1, "workers_below_accepted", "campaign", "edit", "photos", "--workers", "1")
    assert (
        message == "campaign 'photos' has accepted 2 contract(s), ended ones included; room for 1 worker(s) is below it"
    )
    photos.ok("campaign", "edit", "photos", "--workers", "2")
    refused(photos, 1, "campaign_full", "offer", "accept", "photos/cy")  # the new limit holds


def test_a_deadline_of_today_passes_yesterday_is_refused(photos: Ledger) -> None:
    message = refused(photos, 1, "deadline_in_past", "campaign", "edit", "photos", "--deadline", "2026-11-19")
    assert message == "deadline 2026-11-19 is before today (2026-11-20)"
    assert photos.ok("campaign", "edit", "photos", "--deadline", TODAY)["deadline"] == TODAY


def test_a_deadline_on_the_latest_bill_passes_the_day_before_is_refused(photos: Ledger) -> None:
    """A bill dated after the editor's today (another member of a team, a day ahead) still
    binds the deadline: no bill may end up after it."""
    photos.ok("bill", "photos/ana", "--pieces", "1", "--date", "2026-11-22", today="2026-11-22")
    photos.ok("bill", "photos/ana", "--pieces", "1", "--date", "2026-11-21", today="2026-11-22")
    message = refused(photos, 1, "deadline_before_bill", "campaign", "edit", "photos", "--deadline", "2026-11-21")
    assert message == "deadline 2026-11-21 is before the latest bill on campaign 'photos', dated 2026-11-22"
    photos.ok("campaign", "edit", "photos", "--deadline", "2026-11-22")


def test_several_changes_are_refused_together_by_any_one_rule(photos: Ledger) -> None:
    refused(photos, 1, "budget_below_committed", "campaign", "edit", "photos", "--title", "New", "--budget", "1")
    assert photos.ok("campaign", "show", "photos")["title"] == "Restaurant photos"


# --------------------------------------------------------------------------- what the new terms do


def test_an_extended_deadline_lets_bills_in_again_after_the_old_one(photos: Ledger) -> None:
    photos.ok("campaign", "edit", "photos", "--deadline", "2026-11-25")
    late = "2026-11-26"
    refused(photos, 1, "deadline_passed", "bill", "photos/ana", "--pieces", "1", today=late)
    photos.ok("campaign", "edit", "photos", "--deadline", "2026-12-31", today=late)
    bill = photos.ok("bill", "photos/ana", "--pieces", "1", today=late)
    assert (bill["status"], bill["date"]) == ("pending", late)
    verified(photos)


def test_the_sweep_honours_an_edited_review_window(photos: Ledger) -> None:
    bill = photos.ok("bill", "photos/ana", "--pieces", "2")  # 14 days: due 2026-12-04
    soon = "2026-11-25"
    assert [a for a in photos.ok("sweep", today=soon) if a["action"] == "release"] == []
    photos.ok("campaign", "edit", "photos", "--review-days", "3", today=soon)  # due 2026-11-23
    released = [a for a in photos.ok("sweep", today=soon) if a["action"] == "release"]
    assert [(a["bill_id"], a["status"], a["date"]) for a in released] == [(bill["id"], "done", "2026-11-23")]
    verified(photos)


# --------------------------------------------------------------------------- workers


def test_a_worker_edit_records_the_old_and_new_values(photos: Ledger) -> None:
    edited = photos.ok("worker", "edit", "ana", "--name", "Ana Lima", "--email", "ana@example.org")
    assert (edited["id"], edited["name"], edited["email"]) == ("ana", "Ana Lima", "ana@example.org")
    assert edited["changes"] == [
        {"term": "name", "old": None, "new": "Ana Lima"},
        {"term": "email", "old": None, "new": "ana@example.org"},
    ]
    cleared = photos.ok("worker", "edit", "ana", "--email", "")
    assert (cleared["name"], cleared["email"]) == ("Ana Lima", None)
    listed = {w["handle"]: w for w in photos.ok("worker", "list")}
    assert (listed["ana"]["name"], listed["ana"]["email"]) == ("Ana Lima", None)
    assert [e["memo"] for e in edits(photos, "worker_edited")] == [
        'worker ana edited: name none → "Ana Lima"; email none → "ana@example.org"',
        'worker ana edited: email "ana@example.org" → none',
    ]
    verified(photos)


def test_a_worker_edit_that_changes_nothing_writes_nothing(photos: Ledger) -> None:
    before = photos.dump()
    result = photos.run("worker", "edit", "ana", "--email", "")
    assert (result.code, result.out.splitlines()[0]) == (0, "Worker ana unchanged: every value given is as it was")
    assert photos.dump() == before
    refused(photos, 2, "no_change", "worker", "edit", "ana")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("--email", "not-an-address"), "bad_email"),
        (("--name", "   "), "empty_text"),
        (("--name", "x" * 201), "text_too_long"),
    ],
    ids=["email", "blank name", "long name"],
)
def test_a_worker_edit_validates_as_worker_add_does(photos: Ledger, args: tuple[str, ...], error: str) -> None:
    refused(photos, 2, error, "worker", "edit", "ana", *args)
    assert photos.run("--json", "worker", "add", "cy", *args).error["code"] == error


def test_an_unknown_worker_is_not_found(photos: Ledger) -> None:
    refused(photos, 3, "worker_not_found", "worker", "edit", "nobody", "--name", "X")


# --------------------------------------------------------------------------- verify


@pytest.mark.sqlite_only
def test_a_budget_changed_in_an_entry_of_another_kind_is_caught(photos: Ledger) -> None:
    """An honest edit verifies; the budget changed again in the campaign's row and sealed in
    a later bill's entry, the chain recomputed, is a fact altered where only a
    campaign_edited entry may change it."""
    edit = photos.ok("campaign", "edit", "photos", "--budget", "800")["entry"]
    bill = photos.ok("bill", "photos/ana", "--pieces", "1")
    verified(photos)
    [bill_entry] = [e["id"] for e in photos.ok("log") if e["kind"] == "bill" and e["bill_id"] == bill["id"]]
    with Forger(photos.db) as forger:
        forger.reseal(bill_entry, "campaigns", 1, budget_minor=10**9)
        forger.rechain(bill_entry)
    result = photos.run("--json", "verify")
    assert result.code == 5, result.err
    assert result.error["code"] == "fact_altered"
    assert result.error["message"] == (
        f"verify failed: campaigns row 1 changed in entry {bill_entry} "
        f"in what only a campaign_edited entry about it changes (sealed by entry {edit})"
    )


@pytest.mark.sqlite_only
def test_a_worker_name_changed_in_its_row_alone_is_caught(photos: Ledger) -> None:
    edit = photos.ok("worker", "edit", "ana", "--name", "Ana Lima")["entry"]
    verified(photos)
    with Forger(photos.db) as forger:
        forger.sql("UPDATE workers SET name = 'Someone Else' WHERE handle = 'ana'")
    result = photos.run("--json", "verify")
    assert (result.code, result.error["code"]) == (5, "fact_altered"), result.err
    assert (
        result.error["message"] == f"verify failed: workers row 1 differs from what entry {edit} sealed (changed: name)"
    )
