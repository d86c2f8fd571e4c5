"""Tiered rates and platform fees, end to end through the command line, on both stores.

Tiers: from the N-th piece released in a week or a month of a contract, another rate; a bill
reserves at the highest rate and its release is priced piece by piece by the pieces released
before it in its bill's period. Fees: a campaign's percentage (with a minimum) charged to the
client on every release and bonus, held in escrow with each reservation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import Ledger

from piecepay.models import Fee, Tier
from piecepay.money import Currency, Money
from piecepay.rules import fee_at, tiered_value

BOTH_STORES = True
TODAY = "2026-11-30"
ACCEPTED = "2026-10-01"
USD = Currency("USD", 2)


@pytest.fixture
def book(ledger: Ledger) -> Ledger:
    ledger.today = TODAY
    ledger.ok("worker", "add", "ana")
    return ledger


def engaged(book: Ledger, slug: str, *campaign: str, top_up: str = "1000", offer: tuple[str, ...] = ()) -> str:
    book.ok("campaign", "create", slug.title(), "--slug", slug, "--unit", "row", *campaign)
    book.ok("offer", "create", slug, "ana", *offer)
    ref = f"{slug}/ana"
    book.ok("offer", "accept", ref, "--date", ACCEPTED)
    book.ok("milestone", "add", ref, "--top-up", top_up, "--date", ACCEPTED)
    return ref


def bill(book: Ledger, ref: str, pieces: str, on: str = "2026-11-18") -> dict[str, Any]:
    return dict(book.ok("bill", ref, "--pieces", pieces, "--date", on))


def released(book: Ledger, bill_id: int, *args: str) -> str:
    return str(book.ok("release", str(bill_id), *args)["released"])


def contract_row(book: Ledger) -> dict[str, Any]:
    (row,) = book.ok("report", "--by", "contract")["rows"]
    return dict(row)


# --------------------------------------------------------------------------- tiers: pricing, exactly


@pytest.mark.parametrize(
    ("position", "milli", "value"),
    [
        (0, 10_000, "0.10"),  # pieces 1-10 at the rate
        (0, 11_000, "0.12"),  # the 11th piece is the tier's first
        (9_000, 2_000, "0.03"),  # pieces 10 and 11: one each side of the boundary
        (10_000, 1_000, "0.02"),
        (0, 20_500, "0.325"),  # 10 at 0.01, 9 at 0.02, and 1.5 from the 20th at 0.03
        (19_500, 1_000, "0.03"),  # half of piece 20 and half of piece 21: both in the last tier
        (9_500, 1_000, "0.015"),  # half of piece 10 at 0.01, half of piece 11 at 0.02
    ],
)
def test_a_bill_is_priced_piece_by_piece_across_its_tiers(position: int, milli: int, value: str) -> None:
    tiers = (Tier(11, Decimal("0.02")), Tier(20, Decimal("0.03")))
    # pieces 1-10 at 0.01, 11-19 at 0.02, from the 20th at 0.03 (0-based thousandths: 19,000 on)
    assert tiered_value(Decimal("0.01"), tiers, position, milli) == Decimal(value)


def test_without_tiers_a_value_is_pieces_at_the_rate() -> None:
    assert tiered_value(Decimal("0.004"), (), 123_000, 2_000) == Decimal("0.008")


def test_a_tier_boundary_inside_one_bill_is_released_piece_by_piece(book: Ledger) -> None:
    ref = engaged(book, "rows", "--rate", "0.01", "--tier", "11:0.02")
    first = bill(book, ref, "12")
    assert first["amount"] == "0.24"  # reserved at the highest rate: which pieces the tier pays is known at release
    assert released(book, first["id"]) == "0.14"  # 10 x 0.01 + 2 x 0.02
    second = bill(book, ref, "3")
    assert released(book, second["id"]) == "0.06"  # pieces 13-15, all in the tier
    row = contract_row(book)
    assert (row["released"], row["reserved"], row["available"]) == ("0.20", "0.00", "999.80")
    assert book.run("verify").code == 0


def test_a_partial_release_of_a_tiered_bill_pays_its_first_pieces(book: Ledger) -> None:
    ref = engaged(book, "rows", "--rate", "0.01", "--tier", "6:0.05")
    first = bill(book, ref, "10")
    assert released(book, first["id"], "--pieces", "7") == "0.15"  # 5 x 0.01 + 2 x 0.05
    assert book.run("verify").code == 0


def test_each_week_starts_from_the_rate_again(book: Ledger) -> None:
    ref = engaged(book, "rows", "--rate", "0.01", "--tier", "3:0.10", "--tier-period", "week")
    week_47 = bill(book, ref, "4", on="2026-11-22")  # a Sunday
    week_48 = bill(book, ref, "4", on="2026-11-23")  # the Monday after
    assert released(book, week_47["id"]) == "0.22"  # 2 x 0.01 + 2 x 0.10
    assert released(book, week_48["id"]) == "0.22"  # a new week: from the rate again
    late = bill(book, ref, "1", on="2026-11-20")  # week 47 again: its 5th piece
    assert released(book, late["id"]) == "0.10"
    assert book.run("verify").code == 0


def test_a_week_crossing_a_month_counts_as_one_week_and_as_two_months(book: Ledger) -> None:
    """2026-W44 runs from Monday 26 October to Sunday 1 November."""
    weekly = engaged(book, "weekly", "--rate", "0.01", "--tier", "3:0.10", "--tier-period", "week")
    monthly = engaged(book, "monthly", "--rate", "0.01", "--tier", "3:0.10", "--tier-period", "month")
    for ref, second in ((weekly, "0.20"), (monthly, "0.02")):
        october = bill(book, ref, "2", on="2026-10-31")
        november = bill(book, ref, "2", on="2026-11-01")
        assert released(book, october["id"]) == "0.02"
        assert released(book, november["id"]) == second
    assert book.run("verify").code == 0


def test_pieces_count_toward_a_tier_in_the_order_they_are_released(book: Ledger) -> None:
    ref = engaged(book, "rows", "--rate", "0.01", "--tier", "3:0.10")
    first, second = bill(book, ref, "2"), bill(book, ref, "2")
    assert released(book, second["id"]) == "0.02"  # released first: pieces 1-2
    assert released(book, first["id"]) == "0.20"  # pieces 3-4
    rejected = bill(book, ref, "5")
    book.ok("reject", str(rejected["id"]), "--reason", "blurred")  # a rejection counts for nothing
    assert released(book, bill(book, ref, "1")["id"]) == "0.10"  # piece 5
    assert book.ok("release", str(rejected["id"]))["released"] == "0.50"  # reversed: pieces 6-10
    assert book.run("verify").code == 0


def test_an_offer_carries_its_campaigns_tiers_or_its_own_or_none(book: Ledger) -> None:
    book.ok("worker", "add", "ben")
    book.ok("worker", "add", "cy")
    book.ok("campaign", "create", "Rows", "--slug", "rows", "--rate", "0.01", "--tier", "3:0.10")
    assert book.ok("offer", "create", "rows", "ana")["tiers"] == "3:0.1"
    assert book.ok("offer", "create", "rows", "ben", "--tier", "2:0.05", "--tier", "4:0.5")["tiers"] == "2:0.05,4:0.5"
    own = book.ok("offer", "create", "rows", "cy", "--tier", "none")
    assert (own["tiers"], own["tier_period"]) == (None, None)
    shown = book.ok("campaign", "show", "rows")
    assert (shown["tiers"], shown["tier_period"]) == ("3:0.1", "month")


@pytest.mark.parametrize(
    ("tiers", "code"),
    [
        (("1:0.02",), "bad_tier"),  # from the first piece is the rate itself
        (("10:0.02", "10:0.03"), "bad_tier"),  # not later than the tier before
        (("10:0.02", "5:0.03"), "bad_tier"),
        (("10:0",), "not_positive"),
        (("10-0.02",), "bad_tier"),
        (("10:0.02:3",), "bad_tier"),
        (("x:0.02",), "bad_tier"),
        (("10:1e3",), "bad_tier"),
        (("10:0.0000000001",), "too_many_decimals"),
        (tuple(f"{n}:0.02" for n in range(2, 13)), "too_many_tiers"),
        (("1000000000001:0.02",), "too_large"),  # past the 10^12 pieces piecepay counts
    ],
)
def test_tiers_that_cannot_be_are_refused(book: Ledger, tiers: tuple[str, ...], code: str) -> None:
    args = [arg for tier in tiers for arg in ("--tier", tier)]
    refused = book.run("--json", "campaign", "create", "Rows", "--slug", "rows", "--rate", "0.01", *args)
    assert (refused.code, refused.error["code"]) == (2, code)
    assert book.ok("campaign", "list") == []


def test_ten_tiers_are_the_most(book: Ledger) -> None:
    args = [arg for n in range(2, 12) for arg in ("--tier", f"{n}:0.02")]
    assert book.ok("campaign", "create", "Rows", "--slug", "rows", "--rate", "0.01", *args)["tiers"].count(":") == 10


def test_a_tier_period_is_a_week_or_a_month(book: Ledger) -> None:
    refused = book.run("--json", "campaign", "create", "Rows", "--rate", "1", "--tier", "2:2", "--tier-period", "day")
    assert (refused.code, refused.error["code"]) == (2, "bad_tier_period")


# --------------------------------------------------------------------------- fees


@pytest.mark.parametrize(
    ("percent", "minimum", "paid", "fee"),
    [
        ("20", None, 500, 100),
        ("20", None, 3, 1),  # 0.6 of a cent, half-up
        ("20", None, 2, 0),  # 0.4 of a cent
        ("12.5", None, 4, 1),  # exactly half a cent rounds up
        ("20", 5, 2, 5),  # the minimum
        ("20", 5, 26, 5),  # 5.2 -> 5: the minimum and the share agree
        ("20", 5, 0, 0),  # nothing paid, nothing charged, whatever the minimum
        ("100", None, 777, 777),
    ],
)
def test_a_fee_is_its_share_rounded_once_and_at_least_its_minimum(
    percent: str, minimum: int | None, paid: int, fee: int
) -> None:
    charged = fee_at(Fee(Decimal(percent), Money(minimum, USD) if minimum is not None else None), Money(paid, USD))
    assert charged == Money(fee, USD)


def test_without_a_fee_nothing_is_charged() -> None:
    assert fee_at(None, Money(10_000, USD)) == Money(0, USD)


def test_a_fee_on_a_partial_release_is_charged_on_what_it_posts(book: Ledger) -> None:
    ref = engaged(book, "rows", "--rate", "1", "--fee", "20%", top_up="12")
    first = bill(book, ref, "10")  # 10.00 reserved, its fee 2.00 held with it: all of escrow
    assert (contract_row(book)["reserved"], contract_row(book)["available"]) == ("12.00", "0.00")
    assert released(book, first["id"], "--pieces", "5") == "5.00"
    row = contract_row(book)
    # 5.00 released, 1.00 charged, the rest of the reservation (5.00) and of its fee (1.00) back
    assert (row["released"], row["fees"], row["reserved"], row["available"]) == ("5.00", "1.00", "0.00", "6.00")
    assert book.run("verify").code == 0


def test_escrow_must_hold_a_bills_fee_too(book: Ledger) -> None:
    ref = engaged(book, "rows", "--rate", "1", "--fee", "20%", top_up="11.99")
    refused = book.run("--json", "bill", ref, "--pieces", "10", "--date", "2026-11-18")
    assert (refused.code, refused.error["code"]) == (1, "exceeds_escrow")
    assert "its fee 2.00 USD" in refused.error["message"]
    book.ok("milestone", "add", ref, "--top-up", "0.01", "--date", "2026-11-18")
    assert bill(book, ref, "10")["amount"] == "10.00"  # 12.00 exactly: the bill and its fee


def test_a_rejection_gives_back_the_fee_held(book: Ledger) -> None:
    ref = engaged(book, "rows", "--rate", "1", "--fee", "20%", "--fee-min", "0.50", top_up="100")
    first = bill(book, ref, "1")  # 1.00, its fee 0.50 (the minimum)
    assert contract_row(book)["reserved"] == "1.50"
    book.ok("reject", str(first["id"]), "--reason", "blurred")
    row = contract_row(book)
    assert (row["fees"], row["reserved"], row["available"]) == ("0.00", "0.00", "100.00")
    assert book.run("verify").code == 0


def test_bonuses_are_charged_the_fee_from_where_they_are_paid(book: Ledger) -> None:
    ref = engaged(book, "rows", "--rate", "1", "--fee", "10%", top_up="100")
    book.ok("bonus", ref, "--amount", "20", "--reason", "rush")  # escrow: 20.00 and 2.00
    book.ok("bonus", ref, "--amount", "5", "--reason", "weekend", "--from-funding")  # the client: 5.00 and 0.50
    row = contract_row(book)
    assert (row["bonuses"], row["fees"], row["available"]) == ("25.00", "2.50", "78.00")
    refused = book.run("--json", "bonus", ref, "--amount", "71", "--reason", "too much")  # 71 + 7.10 > 78
    assert (refused.code, refused.error["code"]) == (1, "exceeds_escrow")
    book.ok("bonus", ref, "--amount", "70.90", "--reason", "all of it")  # 70.90 + 7.09 = 77.99
    assert book.run("verify").code == 0


def test_fees_what_if_charges_the_same_payments_under_another_fee(book: Ledger) -> None:
    ref = engaged(book, "rows", "--rate", "0.01", "--fee", "20%")
    for pieces in ("1", "2", "3"):  # 0.01, 0.02 and 0.03 released: fees 0.00, 0.00, 0.01
        book.ok("release", str(bill(book, ref, pieces)["id"]))
    book.ok("bonus", ref, "--amount", "1", "--reason", "thanks")  # fee 0.20
    shown = book.ok("fees", "rows", "--what-if", "50%", "--fee-min", "0.02")
    assert (shown["payments"], shown["paid"], shown["charged"]) == (4, "1.06", "0.21")
    # under 50% with a 0.02 minimum: 0.02, 0.02, 0.02 (0.015 -> 0.02), 0.50
    assert (shown["would_charge"], shown["difference"]) == ("0.56", "0.35")
    assert book.ok("report", "--by", "contract")["rows"][0]["fees"] == "0.21"
    plain = book.ok("fees", "rows")
    assert (plain["charged"], plain["would_charge"]) == ("0.21", None)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--fee", "0%"), "bad_fee"),
        (("--fee", "100.01%"), "bad_fee"),
        (("--fee", "-5%"), "bad_fee"),
        (("--fee", "20%%"), "bad_fee"),
        (("--fee", "1e1"), "bad_fee"),
        (("--fee", "12.34567%"), "too_many_decimals"),
        (("--fee-min", "1"), "conflicting_options"),
        (("--fee", "5%", "--fee-min", "0.001"), "too_many_decimals"),
    ],
)
def test_fees_that_cannot_be_are_refused(book: Ledger, args: tuple[str, ...], code: str) -> None:
    refused = book.run("--json", "campaign", "create", "Rows", "--slug", "rows", "--rate", "1", *args)
    assert (refused.code, refused.error["code"]) == (2, code)
    assert book.ok("campaign", "list") == []


def test_a_fee_of_a_hundred_percent_is_the_most(book: Ledger) -> None:
    assert book.ok("campaign", "create", "Rows", "--rate", "1", "--fee", "100")["fee"] == "100%"


def test_books_with_tiers_bonuses_and_fees_are_accepted_by_hledger_and_beancount(book: Ledger, tmp_path: Path) -> None:
    ref = engaged(book, "rows", "--rate", "0.01", "--tier", "3:0.10", "--fee", "20%", "--fee-min", "0.05")
    book.ok("release", str(bill(book, ref, "5")["id"]))
    book.ok("bonus", ref, "--amount", "1", "--reason", "rush")
    book.ok("bonus", ref, "--amount", "1", "--reason", "weekend", "--from-funding")
    book.ok("reject", str(bill(book, ref, "2")["id"]), "--reason", "no")
    journal, ledger_file = tmp_path / "books.journal", tmp_path / "books.beancount"
    book.ok("export", "--format", "hledger", "--out", str(journal))
    book.ok("export", "--format", "beancount", "--out", str(ledger_file))
    hledger = shutil.which("hledger")
    if hledger is None:
        if os.environ.get("CI") == "true":
            pytest.fail("hledger is not installed")
        pytest.skip("hledger is not installed")
    balances = subprocess.run(
        [hledger, "-f", str(journal), "balance", "--flat", "--no-total", "Expenses"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # 0.02 + 0.30 released, 2.00 in bonuses, fees 0.06 + 0.20 + 0.20
    assert "0.32 USD  Expenses:PieceWork:Rows" in balances
    assert "2.00 USD  Expenses:Bonuses:Rows" in balances
    assert "0.46 USD  Expenses:Fees:Rows" in balances
    bean_check = Path(sys.executable).with_name("bean-check")
    command = [str(bean_check)] if bean_check.exists() else [sys.executable, "-m", "beancount.scripts.check"]
    checked = subprocess.run([*command, str(ledger_file)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert book.run("verify").code == 0
