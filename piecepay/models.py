"""The domain records: immutable values read from the ledger, no I/O and no clock."""

from datetime import date
from decimal import Decimal
from enum import Enum, StrEnum

from piecepay.money import Currency, Money, format_pieces, format_rate
from piecepay.records import Record


class CampaignStatus(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class ContractStatus(StrEnum):
    """An offer's life: offered, then declined, withdrawn, or accepted (active) and ended."""

    OFFERED = "offered"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    ACTIVE = "active"
    ENDED = "ended"


class MilestoneStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class BillStatus(StrEnum):
    """A bill's life: pending, then released or rejected; or sent back for a revision
    (revising, its reservation kept) and pending again once resubmitted."""

    PENDING = "pending"
    RELEASED = "released"
    REJECTED = "rejected"
    REVISING = "revising"

    @property
    def open(self) -> bool:
        """Whether the bill still holds its reservation (pending or revising)."""
        return self in (BillStatus.PENDING, BillStatus.REVISING)


class RevisionStatus(StrEnum):
    """A revision asked of a bill: open until the worker resubmits or the bill is resolved."""

    OPEN = "open"
    RESUBMITTED = "resubmitted"
    CLOSED = "closed"


DEFAULT_REVISION_DAYS = 7  # a revision not resubmitted within this is rejected by the sweep
DEFAULT_REVERSAL_DAYS = 30  # a rejection may be reversed within this


class Removed(Enum):
    """A limit taken off a campaign by an edit (typed as the word ``none``)."""

    LIMIT = "none"


class CampaignAction(StrEnum):
    """What a client may do to a campaign's status."""

    PAUSE = "pause"
    RESUME = "resume"
    CLOSE = "close"

    @property
    def done(self) -> str:
        return {"pause": "paused", "resume": "resumed", "close": "closed"}[self.value]


class OfferAction(StrEnum):
    """What may happen to an open offer: the worker accepts or declines, the client withdraws."""

    ACCEPT = "accept"
    DECLINE = "decline"
    WITHDRAW = "withdraw"

    @property
    def done(self) -> str:
        return {"accept": "accepted", "decline": "declined", "withdraw": "withdrawn"}[self.value]


class Grouping(StrEnum):
    """The rows of a report: one per campaign, per contract or per worker and currency."""

    CAMPAIGN = "campaign"
    CONTRACT = "contract"
    WORKER = "worker"


class TierPeriod(StrEnum):
    """The span whose released pieces count toward a tier: an ISO week or a calendar month."""

    WEEK = "week"
    MONTH = "month"


class Tier(Record):
    """A tiered rate: from the ``from_piece``-th piece released in a period (of a contract),
    each piece is paid ``rate``."""

    from_piece: int
    rate: Decimal


def tiers_text(tiers: tuple[Tier, ...]) -> str | None:
    """Tiers as stored and typed: '1000:0.005,5000:0.006' (None: no tiers)."""
    return ",".join(f"{t.from_piece}:{format_rate(t.rate)}" for t in tiers) or None


def tiers_said(tiers: tuple[Tier, ...], period: "TierPeriod") -> str:
    """Tiers in a journal memo: '; from piece 1000 a month 0.005, from piece 5000 0.006' ('' for none)."""
    if not tiers:
        return ""
    steps = [f"from piece {t.from_piece} {format_rate(t.rate)}" for t in tiers]
    return f"; a {period.value}: " + ", ".join(steps)


def tiers_from_text(text: str | None) -> tuple[Tier, ...]:
    """Tiers as stored (``tiers_text``) back to records."""
    if not text:
        return ()
    return tuple(Tier(int(n), Decimal(rate)) for n, rate in (part.split(":") for part in text.split(",")))


class Fee(Record):
    """A platform fee charged to the client on every release and bonus: a percentage of what
    it pays, at least ``minimum`` when it pays anything."""

    percent: Decimal
    minimum: Money | None


class Campaign(Record):
    """A job paid per piece, with its terms."""

    id: int
    slug: str
    title: str
    unit: str
    step: Decimal
    rate: Decimal
    currency: Currency
    budget: Money | None
    max_pieces_milli: int | None
    workers: int | None
    milestone_cap: Money | None
    review_days: int
    deadline: date | None
    status: CampaignStatus
    created_at: str
    revision_days: int = DEFAULT_REVISION_DAYS
    reversal_days: int = DEFAULT_REVERSAL_DAYS
    tiers: tuple[Tier, ...] = ()
    tier_period: TierPeriod = TierPeriod.MONTH
    fee: Fee | None = None
    minimum_wage: Money | None = None  # an hour: what `pay` and `makeup` measure its pay against


class Worker(Record):
    """A person who does pieces."""

    id: int
    handle: str
    name: str | None
    email: str | None
    created_at: str


class Contract(Record):
    """An offer of a campaign to one worker; active once accepted, ended with a refund."""

    id: int
    campaign_id: int
    worker_id: int
    campaign_slug: str
    worker_handle: str
    rate: Decimal
    max_pieces_milli: int | None
    status: ContractStatus
    offered_at: str
    accepted_on: date | None
    ended_on: date | None
    escrow_account_id: int | None
    refunded: Money
    pieces_pending_milli: int
    pieces_released_milli: int
    pieces_rejected_milli: int
    # Exact totals: bills from this entry on are priced by the contract's running total (a
    # contract from before schema 9 starts at its upgrade), and the exact value released less
    # the money released, in minor units (within [-0.5, 0.5)).
    exact_from_entry: int = 0
    released_carry: Decimal = Decimal(0)
    tiers: tuple[Tier, ...] = ()  # copied from the campaign, or the offer's own
    tier_period: TierPeriod = TierPeriod.MONTH
    fees_minor: int = 0  # platform fees charged on it from its escrow
    funded_fees_minor: int = 0  # and from the client's funding (on bonuses paid so)

    @property
    def ref(self) -> str:
        """The human reference, campaign/worker."""
        return f"{self.campaign_slug}/{self.worker_handle}"

    @property
    def pieces_billed_milli(self) -> int:
        return self.pieces_pending_milli + self.pieces_released_milli + self.pieces_rejected_milli

    @property
    def pieces_committed_milli(self) -> int:
        """Pieces that count against piece limits: pending and released."""
        return self.pieces_pending_milli + self.pieces_released_milli


class BonusSource(StrEnum):
    """Where a bonus is paid from: the contract's escrow, or straight from the client."""

    ESCROW = "escrow"
    FUNDING = "funding"


class Bonus(Record):
    """Money paid to a worker on a contract beyond their pieces, posted at once; a make-up
    bonus names the period whose shortfall against a minimum wage it pays."""

    id: int
    contract_id: int
    amount: Money
    source: BonusSource
    reason: str
    makeup_period: str | None
    effective_date: date
    entry_id: int


class WorkTime(Record):
    """Minutes worked on a contract that no bill names."""

    id: int
    contract_id: int
    minutes: int
    effective_date: date
    note: str | None
    entry_id: int


class Milestone(Record):
    """A top-up of a contract's escrow that opens a billing window with a cap."""

    id: int
    contract_id: int
    seq: int
    top_up: Money
    cap: Money | None
    status: MilestoneStatus
    opened_on: date
    entry_id: int | None


class Bill(Record):
    """A worker's claim for pieces on a milestone; a pending reservation until resolved."""

    id: int
    contract_id: int
    milestone_id: int
    pieces_milli: int
    rate: Decimal
    amount: Money
    status: BillStatus
    released_pieces_milli: int
    released: Money
    reason: str | None
    note: str | None
    minutes: int | None
    proofs: tuple[str, ...]
    effective_date: date
    resolved_on: date | None
    entry_id: int
    resolve_entry_id: int | None

    @property
    def spent(self) -> Money:
        """What the bill takes of its milestone's cap: all of it while open, then what was released."""
        return self.amount if self.status.open else self.released


class Revision(Record):
    """A revision asked of a bill: why, when, and how it ended (resubmitted, or closed when
    the bill was released or rejected without one)."""

    id: int
    bill_id: int
    reason: str
    asked_on: date
    entry_id: int
    status: RevisionStatus
    resolved_on: date | None
    resolve_entry_id: int | None


class TokenRole(StrEnum):
    """What a token's holder may do on a served ledger: everything (owner); read, release,
    reject and revise within its campaigns (reviewer); bill, resubmit and read their own
    (worker)."""

    OWNER = "owner"
    REVIEWER = "reviewer"
    WORKER = "worker"


class Token(Record):
    """A party's token: its name (the actor its requests are recorded under), role, worker,
    campaigns (none: all), last day, and the day it was revoked. Only the SHA-256 of its
    secret is kept."""

    id: int
    name: str
    role: TokenRole
    worker_id: int | None
    worker_handle: str | None
    campaign_ids: tuple[int, ...]
    campaign_slugs: tuple[str, ...]
    expires_on: date | None
    created_at: str
    revoked_on: date | None

    def state(self, today: date) -> str:
        """'revoked', 'expired' (past its last day) or 'active'."""
        if self.revoked_on is not None:
            return "revoked"
        if self.expires_on is not None and today > self.expires_on:
            return "expired"
        return "active"


class Account(Record):
    """A ledger account in one currency, with TigerBeetle-style running totals (minor units)."""

    id: int
    name: str
    currency: Currency
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int

    @property
    def escrow_available(self) -> Money:
        """For an escrow account: funded, less released and refunded, less reserved."""
        return Money(self.credits_posted - self.debits_posted - self.debits_pending, self.currency)

    @property
    def credit_balance(self) -> Money:
        """Posted credits less posted debits (what a worker is owed, what escrow holds)."""
        return Money(self.credits_posted - self.debits_posted, self.currency)


# The accounts, per currency: the client's funding source, each contract's escrow, each
# worker's earnings, the sink payouts go to, and the platform's fees.
CLIENT_ACCOUNT = "client"
PAYOUT_ACCOUNT = "payouts"
FEES_ACCOUNT = "fees"  # platform fees charged to the client


def escrow_account_name(contract_id: int) -> str:
    return f"escrow:{contract_id}"


def worker_account_name(handle: str) -> str:
    return f"worker:{handle}"


class Figures(Record):
    """Escrow money of a report row, from four maintained sums."""

    funded: Money
    reserved: Money
    released: Money  # for pieces
    refunded: Money
    bonuses: Money  # paid beyond pieces, from escrow or from the client's funding
    escrow_bonuses: Money  # the part of ``bonuses`` paid from escrow
    fees: Money  # platform fees charged, from escrow or from the client's funding
    escrow_fees: Money  # the part of ``fees`` charged to escrow

    @property
    def escrow(self) -> Money:
        """Held in escrow: funded less released, refunded, and paid from it as bonuses and
        fees (available + reserved)."""
        return self.funded - self.released - self.refunded - self.escrow_bonuses - self.escrow_fees

    @property
    def available(self) -> Money:
        return self.escrow - self.reserved

    def __add__(self, other: "Figures") -> "Figures":  # type: ignore[override]
        return Figures(*(mine + theirs for mine, theirs in zip(self, other, strict=True)))

    @classmethod
    def zero(cls, currency: Currency) -> "Figures":
        return cls(*(Money.zero(currency),) * 8)


class Pieces(Record):
    """Piece counts of a report row, in thousandths."""

    pending: int = 0
    released: int = 0
    rejected: int = 0

    @property
    def billed(self) -> int:
        return self.pending + self.released + self.rejected

    def __add__(self, other: "Pieces") -> "Pieces":  # type: ignore[override]
        return Pieces(*(mine + theirs for mine, theirs in zip(self, other, strict=True)))


def pieces_text(milli: int, unit: str) -> str:
    """'1 photo', '5 photos', '2.5 minutes'."""
    return f"{format_pieces(milli)} {units(milli, unit)}"


def units(milli: int, unit: str) -> str:
    """The unit as a count of ``milli`` thousandths says it: as it is for exactly one piece,
    else in the plural ('audio minute' → 'audio minutes'). English rules for the units
    campaigns use: +es after s, x, z, ch or sh, y → ies after a consonant, else +s. A unit
    that already ends in s is left as it is ('pieces')."""
    lower = unit.lower()
    if milli == 1000 or not unit or lower.endswith("s"):
        return unit
    if lower.endswith(("x", "z", "ch", "sh")):
        return unit + "es"
    if lower.endswith("y") and lower[-2:-1].isalpha() and lower[-2] not in "aeiou":
        return unit[:-1] + "ies"
    return unit + "s"
