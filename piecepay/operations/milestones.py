"""Milestones: a top-up of a contract's escrow that opens the next billing window, with its cap."""

from datetime import date
from decimal import Decimal
from typing import Any

from piecepay import rules
from piecepay.journal import transfer
from piecepay.models import CLIENT_ACCOUNT, Campaign, Contract, Milestone
from piecepay.money import Money, money_from
from piecepay.operations import keys
from piecepay.records import Record
from piecepay.session import Session


class MilestoneState(Record):
    """A milestone with its contract, campaign and what its cap has spent."""

    milestone: Milestone
    contract: Contract
    campaign: Campaign
    spent: Money


def escrow_id(contract: Contract) -> int:
    assert contract.escrow_account_id is not None, "an accepted contract has an escrow account"
    return contract.escrow_account_id


def add_milestone(
    s: Session,
    contract_ref: str,
    top_up: Decimal | None = None,
    cap: Decimal | None = None,
    day: date | None = None,
    key: str | None = None,
) -> MilestoneState:
    """Close the open milestone, top up the escrow and open the next one with its cap."""
    with s.store.write():
        keys.claim(s, key, "milestone add")
        contract = s.store.find_contract(contract_ref)
        campaign = s.store.campaign(contract.campaign_id)
        amount = money_from(top_up, campaign.currency, allow_zero=True, what="top-up") if top_up is not None else None
        cap_money = money_from(cap, campaign.currency, what="cap") if cap is not None else None
        request = {
            "contract": keys.contract_key(contract),
            "top_up": amount.decimal if amount is not None else None,
            "cap": cap_money.decimal if cap_money is not None else None,
            "date": day.isoformat() if day else None,
        }
        first = keys.replay(s, key, "milestone add", request, MilestoneState, lambda doc: _legacy(s, doc))
        if first is not None:
            return first
        result = _add(s, contract, campaign, amount or Money.zero(campaign.currency), cap_money, s.day(day))
        keys.remember(s, key, "milestone add", request, result)
        return result


def _add(
    s: Session, contract: Contract, campaign: Campaign, top_up: Money, cap: Money | None, effective: date
) -> MilestoneState:
    rules.check_contract_active(contract)
    rules.check_campaign_open(campaign, s.today, "adding milestones")
    rules.check_effective_date(effective, s.today, contract.accepted_on, "milestone")
    committed, _ = s.store.campaign_committed(campaign.id)
    rules.check_top_up(campaign, Money(committed, campaign.currency), top_up)
    cap = cap if cap is not None else campaign.milestone_cap
    entry_id = s.store.next_entry_id() if top_up else None
    s.store.close_milestones(contract.id)
    milestone = s.store.insert_milestone(contract.id, top_up, cap, effective, entry_id)
    cap_text = f"cap {cap.decimal}" if cap is not None else "no cap"
    if top_up:
        client = s.store.ensure_account(CLIENT_ACCOUNT, campaign.currency)
        memo = f"top-up {top_up} for {contract.ref}: milestone {milestone.seq}, {cap_text}"
        postings = transfer(client.id, escrow_id(contract), top_up.minor, "posted")
        written = s.move("top_up", effective, memo, postings, contract.id)
        assert written == entry_id
    else:
        memo = f"milestone {milestone.seq} on {contract.ref} with no top-up, {cap_text}"
        s.store.append(s.header("milestone_opened", effective, memo, contract.id))
    return MilestoneState(milestone, contract, campaign, Money.zero(campaign.currency))


def _legacy(s: Session, document: dict[str, Any]) -> MilestoneState:
    """A milestone a 0.1.0 key recorded, as it is now."""
    contract = s.store.contract(int(document["contract_id"]))
    campaign = s.store.campaign(contract.campaign_id)
    found = next(m for m in s.store.milestones(contract.id) if m.id == document["id"])
    return MilestoneState(found, contract, campaign, s.store.milestone_spent(found))


def milestones(s: Session, contract_ref: str) -> list[MilestoneState]:
    """A contract's milestones in order, each with what its cap has spent."""
    contract = s.store.find_contract(contract_ref)
    campaign = s.store.campaign(contract.campaign_id)
    return [MilestoneState(m, contract, campaign, s.store.milestone_spent(m)) for m in s.store.milestones(contract.id)]
