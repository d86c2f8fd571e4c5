"""The journal as exports see it: entries with named postings, read in one snapshot."""

from __future__ import annotations

from typing import NamedTuple


class ExportPosting(NamedTuple):
    """A posting with its account's name and currency."""

    account: str
    side: str
    phase: str
    currency: str
    digits: int
    amount: int


class ExportEntry(NamedTuple):
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
