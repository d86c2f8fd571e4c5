"""The journal as exports see it: entries with named postings, and the entries that post money
as the client's books need them, read a row at a time from one snapshot."""

from __future__ import annotations

from piecepay.records import Record


class ExportPosting(Record):
    """A posting with its account's name and currency."""

    account: str
    side: str
    phase: str
    currency: str
    digits: int
    amount: int


class ExportEntry(Record):
    """An entry with what an export names it by."""

    id: int
    date: str
    recorded_at: str
    kind: str
    campaign: str | None
    worker: str | None
    contract_id: int | None
    bill_id: int | None
    memo: str
    actor: str
    hash: str
    postings: tuple[ExportPosting, ...]

    @property
    def contract(self) -> str | None:
        return f"{self.campaign}/{self.worker}" if self.campaign else None


class Booking(Record):
    """An entry that posts money (has a posting in the posted phase), with what the books need.

    ``currency`` is that of the accounts its posted postings move; ``payee`` the worker whose
    account they move (a release's or a payout's), None when they move no worker's account."""

    id: int
    date: str
    memo: str
    kind: str
    campaign: str | None
    worker: str | None  # the contract's
    contract_id: int | None
    payee: str | None
    currency: str
    digits: int
    amount: int  # what its posted debits add up to
