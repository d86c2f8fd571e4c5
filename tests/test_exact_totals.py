"""Exact totals: a contract's released money is the exact value of its released pieces
rounded once, half-up, whatever the size of its bills. A bill reserves its value rounded up;
a release posts the difference of the rounded running totals after and before it; a
contract from before schema 9 keeps per-bill rounding for the bills it had then.

The expected figures are computed here with fractions.Fraction, apart from piecepay."""

from __future__ import annotations

import csv
import io
import math
import shutil
import tempfile
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, Ledger

BOTH_STORES = True
TODAY = "2026-11-20"
SCHEMA_5 = ROOT / "tests" / "data" / "schema5.db"


def exact_minor(pieces: Fraction | int | str, rate: str, digits: int) -> Fraction:
    """pieces x rate in minor units, exactly."""
    return Fraction(pieces) * Fraction(rate) * 10**digits


def half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def rows_contract(ledger: Ledger, rate: str = "0.004", currency: str = "USD", top_up: str = "100") -> None:
    """Campaign 'rows' at ``rate`` a row, an active contract rows/ana funded with ``top_up``."""
    ledger.today = TODAY
    ledger.ok("campaign", "create", "Rows", "--slug", "rows", "--unit", "row", "--rate", rate, "--currency", currency)
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "rows", "ana")
    ledger.ok("offer", "accept", "rows/ana")
    ledger.ok("milestone", "add", "rows/ana", "--top-up", top_up)


def released_minor(ledger: Ledger) -> int:
    """The contract's released money, as the report reads it."""
    (row,) = ledger.ok("report", "--by", "contract")["rows"]
    return int(row["released_minor"])


def bill(ledger: Ledger, pieces: str) -> int:
    return int(ledger.ok("bill", "rows/ana", "--pieces", pieces)["id"])


def carry(ledger: Ledger) -> str:
    ((kept,),) = ledger.query("SELECT released_carry FROM contracts")
    return str(kept)


# --------------------------------------------------------------------------- the done-when


@pytest.mark.sqlite_only
def test_fifty_thousand_rows_billed_two_at_a_time_release_exactly_their_value(ledger: Ledger, tmp_path: Path) -> None:
    """50,000 rows at 0.004 USD, billed as 25,000 bills of 2 rows from a file and all
    released from a review file: 200.00 USD released (per-bill rounding would say 0.008 ->
    0.01 each, 250.00), 50,000 pieces released, and the ledger verifies."""
    rows_contract(ledger, top_up="250")
    bills = tmp_path / "bills.csv"
    bills.write_text("contract,pieces\n" + "rows/ana,2\n" * 25_000, encoding="utf-8")
    billed = ledger.ok("bill", "--from", str(bills))
    assert (billed["billed"], billed["amounts"][0]["amount_minor"]) == (25_000, 25_000)  # each reserves 0.01
    listed = ledger.run("bill", "list", "--status", "pending", "--format", "csv")
    assert listed.code == 0, listed.err
    reader = csv.DictReader(io.StringIO(listed.out))
    review = io.StringIO()
    writer = csv.DictWriter(review, fieldnames=list(reader.fieldnames or ()))
    writer.writeheader()
    for row in reader:
        writer.writerow({**row, "action": "release"})
    (tmp_path / "review.csv").write_text(review.getvalue(), encoding="utf-8")
    assert ledger.run("review", "--from", str(tmp_path / "review.csv")).code == 0
    (row,) = ledger.ok("report")["rows"]
    expected = half_up(exact_minor(50_000, "0.004", 2))
    assert (row["released"], row["released_minor"], row["pieces_released"]) == ("200.00", expected, "50000")
    assert (row["reserved_minor"], row["available"]) == (0, "50.00")
    assert ledger.run("verify").code == 0


# --------------------------------------------------------------------------- 3 rows at a time at 0.004


def test_releases_of_three_rows_post_the_rounded_running_total_never_underpaying(ledger: Ledger) -> None:
    """Each bill of 3 rows is worth 1.2 cents and reserves 2; after N releases the contract
    has released round(N x 1.2) cents in all, within half a cent of the exact value (never a
    cent under it, as 1 cent a release would be), and each release posts 1 or 2 cents."""
    rows_contract(ledger)
    ids = [bill(ledger, "3") for _ in range(8)]
    assert {ledger.ok("bill", "show", str(i))["amount_minor"] for i in ids} == {2}
    before = 0
    for n, bill_id in enumerate(ids, start=1):
        posted = ledger.ok("release", str(bill_id))["released_minor"]
        exact = exact_minor(3 * n, "0.004", 2)
        assert released_minor(ledger) == before + posted == half_up(exact)
        assert abs(before + posted - exact) <= Fraction(1, 2) and posted <= 2
        before += posted
    assert before == 10  # 9.6 cents, not 8 (a cent a bill) nor 16 (a reservation a bill)
    assert ledger.run("verify").code == 0


def test_partial_releases_count_only_the_pieces_released(ledger: Ledger) -> None:
    """A bill of 5 rows (2.0 cents, reserves 2) released for 3, then one of 4 (1.6 cents)
    released for 1: released money follows the exact value of 4 rows, and what each bill
    did not release returns to escrow."""
    rows_contract(ledger)
    first, second = bill(ledger, "5"), bill(ledger, "4")
    assert ledger.ok("release", str(first), "--pieces", "3")["released_minor"] == half_up(exact_minor(3, "0.004", 2))
    ledger.ok("release", str(second), "--pieces", "1")
    assert released_minor(ledger) == half_up(exact_minor(4, "0.004", 2))
    (row,) = ledger.ok("report")["rows"]
    assert (row["reserved_minor"], row["available_minor"]) == (0, 10_000 - released_minor(ledger))
    assert ledger.run("verify").code == 0


def test_a_rejection_in_between_leaves_the_carry_alone(ledger: Ledger) -> None:
    """Released 3 rows (1.2 cents: 1 posted, 0.2 carried); a rejected bill posts nothing and
    leaves the carry; the next 3 rows then post round(2.4) - 1 = 1 cent."""
    rows_contract(ledger)
    first, rejected, third = bill(ledger, "3"), bill(ledger, "3"), bill(ledger, "3")
    ledger.ok("release", str(first))
    kept = carry(ledger)
    assert Decimal(kept) == Decimal("0.2")
    assert ledger.ok("reject", str(rejected), "--reason", "blurry")["released_minor"] == 0
    assert carry(ledger) == kept
    assert ledger.ok("release", str(third))["released_minor"] == half_up(exact_minor(6, "0.004", 2)) - 1
    assert released_minor(ledger) == half_up(exact_minor(6, "0.004", 2))
    assert ledger.run("verify").code == 0


def test_an_end_releasing_its_pending_bills_posts_the_running_total_of_all_of_them(ledger: Ledger) -> None:
    """Three bills of one row at 0.004 released by the end of their contract: 1.2 cents in all,
    so 1 cent posted (each release reads the carry the one before it left), the rest refunded."""
    rows_contract(ledger, top_up="1")
    for _ in range(3):
        bill(ledger, "1")
    ended = ledger.ok("end", "rows/ana", "--release-pending")
    assert released_minor(ledger) == half_up(exact_minor(3, "0.004", 2)) == 1
    assert ended["refunded"] == "0.99"
    assert ledger.run("verify").code == 0


def test_a_reversal_of_a_rejected_bill_posts_by_the_running_total(ledger: Ledger) -> None:
    """Rows 1-6 released (2.4 cents: 2 posted), then a rejected bill of 3 rows released after
    all: the total becomes round(3.6) = 4, so the reversal posts 2 cents, where its own
    pieces rounded alone would post 1."""
    rows_contract(ledger)
    first, rejected, third = bill(ledger, "3"), bill(ledger, "3"), bill(ledger, "3")
    ledger.ok("release", str(first))
    ledger.ok("reject", str(rejected), "--reason", "blurry")
    ledger.ok("release", str(third))
    reversed_bill = ledger.ok("release", str(rejected))
    assert reversed_bill["status"] == "released"
    assert reversed_bill["released_minor"] == half_up(exact_minor(9, "0.004", 2)) - 2 == 2
    assert released_minor(ledger) == half_up(exact_minor(9, "0.004", 2))
    assert ledger.ok("log", "--last", "1")[0]["kind"] == "reversal"
    assert ledger.run("verify").code == 0


@pytest.mark.parametrize(("pieces", "reserved"), [("1", 1), ("3", 2), ("4", 2)])
def test_a_resubmission_for_fewer_pieces_reserves_their_value_rounded_up(
    ledger: Ledger, pieces: str, reserved: int
) -> None:
    """A bill of 5 rows sent back for a revision and resubmitted for fewer reserves those
    rows' value rounded up (1 row: 0.4 cent -> 1 cent, not 0; 3 rows: 1.2 -> 2, not 1)."""
    rows_contract(ledger)
    bill_id = bill(ledger, "5")
    ledger.ok("revise", str(bill_id), "--reason", "count again")
    resubmitted = ledger.ok("resubmit", str(bill_id), "--pieces", pieces)
    assert resubmitted["amount_minor"] == math.ceil(exact_minor(pieces, "0.004", 2)) == reserved
    (row,) = ledger.ok("report")["rows"]
    assert row["reserved_minor"] == reserved
    assert ledger.ok("release", str(bill_id))["released_minor"] == half_up(exact_minor(pieces, "0.004", 2))
    assert ledger.run("verify").code == 0


# --------------------------------------------------------------------------- reservations at their limits


@pytest.mark.parametrize(
    ("rate", "currency", "digits", "pieces", "reserved"),
    [
        ("0.004", "USD", 2, "1", "0.01"),  # 0.4 cent: up to a cent, never 0.00
        ("0.005", "USD", 2, "1", "0.01"),  # half a cent
        ("0.005", "USD", 2, "2", "0.01"),  # exactly a cent: not 0.02
        ("0.0049", "USD", 2, "1", "0.01"),
        ("0.25", "USD", 2, "4", "1.00"),  # whole: exactly it
        ("1.2345", "USD", 2, "2", "2.47"),  # 2.469 -> 2.47
        ("0.5", "JPY", 0, "1", "1"),  # half a yen
        ("0.1", "JPY", 0, "11", "2"),  # 1.1 yen
        ("2.5", "JPY", 0, "2", "5"),  # whole yen
        ("0.0001", "KWD", 3, "1", "0.001"),  # a tenth of a fils
        ("0.0015", "KWD", 3, "2", "0.003"),  # whole fils
        ("0.0015", "KWD", 3, "3", "0.005"),  # 4.5 fils
    ],
)
def test_a_bill_reserves_its_value_rounded_up_to_the_minor_unit(
    ledger: Ledger, rate: str, currency: str, digits: int, pieces: str, reserved: str
) -> None:
    rows_contract(ledger, rate=rate, currency=currency, top_up="1000")
    billed = ledger.ok("bill", "rows/ana", "--pieces", pieces)
    assert billed["amount"] == reserved
    assert billed["amount_minor"] == math.ceil(exact_minor(pieces, rate, digits))
    released = ledger.ok("release", str(billed["id"]))
    assert released["released_minor"] == half_up(exact_minor(pieces, rate, digits)) <= billed["amount_minor"]
    assert ledger.run("verify").code == 0


# --------------------------------------------------------------------------- a property, in-process

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 20)
RATES = ("0.004", "0.005", "0.335", "0.0001", "1.2345")
DIGITS = {"USD": 2, "JPY": 0, "KWD": 3}
STEPS = {"1": 1000, "0.5": 500, "0.25": 250, "0.001": 1}  # a campaign's step, in thousandths of a piece


@st.composite
def histories(draw: st.DrawFn) -> tuple[str, str, str, list[tuple[str, int, int]]]:
    """A rate, a currency, a step and a sequence of bills, releases (in full or in part) and
    rejections: ("bill", pieces in steps, 0), ("release", which pending bill, steps released
    or 0 for all), ("reject", which pending bill, 0)."""
    rate, currency, step = (
        draw(st.sampled_from(RATES)),
        draw(st.sampled_from(list(DIGITS))),
        draw(st.sampled_from(list(STEPS))),
    )
    actions = st.one_of(
        st.tuples(st.just("bill"), st.integers(1, 3_000), st.just(0)),
        st.tuples(st.just("release"), st.integers(0, 50), st.integers(0, 3_000)),
        st.tuples(st.just("reject"), st.integers(0, 50), st.just(0)),
    )
    return rate, currency, step, draw(st.lists(actions, min_size=1, max_size=25))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_released_money_is_always_the_exact_value_released_rounded_once(
    history: tuple[str, str, str, list[tuple[str, int, int]]],
) -> None:
    """For any sequence of bills (whole or fractional pieces), partial and full releases and
    rejections, at fine rates, in USD, JPY and KWD: after every step the contract's released
    money equals the exact value released rounded half-up (so within half a minor unit of
    it), and no release posts more than its bill reserved."""
    from piecepay.models import Grouping
    from piecepay.operations import bills, campaigns, milestones, offers, reports, workers
    from piecepay.operations.bills import BillRequest
    from piecepay.operations.campaigns import CampaignTerms
    from piecepay.operations.verify import verify
    from piecepay.session import new_ledger, open_session

    rate, currency, step, actions = history
    digits, step_milli = DIGITS[currency], STEPS[step]
    with tempfile.TemporaryDirectory(prefix="piecepay-exact-") as folder:
        path = Path(folder) / "ledger.db"
        new_ledger(path, "prop", NOW, DAY)
        s = open_session(path, "prop", NOW, DAY, write=True)
        try:
            terms = CampaignTerms("Rows", "rows", "row", Decimal(rate), currency, step=Decimal(step))
            campaigns.create_campaign(s, terms)
            workers.add_worker(s, "ana")
            contract = str(offers.create_offer(s, "rows", "ana").contract.id)
            offers.accept_offer(s, contract)
            milestones.add_milestone(s, contract, Decimal(10**7))
            pending: list[tuple[int, int]] = []  # (bill id, pieces in thousandths)
            exact_released, posted_before = Fraction(0), 0

            def released_now() -> int:
                (row,) = reports.report(s, by=Grouping.CONTRACT).rows
                return row.figures.released.minor

            for kind, size, part in actions:
                if kind == "bill":
                    milli = size * step_milli
                    made = bills.bill(s, BillRequest(contract, Decimal(milli) / 1000))
                    assert made.bill.amount.minor == math.ceil(exact_minor(Fraction(milli, 1000), rate, digits))
                    pending.append((made.bill.id, milli))
                    continue
                if not pending:
                    continue
                bill_id, milli = pending.pop(size % len(pending))
                reserved = bills.find_bill(s, bill_id).amount.minor
                if kind == "reject":
                    bills.reject(s, bill_id, "no")
                    released_milli = 0
                else:
                    released_milli = milli if part == 0 else min(milli, step_milli * (1 + part % (milli // step_milli)))
                    bills.release(s, bill_id, Decimal(released_milli) / 1000)
                exact_released += exact_minor(Fraction(released_milli, 1000), rate, digits)
                now = released_now()
                assert 0 <= now - posted_before <= reserved, (kind, now - posted_before, reserved)
                assert now == half_up(exact_released), (now, exact_released)
                assert abs(now - exact_released) <= Fraction(1, 2)
                posted_before = now
            verify(s)  # raises on the first fault
        finally:
            s.close()


# --------------------------------------------------------------------------- a ledger from before exact totals


def test_an_upgraded_ledger_keeps_per_bill_rounding_for_its_old_bills_and_exact_totals_after(tmp_path: Path) -> None:
    """schema5.db (photos/ana at 5 USD a photo, bill 3 pending for 4 photos) is upgraded when
    opened: the checkpoint reseals the contracts with the entry their exact totals start from;
    the old pending bill, released afterwards, posts its own amount and leaves the carry at
    zero; new bills on the old contract then count from that zero carry at the new rate."""
    db = tmp_path / "ledger.db"
    shutil.copyfile(SCHEMA_5, db)
    ledger = Ledger(db, today=TODAY)
    assert ledger.run("verify").code == 0  # opening it upgrades it
    checkpoint = next(e for e in reversed(ledger.ok("log")) if e["kind"] == "checkpoint")
    ((sealed,),) = ledger.query(f"SELECT facts FROM entries WHERE id = {checkpoint['id']}")
    assert '"contracts"' in sealed and '"exact_from_entry"' in sealed
    ((exact_from, kept),) = ledger.query("SELECT exact_from_entry, released_carry FROM contracts")
    assert exact_from == checkpoint["id"] and Decimal(str(kept)) == 0
    old = ledger.ok("bill", "show", "3")
    released = ledger.ok("release", "3")
    assert released["released_minor"] == old["amount_minor"] == 2000
    ((kept,),) = ledger.query("SELECT released_carry FROM contracts")
    assert Decimal(str(kept)) == 0
    new = ledger.ok("bill", "photos/ana", "--pieces", "1")  # after the upgrade: exact totals
    ((entry,),) = ledger.query(f"SELECT entry_id FROM bills WHERE id = {new['id']}")
    assert entry > exact_from and new["amount_minor"] == 500
    before = released_minor_of(ledger, "photos/ana")
    assert ledger.ok("release", str(new["id"]))["released_minor"] == 500
    assert released_minor_of(ledger, "photos/ana") == before + 500
    ((kept,),) = ledger.query("SELECT released_carry FROM contracts")
    assert Decimal(str(kept)) == 0
    assert ledger.run("verify").code == 0


def released_minor_of(ledger: Ledger, contract: str) -> int:
    rows = ledger.ok("report", "--by", "contract")["rows"]
    return int(next(r for r in rows if r["contract"] == contract)["released_minor"])


# A ledger the release before exact totals wrote at schema 8 (2026-11-10): campaign rows at
# 0.004 USD a row, contract rows/ana ended (bill 1: 3 rows, 0.01 released, 9.99 refunded),
# contract rows/ben with 10.00 in escrow and bill 2 pending (3 rows, 0.01 reserved).
SCHEMA_8 = ROOT / "tests" / "data" / "schema8.db"
SCHEMA_8_HEAD = "14:ce889990acb23fb7a4aaa6d60b26ab094b4c2455be7bf18e39ad01d523680490"


def test_a_schema_8_ledger_upgrades_with_its_ended_contract_and_prices_its_old_bill_alone(tmp_path: Path) -> None:
    """Upgraded, the ledger verifies against the head it had (its checkpoint seals the ended
    contract again with the new columns, nothing else changed). A new bill of 1 row posts
    round(0.4) = 0 and carries 0.4; the old bill of 3 rows then posts the 0.01 it reserved
    (the running total would say round(1.6) = 2, more than it holds) and leaves the carry;
    the next row posts round(0.8) = 1."""
    db = tmp_path / "ledger.db"
    shutil.copyfile(SCHEMA_8, db)
    ledger = Ledger(db, today=TODAY)
    assert ledger.ok("verify", "--expect", SCHEMA_8_HEAD)["entries"] == 15
    new = bill_on(ledger, "rows/ben", "1")
    assert ledger.ok("release", str(new))["released_minor"] == half_up(exact_minor(1, "0.004", 2)) == 0
    assert ledger.ok("release", "2")["released_minor"] == ledger.ok("bill", "show", "2")["amount_minor"] == 1
    ((kept,),) = ledger.query("SELECT released_carry FROM contracts WHERE id = 2")
    assert Decimal(str(kept)) == Decimal("0.4")
    assert ledger.ok("release", str(bill_on(ledger, "rows/ben", "1")))["released_minor"] == 1
    assert ledger.ok("verify", "--expect", SCHEMA_8_HEAD)["entries"] == 20


def bill_on(ledger: Ledger, contract: str, pieces: str) -> int:
    return int(ledger.ok("bill", contract, "--pieces", pieces)["id"])
