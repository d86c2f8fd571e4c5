"""Campaigns: jobs paid per piece, their terms, changing them, and pausing, resuming and closing them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TypeVar

from piecepay import rules
from piecepay.errors import BadInput
from piecepay.models import (
    DEFAULT_REVERSAL_DAYS,
    DEFAULT_REVISION_DAYS,
    Account,
    Campaign,
    CampaignAction,
    CampaignStatus,
    Contract,
    ContractStatus,
    Fee,
    Removed,
    Tier,
    TierPeriod,
    tiers_said,
    units,
)
from piecepay.money import Currency, Money, format_pieces, format_rate, money_from
from piecepay.records import Record
from piecepay.session import Session

Given = TypeVar("Given")
Term = TypeVar("Term")


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
    tiers: tuple[Tier, ...] = ()
    tier_period: TierPeriod = TierPeriod.MONTH
    fee_percent: Decimal | None = None
    fee_min: Decimal | None = None
    minimum_wage: Decimal | None = None  # an hour


class CampaignEdit(Record):
    """Terms to change, as typed: None leaves a term as it is, ``Removed.LIMIT`` takes a
    limit off; amounts are exact decimals until they meet the campaign's currency."""

    title: str | None = None
    budget: Decimal | Removed | None = None
    max_pieces: Decimal | Removed | None = None
    workers: int | Removed | None = None
    milestone_cap: Decimal | Removed | None = None
    review_days: int | None = None
    deadline: date | Removed | None = None
    revision_days: int | None = None
    reversal_days: int | None = None
    minimum_wage: Decimal | Removed | None = None


class ContractState(Record):
    """A contract (or offer) with its campaign and, once accepted, its escrow account."""

    contract: Contract
    campaign: Campaign
    escrow: Account | None
    bonuses: tuple[int, int] = (0, 0)  # in minor units: all its bonuses, and those from its escrow


class CampaignDetail(Record):
    campaign: Campaign
    contracts: tuple[ContractState, ...]


class CampaignEdited(Record):
    """A campaign after an edit, as it was before, the terms that changed (Campaign field
    names, in the order of ``EDITED``) and the entry that recorded them with its memo;
    no entry and an empty memo when nothing changed."""

    detail: CampaignDetail
    before: Campaign
    changed: tuple[str, ...]
    entry_id: int | None
    memo: str


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
    rules.check_tiers(terms.tiers)
    if terms.fee_percent is not None:
        rules.check_fee_percent(terms.fee_percent)
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
            terms.tiers,
            terms.tier_period,
            _fee(terms, currency),
            money_from(terms.minimum_wage, currency, what="--minimum-wage") if terms.minimum_wage is not None else None,
        )
        if terms.max_pieces is not None:
            pieces_limit = rules.pieces_in_steps(terms.max_pieces, draft, "max pieces")
        rules.check_new_campaign(s.store.campaign_exists(terms.slug), terms.slug)
        s.store.add_currency(currency)
        campaign = s.store.insert_campaign(draft._replace(max_pieces_milli=pieces_limit))
        s.record(
            "campaign_created",
            f"campaign {campaign.slug}: {campaign.title}, {format_rate(campaign.rate)} {currency.code} "
            f"per {campaign.unit}" + tiers_said(campaign.tiers, campaign.tier_period) + _fee_said(campaign.fee),
        )
        return campaign


def _fee(terms: CampaignTerms, currency: Currency) -> Fee | None:
    """The fee a new campaign's terms ask for (a minimum needs a fee)."""
    if terms.fee_percent is None:
        if terms.fee_min is not None:
            raise BadInput("--fee-min is the fee's minimum: it goes with --fee", "conflicting_options")
        return None
    minimum = money_from(terms.fee_min, currency, what="--fee-min") if terms.fee_min is not None else None
    return Fee(terms.fee_percent, minimum)


def _fee_said(fee: Fee | None) -> str:
    if fee is None:
        return ""
    return f"; fee {format_rate(fee.percent)}%" + (f", at least {fee.minimum}" if fee.minimum else "")


def campaigns(s: Session) -> list[Campaign]:
    return s.store.campaigns()


def campaign_detail(s: Session, ref: str) -> CampaignDetail:
    """A campaign's terms, with each of its contracts and their escrow."""
    campaign = s.store.find_campaign(ref)
    return CampaignDetail(campaign, tuple(contract_state(s, k, campaign) for k in s.store.contracts(campaign.id)))


def contract_state(s: Session, contract: Contract, campaign: Campaign | None = None) -> ContractState:
    campaign = campaign or s.store.campaign(contract.campaign_id)
    escrow = s.store.account(contract.escrow_account_id) if contract.escrow_account_id else None
    return ContractState(contract, campaign, escrow, s.store.bonus_totals(contract.id) if escrow else (0, 0))


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


# The terms an edit may change: Campaign field, the column that stores it, how a memo names it.
EDITED = {
    "title": ("title", "title"),
    "budget": ("budget_minor", "budget"),
    "max_pieces_milli": ("max_pieces_milli", "piece limit"),
    "workers": ("workers", "workers"),
    "milestone_cap": ("milestone_cap_minor", "milestone cap"),
    "review_days": ("review_days", "review days"),
    "deadline": ("deadline", "deadline"),
    "revision_days": ("revision_days", "revision days"),
    "reversal_days": ("reversal_days", "reversal days"),
    "minimum_wage": ("minimum_wage_minor", "minimum wage"),
}


def edit_campaign(s: Session, ref: str, edit: CampaignEdit) -> CampaignEdited:
    """Change a campaign's terms in one ``campaign_edited`` entry whose memo gives each
    term's old and new value. New terms must hold what the campaign has already committed
    (see the edits section of ``rules``); terms equal to the current ones write nothing."""
    with s.store.write():
        before = s.store.find_campaign(ref)
        rules.check_campaign_editable(before)
        after = _edited(before, edit)
        changed = tuple(field for field in EDITED if _stored(after, field) != _stored(before, field))
        if not changed:
            return CampaignEdited(campaign_detail(s, ref), before, (), None, "")
        _check_edit(s, after, changed)
        s.store.edit_campaign(before.id, {EDITED[field][0]: _stored(after, field) for field in changed})
        memo = f"campaign {before.slug} edited: " + "; ".join(_change_text(before, after, f) for f in changed)
        entry_id = s.record("campaign_edited", memo)
        return CampaignEdited(campaign_detail(s, ref), before, changed, entry_id, memo)


def _edited(campaign: Campaign, edit: CampaignEdit) -> Campaign:
    """The campaign with the terms ``edit`` gives, each checked as ``campaign create`` checks it."""
    currency = campaign.currency
    return campaign._replace(
        title=campaign.title if edit.title is None else edit.title,
        budget=_term(edit.budget, campaign.budget, lambda v: money_from(v, currency, what="budget")),
        max_pieces_milli=_term(
            edit.max_pieces, campaign.max_pieces_milli, lambda v: rules.pieces_in_steps(v, campaign, "max pieces")
        ),
        workers=_term(edit.workers, campaign.workers, lambda v: v),
        milestone_cap=_term(
            edit.milestone_cap, campaign.milestone_cap, lambda v: money_from(v, currency, what="milestone cap")
        ),
        review_days=campaign.review_days if edit.review_days is None else edit.review_days,
        deadline=_term(edit.deadline, campaign.deadline, lambda v: v),
        revision_days=campaign.revision_days if edit.revision_days is None else edit.revision_days,
        reversal_days=campaign.reversal_days if edit.reversal_days is None else edit.reversal_days,
        minimum_wage=_term(
            edit.minimum_wage, campaign.minimum_wage, lambda v: money_from(v, currency, what="minimum wage")
        ),
    )


def _term(given: Given | Removed | None, current: Term | None, read: Callable[[Given], Term]) -> Term | None:
    """A term after an edit: as it is when not given, None when taken off, else what ``read``
    makes of the value given."""
    if given is None:
        return current
    return None if isinstance(given, Removed) else read(given)


def _check_edit(s: Session, after: Campaign, changed: tuple[str, ...]) -> None:
    """The rules a campaign's new terms must pass, against what the ledger holds now."""
    committed_minor, committed_milli = s.store.campaign_committed(after.id)
    if "budget" in changed:
        rules.check_budget_edit(after, Money(committed_minor, after.currency))
    if "max_pieces_milli" in changed:
        rules.check_piece_limit_edit(after, committed_milli)
    if "workers" in changed and after.workers is not None:
        taken = s.store.count_contracts(after.id, [ContractStatus.ACTIVE, ContractStatus.ENDED])
        rules.check_workers_edit(after, taken)
    if "deadline" in changed and after.deadline is not None:
        rules.check_deadline_edit(after, s.today, s.store.last_bill_date(after.id))


def _stored(campaign: Campaign, field: str) -> object:
    """A term as its column stores it (minor units, an ISO date)."""
    value = getattr(campaign, field)
    if isinstance(value, Money):
        return value.minor
    if isinstance(value, date):
        return value.isoformat()
    return value


def _change_text(before: Campaign, after: Campaign, field: str) -> str:
    """'budget 500.00 → 800.00 USD', 'piece limit 200 photos → none', 'title "A" → "B"':
    the currency or unit follows the new value, or the old one when the limit is taken off."""
    old, new = _term_text(before, field), _term_text(after, field)
    if new is None:
        was = "none" if old is None else f"{old} {_suffix(before, field)}".rstrip()
        return f"{EDITED[field][1]} {was} → none"
    now = f"{new} {_suffix(after, field)}".rstrip()
    return f"{EDITED[field][1]} {'none' if old is None else old} → {now}"


def _term_text(campaign: Campaign, field: str) -> str | None:
    value = getattr(campaign, field)
    if value is None:
        return None
    if isinstance(value, Money):
        return value.decimal
    if field == "max_pieces_milli":
        return format_pieces(value)
    if field == "title":
        return f'"{value}"'
    return value.isoformat() if isinstance(value, date) else str(value)


def _suffix(campaign: Campaign, field: str) -> str:
    """What follows a term's value in a memo: the currency of an amount, the unit of a piece limit."""
    if field in ("budget", "milestone_cap"):
        return campaign.currency.code
    if field == "minimum_wage":
        return f"{campaign.currency.code}/h"
    if field == "max_pieces_milli" and campaign.max_pieces_milli is not None:
        return units(campaign.max_pieces_milli, campaign.unit)
    return ""
