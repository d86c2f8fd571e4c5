"""The rules a request must pass; pure functions that raise RuleRefused with the figures.

Callers gather the facts inside the write transaction and pass them in, so a refusal
is decided on the same state the write would have changed.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from piecepay.errors import BadInput, RuleRefused
from piecepay.models import Bill, Campaign, Contract, Milestone
from piecepay.money import format_minor, format_pieces


def _money(minor: int, campaign: Campaign) -> str:
    return f"{format_minor(minor, campaign.digits)} {campaign.currency}"


class BillFacts(NamedTuple):
    """What the ledger holds at the moment a bill is checked."""

    campaign: Campaign
    contract: Contract
    milestone: Milestone | None
    milestone_used_minor: int
    escrow_available_minor: int
    campaign_pieces_committed_milli: int
    today: date


def check_campaign_open(campaign: Campaign, today: date, doing: str) -> None:
    """The campaign takes new work: not paused, not closed, deadline not passed."""
    if campaign.status == "paused":
        raise RuleRefused(f"campaign '{campaign.slug}' is paused; resume it before {doing}", "campaign_paused")
    if campaign.status == "closed":
        raise RuleRefused(f"campaign '{campaign.slug}' is closed", "campaign_closed")
    if campaign.deadline is not None and today > campaign.deadline:
        raise RuleRefused(
            f"campaign '{campaign.slug}' passed its deadline {campaign.deadline.isoformat()}", "deadline_passed"
        )


def check_contract_active(contract: Contract) -> None:
    """Money moves only on an accepted contract that has not ended."""
    if contract.status != "active":
        raise RuleRefused(
            f"contract {contract.ref} (#{contract.id}) is {contract.status}, not active", "contract_not_active"
        )


def check_bill(facts: BillFacts, pieces_milli: int, amount_minor: int, effective: date) -> Milestone:
    """Apply the five rules of a bill in order; return the open milestone it bills."""
    campaign, contract, milestone = facts.campaign, facts.contract, facts.milestone
    check_contract_active(contract)
    check_campaign_open(campaign, facts.today, "billing")
    if campaign.deadline is not None and effective > campaign.deadline:
        raise RuleRefused(
            f"bill date {effective.isoformat()} is after the campaign deadline {campaign.deadline.isoformat()}",
            "deadline_passed",
        )
    if pieces_milli <= 0:
        raise RuleRefused("a bill needs more than zero pieces", "pieces_not_positive")
    if milestone is None:
        raise RuleRefused(
            f"contract {contract.ref} has no open milestone; add one with 'piecepay milestone add {contract.ref}'",
            "no_open_milestone",
        )
    if milestone.cap_minor is not None:
        left = milestone.cap_minor - facts.milestone_used_minor
        if amount_minor > left:
            raise RuleRefused(
                f"milestone cap {_money(milestone.cap_minor, campaign)} has {_money(max(left, 0), campaign)} "
                f"left; this bill is {_money(amount_minor, campaign)}",
                "exceeds_milestone_cap",
            )
    if amount_minor > facts.escrow_available_minor:
        raise RuleRefused(
            f"escrow has {_money(facts.escrow_available_minor, campaign)} available; this bill is "
            f"{_money(amount_minor, campaign)}",
            "exceeds_escrow",
        )
    _check_piece_limit(
        "contract", contract.max_pieces_milli, contract.pieces_committed_milli, pieces_milli, campaign.unit
    )
    _check_piece_limit(
        "campaign", campaign.max_pieces_milli, facts.campaign_pieces_committed_milli, pieces_milli, campaign.unit
    )
    return milestone


def _check_piece_limit(scope: str, limit: int | None, used: int, pieces: int, unit: str) -> None:
    if limit is None or used + pieces <= limit:
        return
    raise RuleRefused(
        f"{scope} piece limit is {format_pieces(limit)} {unit}; {format_pieces(used)} already billed, "
        f"{format_pieces(max(limit - used, 0))} left; this bill is {format_pieces(pieces)}",
        f"exceeds_{scope}_piece_limit",
    )


def check_top_up(campaign: Campaign, committed_minor: int, top_up_minor: int) -> None:
    """A top-up may not take the campaign's money in escrow and released past its budget."""
    if campaign.budget_minor is None or committed_minor + top_up_minor <= campaign.budget_minor:
        return
    left = max(campaign.budget_minor - committed_minor, 0)
    raise RuleRefused(
        f"campaign budget {_money(campaign.budget_minor, campaign)} has {_money(left, campaign)} left; "
        f"this top-up is {_money(top_up_minor, campaign)}",
        "exceeds_campaign_budget",
    )


def check_pending_bill(bill: Bill) -> None:
    """A reservation resolves exactly once."""
    if bill.status == "released":
        raise RuleRefused(f"bill {bill.id} was already released", "bill_already_released")
    if bill.status == "rejected":
        raise RuleRefused(f"bill {bill.id} was already rejected", "bill_already_rejected")


def check_release_pieces(bill: Bill, pieces_milli: int) -> None:
    """A release may cover fewer pieces than billed, never more, and at least one step."""
    if pieces_milli > bill.pieces_milli:
        raise RuleRefused(
            f"bill {bill.id} is for {format_pieces(bill.pieces_milli)} pieces; cannot release "
            f"{format_pieces(pieces_milli)}",
            "release_exceeds_bill",
        )


def check_end(contract: Contract, pending_bills: int, pending_choice: str | None) -> None:
    """A contract with pending bills ends only when told what to do with them."""
    check_contract_active(contract)
    if pending_bills and pending_choice is None:
        raise RuleRefused(
            f"contract {contract.ref} has {pending_bills} pending bill(s); release or reject them, or pass "
            f"--release-pending or --reject-pending",
            "pending_bills",
        )


def check_payout(owed_minor: int, amount_minor: int, handle: str, money: str, owed: str) -> None:
    """A payout cannot exceed what the worker's released earnings hold."""
    if owed_minor <= 0:
        raise RuleRefused(f"worker '{handle}' has nothing owed in this currency", "nothing_owed")
    if amount_minor > owed_minor:
        raise RuleRefused(f"worker '{handle}' is owed {owed}; this payout is {money}", "exceeds_owed")


def check_effective_date(
    effective: date, today: date, earliest: date | None, what: str, since: str = "contract"
) -> None:
    """An effective date may not lie in the future, nor before what it follows (the
    contract's acceptance, or for a release or rejection the bill itself)."""
    if effective > today:
        raise BadInput(f"{what} date {effective.isoformat()} is in the future", "date_in_future")
    if earliest is not None and effective < earliest:
        began = "the contract was accepted" if since == "contract" else "the bill's date"
        raise RuleRefused(
            f"{what} date {effective.isoformat()} is before {began} ({earliest.isoformat()})", f"date_before_{since}"
        )
