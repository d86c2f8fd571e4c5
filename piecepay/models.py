"""The domain records: immutable values read from the ledger, no I/O and no clock."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple


class Campaign(NamedTuple):
    """A job paid per piece, with its terms."""

    id: int
    slug: str
    title: str
    unit: str
    step: Decimal
    rate: Decimal
    currency: str
    digits: int
    budget_minor: int | None
    max_pieces_milli: int | None
    workers: int | None
    milestone_cap_minor: int | None
    review_days: int
    deadline: date | None
    status: str
    created_at: str


class Worker(NamedTuple):
    """A person who does pieces."""

    id: int
    handle: str
    name: str | None
    email: str | None
    created_at: str


class Contract(NamedTuple):
    """An offer of a campaign to one worker; active once accepted, ended with a refund."""

    id: int
    campaign_id: int
    worker_id: int
    campaign_slug: str
    worker_handle: str
    rate: Decimal
    max_pieces_milli: int | None
    status: str
    offered_at: str
    accepted_on: date | None
    ended_on: date | None
    escrow_account_id: int | None
    refunded_minor: int
    pieces_pending_milli: int
    pieces_released_milli: int
    pieces_rejected_milli: int

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


class Milestone(NamedTuple):
    """A top-up of a contract's escrow that opens a billing window with a cap."""

    id: int
    contract_id: int
    seq: int
    top_up_minor: int
    cap_minor: int | None
    status: str
    opened_on: date
    entry_id: int | None


class Bill(NamedTuple):
    """A worker's claim for pieces on a milestone; a pending reservation until resolved."""

    id: int
    contract_id: int
    milestone_id: int
    pieces_milli: int
    rate: Decimal
    amount_minor: int
    status: str
    released_pieces_milli: int
    released_minor: int
    reason: str | None
    note: str | None
    minutes: int | None
    proofs: tuple[str, ...]
    effective_date: date
    resolved_on: date | None
    entry_id: int
    resolve_entry_id: int | None


class Account(NamedTuple):
    """A ledger account in one currency, with TigerBeetle-style running totals."""

    id: int
    name: str
    currency: str
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int

    @property
    def escrow_available(self) -> int:
        """For an escrow account: funded, less released and refunded, less reserved."""
        return self.credits_posted - self.debits_posted - self.debits_pending

    @property
    def credit_balance(self) -> int:
        """Posted credits less posted debits (what a worker is owed, what escrow holds)."""
        return self.credits_posted - self.debits_posted
