"""The store: every statement piecepay runs against a ledger, behind one interface.

``Store`` is what the operations call; ``piecepay.store.sqlite.SqliteStore`` is the SQLite
implementation (the embedded default). A second implementation (PostgreSQL) adds a module
that provides the same methods; nothing outside ``store/`` builds SQL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from piecepay.records import Record

if TYPE_CHECKING:
    from piecepay.export.entries import Booking, ExportEntry
    from piecepay.journal import Posting
    from piecepay.models import (
        Account,
        Bill,
        BillStatus,
        Bonus,
        BonusSource,
        Campaign,
        CampaignStatus,
        Contract,
        ContractStatus,
        Milestone,
        Revision,
        Tier,
        Token,
        TokenRole,
        Worker,
        WorkTime,
    )
    from piecepay.money import Currency, Money
    from piecepay.store.facts import Image
    from piecepay.store.journal import EntryHeader
    from piecepay.store.sqlite import (
        ActiveContract,
        BillLine,
        ContractFigures,
        LogEntry,
        PaidOut,
        PendingBill,
        StoredEntry,
        StoredHead,
        WorkerBalance,
        WorkerEntry,
        WorkerPay,
    )


class NewBill(Record):
    """A bill to write with its key, its contract as it stands after it, and its entry."""

    bill: Bill
    contract: Contract
    key: str | None
    request: dict[str, Any] | None
    result: Any
    header: EntryHeader
    postings: list[Posting]


class Store(Protocol):
    """A ledger opened for one session: reads, writes and transactions, by the nouns of DESIGN.md."""

    path: Path | None  # the ledger's file; None for a ledger in a server database
    shown: str  # how messages name the ledger (a URL without its password)

    def close(self) -> None: ...

    def write(self) -> contextlib.AbstractContextManager[None]:
        """One write transaction: all of it or none of it; concurrent writers queue."""
        ...

    def snapshot(self) -> contextlib.AbstractContextManager[None]:
        """One consistent read of the ledger, even while others write."""
        ...

    def is_empty(self) -> bool:
        """Whether the ledger holds nothing yet: no campaign, worker or entry but its checkpoint."""
        ...

    def currency(self, code: str) -> Currency | None: ...

    def add_currency(self, currency: Currency) -> None: ...

    def campaign_exists(self, slug: str) -> bool: ...

    def insert_campaign(self, c: Campaign) -> Campaign:
        """Write a new campaign (its id is assigned); returns it as stored."""
        ...

    def find_campaign(self, ref: str) -> Campaign:
        """A campaign by slug (or numeric id)."""
        ...

    def campaign(self, campaign_id: int) -> Campaign: ...

    def campaigns(self) -> list[Campaign]: ...

    def set_campaign_status(self, campaign_id: int, status: CampaignStatus) -> None: ...

    def edit_campaign(self, campaign_id: int, changes: dict[str, object]) -> None:
        """Set the campaign's terms named in ``changes`` (column to value, as stored)."""
        ...

    def edit_worker(self, worker_id: int, name: str | None, email: str | None) -> None: ...

    def insert_token(
        self,
        name: str,
        role: TokenRole,
        worker_id: int | None,
        campaign_ids: Sequence[int],
        expires_on: date | None,
        digest: str,
        created_at: str,
    ) -> Token:
        """Keep a new token: its terms and the SHA-256 of its secret (``digest``), never the secret."""
        ...

    def token_name_taken(self, name: str) -> bool: ...

    def token_by_digest(self, digest: str) -> Token | None: ...

    def in_transaction(self) -> bool: ...

    def insert_sign_in(self, token_id: int, kind: str, digest: str, created_at: str, expires_at: str) -> None: ...

    def sign_in(self, kind: str, digest: str, now: str) -> int | None: ...

    def use_sign_in(self, digest: str, now: str) -> bool: ...

    def end_sign_ins(self, now: str, digest: str | None = None) -> None: ...

    def token(self, token_id: int) -> Token | None: ...

    def tokens(self) -> list[Token]: ...

    def revoke_token(self, token_id: int, on: date) -> None: ...

    def campaign_committed(self, campaign_id: int) -> tuple[int, int]:
        """Minor units a campaign has put in escrow and not had back, and pieces pending or released."""
        ...

    def last_bill_date(self, campaign_id: int) -> date | None:
        """The latest effective date of a bill on the campaign (any status), if it has one."""
        ...

    def count_contracts(self, campaign_id: int, statuses: Iterable[ContractStatus]) -> int: ...

    def withdraw_open_offers(self, campaign_id: int) -> None: ...

    def worker_exists(self, handle: str) -> bool: ...

    def insert_worker(self, handle: str, name: str | None, email: str | None, created_at: str) -> Worker: ...

    def find_worker(self, ref: str) -> Worker:
        """A worker by handle (or numeric id)."""
        ...

    def workers(self) -> list[Worker]: ...

    def insert_offer(
        self,
        campaign: Campaign,
        worker: Worker,
        rate: Decimal,
        max_pieces_milli: int | None,
        offered_at: str,
        tiers: tuple[Tier, ...] = (),
    ) -> Contract: ...

    def contract(self, contract_id: int) -> Contract: ...

    def contract_or_none(self, contract_id: int) -> Contract | None: ...

    def find_contract(self, ref: int | str, *, what: str = "contract") -> Contract:
        """A contract (or offer) by id, or by campaign/worker: the active one, else the latest."""
        ...

    def engagement(self, campaign_id: int, worker_id: int) -> Contract | None:
        """The worker's open offer or active contract on the campaign, if any."""
        ...

    def contracts(self, campaign_id: int | None = None, status: ContractStatus | None = None) -> list[Contract]: ...

    def accept_offer(self, contract_id: int, accepted_on: date, escrow: Account) -> None: ...

    def set_contract_status(self, contract_id: int, status: ContractStatus) -> None: ...

    def end_contract(self, contract_id: int, ended_on: date, refund: Money) -> None: ...

    def add_contract_pieces(self, contract_id: int, pending: int, released: int = 0, rejected: int = 0) -> None:
        """Move a contract's piece counters (thousandths) by the given amounts."""
        ...

    def released_between(self, contract_id: int, first: date, last: date) -> int:
        """Pieces (thousandths) released on the contract's bills dated ``first`` to ``last``."""
        ...

    def add_contract_fees(self, contract_id: int, escrow: int, funded: int) -> None:
        """Add fees charged on the contract, from its escrow and from the client's funding."""
        ...

    def set_released_carry(self, contract_id: int, carry: Decimal) -> None:
        """The contract's exact value released less its money released, after a release."""
        ...

    def insert_bonus(
        self,
        contract_id: int,
        amount: Money,
        source: BonusSource,
        reason: str,
        makeup_period: str | None,
        effective: date,
        entry_id: int,
    ) -> int: ...

    def bonus(self, bonus_id: int) -> Bonus | None: ...

    def campaign_payments(self, campaign_id: int) -> Iterator[int]:
        """What each release (and reversal) and each bonus of a campaign paid, in minor units."""
        ...

    def bonus_totals(self, contract_id: int) -> tuple[int, int]:
        """A contract's bonuses in minor units: all of them, and those paid from its escrow."""
        ...

    def insert_work_time(
        self, contract_id: int, minutes: int, effective: date, note: str | None, entry_id: int
    ) -> int: ...

    def work_time(self, time_id: int) -> WorkTime | None: ...

    def makeup_contract(
        self, handle: str, currency: str, first: date, last: date, campaign_id: int | None = None
    ) -> Contract | None:
        """The worker's contract in ``currency`` (of one campaign, or of any) a make-up for
        ``first`` to ``last`` is paid on."""
        ...

    def account(self, account_id: int) -> Account: ...

    def account_named(self, name: str, currency: Currency) -> Account | None: ...

    def accounts_named(self, name: str) -> list[Account]:
        """The account ``name`` in every currency it has, by currency."""
        ...

    def ensure_account(self, name: str, currency: Currency) -> Account:
        """The account ``name`` in ``currency``, opened with zero totals if new."""
        ...

    def open_milestone(self, contract_id: int) -> Milestone | None: ...

    def close_milestones(self, contract_id: int) -> None: ...

    def insert_milestone(
        self, contract_id: int, top_up: Money, cap: Money | None, opened_on: date, entry_id: int | None
    ) -> Milestone:
        """Open the contract's next milestone (numbered after the last)."""
        ...

    def milestone(self, milestone_id: int) -> Milestone: ...

    def milestones(self, contract_id: int) -> list[Milestone]: ...

    def milestone_spent(self, milestone: Milestone) -> Money:
        """What a milestone's cap has spent: pending reservations plus released amounts."""
        ...

    def next_bill_id(self) -> int: ...

    def insert_bill(self, bill: Bill) -> None: ...

    def write_bills(self, bills: Sequence[NewBill], created_at: str) -> list[int]:
        """Write many new bills, each with its key and the entry that reserves it; the entries' ids."""
        ...

    def expect_many_writes(self) -> None:
        """This session writes many rows: let the store keep more in memory if it can."""
        ...

    def recorded_requests(self, keys: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        """The command and request each of ``keys`` was first recorded with, for those recorded."""
        ...

    def bill(self, bill_id: int) -> Bill | None: ...

    def resolve_bill(
        self, bill: Bill, released_milli: int, released: Money, reason: str | None, on: date, entry_id: int
    ) -> None:
        """Record an open bill's resolution (released, all or part, or with nothing rejected),
        or a rejected bill's release that reverses the rejection; a revision still open closes."""
        ...

    def revise_bill(self, bill: Bill, reason: str, on: date, entry_id: int) -> None:
        """Send a pending bill back to its worker: revising, with an open revision."""
        ...

    def resubmit_bill(self, bill: Bill, on: date, entry_id: int) -> None:
        """A revised bill back for review with what it now claims (``bill``), its revision done."""
        ...

    def revisions(self, bill_id: int) -> list[Revision]: ...

    def revisions_due(self, until: date) -> list[PendingBill]:
        """Bills whose open revision's window ends on or before ``until``, by id."""
        ...

    def pending_bills(self, contract_id: int) -> list[Bill]: ...

    def bill_lines(
        self,
        status: BillStatus | None = None,
        campaign_id: int | None = None,
        worker_id: int | None = None,
        contract_id: int | None = None,
        dated_by: date | None = None,
        bill_id: int | None = None,
    ) -> list[BillLine]:
        """Bills, oldest first, filtered as each argument given asks."""
        ...

    def next_entry_id(self) -> int: ...

    def append(self, header: EntryHeader, postings: Sequence[Posting] = ()) -> int:
        """Seal what this transaction changed into a new entry chained to the head; its id."""
        ...

    def head(self) -> tuple[int, str]:
        """How many entries there are and the hash of the last."""
        ...

    def entry_hash(self, entry_id: int) -> str | None: ...

    def log_entries(
        self,
        contract_id: int | None = None,
        last: int | None = None,
        *,
        campaign_id: int | None = None,
        worker_id: int | None = None,
        kind: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[LogEntry]:
        """The journal, oldest first, each entry with its postings, filtered as each argument given asks."""
        ...

    def bill_entries(self, contract_id: int, bill_id: int) -> list[LogEntry]:
        """Every entry about one bill, oldest first, with postings."""
        ...

    def entries_by_id(self, ids: Sequence[int]) -> list[LogEntry]:
        """The entries with these ids, oldest first, each with its postings."""
        ...

    def find_key(self, key: str) -> tuple[str, dict[str, Any], Any] | None:
        """The command, request and result first recorded under ``key``, if any."""
        ...

    def save_key(self, key: str, command: str, request: dict[str, Any], result: Any, created_at: str) -> None: ...

    def contract_figures(self, campaign_id: int | None = None) -> list[ContractFigures]:
        """Every accepted contract (active or ended) with its escrow totals, by id."""
        ...

    def paid_out(self, since: date, until: date) -> list[PaidOut]:
        """What each worker was paid out, per currency, by payouts dated ``since`` to ``until``
        (inclusive), by handle and currency; a worker paid nothing then is not listed."""
        ...

    def bills_due_for_review(self, until: date) -> list[PendingBill]:
        """Pending bills whose review window ends on or before ``until``, with their contract
        and their campaign's review window, by id."""
        ...

    def pending_bill_count(self, contract_id: int) -> int: ...

    def worker_pay(self, first: date, last: date, campaign_id: int | None = None) -> list[WorkerPay]:
        """Per worker and currency, the bills dated ``first`` to ``last`` (inclusive), of one
        campaign's contracts or of every one, summed; by worker handle, then currency."""
        ...

    def active_contracts(self) -> list[ActiveContract]:
        """Active contracts with their campaign deadline and the date of their last entry."""
        ...

    def integrity_check(self) -> str: ...

    def integrity_checker(self) -> Callable[[], str] | None:
        """``integrity_check`` on a connection of its own, for another thread to run while this
        one reads; None where it is not worth one (no file, or nothing to check)."""
        ...

    def loose_tables(self) -> list[str]:
        """Tables of the ledger whose columns would take a value of another type than declared
        (on SQLite, a table whose STRICT was removed); none in a ledger piecepay made."""
        ...

    def broken_reference(self) -> tuple[str, int, str] | None:
        """The first row whose foreign key names no row: (table, rowid, the table it names)."""
        ...

    def account_names(self) -> dict[int, tuple[str, str]]:
        """Every account's name and currency code, by id."""
        ...

    def journal(self, after: int = 0) -> Iterator[tuple[StoredEntry, list[Posting]]]:
        """Every entry after entry ``after`` as stored, in id order, with its postings in the order written."""
        ...

    def entry_rows(self, after: int = 0) -> Iterator[tuple[Any, ...]]:
        """Every entry after entry ``after`` as stored, in id order, as (id, kind, contract_id,
        bill_id, effective_date, recorded_at, actor, memo, prev_hash, hash, facts)."""
        ...

    def posting_rows(self, after: int = 0) -> Iterator[tuple[Any, ...]]:
        """Every posting of the entries after entry ``after``, as (entry_id, account_id, side,
        phase, amount), in the order written."""
        ...

    def covered_columns(self, table: str) -> list[str]:
        """The columns of a table the chain seals, as its images hold them (less account totals)."""
        ...

    def covered_images(self, table: str, keys: list[str] | None = None) -> Iterator[tuple[str, str]]:
        """(key, ``canonical_json`` of its image) of each row of a table the chain seals, in the
        table's own order; only the rows whose key is in ``keys`` when it is given."""
        ...

    def fact_rows(self) -> Iterator[tuple[str, str, Image]]:
        """(table, key, image) of every row the chain seals."""
        ...

    def sealed_facts(self, entry_id: int) -> Any: ...

    def posting_sums(self, after: int = 0, upto: int | None = None) -> dict[tuple[int, str], int]:
        """What the postings add up to, per account and total column (e.g. debits_pending): all
        of them, or those of the entries after entry ``after`` up to entry ``upto``."""
        ...

    def fact_rows_named(self, table: str, keys: list[str]) -> Iterator[tuple[str, Image]]:
        """(key, image) of the rows of a table the chain seals whose key is in ``keys``."""
        ...

    def verified_head(self) -> StoredHead | None:
        """Where the last passing verify left off, as recorded (not a fact: verify proves it)."""
        ...

    def keep_verified_head(self, head: StoredHead) -> None:
        """Record ``head`` as where verify left off, unless a later entry is recorded already."""
        ...

    def accounts(self) -> list[Account]: ...

    def bills_resolve_as_their_status_says(self) -> bool:
        """Whether no bill is resolved twice and every bill is pending exactly when no entry
        resolved it (what ``bill_resolved_twice`` and ``bill_status_against_journal`` find
        nothing against), in one read of the journal."""
        ...

    def bill_resolved_twice(self) -> tuple[int, int] | None: ...

    def bill_status_against_journal(self) -> int | None:
        """The first bill whose status (pending or not) disagrees with its resolving entries."""
        ...

    def contract_counters_against_bills(self) -> int | None:
        """The first contract whose piece counters disagree with its bills."""
        ...

    def released_values(self) -> Iterator[tuple[Any, ...]]:
        """Per contract and rate, what its exact totals cover (see the SQLite store)."""
        ...

    def bill_fees(self) -> Iterator[tuple[Any, ...]]:
        """Each bill of a campaign with a fee, with what its fee entries hold and charged."""
        ...

    def contract_fees(self) -> Iterator[tuple[Any, ...]]:
        """Each contract of a campaign with a fee, with the fees it counts and its entries posted."""
        ...

    def tiered_releases(self) -> Iterator[tuple[Any, ...]]:
        """The released bills of tiered contracts, in release order (see the SQLite store)."""
        ...

    def milestone_over_cap(self) -> tuple[int, int, int] | None:
        """The first milestone whose bills spent more than its cap: (id, cap, spent) in minor units."""
        ...

    def bills_with_their_entries(
        self, bill_ids: list[int] | None = None
    ) -> Iterator[tuple[Bill, Campaign, int | None, int, bool, str | None]]:
        """Each bill (or each of ``bill_ids``) with its campaign, what its entry reserved, what
        its release posted, and whether it was priced alone (before its contract's exact totals)."""
        ...

    def bill_amount_groups(self, bill_ids: list[int] | None = None) -> Iterator[tuple[Any, ...]]:
        """The bills (or those of ``bill_ids``) grouped by their figures, as (pieces_milli, rate,
        campaign_id, amount_minor, wrong): ``wrong`` is 1 where a bill of the group has an amount
        its entry did not reserve, or is released for other than what its release posted."""
        ...

    def expected_guards(self) -> dict[str, str]:
        """What ``triggers`` must return for a ledger at the current schema."""
        ...

    def triggers(self) -> dict[str, str]:
        """Every trigger the file holds, by name, with the SQL that made it."""
        ...

    def account_count(self) -> int: ...

    def cursor_position(self, name: str) -> int:
        """The last entry exported under cursor ``name`` (0 before its first export)."""
        ...

    def move_cursor(self, name: str, position: int, at: str) -> int:
        """Move cursor ``name`` forward to ``position`` (never back); where it stands now."""
        ...

    def export_span(
        self, after_id: int, upto_id: int, start: date | None, end: date | None
    ) -> tuple[int, int | None, int | None]:
        """How many entries have after_id < id <= upto_id and an effective date within [start, end]
        (an export's range), and the first and last of their ids."""
        ...

    def export_entries(
        self, after_id: int, upto_id: int, start: date | None, end: date | None
    ) -> Iterator[ExportEntry]:
        """The range's entries in id order, each with its postings in the order written, read a
        few at a time (memory stays flat at any ledger size); take them inside ``snapshot``."""
        ...

    def export_bookings(self, after_id: int, upto_id: int, start: date | None, end: date | None) -> Iterator[Booking]:
        """The range's entries that post money, in effective-date order and then by id (the order
        the books read them), one record each, read a few at a time; take them inside ``snapshot``."""
        ...

    def copy_to(self, target: Path) -> None:
        """A consistent copy of the whole file at ``target`` (one read snapshot; others may write)."""
        ...

    def single_file(self) -> None:
        """Leave no -wal beside this file once it is closed (for a copy that travels alone)."""
        ...

    def worker_entries(self, worker_id: int, account_name: str, first: date, last: date) -> list[WorkerEntry]:
        """The entries dated ``first`` to ``last`` of the worker's contracts, and those of no
        contract that post to the worker's account, by date then id, with what each moved there."""
        ...

    def worker_balances(self, worker_id: int, account_name: str, first: date, last: date) -> list[WorkerBalance]:
        """Per currency of the worker's account, by effective date: posted credits less debits
        before ``first`` and up to ``last``, and what was reserved up to ``last``."""
        ...
