"""Offers: a campaign offered to one worker; accepted, it is an active contract with an escrow."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from piecepay import rules
from piecepay.models import ContractStatus, OfferAction, Tier, escrow_account_name, tiers_said
from piecepay.money import format_rate
from piecepay.operations.campaigns import ContractState, contract_state
from piecepay.session import Session


def create_offer(
    s: Session,
    campaign_ref: str,
    worker_ref: str,
    rate: Decimal | None = None,
    max_pieces: Decimal | None = None,
    tiers: tuple[Tier, ...] | None = None,
) -> ContractState:
    """Offer a campaign to a worker, at the campaign's rate or one of its own, with the
    campaign's tiered rates or its own (``()``: none)."""
    with s.store.write():
        campaign = s.store.find_campaign(campaign_ref)
        worker = s.store.find_worker(worker_ref)
        rules.check_campaign_open(campaign, s.today, "offering work")
        if rate is not None:
            rules.check_rate(rate)
        if tiers is not None:
            rules.check_tiers(tiers)
        limit = rules.pieces_in_steps(max_pieces, campaign, "max pieces") if max_pieces is not None else None
        rules.check_new_offer(s.store.engagement(campaign.id, worker.id), campaign, worker.handle)
        offer = s.store.insert_offer(
            campaign,
            worker,
            rate if rate is not None else campaign.rate,
            limit,
            s.recorded_at,
            campaign.tiers if tiers is None else tiers,
        )
        s.record(
            "offer_created",
            f"offer #{offer.id}: {offer.ref} at {format_rate(offer.rate)} {campaign.currency.code} per {campaign.unit}"
            + tiers_said(offer.tiers, offer.tier_period),
            offer.id,
        )
        return ContractState(offer, campaign, None)


def accept_offer(s: Session, ref: str, day: date | None = None) -> ContractState:
    """Accept an offer: it becomes an active contract with an empty escrow, accepted ``day``
    (default today; not in the future), so work done since then may be billed with its own
    date (a contract moved from another platform, say)."""
    with s.store.write():
        accepted = s.day(day)
        rules.check_effective_date(accepted, s.today, None, "acceptance")
        offer = s.store.find_contract(ref, what="offer")
        rules.check_offer_open(offer, OfferAction.ACCEPT)
        campaign = s.store.campaign(offer.campaign_id)
        rules.check_campaign_open(campaign, s.today, "accepting offers")
        taken = s.store.count_contracts(campaign.id, [ContractStatus.ACTIVE, ContractStatus.ENDED])
        rules.check_room_for_worker(campaign, taken)
        escrow = s.store.ensure_account(escrow_account_name(offer.id), campaign.currency)
        s.store.accept_offer(offer.id, accepted, escrow)
        s.record("offer_accepted", f"offer #{offer.id} accepted: contract {offer.ref}", offer.id, accepted)
        return ContractState(s.store.contract(offer.id), campaign, escrow)


def close_offer(s: Session, ref: str, action: OfferAction) -> ContractState:
    """Decline (the worker) or withdraw (the client) an offer not yet accepted."""
    status = {OfferAction.DECLINE: ContractStatus.DECLINED, OfferAction.WITHDRAW: ContractStatus.WITHDRAWN}[action]
    with s.store.write():
        offer = s.store.find_contract(ref, what="offer")
        rules.check_offer_open(offer, action)
        s.store.set_contract_status(offer.id, status)
        s.record(f"offer_{status}", f"offer #{offer.id} ({offer.ref}) {status}", offer.id)
        return contract_state(s, s.store.contract(offer.id))


def offers(s: Session, campaign_ref: str | None = None, status: ContractStatus | None = None) -> list[ContractState]:
    """Offers and contracts, by id, optionally of one campaign or in one status."""
    campaign_id = s.store.find_campaign(campaign_ref).id if campaign_ref is not None else None
    return [contract_state(s, k) for k in s.store.contracts(campaign_id, status)]
