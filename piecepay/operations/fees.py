"""Platform fees: what a campaign with a fee charges the client on every release and bonus,
into the ``fees`` account. A bill's fee is held in escrow with its reservation (so escrow is
never short of it) and settled when the bill is released or rejected; a reversal or a bonus
pays its fee at once. Each movement is an entry of its own (``fee``, or ``funded_fee`` when the
client's funding pays it), so releases and bills keep their own postings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from piecepay import rules
from piecepay.journal import resolve_pending, transfer
from piecepay.models import CLIENT_ACCOUNT, FEES_ACCOUNT, Campaign, Contract, Fee
from piecepay.money import Money, format_rate
from piecepay.operations.milestones import escrow_id
from piecepay.records import Record
from piecepay.session import Session


def _fees_account(s: Session, campaign: Campaign) -> int:
    return s.store.ensure_account(FEES_ACCOUNT, campaign.currency).id


def _rate(campaign: Campaign) -> str:
    assert campaign.fee is not None
    return f"{format_rate(campaign.fee.percent)}%"


def hold(s: Session, contract: Contract, campaign: Campaign, bill_id: int, amount: Money, effective: date) -> None:
    """Hold in escrow the fee a bill reserving ``amount`` may charge when it is released."""
    fee = rules.fee_of(campaign, amount)
    if fee:
        memo = f"fee on bill {bill_id}: {_rate(campaign)} of {amount}, {fee} held"
        s.move(
            "fee",
            effective,
            memo,
            transfer(escrow_id(contract), _fees_account(s, campaign), fee.minor, "pending"),
            contract.id,
            bill_id,
        )


def settle(
    s: Session,
    contract: Contract,
    campaign: Campaign,
    bill_id: int,
    reserved: Money,
    posted: Money,
    effective: date,
) -> None:
    """Charge the fee of what a bill's release posted, out of what its reservation held; the
    rest of the fee held returns to escrow (all of it, for a rejection)."""
    held, charged = rules.fee_of(campaign, reserved), rules.fee_of(campaign, posted)
    if held:
        if charged:
            s.store.add_contract_fees(contract.id, charged.minor, 0)
        memo = f"fee on bill {bill_id}: {charged} charged of {held} held"
        postings = resolve_pending(escrow_id(contract), _fees_account(s, campaign), held.minor, charged.minor)
        s.move("fee", effective, memo, postings, contract.id, bill_id)


def adjust(
    s: Session, contract: Contract, campaign: Campaign, bill_id: int, was: Money, now: Money, effective: date
) -> None:
    """A resubmission for fewer pieces holds the fee of its smaller reservation; the rest goes back."""
    before, after = rules.fee_of(campaign, was), rules.fee_of(campaign, now)
    if before != after:
        memo = f"fee on bill {bill_id}: {after} held, was {before}"
        postings = transfer(escrow_id(contract), _fees_account(s, campaign), after.minor - before.minor, "pending")
        s.move("fee", effective, memo, postings, contract.id, bill_id)


def charge(
    s: Session,
    contract: Contract,
    campaign: Campaign,
    paid: Money,
    effective: date,
    *,
    from_funding: bool = False,
    bill_id: int | None = None,
    what: str,
) -> None:
    """Charge at once the fee of ``paid`` (a reversal's, or a bonus's ``what``), from escrow or
    from the client's funding."""
    fee = rules.fee_of(campaign, paid)
    if not fee:
        return
    payer = s.store.ensure_account(CLIENT_ACCOUNT, campaign.currency).id if from_funding else escrow_id(contract)
    s.store.add_contract_fees(contract.id, 0 if from_funding else fee.minor, fee.minor if from_funding else 0)
    memo = f"fee on {what}: {_rate(campaign)} of {paid}, {fee} charged"
    kind = "funded_fee" if from_funding else "fee"
    s.move(
        kind, effective, memo, transfer(payer, _fees_account(s, campaign), fee.minor, "posted"), contract.id, bill_id
    )


class WhatIf(Record):
    """What a campaign's releases and bonuses were charged in fees, and what another fee would
    have charged on the very same payments (None: no other fee asked)."""

    campaign: Campaign
    fee: Fee | None
    payments: int
    paid: Money  # released and bonuses
    charged: Money  # under the campaign's own fee (nothing without one)
    would_charge: Money | None  # under ``fee``


def what_if(s: Session, campaign_ref: str, percent: Decimal | None, minimum: Decimal | None = None) -> WhatIf:
    """``piecepay fees``: every payment of a campaign (each bill's release or reversal, each
    bonus) with the fee it was charged and, given ``percent`` (``--what-if``), charged again
    under that fee, each payment rounded as a fee itself is."""
    from piecepay.money import money_from

    if percent is not None:
        rules.check_fee_percent(percent)
    with s.store.snapshot():
        campaign = s.store.find_campaign(campaign_ref)
        floor = money_from(minimum, campaign.currency, what="--fee-min") if minimum is not None else None
        other = Fee(percent, floor) if percent is not None else None
        zero = Money.zero(campaign.currency)
        paid = charged = would = zero
        count = 0
        for minor in s.store.campaign_payments(campaign.id):
            payment = Money(minor, campaign.currency)
            count += 1
            paid += payment
            charged += rules.fee_of(campaign, payment)
            would += rules.fee_at(other, payment)
    return WhatIf(campaign, other, count, paid, charged, would if other is not None else None)
