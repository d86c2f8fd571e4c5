"""Bulk billing: many bills from one file, every rule of a single bill applied to each row in
file order against balances that include the rows before it.

All-or-nothing (the default) runs the whole file as one transaction: the first refusal
undoes everything and names its row. ``partial`` commits good rows in large batches and
reports each refused row instead. Every row runs under an idempotency key (its own, or
one derived from the file's content and the row's number), so running a file again after
a crash or a kill writes no row twice: rows already written replay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal

from piecepay import rules
from piecepay.errors import BadInput, KeyConflict, NotFound, PiecepayError, RuleRefused
from piecepay.journal import transfer
from piecepay.models import Campaign, Contract, Milestone, worker_account_name
from piecepay.money import Currency, Money, format_pieces
from piecepay.operations import keys
from piecepay.operations.bills import (
    BillRequest,
    bill,
    bill_memo,
    bill_request,
    bill_terms,
    billing_contract,
    named_request,
    pending_bill,
)
from piecepay.operations.milestones import escrow_id
from piecepay.records import Record
from piecepay.session import Session
from piecepay.store import NewBill

BATCH = 2000  # rows per transaction with partial
PENDING = Contract._fields.index("pieces_pending_milli")
ROW_ERRORS = (BadInput, RuleRefused, NotFound, KeyConflict)  # a row's own; a storage error stops the file


class BulkRow(Record):
    number: int  # the row's line in the file, counting the header as 1
    request: BillRequest
    key: str


class RowRefusal(Record):
    number: int
    code: str
    message: str
    exit_code: int = 1


class BulkResult(Record):
    rows: int
    billed: int  # written by this run
    replayed: int  # written by an earlier run of the same rows
    refused: tuple[RowRefusal, ...]
    amounts: tuple[Money, ...]  # billed by this run, one per currency


class RowRefused(PiecepayError):
    """All-or-nothing: a row was refused, so the file wrote nothing (the row's own exit code)."""

    def __init__(self, refusal: RowRefusal, undone: str = "nothing billed") -> None:
        super().__init__(f"row {refusal.number}: {refusal.message}; {undone}", refusal.code)
        self.exit_code = refusal.exit_code


def bill_rows(
    s: Session,
    rows: Iterable[BulkRow | RowRefusal],
    *,
    partial: bool = False,
    progress: Callable[[int], None] | None = None,
) -> BulkResult:
    """Bill every row; see the module's docstring for the two modes."""
    tally = _Tally()
    batches = _batches(rows)
    s.store.expect_many_writes()
    if not partial:
        with s.store.write():
            books = _Books(s)
            for batch in batches:
                _run_batch(s, books, batch, tally, stop=True)
                if progress:
                    progress(len(batch))
        return tally.result()
    kept: _Books | None = None
    left_at: tuple[int, str] | None = None
    for batch in batches:
        with s.store.write():
            # What the books hold is read afresh unless the journal ends where the last batch
            # left it: every write seals an entry, so then nothing was written in between.
            if kept is None or s.store.head() != left_at:
                kept = _Books(s)
            _run_batch(s, kept, batch, tally, stop=False)
            left_at = s.store.head()
        if progress:
            progress(len(batch))
    return tally.result()


def _batches(rows: Iterable[BulkRow | RowRefusal]) -> Iterator[list[BulkRow | RowRefusal]]:
    batch: list[BulkRow | RowRefusal] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class _Planned(Record):
    """A row whose every rule passed, to be written with the rest of its batch."""

    row: BulkRow
    contract: Contract  # as it stands after this bill
    campaign: Campaign
    milestone: Milestone
    milli: int
    amount: Money
    effective: date
    request: dict[str, object]


class _Books:
    """What the rules of a bill read, loaded once per transaction and kept up to date as
    rows are planned: contracts, their open milestones and what those spent, escrow and
    worker accounts, and the pieces each campaign has committed."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self.forget()

    def forget(self) -> None:
        """Drop what was loaded (a single bill has just changed it): it is loaded again as needed."""
        self.refs: dict[str | None, int] = {}
        self.contracts: dict[int, Contract] = {}
        self.campaigns: dict[int, Campaign] = {}
        self.committed: dict[int, int] = {}
        self.milestones: dict[int, Milestone | None] = {}
        self.spent: dict[int, Money] = {}
        self.escrows: dict[int, Money] = {}  # escrow account: available
        self.workers: dict[tuple[str, str], int] = {}  # worker account (name, currency): pending credits
        self.opened: dict[tuple[str, str], int] = {}  # worker account (name, currency): id
        self.prices: dict[tuple[int, Decimal, int], Money] = {}  # (pieces, rate, campaign): amount
        self.pieces: dict[tuple[Decimal, int], int] = {}  # (pieces as typed, campaign): thousandths
        self.terms: dict[tuple[int, int], str] = {}  # (pieces, contract): a bill's terms in words
        self.parties: dict[int, _Party] = {}  # contract: what stays the same between its bills
        self.typed: dict[int, str] = {}  # thousandths: the pieces as a request names them

    def contract(self, ref: str | None) -> Contract:
        if ref not in self.refs:
            found = billing_contract(self.s, ref, None)
            self.refs[ref] = found.id
            self.contracts.setdefault(found.id, found)
        return self.contracts[self.refs[ref]]

    def campaign(self, campaign_id: int) -> Campaign:
        if campaign_id not in self.campaigns:
            self.campaigns[campaign_id] = self.s.store.campaign(campaign_id)
            self.committed[campaign_id] = self.s.store.campaign_committed(campaign_id)[1]
        return self.campaigns[campaign_id]

    def milestone(self, contract_id: int) -> Milestone | None:
        if contract_id not in self.milestones:
            found = self.s.store.open_milestone(contract_id)
            self.milestones[contract_id] = found
            if found is not None:
                self.spent[found.id] = self.s.store.milestone_spent(found)
        return self.milestones[contract_id]

    def available(self, escrow: int | None, zero: Money) -> Money:
        """What an escrow account has available (nothing, for a contract without one)."""
        if escrow is None:
            return zero
        if escrow not in self.escrows:
            self.escrows[escrow] = self.s.store.account(escrow).escrow_available
        return self.escrows[escrow]

    def owed(self, worker: tuple[str, str], currency: Currency) -> int:
        """A worker account's pending credits (0 for one not opened yet)."""
        if worker not in self.workers:
            found = self.s.store.account_named(worker[0], currency)
            self.workers[worker] = found.credits_pending if found else 0
            if found:
                self.opened[worker] = found.id
        return self.workers[worker]

    def charges_fees(self, row: BulkRow) -> bool:
        """Whether the row bills a contract whose campaign charges a fee (False when its
        contract cannot be found: planning it says why)."""
        try:
            return self.campaign(self.contract(row.request.contract).campaign_id).fee is not None
        except ROW_ERRORS:
            return False

    def same_request(self, row: BulkRow, command: str, request: dict[str, object]) -> bool:
        """Whether a key was recorded for a bill of exactly this row's request."""
        if command != "bill" or row.request.contract is None:
            return False
        try:
            contract = self.contract(row.request.contract)
            milli = rules.pieces_in_steps(row.request.pieces, self.campaign(contract.campaign_id))
        except ROW_ERRORS:
            return False
        return bill_request(contract, milli, row.request) == request

    def party(self, contract: Contract) -> _Party:
        """What stays the same from one bill of a contract to the next."""
        found = self.parties.get(contract.id)
        if found is None:
            campaign = self.campaign(contract.campaign_id)
            worker = worker_account_name(contract.worker_handle), campaign.currency.code
            found = _Party(campaign, keys.contract_key(contract), worker, Money.zero(campaign.currency))
            self.parties[contract.id] = found
        return found

    def plan(self, row: BulkRow) -> _Planned:
        """Check every rule of a single bill against the books (as ``bills.bill`` does);
        on success the books count the bill."""
        s, req = self.s, row.request
        contract = self.contract(req.contract)
        campaign, named, worker, zero = self.party(contract)
        counted = req.pieces, campaign.id
        milli = self.pieces.get(counted)
        if milli is None:
            milli = self.pieces[counted] = rules.pieces_in_steps(req.pieces, campaign)
        typed = self.typed.get(milli)
        if typed is None:
            typed = self.typed[milli] = format_pieces(milli)
        request = named_request(named, typed, req)
        rate = rules.reserving_rate(contract.rate, contract.tiers)
        priced = milli, rate, campaign.id
        amount = self.prices.get(priced)
        if amount is None:
            amount = self.prices[priced] = rules.reserved_amount(milli, rate, campaign)
        effective = s.day(req.day)
        rules.check_effective_date(effective, s.today, contract.accepted_on, "bill")
        milestone = self.milestone(contract.id)
        available = self.available(contract.escrow_account_id, zero)
        facts = rules.BillFacts(
            campaign,
            contract,
            milestone,
            self.spent[milestone.id] if milestone else zero,
            available,
            self.committed[campaign.id],
            s.today,
        )
        milestone = rules.check_bill(facts, milli, amount, effective)
        owed = self.owed(worker, campaign.currency)
        rules.check_capacity(worker[0], "credits_pending", owed, amount)
        # the bill counts from here on
        pending = contract.pieces_pending_milli + milli
        contract = Contract._make((*contract[:PENDING], pending, *contract[PENDING + 1 :]))  # _replace, faster
        self.contracts[contract.id] = contract
        self.committed[campaign.id] += milli
        self.spent[milestone.id] += amount
        self.escrows[escrow_id(contract)] = available - amount
        self.workers[worker] = owed + amount.minor
        return _Planned(row, contract, campaign, milestone, milli, amount, effective, request)

    def bill_terms(self, p: _Planned) -> str:
        said = p.milli, p.contract.id
        if said not in self.terms:
            self.terms[said] = bill_terms(p.milli, p.campaign, p.contract, p.amount)
        return self.terms[said]

    def write(self, planned: Sequence[_Planned]) -> None:
        """Write the planned bills, their keys and entries; open worker accounts first."""
        if not planned:
            return
        s = self.s
        for p in planned:
            worker = self.parties[p.contract.id].worker
            if worker not in self.opened:
                self.opened[worker] = s.store.ensure_account(worker[0], p.campaign.currency).id
        bill_id = s.store.next_bill_id()
        entry_id = s.store.next_entry_id()
        new = []
        for number, p in enumerate(planned, bill_id):
            req, entry, contract = p.row.request, entry_id + number - bill_id, p.contract
            memo = bill_memo(number, self.bill_terms(p), req.note)
            new.append(
                NewBill(
                    pending_bill(number, contract, p.milestone, p.milli, p.amount, req, p.effective, entry),
                    contract,
                    p.row.key,
                    p.request,
                    keys.reference(number),
                    s.header("bill", p.effective, memo, contract.id, number),
                    transfer(
                        escrow_id(contract), self.opened[self.parties[contract.id].worker], p.amount.minor, "pending"
                    ),
                )
            )
        written = s.store.write_bills(new, s.recorded_at)
        assert written[0] == entry_id


class _Party(Record):
    """A contract's campaign, how a request names it, its worker's account and nothing in its currency."""

    campaign: Campaign
    named: str
    worker: tuple[str, str]  # the worker account's name and currency
    zero: Money


def _run_batch(s: Session, books: _Books, batch: Sequence[BulkRow | RowRefusal], tally: _Tally, *, stop: bool) -> None:
    """Plan each row of the batch, then write the planned ones together. A row whose key is
    recorded already with this very request replays; any other recorded key (or one planned
    earlier in this batch) runs as a single keyed bill after what is planned so far is
    written: it replays or is refused as a conflict, as ``bills.bill`` decides."""
    rows = [row for row in batch if isinstance(row, BulkRow)]
    recorded = s.store.recorded_requests([row.key for row in rows])
    planned: list[_Planned] = []
    planned_keys: set[str] = set()
    for row in batch:
        tally.rows += 1
        if isinstance(row, RowRefusal):
            tally.refuse(row, stop)
            continue
        if row.key in recorded and books.same_request(row, *recorded[row.key]):
            tally.replayed += 1
            s.replayed += 1
            continue
        if row.key in recorded or row.key in planned_keys:
            books.write(planned)
            planned, planned_keys = [], set()
            tally.single(s, row, stop)
            continue
        if books.charges_fees(row):  # a bill and its fee's hold, as a single bill writes them
            books.write(planned)
            planned, planned_keys = [], set()
            tally.single(s, row, stop)
            books.forget()
            continue
        try:
            done = books.plan(row)
        except ROW_ERRORS as exc:
            tally.refuse(RowRefusal(row.number, exc.code, exc.message, exc.exit_code), stop)
            continue
        planned.append(done)
        planned_keys.add(row.key)
        tally.billed_one(done.amount)
    books.write(planned)


class _Tally:
    def __init__(self) -> None:
        self.rows = self.billed = self.replayed = 0
        self.refused: list[RowRefusal] = []
        self.amounts: dict[Currency, int] = {}  # minor units billed, by currency

    def refuse(self, refusal: RowRefusal, stop: bool) -> None:
        if stop:
            raise RowRefused(refusal)
        self.refused.append(refusal)

    def billed_one(self, amount: Money) -> None:
        self.billed += 1
        self.amounts[amount.currency] = self.amounts.get(amount.currency, 0) + amount.minor

    def single(self, s: Session, row: BulkRow, stop: bool) -> None:
        """A row run as one keyed bill (its key is recorded already)."""
        replays = s.replayed
        try:
            with s.store.write():  # a savepoint: a refused row undoes only itself
                done = bill(s, row.request, row.key)
        except ROW_ERRORS as exc:
            self.refuse(RowRefusal(row.number, exc.code, exc.message, exc.exit_code), stop)
            return
        if s.replayed != replays:
            self.replayed += 1
        else:
            self.billed_one(done.bill.amount)

    def result(self) -> BulkResult:
        amounts = tuple(Money(self.amounts[c], c) for c in sorted(self.amounts, key=lambda c: c.code))
        return BulkResult(self.rows, self.billed, self.replayed, tuple(self.refused), amounts)
