"""Every rule of the ledger, in one place: pure functions that raise with the figures.

Operations gather the facts inside their write transaction and pass them in, so a
refusal is decided on the same state the write would have changed. A rule refused is
RuleRefused (exit 1); a request that cannot be right for these terms (too fine a piece,
too many decimals) is BadInput (exit 2). Money is compared only as Money, so amounts of
two currencies can never meet.
"""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

from piecepay import money
from piecepay.dates import Period, calendar_month_of, week_of
from piecepay.errors import BadInput, RuleRefused, Unauthenticated
from piecepay.models import (
    Bill,
    BillStatus,
    Campaign,
    CampaignAction,
    CampaignStatus,
    Contract,
    ContractStatus,
    Fee,
    Milestone,
    OfferAction,
    Tier,
    TierPeriod,
    Token,
    TokenRole,
    pieces_text,
)
from piecepay.money import (
    MAX_MINOR,
    MAX_PIECES,
    Currency,
    Money,
    format_minor,
    format_pieces,
    format_rate,
    milli_to_pieces,
    pieces_to_milli,
)
from piecepay.records import Record

# --------------------------------------------------------------------------- amounts


def bill_amount(pieces_milli: int, rate: Decimal, campaign: Campaign) -> Money:
    """pieces x rate in the campaign's minor units, rounded once, half-up (0.015 USD -> 0.02):
    what a bill from before exact totals (``priced_alone``) reserved and posted."""
    minor = money.bill_amount(milli_to_pieces(pieces_milli), rate, campaign.currency.digits)
    return Money(minor, campaign.currency)


def reserved_amount(pieces_milli: int, rate: Decimal, campaign: Campaign) -> Money:
    """What a bill reserves: pieces x rate rounded up to the minor unit (0.008 USD -> 0.01),
    the most its release can post (``release_share``)."""
    minor = money.reserved_minor(milli_to_pieces(pieces_milli), rate, campaign.currency.digits)
    return Money(minor, campaign.currency)


# --------------------------------------------------------------------------- platform fees

MAX_FEE_PERCENT = Decimal(100)
FEE_DECIMALS = 4


def check_fee_percent(percent: Decimal) -> None:
    """A fee is more than 0 and at most 100 percent, to at most four decimals (12.5%, 0.0125%)."""
    if not percent.is_finite() or not 0 < percent <= MAX_FEE_PERCENT:
        raise BadInput(f"fee '{format_rate(percent)}%' must be more than 0% and at most 100%", "bad_fee")
    exponent = percent.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > FEE_DECIMALS:
        # as typed: normalised, 20.00000 would read as 20, which has no decimals at all
        raise BadInput(f"fee '{percent:f}%' has more than {FEE_DECIMALS} decimals", "too_many_decimals")


def fee_of(campaign: Campaign, paid: Money) -> Money:
    """The fee a release or bonus of ``paid`` charges the client: its percentage of it, rounded
    once, half-up, and at least the campaign's minimum; nothing when nothing is paid or the
    campaign has no fee. It never falls when ``paid`` grows, so the fee a reservation holds
    covers the fee of any release of it."""
    return fee_at(campaign.fee, paid)


def fee_at(fee: Fee | None, paid: Money) -> Money:
    """``fee_of`` for a fee as given (a campaign's, or one asked of ``fees --what-if``)."""
    if fee is None or paid.minor <= 0:
        return Money.zero(paid.currency)
    with localcontext(money.EXACT):
        share = (Decimal(paid.minor) * fee.percent / 100).to_integral_value(rounding=ROUND_HALF_UP)
    charged = Money(int(share), paid.currency)
    return charged.max(fee.minimum) if fee.minimum is not None else charged


def _and_fee(fee: Money) -> str:
    return f" and its fee {fee}" if fee else ""


# --------------------------------------------------------------------------- tiered rates

MAX_TIERS = 10


def check_tiers(tiers: tuple[Tier, ...]) -> None:
    """Tiers start from the 2nd piece or later (from the 1st is the rate itself) and no later
    than the most pieces piecepay counts, each from a later piece than the one before, at most
    ``MAX_TIERS``; their rates are positive."""
    if len(tiers) > MAX_TIERS:
        raise BadInput(f"{len(tiers)} tiers: a campaign or offer has at most {MAX_TIERS}", "too_many_tiers")
    before = 1
    for tier in tiers:
        check_rate(tier.rate)
        if tier.from_piece > MAX_PIECES:
            raise BadInput(
                f"tier {tier.from_piece}:{format_rate(tier.rate)} starts past the most pieces piecepay counts "
                f"({MAX_PIECES:,})",
                "too_large",
            )
        if tier.from_piece <= before:
            raise BadInput(
                f"tier {tier.from_piece}:{format_rate(tier.rate)} must start from a later piece than "
                + ("the first (that is the rate itself)" if before == 1 else f"the tier before it ({before})"),
                "bad_tier",
            )
        before = tier.from_piece


def reserving_rate(rate: Decimal, tiers: tuple[Tier, ...]) -> Decimal:
    """The rate a bill at ``rate`` on a contract with ``tiers`` reserves at: its rate, or the
    highest of its tiers' (which pieces a tier pays is known only at release)."""
    return max((rate, *(t.rate for t in tiers)))


def tier_period(period: TierPeriod, day: date) -> Period:
    """The week or month (a contract's tier period) whose released pieces a bill of ``day`` counts among."""
    return week_of(day) if period is TierPeriod.WEEK else calendar_month_of(day)


def tiered_value(rate: Decimal, tiers: tuple[Tier, ...], position_milli: int, milli: int) -> Decimal:
    """What ``milli`` thousandths of pieces are worth, exactly, when ``position_milli`` were
    released before them in their period: each piece at the rate of the tier it falls in (the
    n-th piece, counting from 1, at the last tier whose ``from_piece`` is n or less; before the
    first tier, at ``rate``). A bill that crosses a tier is priced piece by piece across it."""
    with localcontext(money.EXACT):
        starts = [(0, rate)] + [((t.from_piece - 1) * 1000, t.rate) for t in tiers]
        end, total = position_milli + milli, Decimal(0)
        for index, (start, at) in enumerate(starts):
            stop = starts[index + 1][0] if index + 1 < len(starts) else end
            inside = min(end, stop) - max(position_milli, start)
            if inside > 0:
                total += Decimal(inside) * at
        return total.scaleb(-3)


def priced_alone(bill: Bill, contract: Contract) -> bool:
    """Whether a bill was made before its contract's exact totals began (a contract from
    before schema 9): such a bill reserves and posts its own pieces x rate, rounded once."""
    return bill.entry_id < contract.exact_from_entry


def bill_reservation(bill: Bill, contract: Contract, pieces_milli: int, campaign: Campaign) -> Money:
    """What ``bill`` reserves for ``pieces_milli`` of its pieces (a resubmission for fewer)."""
    if priced_alone(bill, contract):
        return bill_amount(pieces_milli, bill.rate, campaign)
    return reserved_amount(pieces_milli, reserving_rate(bill.rate, contract.tiers), campaign)


def release_share(
    bill: Bill, contract: Contract, released_milli: int, campaign: Campaign, position_milli: int = 0
) -> tuple[Money, Decimal]:
    """What releasing ``released_milli`` of ``bill`` posts, and the contract's carry after.

    Exact totals: a contract's released money is the exact value of its released pieces
    rounded once, half-up, at every moment, whatever the size of its bills: each release
    posts the difference between the rounded running totals after and before it
    (``money.carried_share``). 50,000 rows at 0.004 released 2 at a time post 200.00, not
    50,000 x 0.01 / 2 = 250.00. A bill from before a contract's exact totals began posts its
    own pieces x rate, rounded once, and leaves the carry as it is.
    """
    if released_milli == 0:
        return Money.zero(campaign.currency), contract.released_carry
    if priced_alone(bill, contract):
        return released_amount(bill, released_milli, campaign), contract.released_carry
    if contract.tiers:  # ``position_milli``: released before it in its tier period
        pieces_at_rate = tiered_value(bill.rate, contract.tiers, position_milli, released_milli)
        value = money.exact_minor(Decimal(1), pieces_at_rate, campaign.currency.digits)
    else:
        value = money.exact_minor(milli_to_pieces(released_milli), bill.rate, campaign.currency.digits)
    posted, carry = money.carried_share(contract.released_carry, value)
    return Money(posted, campaign.currency), carry


def pieces_in_steps(pieces: Decimal, campaign: Campaign, what: str = "pieces") -> int:
    """Pieces as stored (thousandths), once they are more than zero and a whole multiple of
    the campaign's step."""
    step = campaign.step
    if not pieces.is_finite() or pieces <= 0:
        raise BadInput(f"{what} '{pieces}' must be more than zero", "not_positive")
    if pieces > MAX_PIECES:
        raise BadInput(f"{what} '{pieces}' is too large", "too_large")
    if pieces % step != 0 or pieces != pieces.quantize(Decimal("0.001")):
        if step == 1:
            raise BadInput(f"{what} '{pieces}' must be whole: this campaign bills whole pieces", "not_whole")
        raise BadInput(f"{what} '{pieces}' must be a multiple of the campaign's step {format_rate(step)}", "not_a_step")
    return pieces_to_milli(pieces)


def check_rate(rate: Decimal) -> None:
    """A rate is a positive exact decimal (finer than the minor unit if need be)."""
    if not rate.is_finite() or rate <= 0:
        raise BadInput(f"rate '{rate}' must be more than zero", "not_positive")


# --------------------------------------------------------------------------- states


def check_campaign_open(campaign: Campaign, today: date, doing: str) -> None:
    """The campaign takes new work: not paused, not closed, deadline not passed."""
    if campaign.status is CampaignStatus.PAUSED:
        raise RuleRefused(f"campaign '{campaign.slug}' is paused; resume it before {doing}", "campaign_paused")
    if campaign.status is CampaignStatus.CLOSED:
        raise RuleRefused(f"campaign '{campaign.slug}' is closed", "campaign_closed")
    if campaign.deadline is not None and today > campaign.deadline:
        raise RuleRefused(
            f"campaign '{campaign.slug}' passed its deadline {campaign.deadline.isoformat()}", "deadline_passed"
        )


CAMPAIGN_MOVES = {
    CampaignAction.PAUSE: (CampaignStatus.OPEN, CampaignStatus.PAUSED),
    CampaignAction.RESUME: (CampaignStatus.PAUSED, CampaignStatus.OPEN),
}


def campaign_move(campaign: Campaign, action: CampaignAction) -> CampaignStatus:
    """The status ``pause`` or ``resume`` takes a campaign to, if it may."""
    before, after = CAMPAIGN_MOVES[action]
    if campaign.status is not before:
        raise RuleRefused(
            f"campaign '{campaign.slug}' is {campaign.status}; cannot {action} it", f"campaign_{campaign.status}"
        )
    return after


def check_close(campaign: Campaign, active_contracts: int) -> None:
    """A campaign closes for good once none of its contracts is active."""
    if campaign.status is CampaignStatus.CLOSED:
        raise RuleRefused(f"campaign '{campaign.slug}' is already closed", "campaign_closed")
    if active_contracts:
        raise RuleRefused(
            f"campaign '{campaign.slug}' has {active_contracts} active contract(s); end them first "
            "('piecepay end CONTRACT')",
            "campaign_has_active_contracts",
        )


def check_new_campaign(slug_taken: bool, slug: str) -> None:
    if slug_taken:
        raise RuleRefused(f"campaign '{slug}' already exists; pass --slug to name this one", "campaign_exists")


def check_new_worker(handle_taken: bool, handle: str) -> None:
    if handle_taken:
        raise RuleRefused(f"worker '{handle}' already exists", "worker_exists")


def check_contract_active(contract: Contract) -> None:
    """Money moves only on an accepted contract that has not ended."""
    if contract.status is not ContractStatus.ACTIVE:
        raise RuleRefused(
            f"contract {contract.ref} (#{contract.id}) is {contract.status}, not active", "contract_not_active"
        )


def check_new_offer(engaged: Contract | None, campaign: Campaign, handle: str) -> None:
    """One open offer or active contract per worker and campaign."""
    if engaged is not None:
        what = "offer" if engaged.status is ContractStatus.OFFERED else "contract"
        raise RuleRefused(
            f"worker '{handle}' already has an {engaged.status} {what} #{engaged.id} on '{campaign.slug}'",
            "already_engaged",
        )


def check_offer_open(offer: Contract, action: OfferAction) -> None:
    """Only an open offer can be accepted, declined or withdrawn."""
    if offer.status is not ContractStatus.OFFERED:
        raise RuleRefused(
            f"offer #{offer.id} ({offer.ref}) is {offer.status}; only an open offer can be {OfferAction(action).done}",
            f"offer_{offer.status}",
        )


def check_room_for_worker(campaign: Campaign, taken: int) -> None:
    """A campaign's --workers caps how many of its offers are accepted (ended ones count)."""
    if campaign.workers is not None and taken >= campaign.workers:
        raise RuleRefused(
            f"campaign '{campaign.slug}' has room for {campaign.workers} worker(s) and all are taken", "campaign_full"
        )


# --------------------------------------------------------------------------- money in: top-ups


def check_top_up(campaign: Campaign, committed: Money, top_up: Money) -> None:
    """A top-up may not take the campaign's money in escrow and released past its budget."""
    if campaign.budget is None or committed + top_up <= campaign.budget:
        return
    left = (campaign.budget - committed).max(Money.zero(campaign.currency))
    raise RuleRefused(
        f"campaign budget {campaign.budget} has {left} left; this top-up is {top_up}", "exceeds_campaign_budget"
    )


# --------------------------------------------------------------------------- bills


class BillFacts(Record):
    """What the ledger holds at the moment a bill is checked."""

    campaign: Campaign
    contract: Contract
    milestone: Milestone | None
    milestone_spent: Money
    escrow_available: Money
    campaign_pieces_committed_milli: int
    today: date


def check_bill(facts: BillFacts, pieces_milli: int, amount: Money, effective: date) -> Milestone:
    """The five rules of a bill, in DESIGN.md's order; returns the open milestone it bills."""
    campaign, contract, milestone = facts.campaign, facts.contract, facts.milestone
    # 1. the contract is active, its campaign open, and the deadline not passed
    check_contract_active(contract)
    check_campaign_open(campaign, facts.today, "billing")
    if campaign.deadline is not None and effective > campaign.deadline:
        raise RuleRefused(
            f"bill date {effective.isoformat()} is after the campaign deadline {campaign.deadline.isoformat()}",
            "deadline_passed",
        )
    # 2. pieces > 0 was checked with the pieces (pieces_in_steps), so the amount, rounded up,
    # is at least one minor unit
    if milestone is None:
        raise RuleRefused(
            f"contract {contract.ref} has no open milestone; add one with 'piecepay milestone add {contract.ref}'",
            "no_open_milestone",
        )
    # 3. the milestone cap
    if milestone.cap is not None:
        left = milestone.cap - facts.milestone_spent
        if amount > left:
            raise RuleRefused(
                f"milestone cap {milestone.cap} has {left.max(Money.zero(campaign.currency))} left; "
                f"this bill is {amount}",
                "exceeds_milestone_cap",
            )
    # 4. the escrow's available balance: the bill and the fee its release may charge
    fee = fee_of(campaign, amount)
    if amount + fee > facts.escrow_available:
        raise RuleRefused(
            f"escrow has {facts.escrow_available} available; this bill is {amount}" + _and_fee(fee), "exceeds_escrow"
        )
    # 5. piece limits of the contract and of the campaign
    check_piece_limit("contract", contract.max_pieces_milli, contract.pieces_committed_milli, pieces_milli, campaign)
    check_piece_limit(
        "campaign", campaign.max_pieces_milli, facts.campaign_pieces_committed_milli, pieces_milli, campaign
    )
    return milestone


def check_piece_limit(scope: str, limit: int | None, used: int, pieces_milli: int, campaign: Campaign) -> None:
    """Pending and released pieces may not pass a piece limit; rejected pieces do not count."""
    if limit is None or used + pieces_milli <= limit:
        return
    raise RuleRefused(
        f"{scope} piece limit is {pieces_text(limit, campaign.unit)}; {format_pieces(used)} already billed, "
        f"{format_pieces(max(limit - used, 0))} left; this bill is {format_pieces(pieces_milli)}",
        f"exceeds_{scope}_piece_limit",
    )


def check_proof_addable(bill: Bill) -> None:
    """Proofs are added to a bill still under review (pending, or out for a revision); a
    resolved bill's claim is closed."""
    if not bill.status.open:
        raise RuleRefused(f"bill {bill.id} is {bill.status}; proofs go on an open bill", "bill_not_open")


def check_pending_bill(bill: Bill) -> None:
    """A reservation resolves exactly once: a bill still open (pending, or out for a revision)
    may be released or rejected, a resolved one not again."""
    if bill.status is BillStatus.RELEASED:
        raise RuleRefused(f"bill {bill.id} was already released", "bill_already_released")
    if bill.status is BillStatus.REJECTED:
        raise RuleRefused(f"bill {bill.id} was already rejected", "bill_already_rejected")


# --------------------------------------------------------------------------- revisions


def check_revisable(bill: Bill) -> None:
    """Only a pending bill goes back to its worker for a revision."""
    if bill.status is BillStatus.REVISING:
        raise RuleRefused(f"bill {bill.id} is already out for a revision", "bill_revising")
    check_pending_bill(bill)


def check_resubmittable(bill: Bill) -> None:
    """Only a bill out for a revision is resubmitted."""
    if bill.status is BillStatus.PENDING:
        raise RuleRefused(f"bill {bill.id} is pending, not out for a revision", "bill_not_revising")
    check_pending_bill(bill)


def check_resubmitted_pieces(bill: Bill, pieces_milli: int, amount: Money) -> None:
    """A resubmission may claim fewer pieces than the bill, or as many, never more; its amount
    must fit what the bill reserved."""
    if pieces_milli > bill.pieces_milli or amount > bill.amount:
        raise RuleRefused(
            f"bill {bill.id} is for {format_pieces(bill.pieces_milli)} pieces ({bill.amount}); a resubmission may "
            f"claim as many or fewer, not {format_pieces(pieces_milli)} ({amount})",
            "resubmit_exceeds_bill",
        )


# --------------------------------------------------------------------------- reversing a rejection


def check_reversal(bill: Bill, facts: BillFacts, pieces_milli: int, amount: Money) -> None:
    """A rejection is reversed within the campaign's reversal window, on an active contract,
    when the escrow, the bill's milestone cap and the piece limits have room for it now
    (``facts`` about the bill's own milestone)."""
    campaign = facts.campaign
    assert bill.resolved_on is not None
    last_day = bill.resolved_on + timedelta(days=campaign.reversal_days)
    if facts.today > last_day:
        raise RuleRefused(
            f"bill {bill.id} was rejected on {bill.resolved_on.isoformat()}; a rejection may be reversed within "
            f"{campaign.reversal_days} days (until {last_day.isoformat()})",
            "reversal_window_passed",
        )
    check_contract_active(facts.contract)
    check_release_pieces(bill, pieces_milli)
    if amount.minor <= 0:
        raise RuleRefused(
            f"{pieces_text(pieces_milli, campaign.unit)} of bill {bill.id} at {format_rate(bill.rate)} "
            f"{campaign.currency.code} rounds to {Money.zero(campaign.currency).decimal}; release more pieces",
            "amount_rounds_to_zero",
        )
    assert facts.milestone is not None
    cap = facts.milestone.cap
    if cap is not None and facts.milestone_spent + amount > cap:
        left = (cap - facts.milestone_spent).max(Money.zero(campaign.currency))
        raise RuleRefused(
            f"milestone cap {cap} has {left} left; releasing bill {bill.id} needs {amount}", "exceeds_milestone_cap"
        )
    fee = fee_of(campaign, amount)
    if amount + fee > facts.escrow_available:
        raise RuleRefused(
            f"escrow has {facts.escrow_available} available; releasing bill {bill.id} needs {amount}" + _and_fee(fee),
            "exceeds_escrow",
        )
    check_piece_limit(
        "contract", facts.contract.max_pieces_milli, facts.contract.pieces_committed_milli, pieces_milli, campaign
    )
    check_piece_limit(
        "campaign", campaign.max_pieces_milli, facts.campaign_pieces_committed_milli, pieces_milli, campaign
    )


def check_release_pieces(bill: Bill, pieces_milli: int) -> None:
    """A release may cover fewer pieces than billed, never more."""
    if pieces_milli > bill.pieces_milli:
        raise RuleRefused(
            f"bill {bill.id} is for {format_pieces(bill.pieces_milli)} pieces; cannot release "
            f"{format_pieces(pieces_milli)}",
            "release_exceeds_bill",
        )


def released_amount(bill: Bill, released_milli: int, campaign: Campaign) -> Money:
    """What releasing ``released_milli`` of a bill posts: all of it, or those pieces at its rate."""
    if released_milli == bill.pieces_milli:
        return bill.amount
    if released_milli == 0:
        return Money.zero(campaign.currency)
    return bill_amount(released_milli, bill.rate, campaign)


# --------------------------------------------------------------------------- ends and payouts


def check_end(contract: Contract, pending_bills: int, pending_choice: str | None) -> None:
    """A contract with pending bills ends only when told what to do with them."""
    check_contract_active(contract)
    if pending_bills and pending_choice is None:
        raise RuleRefused(
            f"contract {contract.ref} has {pending_bills} pending bill(s); release or reject them, or pass "
            f"--release-pending or --reject-pending",
            "pending_bills",
        )


def check_payout(handle: str, owed: Money, amount: Money) -> None:
    """A payout cannot exceed what the worker's released earnings hold."""
    if owed.minor <= 0:
        raise RuleRefused(f"worker '{handle}' has nothing owed in this currency", "nothing_owed")
    if amount > owed:
        raise RuleRefused(f"worker '{handle}' is owed {owed}; this payout is {amount}", "exceeds_owed")


def payout_currency(handle: str, asked: str | None, owed_in: list[str]) -> str:
    """The currency a payout is in: the one asked for, or the only one the worker is owed in."""
    if asked is not None:
        if asked not in owed_in:
            raise RuleRefused(f"worker '{handle}' is owed nothing in {asked}", "nothing_owed")
        return asked
    if not owed_in:
        raise RuleRefused(f"worker '{handle}' has no released earnings to pay out", "nothing_owed")
    if len(owed_in) > 1:
        raise BadInput(f"worker '{handle}' is owed in {', '.join(owed_in)}; pass --currency", "currency_ambiguous")
    return owed_in[0]


# --------------------------------------------------------------------------- payees

# Form 1099-NEC: payments for services of this much (US dollars) or more in a tax year
# are reported; a 2025 act raised it for payments made from 2026 (indexed to inflation
# after 2026: --threshold gives a later year's figure).
NEC_THRESHOLD_THROUGH_2025 = Decimal(600)
NEC_THRESHOLD_FROM_2026 = Decimal(2000)
NEC_CURRENCY = "USD"


def payee_threshold(year: int) -> Decimal:
    """The US dollars a worker's payouts in ``year`` must reach to be flagged for a 1099-NEC:
    600 for payments through 2025, 2,000 from 2026."""
    return NEC_THRESHOLD_THROUGH_2025 if year <= 2025 else NEC_THRESHOLD_FROM_2026


def over_threshold(paid: Money, threshold: Money) -> bool | None:
    """Whether ``paid`` is at or over ``threshold``; None when they are not the same currency
    (the threshold is in US dollars, and currencies are never converted)."""
    if paid.currency.code != threshold.currency.code:
        return None
    return paid >= threshold


# --------------------------------------------------------------------------- edits


def check_campaign_editable(campaign: Campaign) -> None:
    """A campaign's terms change until it is closed."""
    if campaign.status is CampaignStatus.CLOSED:
        raise RuleRefused(f"campaign '{campaign.slug}' is closed; its terms can no longer change", "campaign_closed")


def check_budget_edit(campaign: Campaign, committed: Money) -> None:
    """A new budget must hold what the campaign has put in escrow and not had back."""
    if campaign.budget is not None and campaign.budget < committed:
        raise RuleRefused(
            f"campaign '{campaign.slug}' has committed {committed} (top-ups less refunds); "
            f"a budget of {campaign.budget} is below it",
            "budget_below_committed",
        )


def check_piece_limit_edit(campaign: Campaign, committed_milli: int) -> None:
    """A new piece limit must hold the campaign's pending and released pieces."""
    limit = campaign.max_pieces_milli
    if limit is not None and limit < committed_milli:
        raise RuleRefused(
            f"campaign '{campaign.slug}' has {pieces_text(committed_milli, campaign.unit)} pending or released; "
            f"a piece limit of {pieces_text(limit, campaign.unit)} is below it",
            "piece_limit_below_billed",
        )


def check_workers_edit(campaign: Campaign, taken: int) -> None:
    """A new number of workers must hold the contracts already accepted (ended ones count,
    as ``check_room_for_worker`` counts them)."""
    if campaign.workers is not None and campaign.workers < taken:
        raise RuleRefused(
            f"campaign '{campaign.slug}' has accepted {taken} contract(s), ended ones included; "
            f"room for {campaign.workers} worker(s) is below it",
            "workers_below_accepted",
        )


def check_deadline_edit(campaign: Campaign, today: date, last_bill: date | None) -> None:
    """A new deadline may not lie before today, nor before a bill already on the campaign."""
    deadline = campaign.deadline
    if deadline is None:
        return
    if deadline < today:
        raise RuleRefused(f"deadline {deadline.isoformat()} is before today ({today.isoformat()})", "deadline_in_past")
    if last_bill is not None and deadline < last_bill:
        raise RuleRefused(
            f"deadline {deadline.isoformat()} is before the latest bill on campaign '{campaign.slug}', "
            f"dated {last_bill.isoformat()}",
            "deadline_before_bill",
        )


# --------------------------------------------------------------------------- dates


def check_capacity(account: str, total: str, current: int, amount: Money) -> None:
    """An account's running total (e.g. ``credits_pending``) may not pass what a ledger can
    hold: 64-bit integers of minor units."""
    if amount.minor > 0 and current > MAX_MINOR - amount.minor:
        raise over_capacity(account, total, amount.currency)


def over_capacity(account: str, total: str, currency: Currency) -> RuleRefused:
    """The refusal of a posting that would take an account's total past 64 bits."""
    return RuleRefused(
        f"this would take account {account}'s {total.replace('_', ' ')} past "
        f"{format_minor(MAX_MINOR, currency.digits)} {currency.code}, the most a ledger can hold",
        "exceeds_ledger_capacity",
    )


def check_effective_date(
    effective: date, today: date, earliest: date | None, what: str, since: str = "contract"
) -> None:
    """An effective date may not lie in the future, nor before what it follows (the
    contract's acceptance, or for a release or rejection the bill itself)."""
    if effective > today:
        raise BadInput(f"{what} date {effective.isoformat()} is in the future", "date_in_future")
    if earliest is not None and effective < earliest:
        began = {
            "contract": "the contract was accepted",
            "bill": "the bill's date",
            "rejection": "the bill was rejected",
            "revision": "the revision was asked",
        }[since]
        raise RuleRefused(
            f"{what} date {effective.isoformat()} is before {began} ({earliest.isoformat()})", f"date_before_{since}"
        )


# --------------------------------------------------------------------------- tokens


def check_token_terms(role: TokenRole, worker: str | None, campaigns: int, name_taken: bool, name: str) -> None:
    """A worker's token names its worker, and only a worker's does; an owner's token covers
    every campaign; token names (the actors requests are recorded under) are unique."""
    if role is TokenRole.WORKER and worker is None:
        raise BadInput("a worker's token names its worker: pass --worker", "worker_required")
    if role is not TokenRole.WORKER and worker is not None:
        raise BadInput(f"--worker goes with --role worker, not {role}", "conflicting_options")
    if role is TokenRole.OWNER and campaigns:
        raise BadInput(
            "an owner's token covers every campaign; --campaign goes with reviewer or worker", "conflicting_options"
        )
    if name_taken:
        raise RuleRefused(f"a token named '{name}' exists already; pass another --name", "token_exists")


def check_token_expiry(expires_on: date | None, today: date) -> None:
    """A token's last day is today or later."""
    if expires_on is not None and expires_on < today:
        raise BadInput(f"--expires {expires_on.isoformat()} is before today ({today.isoformat()})", "date_in_past")


def check_token_usable(token: Token | None, today: date) -> Token:
    """A request's token is one the ledger knows, not revoked, and not past its last day.
    Every refusal says as little as it can: the holder of a wrong token learns nothing."""
    if token is None:
        raise Unauthenticated("the token is not recognised", "token_unknown")
    if token.revoked_on is not None:
        raise Unauthenticated(f"the token was revoked on {token.revoked_on.isoformat()}", "token_revoked")
    if token.expires_on is not None and today > token.expires_on:
        raise Unauthenticated(f"the token expired after {token.expires_on.isoformat()}", "token_expired")
    return token


def check_link_hours(hours: int, most: int) -> None:
    """A sign-in link lasts from one hour to ``most`` hours."""
    if not 1 <= hours <= most:
        raise BadInput(f"--hours must be 1 to {most}, not {hours}", "bad_hours")


def check_revocable(token: Token) -> None:
    if token.revoked_on is not None:
        raise RuleRefused(
            f"token {token.id} ({token.name}) was revoked on {token.revoked_on.isoformat()}", "token_revoked"
        )


# --------------------------------------------------------------------------- bonuses and time


def check_bonus(contract: Contract, amount: Money, fee: Money, source: str, escrow_available: Money | None) -> None:
    """A bonus is paid on an accepted contract: from its escrow while it is active and only
    what escrow has available for it and its fee (never what pending bills reserve); from
    the client's funding also once it has ended."""
    if contract.status not in (ContractStatus.ACTIVE, ContractStatus.ENDED):
        raise RuleRefused(
            f"contract {contract.ref} is {contract.status.value}: a bonus is paid on an accepted contract",
            "contract_not_active",
        )
    if source == "escrow":
        if contract.status is not ContractStatus.ACTIVE:
            raise RuleRefused(
                f"contract {contract.ref} has ended and its escrow was refunded; pay the bonus --from-funding",
                "contract_not_active",
            )
        assert escrow_available is not None
        if amount + fee > escrow_available:
            raise RuleRefused(
                f"a bonus of {amount}{_and_fee(fee)} exceeds what contract {contract.ref}'s escrow has available "
                f"({escrow_available}); top it up, or pay it --from-funding",
                "exceeds_escrow",
            )


def check_time(contract: Contract) -> None:
    """Time is recorded on an active contract."""
    check_contract_active(contract)


def check_makeup_wage(wage: Money | None, campaign_ref: str | None) -> None:
    """A make-up needs a wage: --minimum-wage, or the campaign's own."""
    if wage is None:
        where = f"campaign {campaign_ref} has none of its own" if campaign_ref else "or name a --campaign that has one"
        raise BadInput(f"a make-up needs a wage: pass --minimum-wage 15.00/h ({where})", "wage_required")


def makeup_date(period: Period, today: date, asked: date | None) -> date:
    """The date of a make-up for ``period``: in the period, so that the period's pay counts
    it (and a second run does not pay it again): the day asked, else its last day, or today
    while the period runs."""
    if asked is None:
        if today < period.first:
            raise RuleRefused(f"{period.name} has not begun (it starts on {period.first.isoformat()})", "period_ahead")
        return min(period.last, today)
    if not period.first <= asked <= period.last:
        raise BadInput(
            f"a make-up for {period.name} is dated in it ({period.first.isoformat()} to {period.last.isoformat()}), "
            f"not {asked.isoformat()}",
            "date_outside_period",
        )
    return asked
