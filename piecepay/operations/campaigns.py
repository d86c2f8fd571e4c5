"""Campaigns: jobs paid per piece, their terms, and pausing, resuming and closing them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from piecepay import rules
from piecepay.models import (
    DEFAULT_REVERSAL_DAYS,
    DEFAULT_REVISION_DAYS,
    Account,
    Campaign,
    CampaignAction,
    CampaignStatus,
    Contract,
    ContractStatus,
)
from piecepay.money import Currency, format_rate, money_from
from piecepay.records import Record
from piecepay.session import Session


class CampaignTerms(Record):
    """A new campaign as typed: amounts are exact decimals until they meet the currency."""

    title: str
    slug: str
    unit: str
    rate: Decimal
    currency: str
    step: Decimal = Decimal(1)
    budget: Decimal | None = None
    max_pieces: Decimal | None = None
    workers: int | None = None
    milestone_cap: Decimal | None = None
    review_days: int = 14
    deadline: date | None = None
    revision_days: int = DEFAULT_REVISION_DAYS
    reversal_days: int = DEFAULT_REVERSAL_DAYS


class ContractState(Record):
    """A contract (or offer) with its campaign and, once accepted, its escrow account."""

    contract: Contract
    campaign: Campaign
    escrow: Account | None


class CampaignDetail(Record):
    campaign: Campaign
    contracts: tuple[ContractState, ...]


def currency_of(s: Session, code: str) -> Currency:
    """A currency with its digits: as the ledger stored them, or from ISO 4217 data when new."""
    known = s.store.currency(code)
    if known is not None:
        return known
    from piecepay.money import currency_digits

    return Currency(code, currency_digits(code))


def create_campaign(s: Session, terms: CampaignTerms) -> Campaign:
    """Create a campaign; its money is checked against its currency's digits."""
    rules.check_rate(terms.rate)
    with s.store.write():
        currency = currency_of(s, terms.currency)
        pieces_limit = None
        draft = Campaign(
            0,
            terms.slug,
            terms.title,
            terms.unit,
            terms.step,
            terms.rate,
            currency,
            money_from(terms.budget, currency, what="budget") if terms.budget is not None else None,
            None,
            terms.workers,
            money_from(terms.milestone_cap, currency, what="milestone cap")
            if terms.milestone_cap is not None
            else None,
            terms.review_days,
            terms.deadline,
            CampaignStatus.OPEN,
            s.recorded_at,
            terms.revision_days,
            terms.reversal_days,
        )
        if terms.max_pieces is not None:
            pieces_limit = rules.pieces_in_steps(terms.max_pieces, draft, "max pieces")
        rules.check_new_campaign(s.store.campaign_exists(terms.slug), terms.slug)
        s.store.add_currency(currency)
        campaign = s.store.insert_campaign(draft._replace(max_pieces_milli=pieces_limit))
        s.record(
            "campaign_created",
            f"campaign {campaign.slug}: {campaign.title}, {format_rate(campaign.rate)} {currency.code} "
            f"per {campaign.unit}",
        )
        return campaign


def campaigns(s: Session) -> list[Campaign]:
    return s.store.campaigns()


def campaign_detail(s: Session, ref: str) -> CampaignDetail:
    """A campaign's terms, with each of its contracts and their escrow."""
    campaign = s.store.find_campaign(ref)
    return CampaignDetail(campaign, tuple(contract_state(s, k, campaign) for k in s.store.contracts(campaign.id)))


def contract_state(s: Session, contract: Contract, campaign: Campaign | None = None) -> ContractState:
    campaign = campaign or s.store.campaign(contract.campaign_id)
    escrow = s.store.account(contract.escrow_account_id) if contract.escrow_account_id else None
    return ContractState(contract, campaign, escrow)


def set_status(s: Session, ref: str, action: CampaignAction) -> Campaign:
    """Pause, resume or close a campaign; closing withdraws its open offers."""
    with s.store.write():
        campaign = s.store.find_campaign(ref)
        if action is CampaignAction.CLOSE:
            rules.check_close(campaign, s.store.count_contracts(campaign.id, [ContractStatus.ACTIVE]))
            s.store.withdraw_open_offers(campaign.id)
            after = CampaignStatus.CLOSED
        else:
            after = rules.campaign_move(campaign, action)
        s.store.set_campaign_status(campaign.id, after)
        s.record(f"campaign_{action.done}", f"campaign {campaign.slug} {action.done}")
        return s.store.campaign(campaign.id)
