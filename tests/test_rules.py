"""Every rule of the ledger as a pure function, tested at its edges: exactly at its limit
passes, one minor unit (one thousandth of a piece, one day) past it is refused with the
rule's own code and its figures. No database here."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from piecepay.dates import Period
from piecepay.errors import BadInput, PiecepayError, RuleRefused
from piecepay.models import (
    Bill,
    BillStatus,
    Campaign,
    CampaignStatus,
    Contract,
    ContractStatus,
    Fee,
    Milestone,
    MilestoneStatus,
    Tier,
    TierPeriod,
    Token,
    TokenRole,
)
from piecepay.money import MAX_MINOR, Currency, Money
from piecepay.rules import (
    BillFacts,
    bill_amount,
    bill_reservation,
    campaign_move,
    check_bill,
    check_bonus,
    check_budget_edit,
    check_campaign_editable,
    check_campaign_open,
    check_close,
    check_contract_active,
    check_deadline_edit,
    check_effective_date,
    check_end,
    check_fee_percent,
    check_new_campaign,
    check_new_offer,
    check_new_worker,
    check_offer_open,
    check_payout,
    check_pending_bill,
    check_piece_limit,
    check_piece_limit_edit,
    check_rate,
    check_release_pieces,
    check_resubmittable,
    check_resubmitted_pieces,
    check_reversal,
    check_revisable,
    check_revocable,
    check_room_for_worker,
    check_tiers,
    check_time,
    check_token_expiry,
    check_token_terms,
    check_top_up,
    check_workers_edit,
    fee_at,
    fee_of,
    makeup_date,
    payout_currency,
    pieces_in_steps,
    priced_alone,
    release_share,
    released_amount,
    reserved_amount,
    reserving_rate,
    tier_period,
    tiered_value,
)

TODAY = date(2026, 10, 10)
DEADLINE = date(2026, 12, 31)
ACCEPTED = date(2026, 10, 1)
DAY = timedelta(days=1)
USD = Currency("USD", 2)
JPY = Currency("JPY", 0)
KWD = Currency("KWD", 3)


def usd(minor: int) -> Money:
    return Money(minor, USD)


CAMPAIGN = Campaign(
    id=1,
    slug="photos",
    title="Photos",
    unit="photo",
    step=Decimal(1),
    rate=Decimal(5),
    currency=USD,
    budget=usd(10000),
    max_pieces_milli=20000,
    workers=None,
    milestone_cap=usd(2500),
    review_days=14,
    deadline=DEADLINE,
    status=CampaignStatus.OPEN,
    created_at="",
)
# 1 piece pending, 2 released and 5 rejected: 3 count against piece limits
CONTRACT = Contract(
    id=1,
    campaign_id=1,
    worker_id=1,
    campaign_slug="photos",
    worker_handle="ana",
    rate=Decimal(5),
    max_pieces_milli=8000,
    status=ContractStatus.ACTIVE,
    offered_at="",
    accepted_on=ACCEPTED,
    ended_on=None,
    escrow_account_id=1,
    refunded=usd(0),
    pieces_pending_milli=1000,
    pieces_released_milli=2000,
    pieces_rejected_milli=5000,
)
MILESTONE = Milestone(1, 1, 1, usd(10000), usd(2500), MilestoneStatus.OPEN, ACCEPTED, 1)
BILL = Bill(
    id=7,
    contract_id=1,
    milestone_id=1,
    pieces_milli=3000,
    rate=Decimal("0.005"),
    amount=usd(2),  # 3 x 0.005 = 0.015 -> 0.02
    status=BillStatus.PENDING,
    released_pieces_milli=0,
    released=usd(0),
    reason=None,
    note=None,
    minutes=None,
    proofs=(),
    effective_date=TODAY,
    resolved_on=None,
    entry_id=1,
    resolve_entry_id=None,
)


def campaign(**changes: object) -> Campaign:
    return CAMPAIGN._replace(**changes)  # type: ignore[arg-type]


def facts(**changes: object) -> BillFacts:
    base = BillFacts(
        CAMPAIGN,
        CONTRACT,
        MILESTONE,
        milestone_spent=usd(1500),
        escrow_available=usd(8500),
        campaign_pieces_committed_milli=3000,
        today=TODAY,
    )
    return base._replace(**changes)  # type: ignore[arg-type]


def refusal(f: BillFacts, pieces: int, amount: int, effective: date = TODAY) -> RuleRefused:
    with pytest.raises(RuleRefused) as caught:
        check_bill(f, pieces, usd(amount), effective)
    return caught.value


def exactly(caught: pytest.ExceptionInfo[PiecepayError], code: str, message: str) -> None:
    assert (caught.value.code, caught.value.message) == (code, message)
    assert str(caught.value) == message


# --------------------------------------------------------------------------- a bill's five rules


def test_a_bill_within_every_limit_passes_and_names_its_milestone() -> None:
    assert check_bill(facts(), 2000, usd(1000), TODAY) == MILESTONE


def test_cap_is_checked_with_pending_and_released_counted() -> None:
    err = refusal(facts(), 3000, 1500)
    assert err.code == "exceeds_milestone_cap"
    assert err.message == "milestone cap 25.00 USD has 10.00 USD left; this bill is 15.00 USD"


def test_milestone_cap_exactly_spent_passes_one_minor_unit_more_is_refused() -> None:
    # cap 25.00, spent 15.00: 10.00 left
    assert check_bill(facts(), 2000, usd(1000), TODAY) == MILESTONE
    assert check_bill(facts(), 2000, usd(999), TODAY) == MILESTONE
    err = refusal(facts(), 2000, 1001)
    assert (err.code, err.message) == (
        "exceeds_milestone_cap",
        "milestone cap 25.00 USD has 10.00 USD left; this bill is 10.01 USD",
    )
    assert err.exit_code == 1


def test_a_milestone_already_over_its_cap_has_nothing_left_not_a_negative_amount() -> None:
    err = refusal(facts(milestone_spent=usd(2600)), 1000, 1)
    assert err.message == "milestone cap 25.00 USD has 0.00 USD left; this bill is 0.01 USD"
    err = refusal(facts(milestone_spent=usd(2500)), 1000, 1)
    assert err.message == "milestone cap 25.00 USD has 0.00 USD left; this bill is 0.01 USD"


def test_a_milestone_without_a_cap_is_bounded_by_the_escrow_alone() -> None:
    uncapped = facts(milestone=MILESTONE._replace(cap=None), milestone_spent=usd(10**6))
    assert check_bill(uncapped, 2000, usd(8500), TODAY).cap is None
    assert refusal(uncapped, 2000, 8501).code == "exceeds_escrow"


def test_escrow_is_checked_after_the_cap() -> None:
    err = refusal(facts(escrow_available=usd(500)), 2000, 1000)
    assert (err.code, err.message) == ("exceeds_escrow", "escrow has 5.00 USD available; this bill is 10.00 USD")
    assert refusal(facts(escrow_available=usd(500)), 3000, 1500).code == "exceeds_milestone_cap"


def test_escrow_available_exactly_passes_one_minor_unit_more_is_refused() -> None:
    f = facts(escrow_available=usd(700))
    assert check_bill(f, 2000, usd(700), TODAY) == MILESTONE
    assert check_bill(f, 2000, usd(699), TODAY) == MILESTONE
    err = refusal(f, 2000, 701)
    assert (err.code, err.message) == ("exceeds_escrow", "escrow has 7.00 USD available; this bill is 7.01 USD")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"contract": CONTRACT._replace(status=ContractStatus.ENDED)}, "contract_not_active"),
        ({"campaign": CAMPAIGN._replace(status=CampaignStatus.PAUSED)}, "campaign_paused"),
        ({"campaign": CAMPAIGN._replace(status=CampaignStatus.CLOSED)}, "campaign_closed"),
        ({"today": date(2027, 1, 1)}, "deadline_passed"),
        ({"milestone": None}, "no_open_milestone"),
        ({"contract": CONTRACT._replace(max_pieces_milli=3500)}, "exceeds_contract_piece_limit"),
        ({"campaign_pieces_committed_milli": 19000}, "exceeds_campaign_piece_limit"),
    ],
)
def test_each_rule_refuses_with_its_own_code(changes: dict[str, object], code: str) -> None:
    assert refusal(facts(**changes), 2000, 1000).code == code


def test_state_refusals_name_the_contract_and_the_campaign() -> None:
    ended = refusal(facts(contract=CONTRACT._replace(status=ContractStatus.ENDED)), 2000, 1000)
    assert ended.message == "contract photos/ana (#1) is ended, not active"
    paused = refusal(facts(campaign=campaign(status=CampaignStatus.PAUSED)), 2000, 1000)
    assert paused.message == "campaign 'photos' is paused; resume it before billing"
    none = refusal(facts(milestone=None), 2000, 1000)
    assert none.message == (
        "contract photos/ana has no open milestone; add one with 'piecepay milestone add photos/ana'"
    )


def test_a_bill_on_the_deadline_day_passes_the_day_after_is_refused() -> None:
    on_the_day = facts(today=DEADLINE)
    assert check_bill(on_the_day, 2000, usd(1000), DEADLINE) == MILESTONE
    assert check_bill(on_the_day, 2000, usd(1000), DEADLINE - DAY) == MILESTONE
    # dated the day after (a date check_effective_date would also call future)
    err = refusal(on_the_day, 2000, 1000, DEADLINE + DAY)
    assert (err.code, err.message) == (
        "deadline_passed",
        "bill date 2027-01-01 is after the campaign deadline 2026-12-31",
    )
    # today after the deadline: refused even for a bill dated on the deadline
    err = refusal(facts(today=DEADLINE + DAY), 2000, 1000, DEADLINE)
    assert (err.code, err.message) == ("deadline_passed", "campaign 'photos' passed its deadline 2026-12-31")


def test_a_campaign_without_a_deadline_takes_bills_on_any_day() -> None:
    far = date(2099, 1, 1)
    assert check_bill(facts(campaign=campaign(deadline=None), today=far), 2000, usd(1000), far) == MILESTONE


def test_contract_piece_limit_at_below_and_above_and_rejected_pieces_do_not_count() -> None:
    # limit 8, committed 1 pending + 2 released = 3 (the 5 rejected do not count): 5 left
    assert CONTRACT.pieces_billed_milli == 8000
    for pieces in (4999, 5000):
        assert check_bill(facts(), pieces, usd(1), TODAY) == MILESTONE
    err = refusal(facts(), 5001, 1)
    assert (err.code, err.message) == (
        "exceeds_contract_piece_limit",
        "contract piece limit is 8 photos; 3 already billed, 5 left; this bill is 5.001",
    )


def test_campaign_piece_limit_at_below_and_above() -> None:
    # limit 20, 3 committed on the campaign: 17 left; the contract has no limit of its own here
    f = facts(contract=CONTRACT._replace(max_pieces_milli=None))
    for pieces in (16999, 17000):
        assert check_bill(f, pieces, usd(1), TODAY) == MILESTONE
    err = refusal(f, 17001, 1)
    assert (err.code, err.message) == (
        "exceeds_campaign_piece_limit",
        "campaign piece limit is 20 photos; 3 already billed, 17 left; this bill is 17.001",
    )


def test_piece_limit_message_gives_the_figures() -> None:
    err = refusal(facts(contract=CONTRACT._replace(max_pieces_milli=3500)), 2000, 1000)
    assert err.message == "contract piece limit is 3.5 photos; 3 already billed, 0.5 left; this bill is 2"


def test_piece_limit_already_passed_leaves_zero_not_a_negative_count() -> None:
    with pytest.raises(RuleRefused) as caught:
        check_piece_limit("campaign", 2000, 3000, 1, CAMPAIGN)
    exactly(
        caught,
        "exceeds_campaign_piece_limit",
        "campaign piece limit is 2 photos; 3 already billed, 0 left; this bill is 0.001",
    )


def test_no_piece_limit_means_any_number_of_pieces() -> None:
    check_piece_limit("contract", None, 10**15, 10**15, CAMPAIGN)
    check_piece_limit("contract", 5000, 0, 5000, CAMPAIGN)
    check_piece_limit("contract", 5000, 4999, 1, CAMPAIGN)
    with pytest.raises(RuleRefused):
        check_piece_limit("contract", 5000, 5000, 1, CAMPAIGN)


def test_piece_limits_are_checked_after_the_money_rules() -> None:
    f = facts(escrow_available=usd(1), contract=CONTRACT._replace(max_pieces_milli=3001))
    assert refusal(f, 2000, 1000).code == "exceeds_escrow"


def test_a_bill_of_one_minor_unit_passes() -> None:
    """A bill's amount is its value rounded up: never nothing, so no bill rounds to zero."""
    cheap = facts(contract=CONTRACT._replace(rate=Decimal("0.004")))
    assert check_bill(cheap, 1000, usd(1), TODAY) == MILESTONE  # 0.004 -> 0.01


# --------------------------------------------------------------------------- amounts and pieces


@pytest.mark.parametrize(
    ("currency", "pieces_milli", "rate", "minor"),
    [
        # USD, two digits: the half cent goes up, just under it goes down
        (USD, 1000, "0.005", 1),
        (USD, 1000, "0.0049999", 0),
        (USD, 3000, "0.005", 2),  # 0.015 -> 0.02
        (USD, 997000, "0.005", 499),  # 4.985 -> 4.99
        (USD, 2500, "1.20", 300),
        (USD, 1, "5", 1),  # 0.001 x 5 = 0.005 -> 0.01
        (USD, 1, "4.999", 0),
        # JPY, no digits: half a yen goes up
        (JPY, 1000, "0.5", 1),
        (JPY, 1000, "0.4999", 0),
        (JPY, 3000, "0.5", 2),  # 1.5 -> 2
        (JPY, 7000, "150", 1050),
        # KWD, three digits: half a fils goes up
        (KWD, 1000, "0.0005", 1),
        (KWD, 1000, "0.0004999", 0),
        (KWD, 3000, "0.0005", 2),  # 0.0015 -> 0.002
        (KWD, 2500, "0.001", 3),  # 0.0025 -> 0.003
    ],
)
def test_bill_amount_rounds_once_half_up_in_the_campaigns_currency(
    currency: Currency, pieces_milli: int, rate: str, minor: int
) -> None:
    assert bill_amount(pieces_milli, Decimal(rate), campaign(currency=currency)) == Money(minor, currency)


def test_bill_amount_at_the_64_bit_limit() -> None:
    assert bill_amount(1000, Decimal(MAX_MINOR).scaleb(-2), CAMPAIGN) == usd(MAX_MINOR)
    with pytest.raises(BadInput) as caught:
        bill_amount(1000, Decimal(MAX_MINOR + 1).scaleb(-2), CAMPAIGN)
    assert caught.value.code == "too_large"


@pytest.mark.parametrize(
    ("step", "pieces", "milli"),
    [
        ("1", "1", 1000),
        ("1", "250", 250000),
        ("0.5", "1.5", 1500),
        ("0.5", "0.5", 500),
        ("0.25", "0.75", 750),
        ("0.001", "0.001", 1),
        ("0.001", "1.234", 1234),
        ("1", "1000000000000", 10**15),  # the most pieces there can be
    ],
)
def test_pieces_that_are_whole_steps_are_stored_in_thousandths(step: str, pieces: str, milli: int) -> None:
    assert pieces_in_steps(Decimal(pieces), campaign(step=Decimal(step))) == milli


@pytest.mark.parametrize(
    ("step", "pieces", "code", "message"),
    [
        ("1", "1.5", "not_whole", "pieces '1.5' must be whole: this campaign bills whole pieces"),
        ("1", "0.999", "not_whole", "pieces '0.999' must be whole: this campaign bills whole pieces"),
        ("0.5", "1.25", "not_a_step", "pieces '1.25' must be a multiple of the campaign's step 0.5"),
        ("0.5", "1.501", "not_a_step", "pieces '1.501' must be a multiple of the campaign's step 0.5"),
        ("0.001", "0.0005", "not_a_step", "pieces '0.0005' must be a multiple of the campaign's step 0.001"),
        ("0.001", "1.0015", "not_a_step", "pieces '1.0015' must be a multiple of the campaign's step 0.001"),
        ("0.25", "0", "not_positive", "pieces '0' must be more than zero"),
        ("1", "0", "not_positive", "pieces '0' must be more than zero"),
        ("1", "-1", "not_positive", "pieces '-1' must be more than zero"),
        ("0.001", "-0.001", "not_positive", "pieces '-0.001' must be more than zero"),
        ("1", "NaN", "not_positive", "pieces 'NaN' must be more than zero"),
        ("1", "Infinity", "not_positive", "pieces 'Infinity' must be more than zero"),
        ("1", "1000000000001", "too_large", "pieces '1000000000001' is too large"),
        ("0.001", "1000000000000.001", "too_large", "pieces '1000000000000.001' is too large"),
    ],
)
def test_pieces_off_the_step_or_out_of_range_are_bad_input(step: str, pieces: str, code: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        pieces_in_steps(Decimal(pieces), campaign(step=Decimal(step)))
    exactly(caught, code, message)
    assert caught.value.exit_code == 2


def test_pieces_finer_than_a_thousandth_are_refused_even_on_a_finer_step() -> None:
    # parse_step allows no step finer than 0.001; a record that had one still stores thousandths
    with pytest.raises(BadInput) as caught:
        pieces_in_steps(Decimal("1.0001"), campaign(step=Decimal("0.0001")))
    exactly(caught, "not_a_step", "pieces '1.0001' must be a multiple of the campaign's step 0.0001")
    assert pieces_in_steps(Decimal("1.001"), campaign(step=Decimal("0.0001"))) == 1001


def test_pieces_in_steps_names_what_it_checks() -> None:
    with pytest.raises(BadInput) as caught:
        pieces_in_steps(Decimal("2.5"), CAMPAIGN, "max pieces")
    exactly(caught, "not_whole", "max pieces '2.5' must be whole: this campaign bills whole pieces")
    with pytest.raises(BadInput) as caught:
        pieces_in_steps(Decimal("0"), CAMPAIGN, "max pieces")
    exactly(caught, "not_positive", "max pieces '0' must be more than zero")


@pytest.mark.parametrize("rate", ["0.000000001", "0.005", "5", "1000000"])
def test_a_positive_rate_passes(rate: str) -> None:
    check_rate(Decimal(rate))


@pytest.mark.parametrize("rate", ["0", "-0.005", "-5", "NaN", "Infinity", "-Infinity"])
def test_a_rate_that_is_not_positive_and_finite_is_bad_input(rate: str) -> None:
    with pytest.raises(BadInput) as caught:
        check_rate(Decimal(rate))
    exactly(caught, "not_positive", f"rate '{rate}' must be more than zero")


# --------------------------------------------------------------------------- releases


def test_a_release_may_cover_the_whole_bill_not_a_thousandth_more() -> None:
    check_release_pieces(BILL, 3000)
    check_release_pieces(BILL, 2999)
    check_release_pieces(BILL, 0)
    with pytest.raises(RuleRefused) as caught:
        check_release_pieces(BILL, 3001)
    exactly(caught, "release_exceeds_bill", "bill 7 is for 3 pieces; cannot release 3.001")


def test_a_full_release_posts_the_bills_own_amount() -> None:
    assert released_amount(BILL, 3000, CAMPAIGN) == usd(2)
    # what the bill reserved, not a recomputation (so a release always resolves its reservation)
    reserved = BILL._replace(amount=usd(3))
    assert released_amount(reserved, 3000, CAMPAIGN) == usd(3)


def test_a_partial_release_rounds_its_own_pieces_once_half_up() -> None:
    assert released_amount(BILL, 1000, CAMPAIGN) == usd(1)  # 0.005 -> 0.01
    assert released_amount(BILL, 2000, CAMPAIGN) == usd(1)  # 0.010
    assert released_amount(BILL, 0, CAMPAIGN) == usd(0)
    dear = BILL._replace(rate=Decimal(5), amount=usd(1500))
    assert released_amount(dear, 1, CAMPAIGN) == usd(1)  # 0.005 -> 0.01
    assert released_amount(dear, 0, CAMPAIGN) == usd(0)
    assert released_amount(dear, 2999, CAMPAIGN) == usd(1500)  # 14.995 -> 15.00


def test_released_amount_is_in_the_campaigns_currency() -> None:
    yen = BILL._replace(rate=Decimal("0.5"), amount=Money(2, JPY))
    assert released_amount(yen, 1000, campaign(currency=JPY)) == Money(1, JPY)
    assert released_amount(yen, 0, campaign(currency=JPY)) == Money(0, JPY)


def test_a_bill_resolves_exactly_once() -> None:
    check_pending_bill(BILL)
    with pytest.raises(RuleRefused) as caught:
        check_pending_bill(BILL._replace(status=BillStatus.RELEASED))
    exactly(caught, "bill_already_released", "bill 7 was already released")
    with pytest.raises(RuleRefused) as caught:
        check_pending_bill(BILL._replace(status=BillStatus.REJECTED))
    exactly(caught, "bill_already_rejected", "bill 7 was already rejected")


# --------------------------------------------------------------------------- ends and payouts


def test_a_contract_with_pending_bills_ends_only_when_told_what_to_do() -> None:
    with pytest.raises(RuleRefused) as caught:
        check_end(CONTRACT, 2, None)
    exactly(
        caught,
        "pending_bills",
        "contract photos/ana has 2 pending bill(s); release or reject them, or pass "
        "--release-pending or --reject-pending",
    )
    check_end(CONTRACT, 2, "release")
    check_end(CONTRACT, 2, "reject")
    check_end(CONTRACT, 0, None)


def test_only_an_active_contract_ends() -> None:
    for status in (ContractStatus.ENDED, ContractStatus.OFFERED, ContractStatus.DECLINED):
        with pytest.raises(RuleRefused) as caught:
            check_end(CONTRACT._replace(status=status), 0, "release")
        exactly(caught, "contract_not_active", f"contract photos/ana (#1) is {status}, not active")
    check_contract_active(CONTRACT)


def test_a_payout_of_exactly_what_is_owed_passes_one_minor_unit_more_is_refused() -> None:
    check_payout("ana", usd(2500), usd(2500))
    check_payout("ana", usd(2500), usd(1))
    check_payout("ana", usd(1), usd(1))
    with pytest.raises(RuleRefused) as caught:
        check_payout("ana", usd(2500), usd(2501))
    exactly(caught, "exceeds_owed", "worker 'ana' is owed 25.00 USD; this payout is 25.01 USD")


@pytest.mark.parametrize("owed", [0, -1])
def test_a_payout_when_nothing_is_owed_is_refused(owed: int) -> None:
    with pytest.raises(RuleRefused) as caught:
        check_payout("ana", usd(owed), usd(1))
    exactly(caught, "nothing_owed", "worker 'ana' has nothing owed in this currency")


def test_payout_currency_is_the_one_asked_for_if_owed_in_it() -> None:
    assert payout_currency("ana", "EUR", ["EUR", "USD"]) == "EUR"
    assert payout_currency("ana", "USD", ["USD"]) == "USD"
    with pytest.raises(RuleRefused) as caught:
        payout_currency("ana", "JPY", ["EUR", "USD"])
    exactly(caught, "nothing_owed", "worker 'ana' is owed nothing in JPY")


def test_payout_currency_is_the_only_one_owed_when_none_is_asked() -> None:
    assert payout_currency("ana", None, ["USD"]) == "USD"
    with pytest.raises(RuleRefused) as caught:
        payout_currency("ana", None, [])
    exactly(caught, "nothing_owed", "worker 'ana' has no released earnings to pay out")
    with pytest.raises(BadInput) as ambiguous:
        payout_currency("ana", None, ["EUR", "USD"])
    exactly(ambiguous, "currency_ambiguous", "worker 'ana' is owed in EUR, USD; pass --currency")
    assert ambiguous.value.exit_code == 2


# --------------------------------------------------------------------------- edits


def test_an_open_or_paused_campaign_may_be_edited_a_closed_one_may_not() -> None:
    check_campaign_editable(campaign())
    check_campaign_editable(campaign(status=CampaignStatus.PAUSED))
    with pytest.raises(RuleRefused) as caught:
        check_campaign_editable(campaign(status=CampaignStatus.CLOSED))
    exactly(caught, "campaign_closed", "campaign 'photos' is closed; its terms can no longer change")


def test_a_budget_equal_to_what_is_committed_passes_one_minor_unit_below_is_refused() -> None:
    check_budget_edit(campaign(budget=usd(4000)), usd(4000))
    check_budget_edit(campaign(budget=None), usd(MAX_MINOR))  # no budget holds anything
    with pytest.raises(RuleRefused) as caught:
        check_budget_edit(campaign(budget=usd(3999)), usd(4000))
    exactly(
        caught,
        "budget_below_committed",
        "campaign 'photos' has committed 40.00 USD (top-ups less refunds); a budget of 39.99 USD is below it",
    )


def test_a_piece_limit_equal_to_the_pieces_committed_passes_a_thousandth_below_is_refused() -> None:
    check_piece_limit_edit(campaign(max_pieces_milli=3000), 3000)
    check_piece_limit_edit(campaign(max_pieces_milli=None), 3000)
    with pytest.raises(RuleRefused) as caught:
        check_piece_limit_edit(campaign(max_pieces_milli=2999), 3000)
    exactly(
        caught,
        "piece_limit_below_billed",
        "campaign 'photos' has 3 photos pending or released; a piece limit of 2.999 photos is below it",
    )


def test_workers_equal_to_the_contracts_taken_pass_one_fewer_is_refused() -> None:
    check_workers_edit(campaign(workers=2), 2)
    check_workers_edit(campaign(workers=None), 2)
    with pytest.raises(RuleRefused) as caught:
        check_workers_edit(campaign(workers=1), 2)
    exactly(
        caught,
        "workers_below_accepted",
        "campaign 'photos' has accepted 2 contract(s), ended ones included; room for 1 worker(s) is below it",
    )


def test_a_new_deadline_of_today_or_the_latest_bill_passes_the_day_before_is_refused() -> None:
    check_deadline_edit(campaign(deadline=TODAY), TODAY, TODAY)
    check_deadline_edit(campaign(deadline=TODAY), TODAY, None)
    check_deadline_edit(campaign(deadline=None), TODAY, TODAY + DAY)  # no deadline at all
    with pytest.raises(RuleRefused) as caught:
        check_deadline_edit(campaign(deadline=TODAY - DAY), TODAY, None)
    exactly(caught, "deadline_in_past", "deadline 2026-10-09 is before today (2026-10-10)")
    check_deadline_edit(campaign(deadline=TODAY + DAY), TODAY, TODAY + DAY)
    with pytest.raises(RuleRefused) as caught:
        check_deadline_edit(campaign(deadline=TODAY), TODAY, TODAY + DAY)
    exactly(
        caught,
        "deadline_before_bill",
        "deadline 2026-10-10 is before the latest bill on campaign 'photos', dated 2026-10-11",
    )


# --------------------------------------------------------------------------- dates


def test_an_effective_date_of_today_passes_tomorrow_is_the_future() -> None:
    check_effective_date(TODAY, TODAY, ACCEPTED, "bill")
    check_effective_date(TODAY - DAY, TODAY, None, "bill")
    with pytest.raises(BadInput) as caught:
        check_effective_date(TODAY + DAY, TODAY, None, "bill")
    exactly(caught, "date_in_future", "bill date 2026-10-11 is in the future")


def test_an_effective_date_on_the_acceptance_day_passes_the_day_before_is_refused() -> None:
    check_effective_date(ACCEPTED, TODAY, ACCEPTED, "bill")
    check_effective_date(ACCEPTED + DAY, TODAY, ACCEPTED, "bill")
    with pytest.raises(RuleRefused) as caught:
        check_effective_date(ACCEPTED - DAY, TODAY, ACCEPTED, "bill")
    exactly(caught, "date_before_contract", "bill date 2026-09-30 is before the contract was accepted (2026-10-01)")


def test_a_release_date_may_not_come_before_its_bill() -> None:
    billed = date(2026, 10, 5)
    check_effective_date(billed, TODAY, billed, "release", since="bill")
    with pytest.raises(RuleRefused) as caught:
        check_effective_date(billed - DAY, TODAY, billed, "release", since="bill")
    exactly(caught, "date_before_bill", "release date 2026-10-04 is before the bill's date (2026-10-05)")


def test_the_future_is_refused_before_the_earliest_date_is_considered() -> None:
    with pytest.raises(BadInput) as caught:
        check_effective_date(TODAY + DAY, TODAY, TODAY + 2 * DAY, "top-up")
    exactly(caught, "date_in_future", "top-up date 2026-10-11 is in the future")


# --------------------------------------------------------------------------- campaigns


def test_an_open_campaign_takes_work_until_its_deadline_day() -> None:
    check_campaign_open(CAMPAIGN, TODAY, "billing")
    check_campaign_open(CAMPAIGN, DEADLINE, "billing")
    check_campaign_open(campaign(deadline=None), date(2099, 1, 1), "billing")
    with pytest.raises(RuleRefused) as caught:
        check_campaign_open(CAMPAIGN, DEADLINE + DAY, "billing")
    exactly(caught, "deadline_passed", "campaign 'photos' passed its deadline 2026-12-31")


def test_a_paused_or_closed_campaign_takes_no_work() -> None:
    with pytest.raises(RuleRefused) as caught:
        check_campaign_open(campaign(status=CampaignStatus.PAUSED), TODAY, "offering work")
    exactly(caught, "campaign_paused", "campaign 'photos' is paused; resume it before offering work")
    with pytest.raises(RuleRefused) as caught:
        check_campaign_open(campaign(status=CampaignStatus.CLOSED), TODAY, "billing")
    exactly(caught, "campaign_closed", "campaign 'photos' is closed")


def test_pause_and_resume_move_between_open_and_paused_only() -> None:
    assert campaign_move(CAMPAIGN, "pause") is CampaignStatus.PAUSED
    assert campaign_move(campaign(status=CampaignStatus.PAUSED), "resume") is CampaignStatus.OPEN
    cases = [
        (CampaignStatus.PAUSED, "pause", "campaign_paused", "campaign 'photos' is paused; cannot pause it"),
        (CampaignStatus.OPEN, "resume", "campaign_open", "campaign 'photos' is open; cannot resume it"),
        (CampaignStatus.CLOSED, "pause", "campaign_closed", "campaign 'photos' is closed; cannot pause it"),
        (CampaignStatus.CLOSED, "resume", "campaign_closed", "campaign 'photos' is closed; cannot resume it"),
    ]
    for status, action, code, message in cases:
        with pytest.raises(RuleRefused) as caught:
            campaign_move(campaign(status=status), action)
        exactly(caught, code, message)


def test_a_campaign_closes_once_and_only_with_no_active_contract() -> None:
    check_close(CAMPAIGN, 0)
    check_close(campaign(status=CampaignStatus.PAUSED), 0)
    with pytest.raises(RuleRefused) as caught:
        check_close(CAMPAIGN, 1)
    exactly(
        caught,
        "campaign_has_active_contracts",
        "campaign 'photos' has 1 active contract(s); end them first ('piecepay end CONTRACT')",
    )
    with pytest.raises(RuleRefused) as caught:
        check_close(campaign(status=CampaignStatus.CLOSED), 0)
    exactly(caught, "campaign_closed", "campaign 'photos' is already closed")


def test_names_are_taken_once() -> None:
    check_new_campaign(False, "photos")
    with pytest.raises(RuleRefused) as caught:
        check_new_campaign(True, "photos")
    exactly(caught, "campaign_exists", "campaign 'photos' already exists; pass --slug to name this one")
    check_new_worker(False, "ana")
    with pytest.raises(RuleRefused) as caught:
        check_new_worker(True, "ana")
    exactly(caught, "worker_exists", "worker 'ana' already exists")


def test_top_up_past_budget_is_refused_at_the_edge() -> None:
    check_top_up(CAMPAIGN, usd(9000), usd(1000))  # exactly the budget
    check_top_up(CAMPAIGN, usd(9000), usd(999))
    with pytest.raises(RuleRefused) as caught:
        check_top_up(CAMPAIGN, usd(9000), usd(1001))
    exactly(
        caught, "exceeds_campaign_budget", "campaign budget 100.00 USD has 10.00 USD left; this top-up is 10.01 USD"
    )


def test_a_budget_already_passed_has_nothing_left_and_no_budget_has_no_limit() -> None:
    with pytest.raises(RuleRefused) as caught:
        check_top_up(CAMPAIGN, usd(10001), usd(1))
    exactly(caught, "exceeds_campaign_budget", "campaign budget 100.00 USD has 0.00 USD left; this top-up is 0.01 USD")
    check_top_up(campaign(budget=None), usd(10**15), usd(10**15))
    check_top_up(CAMPAIGN, usd(10000), usd(0))  # a zero top-up at the budget


# --------------------------------------------------------------------------- offers


def test_one_open_offer_or_active_contract_per_worker_and_campaign() -> None:
    check_new_offer(None, CAMPAIGN, "ana")
    offer = CONTRACT._replace(id=3, status=ContractStatus.OFFERED)
    with pytest.raises(RuleRefused) as caught:
        check_new_offer(offer, CAMPAIGN, "ana")
    exactly(caught, "already_engaged", "worker 'ana' already has an offered offer #3 on 'photos'")
    with pytest.raises(RuleRefused) as caught:
        check_new_offer(CONTRACT._replace(id=3), CAMPAIGN, "ana")
    exactly(caught, "already_engaged", "worker 'ana' already has an active contract #3 on 'photos'")


@pytest.mark.parametrize(
    ("action", "past"), [("accept", "accepted"), ("decline", "declined"), ("withdraw", "withdrawn")]
)
def test_only_an_open_offer_can_be_accepted_declined_or_withdrawn(action: str, past: str) -> None:
    check_offer_open(CONTRACT._replace(status=ContractStatus.OFFERED), action)
    for status in (ContractStatus.ACTIVE, ContractStatus.DECLINED, ContractStatus.WITHDRAWN, ContractStatus.ENDED):
        with pytest.raises(RuleRefused) as caught:
            check_offer_open(CONTRACT._replace(status=status), action)
        exactly(caught, f"offer_{status}", f"offer #1 (photos/ana) is {status}; only an open offer can be {past}")


def test_room_for_workers_at_below_and_above_the_limit() -> None:
    three = campaign(workers=3)
    check_room_for_worker(three, 0)
    check_room_for_worker(three, 2)  # workers - 1 taken: one place left
    for taken in (3, 4):
        with pytest.raises(RuleRefused) as caught:
            check_room_for_worker(three, taken)
        exactly(caught, "campaign_full", "campaign 'photos' has room for 3 worker(s) and all are taken")
    check_room_for_worker(CAMPAIGN, 10**6)  # no --workers: no limit


# --------------------------------------------------------------------------- revisions, reversals, tokens

REJECTED = BILL._replace(
    pieces_milli=4000, rate=Decimal(5), amount=usd(2000), status=BillStatus.REJECTED, resolved_on=TODAY
)


def reversal_facts(**changes: object) -> BillFacts:
    facts = BillFacts(CAMPAIGN, CONTRACT, MILESTONE, usd(500), usd(2000), 3000, TODAY)
    return facts._replace(**changes)


@pytest.mark.parametrize(
    ("status", "revise", "resubmit"),
    [
        (BillStatus.PENDING, None, "bill_not_revising"),
        (BillStatus.REVISING, "bill_revising", None),
        (BillStatus.RELEASED, "bill_already_released", "bill_already_released"),
        (BillStatus.REJECTED, "bill_already_rejected", "bill_already_rejected"),
    ],
)
def test_what_may_be_revised_and_resubmitted(status: BillStatus, revise: str | None, resubmit: str | None) -> None:
    bill = BILL._replace(status=status)
    for check, code in ((check_revisable, revise), (check_resubmittable, resubmit)):
        if code is None:
            check(bill)
        else:
            with pytest.raises(RuleRefused) as refused:
                check(bill)
            assert refused.value.code == code
            assert (
                refused.value.message
                == {
                    "bill_revising": "bill 7 is already out for a revision",
                    "bill_not_revising": "bill 7 is pending, not out for a revision",
                    "bill_already_released": "bill 7 was already released",
                    "bill_already_rejected": "bill 7 was already rejected",
                }[code]
            )


def test_a_resubmission_claims_as_many_pieces_or_fewer() -> None:
    bill = BILL._replace(pieces_milli=3000, amount=usd(1500))
    check_resubmitted_pieces(bill, 3000, usd(1500))  # as many: the limit itself
    check_resubmitted_pieces(bill, 1000, usd(500))
    for milli, amount in ((4000, usd(1500)), (3000, usd(1501))):  # a piece more, or a cent more
        with pytest.raises(RuleRefused) as refused:
            check_resubmitted_pieces(bill, milli, amount)
        assert refused.value.code == "resubmit_exceeds_bill"
        assert refused.value.message == (
            f"bill 7 is for 3 pieces (15.00 USD); a resubmission may claim as many or fewer, "
            f"not {milli // 1000} ({amount})"
        )


def test_a_reversal_is_within_its_window_to_the_day() -> None:
    last = TODAY + timedelta(days=CAMPAIGN.reversal_days)
    check_reversal(REJECTED, reversal_facts(today=last), 4000, usd(2000))
    with pytest.raises(RuleRefused) as refused:
        check_reversal(REJECTED, reversal_facts(today=last + DAY), 4000, usd(2000))
    assert refused.value.code == "reversal_window_passed"
    assert refused.value.message.endswith(f"within 30 days (until {last.isoformat()})")


@pytest.mark.parametrize(
    ("facts", "pieces", "amount", "code", "message"),
    [
        (
            {"contract": CONTRACT._replace(status=ContractStatus.ENDED)},
            4000,
            2000,
            "contract_not_active",
            "contract photos/ana (#1) is ended, not active",
        ),
        ({}, 5000, 2500, "release_exceeds_bill", "bill 7 is for 4 pieces; cannot release 5"),
        ({}, 1000, 0, "amount_rounds_to_zero", "1 photo of bill 7 at 5 USD rounds to 0.00; release more pieces"),
        (  # 25.00 cap, 5.01 spent
            {"milestone_spent": usd(501)},
            4000,
            2000,
            "exceeds_milestone_cap",
            "milestone cap 25.00 USD has 19.99 USD left; releasing bill 7 needs 20.00 USD",
        ),
        (
            {"milestone_spent": usd(2600)},
            4000,
            2000,
            "exceeds_milestone_cap",
            "milestone cap 25.00 USD has 0.00 USD left; releasing bill 7 needs 20.00 USD",
        ),
        (
            {"escrow_available": usd(1999)},
            4000,
            2000,
            "exceeds_escrow",
            "escrow has 19.99 USD available; releasing bill 7 needs 20.00 USD",
        ),
        (
            {"contract": CONTRACT._replace(pieces_released_milli=3001)},
            4000,
            2000,
            "exceeds_contract_piece_limit",
            None,
        ),
        ({"campaign_pieces_committed_milli": 16001}, 4000, 2000, "exceeds_campaign_piece_limit", None),
    ],
)
def test_a_reversal_needs_room_now(
    facts: dict[str, object], pieces: int, amount: int, code: str, message: str | None
) -> None:
    with pytest.raises(RuleRefused) as refused:
        check_reversal(REJECTED, reversal_facts(**facts), pieces, usd(amount))
    assert refused.value.code == code
    assert message is None or refused.value.message == message


def test_a_reversal_of_one_cent_is_money() -> None:
    check_reversal(REJECTED, reversal_facts(), 1000, usd(1))


def test_a_reversal_fits_exactly() -> None:
    """Each limit met exactly: the cap (5.00 spent of 25.00, and 20.00 more), the escrow
    (20.00 available), the contract's 8 pieces (4 committed, 4 more) and the campaign's 20
    (16 committed, 4 more)."""
    check_reversal(REJECTED, reversal_facts(), 4000, usd(2000))
    check_reversal(
        REJECTED,
        reversal_facts(contract=CONTRACT._replace(pieces_released_milli=3000), campaign_pieces_committed_milli=16000),
        4000,
        usd(2000),
    )


@pytest.mark.parametrize(
    ("role", "worker", "campaigns", "taken", "code"),
    [
        (TokenRole.WORKER, None, 0, False, "worker_required"),
        (TokenRole.OWNER, "ana", 0, False, "conflicting_options"),
        (TokenRole.REVIEWER, "ana", 0, False, "conflicting_options"),
        (TokenRole.OWNER, None, 1, False, "conflicting_options"),
        (TokenRole.REVIEWER, None, 2, True, "token_exists"),
        (TokenRole.WORKER, "ana", 0, True, "token_exists"),
    ],
)
def test_token_terms_refused(role: TokenRole, worker: str | None, campaigns: int, taken: bool, code: str) -> None:
    with pytest.raises(PiecepayError) as refused:
        check_token_terms(role, worker, campaigns, taken, "ana")
    assert refused.value.code == code
    assert refused.value.message == {
        "worker_required": "a worker's token names its worker: pass --worker",
        "token_exists": "a token named 'ana' exists already; pass another --name",
    }.get(code, refused.value.message)
    if code == "conflicting_options":
        assert refused.value.message in (
            f"--worker goes with --role worker, not {role}",
            "an owner's token covers every campaign; --campaign goes with reviewer or worker",
        )


def test_token_terms_and_expiry_allowed() -> None:
    check_token_terms(TokenRole.WORKER, "ana", 2, False, "ana")
    check_token_terms(TokenRole.REVIEWER, None, 2, False, "reviewer")
    check_token_terms(TokenRole.OWNER, None, 0, False, "owner")
    check_token_expiry(None, TODAY)
    check_token_expiry(TODAY, TODAY)  # today is a last day
    with pytest.raises(BadInput) as refused:
        check_token_expiry(TODAY - DAY, TODAY)
    assert refused.value.code == "date_in_past"
    assert refused.value.message == "--expires 2026-10-09 is before today (2026-10-10)"


def test_a_token_is_revoked_once() -> None:
    token = Token(1, "ana", TokenRole.WORKER, 1, "ana", (), (), TODAY, "", None)
    check_revocable(token)
    assert (token.state(TODAY), token.state(TODAY + DAY)) == ("active", "expired")
    revoked = token._replace(revoked_on=TODAY)
    assert revoked.state(TODAY - DAY) == "revoked"
    with pytest.raises(RuleRefused) as refused:
        check_revocable(revoked)
    assert refused.value.code == "token_revoked"
    assert refused.value.message == "token 1 (ana) was revoked on 2026-10-10"


# --------------------------------------------------------------------------- platform fees

TEN_PERCENT = Fee(Decimal(10), None)


@pytest.mark.parametrize("percent", ["0.0001", "0.5", "12.3456", "20", "99.9999", "100", "100.0000"])
def test_a_fee_above_zero_and_at_most_100_percent_to_four_decimals_passes(percent: str) -> None:
    check_fee_percent(Decimal(percent))


@pytest.mark.parametrize(
    ("percent", "code", "message"),
    [
        ("0", "bad_fee", "fee '0%' must be more than 0% and at most 100%"),
        ("0.0000", "bad_fee", "fee '0%' must be more than 0% and at most 100%"),
        ("-1", "bad_fee", "fee '-1%' must be more than 0% and at most 100%"),
        ("100.0001", "bad_fee", "fee '100.0001%' must be more than 0% and at most 100%"),
        ("101", "bad_fee", "fee '101%' must be more than 0% and at most 100%"),
        ("0.00001", "too_many_decimals", "fee '0.00001%' has more than 4 decimals"),
        ("12.34567", "too_many_decimals", "fee '12.34567%' has more than 4 decimals"),
        # shown as typed: '20%' would not have too many decimals
        ("20.00000", "too_many_decimals", "fee '20.00000%' has more than 4 decimals"),
    ],
)
def test_a_fee_out_of_its_span_or_too_fine_is_refused_with_its_figure(percent: str, code: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        check_fee_percent(Decimal(percent))
    exactly(caught, code, message)


@pytest.mark.parametrize("percent", ["NaN", "Infinity", "-Infinity"])
def test_a_fee_that_is_not_a_number_is_refused(percent: str) -> None:
    with pytest.raises(BadInput) as caught:
        check_fee_percent(Decimal(percent))
    assert caught.value.code == "bad_fee"


@pytest.mark.parametrize(
    ("percent", "paid", "fee"),
    [
        ("10", 5, 1),  # 0.5 rounds half-up, not to even
        ("10", 25, 3),  # 2.5 -> 3
        ("10", 14, 1),  # 1.4 -> 1
        ("10", 15, 2),
        ("12.5", 4, 1),  # 0.5
        ("12.5", 3, 0),  # 0.375: a fee may round to nothing
        ("20", 1000, 200),
        ("0.0001", 10_000_000, 10),
        ("100", 1, 1),
        ("100", MAX_MINOR, MAX_MINOR),
        ("33.3333", 300, 100),  # 99.99990 -> 100
    ],
)
def test_a_fee_is_its_percentage_of_the_payment_rounded_once_half_up(percent: str, paid: int, fee: int) -> None:
    assert fee_at(Fee(Decimal(percent), None), usd(paid)) == usd(fee)


def test_a_fee_is_in_the_currency_of_what_it_is_charged_on() -> None:
    assert fee_at(TEN_PERCENT, Money(25, JPY)) == Money(3, JPY)
    assert fee_at(None, Money(25, KWD)) == Money(0, KWD)
    assert fee_at(TEN_PERCENT, Money(0, JPY)) == Money(0, JPY)


def test_a_fee_minimum_holds_below_and_at_it_and_the_percentage_above() -> None:
    floor = Fee(Decimal(10), usd(50))
    assert fee_at(floor, usd(1)) == usd(50)
    assert fee_at(floor, usd(499)) == usd(50)  # 49.9 -> 50: at the minimum
    assert fee_at(floor, usd(504)) == usd(50)  # 50.4 -> 50
    assert fee_at(floor, usd(505)) == usd(51)  # 50.5 -> 51: past it
    assert fee_at(floor, usd(10_000)) == usd(1000)


@pytest.mark.parametrize("paid", [0, -1, -500])
def test_nothing_paid_charges_no_fee_not_even_the_minimum(paid: int) -> None:
    assert fee_at(Fee(Decimal(10), usd(50)), usd(paid)) == usd(0)
    assert fee_at(Fee(Decimal(100), None), usd(paid)) == usd(0)


def test_no_fee_charges_nothing_and_a_campaigns_fee_is_its_own() -> None:
    assert fee_at(None, usd(1000)) == usd(0)
    assert fee_of(CAMPAIGN, usd(1000)) == usd(0)
    assert fee_of(campaign(fee=Fee(Decimal(20), usd(30))), usd(1000)) == usd(200)
    assert fee_of(campaign(fee=Fee(Decimal(20), usd(30))), usd(100)) == usd(30)


def test_a_bill_fits_the_escrow_with_its_fee_exactly_one_minor_unit_more_is_refused() -> None:
    fee = campaign(fee=Fee(Decimal(10), None))
    f = facts(campaign=fee, escrow_available=usd(1100))
    assert check_bill(f, 1000, usd(1000), TODAY) == MILESTONE  # 10.00 and its fee 1.00
    caught = refusal(f._replace(escrow_available=usd(1099)), 1000, 1000)
    assert (caught.code, caught.message) == (
        "exceeds_escrow",
        "escrow has 10.99 USD available; this bill is 10.00 USD and its fee 1.00 USD",
    )


# --------------------------------------------------------------------------- tiered rates


def tiers(*pairs: tuple[int, str]) -> tuple[Tier, ...]:
    return tuple(Tier(start, Decimal(rate)) for start, rate in pairs)


def test_ten_tiers_each_from_a_later_piece_pass_from_the_second_piece() -> None:
    check_tiers(())
    check_tiers(tiers((2, "4")))
    check_tiers(tiers(*((n, "1") for n in range(2, 12))))


@pytest.mark.parametrize(
    ("given", "code", "message"),
    [
        (((1, "4"),), "bad_tier", "tier 1:4 must start from a later piece than the first (that is the rate itself)"),
        (((0, "4"),), "bad_tier", "tier 0:4 must start from a later piece than the first (that is the rate itself)"),
        (((5, "4"), (5, "3")), "bad_tier", "tier 5:3 must start from a later piece than the tier before it (5)"),
        (((5, "4"), (4, "3")), "bad_tier", "tier 4:3 must start from a later piece than the tier before it (5)"),
        (
            ((2, "4"), (3, "3"), (3, "2")),
            "bad_tier",
            "tier 3:2 must start from a later piece than the tier before it (3)",
        ),
        (((2, "0"),), "not_positive", "rate '0' must be more than zero"),
        (((2, "1"), (3, "-1")), "not_positive", "rate '-1' must be more than zero"),
        (tuple((n, "1") for n in range(2, 13)), "too_many_tiers", "11 tiers: a campaign or offer has at most 10"),
    ],
)
def test_tiers_out_of_order_too_many_or_at_no_rate_are_refused(
    given: tuple[tuple[int, str], ...], code: str, message: str
) -> None:
    with pytest.raises(BadInput) as caught:
        check_tiers(tiers(*given))
    exactly(caught, code, message)


def test_a_contract_reserves_at_the_highest_of_its_rates() -> None:
    rate = CONTRACT.rate
    assert reserving_rate(rate, ()) == Decimal(5)
    assert reserving_rate(rate, tiers((10, "4"), (20, "3"))) == Decimal(5)
    assert reserving_rate(rate, tiers((10, "6"), (20, "5.5"))) == Decimal(6)
    assert reserving_rate(rate, tiers((10, "4"), (20, "7"))) == Decimal(7)


def test_a_tier_period_is_the_iso_week_or_the_calendar_month_of_the_day() -> None:
    day = date(2026, 11, 1)  # a Sunday: its ISO week began in October
    assert tier_period(TierPeriod.WEEK, day) == Period("2026-W44", date(2026, 10, 26), date(2026, 11, 1))
    assert tier_period(TierPeriod.MONTH, day) == Period("2026-11", date(2026, 11, 1), date(2026, 11, 30))


THREE_TIERS = tiers((3, "4"), (5, "3"))  # pieces 1-2 at 5, 3-4 at 4, 5 on at 3


@pytest.mark.parametrize(
    ("position", "milli", "value"),
    [
        (0, 0, "0"),
        (0, 1000, "5"),
        (0, 2000, "10"),
        (0, 3000, "14"),
        (0, 6000, "24"),  # 5 + 5 + 4 + 4 + 3 + 3
        (1000, 1000, "5"),  # the 2nd piece
        (2000, 1000, "4"),  # the 3rd: the first of its tier
        (1000, 2000, "9"),  # the 2nd and 3rd, across a tier
        (1500, 1000, "4.5"),  # half a piece each side of the tier
        (3999, 2, "0.007"),  # a thousandth at 4 and one at 3
        (4000, 1000, "3"),
        (100_000, 1000, "3"),  # far past the last tier
        (0, 1, "0.005"),
    ],
)
def test_tiered_pieces_are_each_priced_at_the_tier_they_fall_in(position: int, milli: int, value: str) -> None:
    found = tiered_value(Decimal(5), THREE_TIERS, position, milli)
    assert found == Decimal(value)
    assert isinstance(found, Decimal)


def test_without_tiers_every_piece_is_at_the_rate_and_a_tier_may_pay_more() -> None:
    assert tiered_value(Decimal("0.004"), (), 7000, 3000) == Decimal("0.012")
    assert tiered_value(Decimal(1), tiers((2, "2")), 0, 3000) == Decimal(5)


def test_tiered_value_is_exact_past_the_default_precision() -> None:
    rate = Decimal("123456789012345.123456789")
    assert tiered_value(rate, tiers((2, "0.000000001")), 0, 10**15) == rate + (10**12 - 1) * Decimal("0.000000001")
    # 15 digits of pieces times 24 of rate: 39 digits, past the 28 a default context keeps
    exact = Decimal("123456789012344999999999987.654876543211")
    assert tiered_value(rate, (), 0, 999_999_999_999_999) == exact
    assert tiered_value(Decimal(1), tiers((2, str(rate))), 1000, 999_999_999_999_999) == exact


# --------------------------------------------------------------------------- exact totals

USD_OLD = CONTRACT._replace(exact_from_entry=5)  # bills before entry 5 are priced alone


def test_a_bill_is_priced_alone_only_before_its_contracts_exact_totals_began() -> None:
    assert priced_alone(BILL._replace(entry_id=4), USD_OLD)
    assert not priced_alone(BILL._replace(entry_id=5), USD_OLD)
    assert not priced_alone(BILL._replace(entry_id=6), USD_OLD)
    assert not priced_alone(BILL, CONTRACT)


def test_a_bill_reserves_its_value_rounded_up_or_alone_half_up() -> None:
    bill = BILL._replace(pieces_milli=2800)  # 2.8 x 0.005 = 0.014 USD
    assert reserved_amount(2800, bill.rate, CAMPAIGN) == usd(2)
    assert bill_reservation(bill._replace(entry_id=5), USD_OLD, 2800, CAMPAIGN) == usd(2)  # rounded up
    assert bill_reservation(bill._replace(entry_id=4), USD_OLD, 2800, CAMPAIGN) == usd(1)  # alone, half-up
    assert bill_reservation(bill, CONTRACT, 2000, CAMPAIGN) == usd(1)  # 0.010 exactly: fewer pieces resubmitted
    assert bill_reservation(bill, CONTRACT, 2001, CAMPAIGN) == usd(2)


def test_a_tiered_bill_reserves_at_its_highest_rate_its_own_rate_included() -> None:
    contract = CONTRACT._replace(tiers=tiers((3, "0.007"), (5, "0.001")))
    assert bill_reservation(BILL, contract, 3000, CAMPAIGN) == usd(3)  # 3 x 0.007 = 0.021 -> 0.03
    above = BILL._replace(rate=Decimal("0.01"))
    assert bill_reservation(above, contract, 3000, CAMPAIGN) == usd(3)  # 3 x 0.01
    assert bill_reservation(above._replace(entry_id=4), USD_OLD._replace(tiers=contract.tiers), 3000, CAMPAIGN) == usd(
        3
    )


def test_a_release_posts_the_change_of_the_rounded_running_total_and_carries_the_rest() -> None:
    bill = BILL._replace(rate=Decimal("0.004"), pieces_milli=2000, amount=usd(1))  # 0.8 of a cent
    posted, carry = release_share(bill, CONTRACT, 2000, CAMPAIGN)
    assert (posted, carry) == (usd(1), Decimal("-0.2"))
    posted, carry = release_share(bill, CONTRACT._replace(released_carry=carry), 2000, CAMPAIGN)
    assert (posted, carry) == (usd(1), Decimal("-0.4"))
    posted, carry = release_share(bill, CONTRACT._replace(released_carry=Decimal("-0.4")), 1000, CAMPAIGN)
    assert (posted, carry) == (usd(0), Decimal("0.0"))  # -0.4 + 0.4


def test_a_thousandth_of_a_piece_released_is_money_too() -> None:
    bill = BILL._replace(rate=Decimal(5))  # a thousandth at 5.00 USD: half a cent
    assert release_share(bill, CONTRACT, 1, CAMPAIGN) == (usd(1), Decimal("-0.5"))
    assert release_share(bill, CONTRACT._replace(released_carry=Decimal("-0.5")), 1, CAMPAIGN) == (usd(0), Decimal(0))


def test_releasing_nothing_posts_nothing_and_keeps_the_carry() -> None:
    contract = CONTRACT._replace(released_carry=Decimal("0.3"))
    assert release_share(BILL, contract, 0, CAMPAIGN) == (usd(0), Decimal("0.3"))
    assert release_share(BILL._replace(entry_id=0), contract._replace(exact_from_entry=1), 0, CAMPAIGN) == (
        usd(0),
        Decimal("0.3"),
    )


def test_a_bill_from_before_exact_totals_posts_its_own_amount_and_keeps_the_carry() -> None:
    contract = USD_OLD._replace(released_carry=Decimal("0.3"))
    old = BILL._replace(entry_id=4)  # 3 x 0.005 = 0.015 -> 0.02 alone
    assert release_share(old, contract, 3000, CAMPAIGN) == (usd(2), Decimal("0.3"))
    assert release_share(old, contract, 1000, CAMPAIGN) == (usd(1), Decimal("0.3"))  # 0.005 -> 0.01
    assert release_share(old._replace(entry_id=5), contract, 3000, CAMPAIGN) == (usd(2), Decimal("-0.2"))  # 1.5 + 0.3


def test_a_tiered_release_is_priced_from_its_position_in_the_period() -> None:
    contract = CONTRACT._replace(tiers=tiers((3, "0.004")))
    bill = BILL._replace(pieces_milli=2000)  # at 0.005, then 0.004 from the 3rd piece
    assert release_share(bill, contract, 2000, CAMPAIGN) == (usd(1), Decimal("0.0"))  # 0.005 + 0.005
    assert release_share(bill, contract, 2000, CAMPAIGN, 1000) == (usd(1), Decimal("-0.1"))  # 0.005 + 0.004
    assert release_share(bill, contract, 2000, CAMPAIGN, 2000) == (usd(1), Decimal("-0.2"))  # 0.004 + 0.004
    assert release_share(bill, contract, 1000, CAMPAIGN, 2000) == (usd(0), Decimal("0.4"))
    assert release_share(bill, contract._replace(tiers=()), 2000, CAMPAIGN, 2000) == (usd(1), Decimal("0.0"))


# --------------------------------------------------------------------------- bonuses, time and make-up pay


@pytest.mark.parametrize("source", ["escrow", "funding"])
def test_a_bonus_is_paid_on_an_active_contract_from_either_source(source: str) -> None:
    check_bonus(CONTRACT, usd(800), usd(100), source, usd(900) if source == "escrow" else None)


def test_an_ended_contracts_bonus_comes_from_funding_only() -> None:
    ended = CONTRACT._replace(status=ContractStatus.ENDED)
    check_bonus(ended, usd(800), usd(0), "funding", None)
    with pytest.raises(RuleRefused) as caught:
        check_bonus(ended, usd(800), usd(0), "escrow", usd(10_000))
    exactly(
        caught,
        "contract_not_active",
        "contract photos/ana has ended and its escrow was refunded; pay the bonus --from-funding",
    )


@pytest.mark.parametrize("status", [ContractStatus.OFFERED, ContractStatus.DECLINED, ContractStatus.WITHDRAWN])
@pytest.mark.parametrize("source", ["escrow", "funding"])
def test_no_bonus_on_a_contract_never_accepted(status: ContractStatus, source: str) -> None:
    with pytest.raises(RuleRefused) as caught:
        check_bonus(CONTRACT._replace(status=status), usd(1), usd(0), source, usd(10_000))
    exactly(
        caught,
        "contract_not_active",
        f"contract photos/ana is {status.value}: a bonus is paid on an accepted contract",
    )


def test_a_bonus_and_its_fee_fit_the_escrow_exactly_one_minor_unit_more_is_refused() -> None:
    check_bonus(CONTRACT, usd(800), usd(100), "escrow", usd(900))
    check_bonus(CONTRACT, usd(900), usd(0), "escrow", usd(900))
    with pytest.raises(RuleRefused) as caught:
        check_bonus(CONTRACT, usd(800), usd(101), "escrow", usd(900))
    exactly(
        caught,
        "exceeds_escrow",
        "a bonus of 8.00 USD and its fee 1.01 USD exceeds what contract photos/ana's escrow has available "
        "(9.00 USD); top it up, or pay it --from-funding",
    )
    with pytest.raises(RuleRefused) as caught:
        check_bonus(CONTRACT, usd(901), usd(0), "escrow", usd(900))
    assert caught.value.message.startswith("a bonus of 9.01 USD exceeds")
    check_bonus(CONTRACT, usd(10**9), usd(10**8), "funding", usd(0))  # funding is not the escrow's


def test_time_is_recorded_on_an_active_contract_only() -> None:
    check_time(CONTRACT)
    with pytest.raises(RuleRefused) as caught:
        check_time(CONTRACT._replace(status=ContractStatus.ENDED))
    assert caught.value.code == "contract_not_active"


WEEK_47 = Period("2026-W47", date(2026, 11, 16), date(2026, 11, 22))


@pytest.mark.parametrize(
    ("today", "makeup"),
    [
        (date(2026, 11, 16), date(2026, 11, 16)),  # its first day
        (date(2026, 11, 19), date(2026, 11, 19)),  # while it runs: today
        (date(2026, 11, 22), date(2026, 11, 22)),
        (date(2026, 11, 23), date(2026, 11, 22)),  # after: its last day
        (date(2027, 1, 1), date(2026, 11, 22)),
    ],
)
def test_a_makeup_is_dated_today_within_its_period_or_on_its_last_day(today: date, makeup: date) -> None:
    assert makeup_date(WEEK_47, today, None) == makeup


def test_a_makeup_for_a_period_not_begun_is_refused() -> None:
    with pytest.raises(RuleRefused) as caught:
        makeup_date(WEEK_47, date(2026, 11, 15), None)
    exactly(caught, "period_ahead", "2026-W47 has not begun (it starts on 2026-11-16)")


@pytest.mark.parametrize("asked", [date(2026, 11, 16), date(2026, 11, 18), date(2026, 11, 22)])
def test_a_makeup_may_be_dated_any_day_of_its_period(asked: date) -> None:
    assert makeup_date(WEEK_47, date(2026, 11, 20), asked) == asked
    assert makeup_date(WEEK_47, date(2026, 12, 20), asked) == asked


@pytest.mark.parametrize("asked", [date(2026, 11, 15), date(2026, 11, 23)])
def test_a_makeup_dated_outside_its_period_is_refused(asked: date) -> None:
    with pytest.raises(BadInput) as caught:
        makeup_date(WEEK_47, date(2026, 12, 20), asked)
    exactly(
        caught,
        "date_outside_period",
        f"a make-up for 2026-W47 is dated in it (2026-11-16 to 2026-11-22), not {asked.isoformat()}",
    )
