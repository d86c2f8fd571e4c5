"""The bill rules as pure functions: each refusal names its rule and its figures."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from piecepay.errors import BadInput, RuleRefused
from piecepay.models import Campaign, CampaignStatus, Contract, ContractStatus, Milestone, MilestoneStatus
from piecepay.money import Currency, Money
from piecepay.rules import BillFacts, check_bill, check_effective_date, check_top_up

TODAY = date(2026, 10, 10)
USD = Currency("USD", 2)


def usd(minor: int) -> Money:
    return Money(minor, USD)


CAMPAIGN = Campaign(
    1,
    "photos",
    "Photos",
    "photo",
    Decimal(1),
    Decimal(5),
    USD,
    usd(10000),
    20000,
    None,
    usd(2500),
    14,
    date(2026, 12, 31),
    CampaignStatus.OPEN,
    "",
)
CONTRACT = Contract(
    1,
    1,
    1,
    "photos",
    "ana",
    Decimal(5),
    8000,
    ContractStatus.ACTIVE,
    "",
    date(2026, 10, 1),
    None,
    1,
    usd(0),
    1000,
    2000,
    0,
)
MILESTONE = Milestone(1, 1, 1, usd(10000), usd(2500), MilestoneStatus.OPEN, date(2026, 10, 1), 1)


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


def test_a_bill_within_every_limit_passes_and_names_its_milestone() -> None:
    assert check_bill(facts(), 2000, usd(1000), TODAY) == MILESTONE


def test_cap_is_checked_with_pending_and_released_counted() -> None:
    err = refusal(facts(), 3000, 1500)
    assert err.code == "exceeds_milestone_cap"
    assert err.message == "milestone cap 25.00 USD has 10.00 USD left; this bill is 15.00 USD"


def test_escrow_is_checked_after_the_cap() -> None:
    err = refusal(facts(escrow_available=usd(500)), 2000, 1000)
    assert (err.code, err.message) == ("exceeds_escrow", "escrow has 5.00 USD available; this bill is 10.00 USD")


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


def test_piece_limit_message_gives_the_figures() -> None:
    err = refusal(facts(contract=CONTRACT._replace(max_pieces_milli=3500)), 2000, 1000)
    assert err.message == "contract piece limit is 3.5 photo; 3 already billed, 0.5 left; this bill is 2"


def test_top_up_past_budget_is_refused_at_the_edge() -> None:
    check_top_up(CAMPAIGN, usd(9000), usd(1000))
    with pytest.raises(RuleRefused, match=re.escape("budget 100.00 USD has 10.00 USD left; this top-up is 10.01 USD")):
        check_top_up(CAMPAIGN, usd(9000), usd(1001))


def test_effective_dates_cannot_be_future_or_before_the_contract() -> None:
    check_effective_date(TODAY, TODAY, date(2026, 10, 1), "bill")
    with pytest.raises(BadInput, match="in the future"):
        check_effective_date(date(2026, 10, 11), TODAY, None, "bill")
    with pytest.raises(RuleRefused, match="before the contract was accepted"):
        check_effective_date(date(2026, 9, 30), TODAY, date(2026, 10, 1), "bill")
