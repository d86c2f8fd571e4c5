"""The SQLite store: every statement piecepay runs against a ledger file, by the nouns of DESIGN.md.

Rows come back as domain records (money as ``Money`` with its currency, statuses as
enums); writes take typed values. Nothing outside ``store/`` builds SQL. What is
SQLite's own (the connection, pragmas, ``BEGIN IMMEDIATE``, migrations, ``VACUUM INTO``,
the temporary triggers that note touched rows) stays in this package too.
"""

import contextlib
import functools
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from piecepay.errors import NotFound
from piecepay.inputs import numeric_id
from piecepay.models import (
    DEFAULT_REVERSAL_DAYS,
    DEFAULT_REVISION_DAYS,
    Account,
    Bill,
    BillStatus,
    Bonus,
    BonusSource,
    Campaign,
    CampaignStatus,
    Contract,
    ContractStatus,
    Fee,
    Milestone,
    MilestoneStatus,
    Revision,
    RevisionStatus,
    Tier,
    TierPeriod,
    Token,
    TokenRole,
    Worker,
    WorkTime,
    tiers_from_text,
    tiers_text,
    worker_account_name,
)
from piecepay.money import Currency, Money, format_carry, format_rate
from piecepay.records import Record
from piecepay.store import NewBill
from piecepay.store import facts as sealed
from piecepay.store.connection import write_transaction

if TYPE_CHECKING:
    from piecepay.export.entries import Booking, ExportEntry
    from piecepay.journal import Posting
    from piecepay.store.journal import EntryHeader

CAMPAIGN_SELECT = "SELECT k.*, cur.digits FROM campaigns k JOIN currencies cur ON cur.code = k.currency"
# What campaign edit may change, column by column.
CAMPAIGN_TERMS = (
    "title",
    "budget_minor",
    "max_pieces_milli",
    "workers",
    "milestone_cap_minor",
    "review_days",
    "deadline",
    "revision_days",
    "reversal_days",
    "minimum_wage_minor",
)
OPEN_BILLS = "('pending', 'revising')"  # the statuses of a bill that holds its reservation
# Every status a bill can have: naming them all lets a search by date use the index on
# (contract_id, status, effective_date) as one range per contract and status.
EVERY_BILL_STATUS = "(" + ", ".join(f"'{status.value}'" for status in BillStatus) + ")"
# The day bill b was last resubmitted after a revision (NULL: never): its review window starts there.
LAST_RESUBMITTED = (
    "(SELECT MAX(v.resolved_on) FROM revisions v WHERE v.bill_id = b.id AND v.status = 'resubmitted') AS resubmitted_on"
)
# What verify reads of the journal about bills: per bill, how many entries resolved it
# (release, reject) and how many reversed a rejection; a bill whose status disagrees with
# them; an open revision whose bill is not revising, or one of two open on one bill; and what
# each resubmission gave back of a bill's reservation.
RESOLVING = (
    "SELECT bill_id, SUM(CASE WHEN kind = 'reversal' THEN 0 ELSE 1 END) AS times, "
    "SUM(CASE WHEN kind = 'reversal' THEN 1 ELSE 0 END) AS reversed FROM entries "
    "WHERE kind IN ('release', 'reject', 'reversal') AND bill_id IS NOT NULL GROUP BY bill_id"
)
STATUS_DISAGREES = (
    f"(b.status IN {OPEN_BILLS}) != (COALESCE(r.times, 0) = 0) "
    "OR (COALESCE(r.reversed, 0) > 0 AND b.status != 'released')"
)
REVISION_DISAGREES = (
    "SELECT v.bill_id FROM revisions v JOIN bills b ON b.id = v.bill_id WHERE v.status = 'open' "
    "GROUP BY v.bill_id, b.status HAVING COUNT(*) > 1 OR b.status != 'revising'"
)
RESUBMIT_CUTS = (
    "SELECT v.bill_id, SUM(p.amount) AS amount FROM revisions v JOIN postings p ON p.entry_id = v.resolve_entry_id "
    "AND p.side = 'debit' WHERE v.status = 'resubmitted' GROUP BY v.bill_id"
)
CONTRACT_SELECT = (
    "SELECT c.*, k.slug AS campaign_slug, w.handle AS worker_handle, k.currency, cur.digits FROM contracts c "
    "JOIN campaigns k ON k.id = c.campaign_id JOIN workers w ON w.id = c.worker_id "
    "JOIN currencies cur ON cur.code = k.currency"
)
MILESTONE_SELECT = (
    "SELECT m.*, k.currency, cur.digits FROM milestones m JOIN contracts c ON c.id = m.contract_id "
    "JOIN campaigns k ON k.id = c.campaign_id JOIN currencies cur ON cur.code = k.currency"
)
BILL_SELECT = (
    "SELECT b.*, k.currency, cur.digits FROM bills b JOIN contracts c ON c.id = b.contract_id "
    "JOIN campaigns k ON k.id = c.campaign_id JOIN currencies cur ON cur.code = k.currency"
)
BILL_COLUMNS = (
    "id",
    "contract_id",
    "milestone_id",
    "pieces_milli",
    "rate",
    "amount_minor",
    "status",
    "released_pieces_milli",
    "released_minor",
    "reason",
    "note",
    "minutes",
    "proofs",
    "effective_date",
    "resolved_on",
    "entry_id",
    "resolve_entry_id",
)
INSERT_BILL = f"INSERT INTO bills ({', '.join(BILL_COLUMNS)}) VALUES ({', '.join('?' * len(BILL_COLUMNS))})"
KEY_COLUMNS = ("key", "command", "request", "result", "created_at")
BILL_IN_ORDER = sorted((column, i) for i, column in enumerate(BILL_COLUMNS))  # (column, place) by name
KEY_IN_ORDER = sorted((column, i) for i, column in enumerate(KEY_COLUMNS))
ACCOUNT_SELECT = "SELECT a.*, cur.digits FROM accounts a JOIN currencies cur ON cur.code = a.currency"


@functools.cache
def _kept_text() -> Callable[[object], str]:
    """What save_key's json.dumps(…, sort_keys=True) writes, through one encoder made on first
    use (json is imported only by a command that reads or writes it). The C encoder is kept
    and called directly where there is one: JSONEncoder.encode makes a new one per call."""
    import json
    from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]

    encoder = json.JSONEncoder(sort_keys=True)
    if c_make_encoder is None:
        return encoder.encode
    made = c_make_encoder(None, encoder.default, encode_basestring_ascii, None, ": ", ", ", True, False, True)
    return lambda value: "".join(made(value, 0))


@functools.cache
def _sealed_templates() -> tuple[
    str, Callable[[tuple[object, ...]], tuple[object, ...]], str, Callable[[tuple[object, ...]], tuple[object, ...]]
]:
    """The canonical text of a bill row's and a key row's image as %-templates, each with what
    picks a row's values in the template's (sorted) order."""
    import operator

    from piecepay.journal import record_template

    return (
        record_template([column for column, _ in BILL_IN_ORDER]),
        operator.itemgetter(*(i for _, i in BILL_IN_ORDER)),
        record_template([column for column, _ in KEY_IN_ORDER]),
        operator.itemgetter(*(i for _, i in KEY_IN_ORDER)),
    )


MAX_ID = 2**63 - 1


def _parts(ids: list[int] | None, size: int = 500) -> Iterator[list[int] | None]:
    """``ids`` in parts small enough for one statement's parameters; None (all rows) when None."""
    if ids is None:
        yield None
        return
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _currency(row: sqlite3.Row) -> Currency:
    return Currency(row["currency"], row["digits"])


def _money(minor: int | None, currency: Currency) -> Money | None:
    return None if minor is None else Money(minor, currency)


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def campaign_of(row: sqlite3.Row) -> Campaign:
    currency = _currency(row)
    return Campaign(
        row["id"],
        row["slug"],
        row["title"],
        row["unit"],
        Decimal(row["step"]),
        Decimal(row["rate"]),
        currency,
        _money(row["budget_minor"], currency),
        row["max_pieces_milli"],
        row["workers"],
        _money(row["milestone_cap_minor"], currency),
        row["review_days"],
        _day(row["deadline"]),
        CampaignStatus(row["status"]),
        row["created_at"],
        DEFAULT_REVISION_DAYS if row["revision_days"] is None else row["revision_days"],
        DEFAULT_REVERSAL_DAYS if row["reversal_days"] is None else row["reversal_days"],
        tiers_from_text(row["tiers"]),
        TierPeriod(row["tier_period"] or TierPeriod.MONTH),
        None
        if row["fee_percent"] is None
        else Fee(Decimal(row["fee_percent"]), _money(row["fee_min_minor"], currency)),
        _money(row["minimum_wage_minor"], currency),
    )


def worker_of(row: sqlite3.Row) -> Worker:
    return Worker(row["id"], row["handle"], row["name"], row["email"], row["created_at"])


def contract_of(row: sqlite3.Row) -> Contract:
    return Contract(
        row["id"],
        row["campaign_id"],
        row["worker_id"],
        row["campaign_slug"],
        row["worker_handle"],
        Decimal(row["rate"]),
        row["max_pieces_milli"],
        ContractStatus(row["status"]),
        row["offered_at"],
        _day(row["accepted_on"]),
        _day(row["ended_on"]),
        row["escrow_account_id"],
        Money(row["refunded_minor"], _currency(row)),
        row["pieces_pending_milli"],
        row["pieces_released_milli"],
        row["pieces_rejected_milli"],
        row["exact_from_entry"],
        Decimal(row["released_carry"]),
        tiers_from_text(row["tiers"]),
        TierPeriod(row["tier_period"] or TierPeriod.MONTH),
        row["fees_minor"],
        row["funded_fees_minor"],
    )


def milestone_of(row: sqlite3.Row) -> Milestone:
    currency = _currency(row)
    return Milestone(
        row["id"],
        row["contract_id"],
        row["seq"],
        Money(row["top_up_minor"], currency),
        _money(row["cap_minor"], currency),
        MilestoneStatus(row["status"]),
        date.fromisoformat(row["opened_on"]),
        row["entry_id"],
    )


BONUS_SELECT = (
    "SELECT x.*, k.currency, cur.digits FROM bonuses x JOIN contracts c ON c.id = x.contract_id "
    "JOIN campaigns k ON k.id = c.campaign_id JOIN currencies cur ON cur.code = k.currency"
)


def bonus_of(row: sqlite3.Row) -> Bonus:
    day = _day(row["effective_date"])
    assert day is not None
    return Bonus(
        row["id"],
        row["contract_id"],
        Money(row["amount_minor"], _currency(row)),
        BonusSource(row["source"]),
        row["reason"],
        row["makeup_period"],
        day,
        row["entry_id"],
    )


def bill_of(row: sqlite3.Row) -> Bill:
    import json  # only where used: a report or a listing never pays for it

    currency = _currency(row)
    return Bill(
        row["id"],
        row["contract_id"],
        row["milestone_id"],
        row["pieces_milli"],
        Decimal(row["rate"]),
        Money(row["amount_minor"], currency),
        BillStatus(row["status"]),
        row["released_pieces_milli"],
        Money(row["released_minor"], currency),
        row["reason"],
        row["note"],
        row["minutes"],
        tuple(json.loads(row["proofs"])),
        date.fromisoformat(row["effective_date"]),
        _day(row["resolved_on"]),
        row["entry_id"],
        row["resolve_entry_id"],
    )


def revision_of(row: sqlite3.Row) -> Revision:
    return Revision(
        row["id"],
        row["bill_id"],
        row["reason"],
        date.fromisoformat(row["asked_on"]),
        row["entry_id"],
        RevisionStatus(row["status"]),
        _day(row["resolved_on"]),
        row["resolve_entry_id"],
    )


def bill_row(bill: Bill) -> tuple[object, ...]:
    """A bill as its row stores it, column by column (``BILL_COLUMNS``)."""
    import json

    return (
        bill.id,
        bill.contract_id,
        bill.milestone_id,
        bill.pieces_milli,
        str(bill.rate),
        bill.amount.minor,
        bill.status.value,
        bill.released_pieces_milli,
        bill.released.minor,
        bill.reason,
        bill.note,
        bill.minutes,
        json.dumps(list(bill.proofs)) if bill.proofs else "[]",
        bill.effective_date.isoformat(),
        bill.resolved_on.isoformat() if bill.resolved_on else None,
        bill.entry_id,
        bill.resolve_entry_id,
    )


def _counters(contract: Contract) -> dict[str, int]:
    return {
        "pieces_pending_milli": contract.pieces_pending_milli,
        "pieces_released_milli": contract.pieces_released_milli,
        "pieces_rejected_milli": contract.pieces_rejected_milli,
    }


def account_of(row: sqlite3.Row) -> Account:
    return Account(
        row["id"],
        row["name"],
        _currency(row),
        row["debits_pending"],
        row["debits_posted"],
        row["credits_pending"],
        row["credits_posted"],
    )


class ContractFigures(Record):
    """One contract's maintained totals, as the report sums them."""

    contract: Contract
    campaign_title: str
    unit: str
    funded: int
    reserved: int
    released_or_refunded: int  # escrow's posted debits: releases, refunds and bonuses from escrow
    bonuses: int = 0  # every bonus paid on the contract
    escrow_bonuses: int = 0  # those paid from its escrow


class PaidOut(Record):
    """What one worker was paid out in one currency over a span of effective dates."""

    worker: Worker
    paid: Money
    payouts: int
    first: date
    last: date


class PendingBill(Record):
    """An open bill with what the sweep needs to judge its window: the review window of a
    pending bill (from its date, or the day it was last resubmitted), or the revision window
    of a bill out for a revision (from the day the revision was asked)."""

    bill: Bill
    contract_ref: str
    window_days: int
    window_from: date


class ActiveContract(Record):
    """An active contract with its deadline and the date of its last entry."""

    contract: Contract
    deadline: date | None
    last_activity: date


class LogEntry(Record):
    """A journal entry with its postings, named for people."""

    id: int
    effective_date: str
    kind: str
    contract_ref: str | None
    bill_id: int | None
    memo: str
    actor: str
    recorded_at: str
    hash: str
    postings: tuple[tuple[str, str, str, Money], ...]  # account, side, phase, amount


class WorkerPay(Record):
    """A worker's bills in one currency over a span of days, summed: how many, their pieces
    billed and released, what was released and what is still reserved, and their minutes
    (bills without minutes counted apart)."""

    worker_handle: str
    currency: Currency
    bills: int
    pieces_milli: int
    released_pieces_milli: int
    released_minor: int
    pending_minor: int
    minutes: int
    bills_without_minutes: int
    bonus_minor: int = 0  # bonuses dated in the span
    time_minutes: int = 0  # minutes recorded with `piecepay time`, apart from bills


class BillLine(Record):
    """A bill as the review queue shows it: with its contract's reference, its campaign's
    unit, and the window its clock runs in while it is open: a pending bill's review window
    (from its date, or the day it was last resubmitted), a revising bill's revision window
    (from the day the revision was asked)."""

    bill: Bill
    contract_ref: str
    unit: str
    window_days: int
    window_from: date


class SqliteStore:
    """A ledger file opened by ``piecepay.store.connection``: reads, writes and transactions."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = conn
        self.path: Path | None = path
        self.shown = str(path)  # how messages name the ledger

    def close(self) -> None:
        self.conn.close()

    def in_transaction(self) -> bool:
        """Whether a transaction is open (a connection given back to a pool must have none)."""
        return bool(self.conn.in_transaction)

    # ------------------------------------------------------------------ transactions

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction: all of it or none of it; concurrent writers queue. Inside
        another write it is a savepoint: a failure undoes only its own part."""
        if self.conn.in_transaction:
            with self._savepoint():
                yield
            return
        with write_transaction(self.conn):
            yield

    @contextlib.contextmanager
    def _savepoint(self) -> Iterator[None]:
        self.conn.execute("SAVEPOINT piecepay_part")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK TO piecepay_part")
            self.conn.execute("RELEASE piecepay_part")
            raise
        self.conn.execute("RELEASE piecepay_part")

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """One consistent read of the ledger, even while others write."""
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("ROLLBACK")

    def _one(self, sql: str, args: Sequence[object] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(sql, args).fetchone()
        return row

    def _all(self, sql: str, args: Sequence[object] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, args).fetchall()

    def is_empty(self) -> bool:
        """Whether the ledger holds nothing yet: no campaign, worker or entry but its checkpoint."""
        row = self._one(
            "SELECT EXISTS (SELECT 1 FROM campaigns) OR EXISTS (SELECT 1 FROM workers) "
            "OR EXISTS (SELECT 1 FROM entries WHERE kind != 'checkpoint')"
        )
        return row is not None and not row[0]

    # ------------------------------------------------------------------ currencies

    def currency(self, code: str) -> Currency | None:
        row = self._one("SELECT code, digits FROM currencies WHERE code = ?", (code,))
        return Currency(row[0], row[1]) if row else None

    def add_currency(self, currency: Currency) -> None:
        self.conn.execute("INSERT INTO currencies (code, digits) VALUES (?, ?) ON CONFLICT DO NOTHING", currency)

    # ------------------------------------------------------------------ campaigns

    def campaign_exists(self, slug: str) -> bool:
        return self._one("SELECT 1 FROM campaigns WHERE slug = ?", (slug,)) is not None

    def insert_campaign(self, c: Campaign) -> Campaign:
        """Write a new campaign (its id is assigned); returns it as stored."""
        self.conn.execute(
            "INSERT INTO campaigns (slug, title, unit, step, rate, currency, budget_minor, max_pieces_milli, "
            "workers, milestone_cap_minor, review_days, deadline, status, created_at, revision_days, reversal_days, "
            "tiers, tier_period, fee_percent, fee_min_minor, minimum_wage_minor) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                c.slug,
                c.title,
                c.unit,
                str(c.step),
                str(c.rate),
                c.currency.code,
                c.budget.minor if c.budget else None,
                c.max_pieces_milli,
                c.workers,
                c.milestone_cap.minor if c.milestone_cap else None,
                c.review_days,
                c.deadline.isoformat() if c.deadline else None,
                c.status.value,
                c.created_at,
                c.revision_days,
                c.reversal_days,
                tiers_text(c.tiers),
                c.tier_period.value if c.tiers else None,
                format_rate(c.fee.percent) if c.fee else None,
                c.fee.minimum.minor if c.fee and c.fee.minimum else None,
                c.minimum_wage.minor if c.minimum_wage else None,
            ),
        )
        return self.find_campaign(c.slug)

    def find_campaign(self, ref: str) -> Campaign:
        """A campaign by slug (or numeric id)."""
        row = self._one(f"{CAMPAIGN_SELECT} WHERE k.slug = ?", (ref,))
        if row is None and (num := numeric_id(ref)) is not None:
            row = self._one(f"{CAMPAIGN_SELECT} WHERE k.id = ?", (num,))
        if row is None:
            raise NotFound(f"no campaign '{ref}' (see 'piecepay campaign list')", "campaign_not_found")
        return campaign_of(row)

    def campaign(self, campaign_id: int) -> Campaign:
        row = self._one(f"{CAMPAIGN_SELECT} WHERE k.id = ?", (campaign_id,))
        assert row is not None, f"campaign {campaign_id} is gone"
        return campaign_of(row)

    def campaigns(self) -> list[Campaign]:
        return [campaign_of(r) for r in self._all(f"{CAMPAIGN_SELECT} ORDER BY k.id")]

    def edit_campaign(self, campaign_id: int, changes: dict[str, object]) -> None:
        """Set the campaign's terms named in ``changes`` (column to value, as stored)."""
        assert set(changes) <= set(CAMPAIGN_TERMS), changes
        self.conn.execute(
            f"UPDATE campaigns SET {', '.join(f'{column} = ?' for column in changes)} WHERE id = ?",
            (*changes.values(), campaign_id),
        )

    def set_campaign_status(self, campaign_id: int, status: CampaignStatus) -> None:
        self.conn.execute("UPDATE campaigns SET status = ? WHERE id = ?", (status.value, campaign_id))

    def campaign_committed(self, campaign_id: int) -> tuple[int, int]:
        """Minor units a campaign has put in escrow and not had back, and pieces pending or released."""
        row = self._one(
            "SELECT COALESCE(SUM(a.credits_posted - c.refunded_minor), 0), "
            "COALESCE(SUM(c.pieces_pending_milli + c.pieces_released_milli), 0) "
            "FROM contracts c LEFT JOIN accounts a ON a.id = c.escrow_account_id WHERE c.campaign_id = ?",
            (campaign_id,),
        )
        assert row is not None
        return int(row[0]), int(row[1])

    def last_bill_date(self, campaign_id: int) -> date | None:
        """The latest effective date of a bill on the campaign (any status), if it has one."""
        row = self._one(
            "SELECT MAX(b.effective_date) FROM bills b JOIN contracts c ON c.id = b.contract_id "
            "WHERE c.campaign_id = ?",
            (campaign_id,),
        )
        return _day(row[0]) if row is not None else None

    def count_contracts(self, campaign_id: int, statuses: Iterable[ContractStatus]) -> int:
        wanted = [s.value for s in statuses]
        marks = ",".join("?" * len(wanted))
        row = self._one(
            f"SELECT COUNT(*) FROM contracts WHERE campaign_id = ? AND status IN ({marks})", (campaign_id, *wanted)
        )
        assert row is not None
        return int(row[0])

    def withdraw_open_offers(self, campaign_id: int) -> None:
        self.conn.execute(
            "UPDATE contracts SET status = ? WHERE campaign_id = ? AND status = ?",
            (ContractStatus.WITHDRAWN.value, campaign_id, ContractStatus.OFFERED.value),
        )

    # ------------------------------------------------------------------ workers

    def worker_exists(self, handle: str) -> bool:
        return self._one("SELECT 1 FROM workers WHERE handle = ?", (handle,)) is not None

    def insert_worker(self, handle: str, name: str | None, email: str | None, created_at: str) -> Worker:
        self.conn.execute(
            "INSERT INTO workers (handle, name, email, created_at) VALUES (?, ?, ?, ?)",
            (handle, name, email, created_at),
        )
        return self.find_worker(handle)

    def find_worker(self, ref: str) -> Worker:
        """A worker by handle (or numeric id)."""
        row = self._one("SELECT * FROM workers WHERE handle = ?", (ref,))
        if row is None and (num := numeric_id(ref)) is not None:
            row = self._one("SELECT * FROM workers WHERE id = ?", (num,))
        if row is None:
            raise NotFound(f"no worker '{ref}' (see 'piecepay worker list')", "worker_not_found")
        return worker_of(row)

    def edit_worker(self, worker_id: int, name: str | None, email: str | None) -> None:
        self.conn.execute("UPDATE workers SET name = ?, email = ? WHERE id = ?", (name, email, worker_id))

    # ------------------------------------------------------------------ tokens

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
        import json

        self.conn.execute(
            "INSERT INTO tokens (name, role, worker_id, campaigns, expires_on, hash, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                name,
                role.value,
                worker_id,
                json.dumps(list(campaign_ids)),
                expires_on.isoformat() if expires_on else None,
                digest,
                created_at,
            ),
        )
        found = self.token_named(name)
        assert found is not None
        return found

    def token_name_taken(self, name: str) -> bool:
        return self._one("SELECT 1 FROM tokens WHERE name = ?", (name,)) is not None

    def token_named(self, name: str) -> Token | None:
        rows = self._tokens("WHERE t.name = ?", (name,))
        return rows[0] if rows else None

    def token_by_digest(self, digest: str) -> Token | None:
        """The token whose secret hashes to ``digest`` (how a request's token is found)."""
        rows = self._tokens("WHERE t.hash = ?", (digest,))
        return rows[0] if rows else None

    def token(self, token_id: int) -> Token | None:
        rows = self._tokens("WHERE t.id = ?", (token_id,))
        return rows[0] if rows else None

    def tokens(self) -> list[Token]:
        return self._tokens("ORDER BY t.id")

    def revoke_token(self, token_id: int, on: date) -> None:
        self.conn.execute(
            "UPDATE tokens SET revoked_on = ? WHERE id = ? AND revoked_on IS NULL", (on.isoformat(), token_id)
        )

    # ------------------------------------------------------------------ sign-ins

    def insert_sign_in(self, token_id: int, kind: str, digest: str, created_at: str, expires_at: str) -> None:
        """Keep a sign-in (a one-time ``link`` or a browser's ``session``) by its secret's SHA-256."""
        self.conn.execute(
            "INSERT INTO sign_ins (token_id, kind, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (token_id, kind, digest, created_at, expires_at),
        )

    def sign_in(self, kind: str, digest: str, now: str) -> int | None:
        """The token of the unexpired, unused sign-in of ``kind`` whose secret hashes to ``digest``."""
        row = self._one(
            "SELECT token_id FROM sign_ins WHERE hash = ? AND kind = ? AND expires_at > ? AND used_at IS NULL",
            (digest, kind, now),
        )
        return None if row is None else int(row[0])

    def use_sign_in(self, digest: str, now: str) -> bool:
        """Mark a one-time link used, if no one used it first (True: this caller did)."""
        cursor = self.conn.execute(
            "UPDATE sign_ins SET used_at = ? WHERE hash = ? AND kind = 'link' AND used_at IS NULL AND expires_at > ?",
            (now, digest, now),
        )
        return bool(cursor.rowcount == 1)

    def end_sign_ins(self, now: str, digest: str | None = None) -> None:
        """Delete one session (signed out), and every sign-in past its time."""
        if digest is not None:
            self.conn.execute("DELETE FROM sign_ins WHERE hash = ? AND kind = 'session'", (digest,))
        self.conn.execute("DELETE FROM sign_ins WHERE expires_at <= ?", (now,))

    def _tokens(self, where: str, args: Sequence[object] = ()) -> list[Token]:
        import json

        rows = self._all(f"SELECT t.*, w.handle FROM tokens t LEFT JOIN workers w ON w.id = t.worker_id {where}", args)
        slugs = {row[0]: row[1] for row in self._all("SELECT id, slug FROM campaigns")} if rows else {}
        found = []
        for r in rows:
            ids = tuple(json.loads(r["campaigns"]))
            found.append(
                Token(
                    r["id"],
                    r["name"],
                    TokenRole(r["role"]),
                    r["worker_id"],
                    r["handle"],
                    ids,
                    tuple(slugs[i] for i in ids),
                    _day(r["expires_on"]),
                    r["created_at"],
                    _day(r["revoked_on"]),
                )
            )
        return found

    def workers(self) -> list[Worker]:
        return [worker_of(r) for r in self._all("SELECT * FROM workers ORDER BY handle")]

    # ------------------------------------------------------------------ offers and contracts

    def insert_offer(
        self,
        campaign: Campaign,
        worker: Worker,
        rate: Decimal,
        max_pieces_milli: int | None,
        offered_at: str,
        tiers: tuple[Tier, ...] = (),
    ) -> Contract:
        row = self._one(
            "INSERT INTO contracts (campaign_id, worker_id, rate, max_pieces_milli, status, offered_at, "
            "exact_from_entry, tiers, tier_period) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?) RETURNING id",
            (
                campaign.id,
                worker.id,
                str(rate),
                max_pieces_milli,
                ContractStatus.OFFERED.value,
                offered_at,
                tiers_text(tiers),
                campaign.tier_period.value if tiers else None,
            ),
        )
        assert row is not None
        return self.contract(int(row[0]))

    def contract(self, contract_id: int) -> Contract:
        found = self.contract_or_none(contract_id)
        assert found is not None, f"contract {contract_id} is gone"
        return found

    def contract_or_none(self, contract_id: int) -> Contract | None:
        row = self._one(f"{CONTRACT_SELECT} WHERE c.id = ?", (contract_id,))
        return contract_of(row) if row else None

    def find_contract(self, ref: int | str, *, what: str = "contract") -> Contract:
        """A contract (or offer) by id, or by campaign/worker: the active one, else the latest."""
        num = ref if isinstance(ref, int) else numeric_id(ref)
        if num is not None:
            found = self.contract_or_none(num)
            if found is None:
                raise NotFound(f"no {what} {ref}", f"{what}_not_found")
            return found
        assert isinstance(ref, str)
        campaign, sep, worker = ref.partition("/")
        if ref.lstrip("#").isdigit():
            raise NotFound(f"no {what} {ref}", f"{what}_not_found")
        if not sep:
            raise NotFound(f"no {what} '{ref}': use an id or campaign/worker", f"{what}_not_found")
        row = self._one(
            f"{CONTRACT_SELECT} WHERE k.slug = ? AND w.handle = ? "
            "ORDER BY c.status = 'active' DESC, c.status IN ('ended', 'offered') DESC, c.id DESC LIMIT 1",
            (campaign, worker),
        )
        if row is None:
            raise NotFound(f"no {what} '{ref}'", f"{what}_not_found")
        return contract_of(row)

    def engagement(self, campaign_id: int, worker_id: int) -> Contract | None:
        """The worker's open offer or active contract on the campaign, if any."""
        row = self._one(
            f"{CONTRACT_SELECT} WHERE c.campaign_id = ? AND c.worker_id = ? AND c.status IN (?, ?)",
            (campaign_id, worker_id, ContractStatus.OFFERED.value, ContractStatus.ACTIVE.value),
        )
        return contract_of(row) if row else None

    def contracts(self, campaign_id: int | None = None, status: ContractStatus | None = None) -> list[Contract]:
        sql, args = f"{CONTRACT_SELECT} WHERE 1 = 1", list[object]()
        if campaign_id is not None:
            sql += " AND c.campaign_id = ?"
            args.append(campaign_id)
        if status is not None:
            sql += " AND c.status = ?"
            args.append(status.value)
        return [contract_of(r) for r in self._all(sql + " ORDER BY c.id", args)]

    def accept_offer(self, contract_id: int, accepted_on: date, escrow: Account) -> None:
        self.conn.execute(
            "UPDATE contracts SET status = ?, accepted_on = ?, escrow_account_id = ? WHERE id = ?",
            (ContractStatus.ACTIVE.value, accepted_on.isoformat(), escrow.id, contract_id),
        )

    def set_contract_status(self, contract_id: int, status: ContractStatus) -> None:
        self.conn.execute("UPDATE contracts SET status = ? WHERE id = ?", (status.value, contract_id))

    def end_contract(self, contract_id: int, ended_on: date, refund: Money) -> None:
        self.conn.execute(
            "UPDATE contracts SET status = ?, ended_on = ?, refunded_minor = refunded_minor + ? WHERE id = ?",
            (ContractStatus.ENDED.value, ended_on.isoformat(), refund.minor, contract_id),
        )

    def add_contract_pieces(self, contract_id: int, pending: int, released: int = 0, rejected: int = 0) -> None:
        """Move a contract's piece counters (thousandths) by the given amounts."""
        self.conn.execute(
            "UPDATE contracts SET pieces_pending_milli = pieces_pending_milli + ?, "
            "pieces_released_milli = pieces_released_milli + ?, pieces_rejected_milli = pieces_rejected_milli + ? "
            "WHERE id = ?",
            (pending, released, rejected, contract_id),
        )

    def released_between(self, contract_id: int, first: date, last: date) -> int:
        """Pieces (thousandths) released on the contract's bills dated ``first`` to ``last``."""
        row = self._one(
            "SELECT COALESCE(SUM(released_pieces_milli), 0) FROM bills WHERE contract_id = ? AND status = 'released' "
            "AND effective_date >= ? AND effective_date <= ?",
            (contract_id, first.isoformat(), last.isoformat()),
        )
        assert row is not None
        return int(row[0])

    def add_contract_fees(self, contract_id: int, escrow: int, funded: int) -> None:
        """Add fees charged on the contract, from its escrow and from the client's funding."""
        self.conn.execute(
            "UPDATE contracts SET fees_minor = fees_minor + ?, funded_fees_minor = funded_fees_minor + ? WHERE id = ?",
            (escrow, funded, contract_id),
        )

    def set_released_carry(self, contract_id: int, carry: Decimal) -> None:
        """The contract's exact value released less its money released, after a release."""
        self.conn.execute("UPDATE contracts SET released_carry = ? WHERE id = ?", (format_carry(carry), contract_id))

    # ------------------------------------------------------------------ accounts

    def account(self, account_id: int) -> Account:
        row = self._one(f"{ACCOUNT_SELECT} WHERE a.id = ?", (account_id,))
        assert row is not None, f"account {account_id} is gone"
        return account_of(row)

    def account_named(self, name: str, currency: Currency) -> Account | None:
        row = self._one(f"{ACCOUNT_SELECT} WHERE a.name = ? AND a.currency = ?", (name, currency.code))
        return account_of(row) if row else None

    def accounts_named(self, name: str) -> list[Account]:
        """The account ``name`` in every currency it has, by currency."""
        return [account_of(r) for r in self._all(f"{ACCOUNT_SELECT} WHERE a.name = ? ORDER BY a.currency", (name,))]

    def ensure_account(self, name: str, currency: Currency) -> Account:
        """The account ``name`` in ``currency``, opened with zero totals if new."""
        self.conn.execute(
            "INSERT INTO accounts (name, currency) VALUES (?, ?) ON CONFLICT DO NOTHING", (name, currency.code)
        )
        found = self.account_named(name, currency)
        assert found is not None
        return found

    # ------------------------------------------------------------------ milestones

    def open_milestone(self, contract_id: int) -> Milestone | None:
        row = self._one(f"{MILESTONE_SELECT} WHERE m.contract_id = ? AND m.status = 'open'", (contract_id,))
        return milestone_of(row) if row else None

    def close_milestones(self, contract_id: int) -> None:
        self.conn.execute(
            "UPDATE milestones SET status = ? WHERE contract_id = ? AND status = ?",
            (MilestoneStatus.CLOSED.value, contract_id, MilestoneStatus.OPEN.value),
        )

    def insert_milestone(
        self, contract_id: int, top_up: Money, cap: Money | None, opened_on: date, entry_id: int | None
    ) -> Milestone:
        """Open the contract's next milestone (numbered after the last)."""
        self.conn.execute(
            "INSERT INTO milestones (contract_id, seq, top_up_minor, cap_minor, status, opened_on, entry_id) "
            "VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM milestones WHERE contract_id = ?), ?, ?, ?, ?, ?)",
            (
                contract_id,
                contract_id,
                top_up.minor,
                cap.minor if cap else None,
                MilestoneStatus.OPEN.value,
                opened_on.isoformat(),
                entry_id,
            ),
        )
        found = self.open_milestone(contract_id)
        assert found is not None
        return found

    def milestone(self, milestone_id: int) -> Milestone:
        row = self._one(f"{MILESTONE_SELECT} WHERE m.id = ?", (milestone_id,))
        assert row is not None, f"milestone {milestone_id} is gone"
        return milestone_of(row)

    def milestones(self, contract_id: int) -> list[Milestone]:
        return [
            milestone_of(r)
            for r in self._all(f"{MILESTONE_SELECT} WHERE m.contract_id = ? ORDER BY m.seq", (contract_id,))
        ]

    def milestone_spent(self, milestone: Milestone) -> Money:
        """What a milestone's cap has spent: pending reservations plus released amounts."""
        row = self._one(
            f"SELECT COALESCE(SUM(CASE WHEN status IN {OPEN_BILLS} THEN amount_minor ELSE released_minor END), 0) "
            "FROM bills WHERE milestone_id = ?",
            (milestone.id,),
        )
        assert row is not None
        return Money(int(row[0]), milestone.top_up.currency)

    # ------------------------------------------------------------------ bills

    def next_bill_id(self) -> int:
        row = self._one("SELECT COALESCE(MAX(id), 0) + 1 FROM bills")
        assert row is not None
        return int(row[0])

    def insert_bill(self, bill: Bill) -> None:
        self.conn.execute(INSERT_BILL, bill_row(bill))

    def write_bills(self, bills: Sequence[NewBill], created_at: str) -> list[int]:
        """Write many new bills, each with its idempotency key and the entry that reserves it,
        in order; the ids of the entries. Each entry seals its bill and its key; a contract's
        piece counters, which move with every bill (and which verify proves from the bills),
        are sealed as the bills leave them, by the last entry of its bills."""
        import json

        from piecepay.journal import canonical_json, json_scalar, scalars_text
        from piecepay.store import journal

        before = sealed.take_touched(self.conn)  # rows written for these bills first: new accounts
        rows = [bill_row(b.bill) for b in bills]
        kept = _kept_text()
        keys = [(b.key, "bill", kept(b.request), kept(b.result), created_at) for b in bills if b.key is not None]
        with self._inserting_sealed(("bills", "idempotency_keys")):
            self.conn.executemany(INSERT_BILL, rows)
            self.conn.executemany(
                "INSERT INTO idempotency_keys (key, command, request, result, created_at) VALUES (?, ?, ?, ?, ?)",
                keys,
            )
        contracts = {b.contract.id: b.contract for b in bills}  # each as it stands after its last bill
        images = {cid: sealed.row_image(self.conn, "contracts", cid) for cid in contracts}
        for contract in contracts.values():
            self.conn.execute(
                "UPDATE contracts SET pieces_pending_milli = ?, pieces_released_milli = ?, pieces_rejected_milli = ? "
                "WHERE id = ?",
                (*_counters(contract).values(), contract.id),
            )
        # each entry's facts as canonical text, built from the very values inserted
        bill_text, bill_values, key_text, key_values = _sealed_templates()
        last = {b.contract.id: number for number, b in enumerate(bills)}
        sealed_images: dict[tuple[str, str], sealed.Image] = {}
        inserted: list[tuple[str, str]] = []
        key_rows = iter(keys)
        entries = []
        for number, (b, row) in enumerate(zip(bills, rows, strict=True)):
            parts = ['{"bills":{"', str(row[0]), '":', bill_text % scalars_text(bill_values(row))]
            inserted.append(("bills", str(row[0])))
            if last[b.contract.id] == number:  # the contract's counters as these bills leave them
                image = images[b.contract.id] | _counters(b.contract)
                sealed_images["contracts", str(b.contract.id)] = image
                parts += ['},"contracts":{"', str(b.contract.id), '":', canonical_json(image)]
            if b.key is not None:
                key_row = next(key_rows)
                parts += ['},"idempotency_keys":{', json_scalar(b.key), ":"]
                parts.append(key_text % scalars_text(key_values(key_row)))
                inserted.append(("idempotency_keys", b.key))
            parts.append("}}")
            facts = "".join(parts)
            if number == 0 and before:  # the new accounts are sealed by the first entry
                facts = canonical_json(before | json.loads(facts))
            entries.append(journal.SealedEntry(b.header, b.postings, facts))
        sealed_images.update(((table, key), image) for table, found in before.items() for key, image in found.items())
        return journal.append_entries(self.conn, entries, sealed_images, inserted)

    def expect_many_writes(self) -> None:
        """This session writes many rows (bulk billing): keep more of the file in memory
        (64 MiB of pages instead of SQLite's 2 MiB), so its indexes are not read again and
        again."""
        self.conn.execute("PRAGMA cache_size = -65536")

    def _inserting_sealed(self, tables: tuple[str, ...]) -> contextlib.AbstractContextManager[None]:
        """Inserts into ``tables`` that the writer seals itself, from the values it inserts."""
        return sealed.inserting_sealed(self.conn, tables)

    def recorded_requests(self, keys: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        """The command and request each of ``keys`` was first recorded with, for those recorded."""
        import json

        found: dict[str, tuple[str, dict[str, Any]]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._all(f"SELECT key, command, request FROM idempotency_keys WHERE key IN ({marks})", chunk):
                found[row[0]] = (row[1], json.loads(row[2]))
        return found

    def bill(self, bill_id: int) -> Bill | None:
        row = self._one(f"{BILL_SELECT} WHERE b.id = ?", (bill_id,))
        return bill_of(row) if row else None

    def resolve_bill(
        self, bill: Bill, released_milli: int, released: Money, reason: str | None, on: date, entry_id: int
    ) -> None:
        """Record an open bill's resolution: released (all or part) or, with nothing, rejected;
        or a rejected bill's release, reversing its rejection. A revision still open closes."""
        status = BillStatus.RELEASED if released_milli else BillStatus.REJECTED
        self.conn.execute(
            "UPDATE bills SET status = ?, released_pieces_milli = ?, released_minor = ?, reason = ?, resolved_on = ?, "
            "resolve_entry_id = ? WHERE id = ? AND status = ?",
            (status.value, released_milli, released.minor, reason, on.isoformat(), entry_id, bill.id, bill.status),
        )
        if bill.status is BillStatus.REVISING:
            self._end_revision(bill.id, RevisionStatus.CLOSED, on, entry_id)

    def revise_bill(self, bill: Bill, reason: str, on: date, entry_id: int) -> None:
        """Send a pending bill back to its worker: revising, with an open revision."""
        self.conn.execute(
            "UPDATE bills SET status = 'revising', reason = ? WHERE id = ? AND status = 'pending'", (reason, bill.id)
        )
        self.conn.execute(
            "INSERT INTO revisions (bill_id, reason, asked_on, entry_id, status) VALUES (?, ?, ?, ?, 'open')",
            (bill.id, reason, on.isoformat(), entry_id),
        )

    def resubmit_bill(self, bill: Bill, on: date, entry_id: int) -> None:
        """A revised bill back for review with what it now claims (``bill``), its revision done."""
        import json

        self.conn.execute(
            "UPDATE bills SET status = 'pending', reason = NULL, pieces_milli = ?, amount_minor = ?, note = ?, "
            "minutes = ?, proofs = ? WHERE id = ? AND status = 'revising'",
            (bill.pieces_milli, bill.amount.minor, bill.note, bill.minutes, json.dumps(list(bill.proofs)), bill.id),
        )
        self._end_revision(bill.id, RevisionStatus.RESUBMITTED, on, entry_id)

    def _end_revision(self, bill_id: int, status: RevisionStatus, on: date, entry_id: int) -> None:
        self.conn.execute(
            "UPDATE revisions SET status = ?, resolved_on = ?, resolve_entry_id = ? "
            "WHERE bill_id = ? AND status = 'open'",
            (status.value, on.isoformat(), entry_id, bill_id),
        )

    def revisions(self, bill_id: int) -> list[Revision]:
        """The revisions asked of a bill, oldest first."""
        return [revision_of(r) for r in self._all("SELECT * FROM revisions WHERE bill_id = ? ORDER BY id", (bill_id,))]

    def revisions_due(self, until: date) -> list[PendingBill]:
        """Bills whose open revision was asked on or before ``until`` less their campaign's
        revision window, by id, with that window: the sweep rejects them."""
        rows = self._all(f"SELECT DISTINCT COALESCE(revision_days, {DEFAULT_REVISION_DAYS}) FROM campaigns ORDER BY 1")
        if not rows:
            return []
        last_days = [(row[0], (until - timedelta(days=row[0])).isoformat()) for row in rows]
        rows = self._all(
            f"WITH windows (days, last_day) AS (VALUES {', '.join('(?, ?)' for _ in last_days)}) "
            "SELECT b.*, k.currency, cur.digits, windows.days, k.slug, w.handle, r.asked_on FROM revisions r "
            "JOIN bills b ON b.id = r.bill_id JOIN contracts c ON c.id = b.contract_id "
            "JOIN campaigns k ON k.id = c.campaign_id "
            f"JOIN windows ON windows.days = COALESCE(k.revision_days, {DEFAULT_REVISION_DAYS}) "
            "JOIN currencies cur ON cur.code = k.currency JOIN workers w ON w.id = c.worker_id "
            "WHERE r.status = 'open' AND r.asked_on <= windows.last_day ORDER BY b.id",
            [value for pair in last_days for value in pair],
        )
        return [
            PendingBill(bill_of(r), f"{r['slug']}/{r['handle']}", r["days"], date.fromisoformat(r["asked_on"]))
            for r in rows
        ]

    def bill_lines(
        self,
        status: BillStatus | None = None,
        campaign_id: int | None = None,
        worker_id: int | None = None,
        contract_id: int | None = None,
        dated_by: date | None = None,
        bill_id: int | None = None,
    ) -> list[BillLine]:
        """Bills, oldest first (by date, then id), of one status, campaign, worker or
        contract, dated on or before ``dated_by``, or the one ``bill_id``, as each filter given asks."""
        where, args = [], list[object]()
        for column, value in (
            ("b.id", bill_id),
            ("b.status", status.value if status else None),
            ("c.campaign_id", campaign_id),
            ("c.worker_id", worker_id),
            ("b.contract_id", contract_id),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if dated_by is not None:
            where.append("b.effective_date <= ?")
            args.append(dated_by.isoformat())
        rows = self._all(
            "SELECT b.*, k.currency, cur.digits, k.slug, w.handle, k.unit, k.review_days, "
            f"COALESCE(k.revision_days, {DEFAULT_REVISION_DAYS}) AS revision_days, {LAST_RESUBMITTED}, "
            "(SELECT v.asked_on FROM revisions v WHERE v.bill_id = b.id AND v.status = 'open') AS asked_on "
            "FROM bills b "
            "JOIN contracts c ON c.id = b.contract_id JOIN campaigns k ON k.id = c.campaign_id "
            "JOIN workers w ON w.id = c.worker_id JOIN currencies cur ON cur.code = k.currency"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY b.effective_date, b.id",
            args,
        )
        return [
            BillLine(
                bill_of(r),
                f"{r['slug']}/{r['handle']}",
                r["unit"],
                r["revision_days"] if r["asked_on"] else r["review_days"],
                date.fromisoformat(r["asked_on"] or r["resubmitted_on"] or r["effective_date"]),
            )
            for r in rows
        ]

    def pending_bills(self, contract_id: int) -> list[Bill]:
        """A contract's open bills (pending or revising), by id."""
        return [
            bill_of(r)
            for r in self._all(
                f"{BILL_SELECT} WHERE b.contract_id = ? AND b.status IN {OPEN_BILLS} ORDER BY b.id", (contract_id,)
            )
        ]

    # ------------------------------------------------------------------ the journal

    def next_entry_id(self) -> int:
        from piecepay.store import journal

        return journal.next_entry_id(self.conn)

    def append(self, header: "EntryHeader", postings: "Sequence[Posting]" = ()) -> int:
        """Seal what this transaction changed into a new entry chained to the head; its id."""
        from piecepay.store import journal

        return journal.append_entry(self.conn, header, postings)

    def head(self) -> tuple[int, str]:
        """How many entries there are and the hash of the last."""
        from piecepay.store import journal

        return journal.journal_head(self.conn)

    def entry_hash(self, entry_id: int) -> str | None:
        from piecepay.store import journal

        return journal.entry_hash_at(self.conn, entry_id)

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
        """The journal, oldest first, each entry with its postings: the entries of one contract,
        of a campaign's contracts, of a worker's contracts and payouts, of one kind, dated from
        ``since`` to ``until`` (each as given), or the last N of those."""
        where, args = [], list[object]()
        if contract_id is not None:
            where.append("contract_id = ?")
            args.append(contract_id)
        if campaign_id is not None:
            where.append("contract_id IN (SELECT id FROM contracts WHERE campaign_id = ?)")
            args.append(campaign_id)
        if worker_id is not None:
            where.append(
                "(contract_id IN (SELECT id FROM contracts WHERE worker_id = ?) OR (kind = 'payout' AND id IN "
                "(SELECT p.entry_id FROM postings p JOIN accounts a ON a.id = p.account_id "
                "JOIN workers w ON a.name = 'worker:' || w.handle WHERE w.id = ?)))"
            )
            args += [worker_id, worker_id]
        for clause, value in (
            ("kind = ?", kind),
            ("effective_date >= ?", since.isoformat() if since else None),
            ("effective_date <= ?", until.isoformat() if until else None),
        ):
            if value is not None:
                where.append(clause)
                args.append(value)
        sql = "SELECT * FROM entries" + (" WHERE " + " AND ".join(where) if where else "")
        if last is not None:
            sql = f"SELECT * FROM ({sql} ORDER BY id DESC LIMIT ?) AS last_entries"
            args.append(last)
        return self._log(self._all(sql + " ORDER BY id", args))

    def entries_by_id(self, ids: Sequence[int]) -> list[LogEntry]:
        """The entries with these ids, oldest first, each with its postings."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._all(f"SELECT * FROM entries WHERE id IN ({marks}) ORDER BY id", list(ids))
        return self._log(rows, f"SELECT * FROM postings WHERE entry_id IN ({marks}) ORDER BY id", list(ids))

    def bill_entries(self, contract_id: int, bill_id: int) -> list[LogEntry]:
        """Every entry about one bill (its contract's, naming it), oldest first, with postings."""
        rows = self._all(
            "SELECT id FROM entries WHERE contract_id = ? AND bill_id = ? ORDER BY id", (contract_id, bill_id)
        )
        return self.entries_by_id([row[0] for row in rows])

    def _log(self, entries: list[Any], postings_sql: str | None = None, args: Sequence[object] = ()) -> list[LogEntry]:
        """Journal rows (oldest first) as LogEntry values, with their postings and names; the
        postings are read with ``postings_sql`` and ``args``, or by the range of the entries' ids."""
        accounts = {r["id"]: (r["name"], Currency(r["currency"], r["digits"])) for r in self._all(ACCOUNT_SELECT)}
        refs = {
            r[0]: f"{r[1]}/{r[2]}"
            for r in self._all(
                "SELECT c.id, k.slug, w.handle FROM contracts c JOIN campaigns k ON k.id = c.campaign_id "
                "JOIN workers w ON w.id = c.worker_id"
            )
        }
        postings: dict[int, list[tuple[str, str, str, Money]]] = {}
        if entries:
            if postings_sql is None:
                postings_sql = "SELECT * FROM postings WHERE entry_id BETWEEN ? AND ? ORDER BY id"
                args = (entries[0]["id"], entries[-1]["id"])
            for p in self._all(postings_sql, args):
                name, currency = accounts[p["account_id"]]
                postings.setdefault(p["entry_id"], []).append(
                    (name, p["side"], p["phase"], Money(p["amount"], currency))
                )
        return [
            LogEntry(
                e["id"],
                e["effective_date"],
                e["kind"],
                refs.get(e["contract_id"]),
                e["bill_id"],
                e["memo"],
                e["actor"],
                e["recorded_at"],
                e["hash"],
                tuple(postings.get(e["id"], ())),
            )
            for e in entries
        ]

    # ------------------------------------------------------------------ idempotency keys

    def find_key(self, key: str) -> tuple[str, dict[str, Any], Any] | None:
        """The command, request and result first recorded under ``key``, if any."""
        row = self._one("SELECT command, request, result FROM idempotency_keys WHERE key = ?", (key,))
        if row is None:
            return None
        import json

        return row[0], json.loads(row[1]), json.loads(row[2])

    def save_key(self, key: str, command: str, request: dict[str, Any], result: Any, created_at: str) -> None:
        import json

        self.conn.execute(
            "INSERT INTO idempotency_keys (key, command, request, result, created_at) VALUES (?, ?, ?, ?, ?)",
            (key, command, json.dumps(request, sort_keys=True), json.dumps(result, sort_keys=True), created_at),
        )

    # ------------------------------------------------------------------ reports and the sweep

    def contract_figures(self, campaign_id: int | None = None) -> list[ContractFigures]:
        """Every accepted contract (active or ended) with its escrow totals, by id."""
        sql = (
            "SELECT c.*, k.slug AS campaign_slug, w.handle AS worker_handle, k.currency, cur.digits, "
            "k.title AS campaign_title, k.unit, a.credits_posted, a.debits_pending, a.debits_posted, "
            "COALESCE(x.bonuses, 0) AS bonuses, COALESCE(x.escrow_bonuses, 0) AS escrow_bonuses "
            "FROM contracts c JOIN campaigns k ON k.id = c.campaign_id JOIN workers w ON w.id = c.worker_id "
            "JOIN currencies cur ON cur.code = k.currency JOIN accounts a ON a.id = c.escrow_account_id "
            "LEFT JOIN (SELECT contract_id, SUM(amount_minor) AS bonuses, "
            "SUM(CASE WHEN source = 'escrow' THEN amount_minor ELSE 0 END) AS escrow_bonuses "
            "FROM bonuses GROUP BY contract_id) x ON x.contract_id = c.id "
            "WHERE c.status IN ('active', 'ended')"
        )
        args: list[object] = []
        if campaign_id is not None:
            sql += " AND c.campaign_id = ?"
            args.append(campaign_id)
        return [
            ContractFigures(
                contract_of(r),
                r["campaign_title"],
                r["unit"],
                r["credits_posted"],
                r["debits_pending"],
                r["debits_posted"],
                int(r["bonuses"]),
                int(r["escrow_bonuses"]),
            )
            for r in self._all(sql + " ORDER BY c.id", args)
        ]

    def paid_out(self, since: date, until: date) -> list[PaidOut]:
        """What each worker was paid out, per currency, by payouts dated ``since`` to ``until``
        (inclusive), by handle and currency. A payout is an entry of no contract, so the
        entries of the span are one range of the index by contract and date."""
        rows = self._all(
            "SELECT w.id, w.handle, w.name, w.email, w.created_at, a.currency, cur.digits, "
            "SUM(p.amount) AS paid, COUNT(DISTINCT e.id) AS payouts, "
            "MIN(e.effective_date) AS first_date, MAX(e.effective_date) AS last_date "
            "FROM entries e JOIN postings p ON p.entry_id = e.id JOIN accounts a ON a.id = p.account_id "
            "JOIN currencies cur ON cur.code = a.currency JOIN workers w ON w.handle = substr(a.name, 8) "
            "WHERE e.contract_id IS NULL AND e.effective_date >= ? AND e.effective_date <= ? "
            "AND e.kind = 'payout' AND a.name LIKE 'worker:%' AND p.side = 'debit' AND p.phase = 'posted' "
            "GROUP BY w.id, w.handle, w.name, w.email, w.created_at, a.currency, cur.digits "
            "ORDER BY w.handle, a.currency",
            (since.isoformat(), until.isoformat()),
        )
        return [
            PaidOut(
                worker_of(r),
                Money(r["paid"], _currency(r)),
                r["payouts"],
                date.fromisoformat(r["first_date"]),
                date.fromisoformat(r["last_date"]),
            )
            for r in rows
        ]

    def bills_due_for_review(self, until: date) -> list[PendingBill]:
        """Pending bills whose review window (from the bill's date, or from the day it was last
        resubmitted) ends on or before ``until``, with their contract and their campaign's
        review window, by id. Each contract's pending bills are a range
        of an index by date, so bills still well inside their window are not read."""
        windows = [row[0] for row in self._all("SELECT DISTINCT review_days FROM campaigns ORDER BY 1")]
        if not windows:
            return []
        # A bill is due by ``until`` when it is dated on or before ``until`` less its window.
        last_days = [(days, (until - timedelta(days=days)).isoformat()) for days in windows]
        rows = self._all(
            f"WITH windows (days, last_day) AS (VALUES {', '.join('(?, ?)' for _ in last_days)}) "
            f"SELECT b.*, k.currency, cur.digits, k.review_days, k.slug, w.handle, {LAST_RESUBMITTED} FROM windows "
            "JOIN campaigns k ON k.review_days = windows.days JOIN contracts c ON c.campaign_id = k.id "
            "JOIN bills b ON b.contract_id = c.id AND b.status = 'pending' AND b.effective_date <= windows.last_day "
            "JOIN currencies cur ON cur.code = k.currency JOIN workers w ON w.id = c.worker_id "
            # a resubmitted bill's window starts again on the day it came back
            "WHERE NOT EXISTS (SELECT 1 FROM revisions r WHERE r.bill_id = b.id AND r.status = 'resubmitted' "
            "AND r.resolved_on > windows.last_day)",
            [value for pair in last_days for value in pair],
        )
        due = [
            PendingBill(
                bill_of(r),
                f"{r['slug']}/{r['handle']}",
                r["review_days"],
                date.fromisoformat(r["resubmitted_on"] or r["effective_date"]),
            )
            for r in rows
        ]
        return sorted(due, key=lambda pending: pending.bill.id)

    def pending_bill_count(self, contract_id: int) -> int:
        row = self._one(f"SELECT COUNT(*) FROM bills WHERE contract_id = ? AND status IN {OPEN_BILLS}", (contract_id,))
        assert row is not None
        return int(row[0])

    def worker_pay(self, first: date, last: date, campaign_id: int | None = None) -> list[WorkerPay]:
        """Per worker and currency, the bills dated ``first`` to ``last`` (inclusive), of one
        campaign's contracts or of every one, summed, with the bonuses and the time recorded
        apart from bills in those days; by worker handle, then currency."""
        sql = (
            "SELECT w.handle, k.currency, cur.digits, COUNT(*) AS bills, SUM(b.pieces_milli) AS pieces, "
            "SUM(b.released_pieces_milli) AS released_pieces, SUM(b.released_minor) AS released, "
            f"SUM(CASE WHEN b.status IN {OPEN_BILLS} THEN b.amount_minor ELSE 0 END) AS pending, "
            "SUM(COALESCE(b.minutes, 0)) AS minutes, SUM(CASE WHEN b.minutes IS NULL THEN 1 ELSE 0 END) AS untimed "
            # CROSS JOIN: SQLite reads contracts first and each one's bills as a range of dates,
            # never every bill (PostgreSQL reads it as a plain join)
            "FROM contracts c CROSS JOIN bills b JOIN workers w ON w.id = c.worker_id "
            "JOIN campaigns k ON k.id = c.campaign_id JOIN currencies cur ON cur.code = k.currency "
            f"WHERE b.contract_id = c.id AND b.status IN {EVERY_BILL_STATUS} "
            "AND b.effective_date >= ? AND b.effective_date <= ?"
        )
        args: list[object] = [first.isoformat(), last.isoformat()]
        if campaign_id is not None:
            sql += " AND c.campaign_id = ?"
            args.append(campaign_id)
        rows = self._all(sql + " GROUP BY w.handle, k.currency, cur.digits", args)
        found = [
            WorkerPay(
                r["handle"],
                _currency(r),
                r["bills"],
                r["pieces"],
                r["released_pieces"],
                r["released"],
                r["pending"],
                r["minutes"],
                r["untimed"],
            )
            for r in rows
        ]
        by_key = {(pay.worker_handle, pay.currency.code): pay for pay in found}
        for table, column in (("bonuses", "amount_minor"), ("work_times", "minutes")):
            extra = (
                f"SELECT w.handle, k.currency, cur.digits, SUM(x.{column}) AS total FROM {table} x "
                "JOIN contracts c ON c.id = x.contract_id JOIN workers w ON w.id = c.worker_id "
                "JOIN campaigns k ON k.id = c.campaign_id JOIN currencies cur ON cur.code = k.currency "
                "WHERE x.effective_date >= ? AND x.effective_date <= ?"
            )
            if campaign_id is not None:
                extra += " AND c.campaign_id = ?"
            for r in self._all(extra + " GROUP BY w.handle, k.currency, cur.digits", args):
                key = (r["handle"], r["currency"])
                pay = by_key.get(key) or WorkerPay(r["handle"], _currency(r), 0, 0, 0, 0, 0, 0, 0)
                total = int(r["total"])
                by_key[key] = (
                    pay._replace(bonus_minor=total) if table == "bonuses" else pay._replace(time_minutes=total)
                )
        # sorted here, not by SQL: PostgreSQL's collation would order handles otherwise
        return sorted(by_key.values(), key=lambda pay: (pay.worker_handle, pay.currency.code))

    def makeup_contract(
        self, handle: str, currency: str, first: date, last: date, campaign_id: int | None = None
    ) -> Contract | None:
        """The worker's contract in ``currency`` (of one campaign, or of any) a make-up for
        ``first`` to ``last`` is paid on: the one with the latest bill or time in those days,
        else their latest accepted."""
        of_campaign, one = ("", ()) if campaign_id is None else ("AND c.campaign_id = ? ", (campaign_id,))
        row = self._one(
            f"{CONTRACT_SELECT} WHERE w.handle = ? AND k.currency = ? AND c.accepted_on IS NOT NULL {of_campaign}"
            "ORDER BY (SELECT MAX(x.effective_date) FROM (SELECT effective_date FROM bills WHERE contract_id = c.id "
            "UNION ALL SELECT effective_date FROM work_times WHERE contract_id = c.id) x "
            "WHERE x.effective_date >= ? AND x.effective_date <= ?) DESC NULLS LAST, c.id DESC LIMIT 1",
            (handle, currency, *one, first.isoformat(), last.isoformat()),
        )
        return contract_of(row) if row else None

    # ------------------------------------------------------------------ bonuses and time

    def insert_bonus(
        self,
        contract_id: int,
        amount: Money,
        source: BonusSource,
        reason: str,
        makeup_period: str | None,
        effective: date,
        entry_id: int,
    ) -> int:
        row = self._one(
            "INSERT INTO bonuses (contract_id, amount_minor, source, reason, makeup_period, effective_date, entry_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (contract_id, amount.minor, source.value, reason, makeup_period, effective.isoformat(), entry_id),
        )
        assert row is not None
        return int(row[0])

    def campaign_payments(self, campaign_id: int) -> Iterator[int]:
        """What each release (and reversal) and each bonus of a campaign paid, in minor units."""
        for row in self._stream(
            "SELECT b.released_minor FROM bills b JOIN contracts c ON c.id = b.contract_id WHERE c.campaign_id = ? "
            "AND b.status = 'released' AND b.released_minor > 0 UNION ALL SELECT x.amount_minor FROM bonuses x "
            "JOIN contracts c ON c.id = x.contract_id WHERE c.campaign_id = ?",
            (campaign_id, campaign_id),
        ):
            yield int(row[0])

    def bonus(self, bonus_id: int) -> Bonus | None:
        row = self._one(f"{BONUS_SELECT} WHERE x.id = ?", (bonus_id,))
        return bonus_of(row) if row else None

    def bonus_totals(self, contract_id: int) -> tuple[int, int]:
        """A contract's bonuses in minor units: all of them, and those paid from its escrow."""
        row = self._one(
            "SELECT COALESCE(SUM(amount_minor), 0), COALESCE(SUM(CASE WHEN source = 'escrow' THEN amount_minor "
            "ELSE 0 END), 0) FROM bonuses WHERE contract_id = ?",
            (contract_id,),
        )
        assert row is not None
        return int(row[0]), int(row[1])

    def insert_work_time(self, contract_id: int, minutes: int, effective: date, note: str | None, entry_id: int) -> int:
        row = self._one(
            "INSERT INTO work_times (contract_id, minutes, effective_date, note, entry_id) VALUES (?, ?, ?, ?, ?) "
            "RETURNING id",
            (contract_id, minutes, effective.isoformat(), note, entry_id),
        )
        assert row is not None
        return int(row[0])

    def work_time(self, time_id: int) -> WorkTime | None:
        row = self._one("SELECT * FROM work_times WHERE id = ?", (time_id,))
        if row is None:
            return None
        day = _day(row["effective_date"])
        assert day is not None
        return WorkTime(row["id"], row["contract_id"], row["minutes"], day, row["note"], row["entry_id"])

    def active_contracts(self) -> list[ActiveContract]:
        """Active contracts with their campaign deadline and the date of their last entry."""
        rows = self._all(
            "SELECT c.*, k.slug AS campaign_slug, w.handle AS worker_handle, k.currency, cur.digits, k.deadline, "
            "(SELECT MAX(effective_date) FROM entries e WHERE e.contract_id = c.id) AS last_activity "
            "FROM contracts c JOIN campaigns k ON k.id = c.campaign_id JOIN workers w ON w.id = c.worker_id "
            "JOIN currencies cur ON cur.code = k.currency WHERE c.status = 'active' ORDER BY c.id"
        )
        return [
            ActiveContract(
                contract_of(r), _day(r["deadline"]), date.fromisoformat(r["last_activity"] or r["accepted_on"])
            )
            for r in rows
        ]

    # ------------------------------------------------------------------ what verify reads

    def integrity_check(self) -> str:
        row = self._one("PRAGMA integrity_check")
        assert row is not None
        return str(row[0])

    def integrity_checker(self) -> Callable[[], str] | None:
        """``integrity_check`` on a connection of its own, for another thread to run while this
        one reads (SQLite checks the file's pages without holding Python's lock); None when
        the ledger has no file."""
        path = self.path
        if path is None:
            return None

        def check() -> str:
            from piecepay.store.connection import open_ledger

            conn = open_ledger(path, write=False, upgrade=False)
            try:
                return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
            finally:
                conn.close()

        return check

    def broken_reference(self) -> tuple[str, int, str] | None:
        """The first row whose foreign key names no row: (table, rowid, the table it names)."""
        row = self._one("PRAGMA foreign_key_check")
        return (row[0], row[1], row[2]) if row else None

    def account_names(self) -> dict[int, tuple[str, str]]:
        """Every account's name and currency code, by id."""
        return {r[0]: (r[1], r[2]) for r in self._all("SELECT id, name, currency FROM accounts")}

    def journal(self, after: int = 0) -> "Iterator[tuple[StoredEntry, list[Posting]]]":
        """Every entry after entry ``after`` as stored, in id order, with its postings in the order written."""
        from piecepay.journal import Posting
        from piecepay.store.journal import header_of

        cursor = self.conn.execute(
            "SELECT e.*, p.account_id, p.side, p.phase, p.amount FROM entries e "
            "LEFT JOIN postings p ON p.entry_id = e.id WHERE e.id > ? ORDER BY e.id, p.id",
            (after,),
        )
        current: StoredEntry | None = None
        postings: list[Posting] = []
        for row in cursor:
            if current is not None and row["id"] != current.id:
                yield current, postings
                postings = []
            if current is None or row["id"] != current.id:
                current = StoredEntry(header_of(row), row["id"], row["prev_hash"], row["hash"], row["facts"])
            if row["account_id"] is not None:
                postings.append(Posting(row["account_id"], row["side"], row["phase"], row["amount"]))
        if current is not None:
            yield current, postings

    def entry_rows(self, after: int = 0) -> Iterator[tuple[Any, ...]]:
        """Every entry after entry ``after`` as stored, in id order, as (id, kind, contract_id,
        bill_id, effective_date, recorded_at, actor, memo, prev_hash, hash, facts)."""
        return self._stream(
            "SELECT id, kind, contract_id, bill_id, effective_date, recorded_at, actor, memo, prev_hash, hash, facts "
            "FROM entries WHERE id > ? ORDER BY id",
            (after,),
        )

    def posting_rows(self, after: int = 0) -> Iterator[tuple[Any, ...]]:
        """Every posting of the entries after entry ``after``, as (entry_id, account_id, side,
        phase, amount), by entry and in the order written (all of them: the table in its own
        order, which is that order unless rows were added by hand; some: through the entries' index)."""
        if after:
            sql = (
                "SELECT entry_id, account_id, side, phase, amount FROM postings WHERE entry_id > ? "
                "ORDER BY entry_id, id"
            )
            return self._stream(sql, (after,))
        return self._stream("SELECT entry_id, account_id, side, phase, amount FROM postings ORDER BY id")

    def _columns(self, table: str) -> list[str]:
        """Every column of ``table``, in the order ``SELECT *`` gives them."""
        cursor = self.conn.execute(f"SELECT * FROM {table} LIMIT 0")
        names = [d[0] for d in cursor.description]
        cursor.fetchall()
        return names

    def covered_columns(self, table: str) -> list[str]:
        """The columns of a table the chain seals, as its images hold them (less account totals)."""
        left_out = sealed.COVERED[table][1]
        return [name for name in self._columns(table) if name not in left_out]

    def covered_images(self, table: str, keys: list[str] | None = None) -> Iterator[tuple[str, str]]:
        """(key, ``canonical_json`` of its image) of each row of a table the chain seals, in the
        table's own order; only the rows whose key is in ``keys`` when it is given.

        SQLite writes the text (json_object over the columns in name order); that is the
        canonical text exactly when it is all ASCII without DEL, since SQLite escapes quotes,
        backslashes and control characters as json does (tests/test_journal_walk.py proves
        it). Any other row is written by ``canonical_json`` from its values."""
        from piecepay.journal import canonical_json

        key_column, left_out = sealed.COVERED[table]
        pairs = ", ".join(f"{_literal(name)}, {_identifier(name)}" for name in sorted(self.covered_columns(table)))
        sql = f"SELECT {key_column}, json_object({pairs}) FROM {table}"
        for key, text in self._rows_with_keys(sql, key_column, keys):
            if not text.isascii() or "\x7f" in text:
                row = self._one(f"SELECT * FROM {table} WHERE {key_column} = ?", (key,))
                assert row is not None
                text = canonical_json(sealed.image_of(row, left_out))
            yield str(key), text

    def _rows_with_keys(self, sql: str, key_column: str, keys: list[str] | None) -> Iterator[tuple[Any, ...]]:
        """Rows of ``sql`` (a SELECT of one table), only those whose key is in ``keys`` if given."""
        if keys is None:
            yield from self._stream(sql)
            return
        wanted: list[object] = list(keys)
        if key_column == "id":  # a whole number as its decimal text, or no row at all
            wanted = [int(k) for k in keys if k.isascii() and k.isdigit() and str(int(k)) == k]
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            yield from self._stream(f"{sql} WHERE {key_column} IN ({marks})", part)

    def fact_rows(self) -> Iterator[tuple[str, str, sealed.Image]]:
        """(table, key, image) of every row the chain seals."""
        return sealed.every_row(self.conn)

    def sealed_facts(self, entry_id: int) -> Any:
        import json

        row = self._one("SELECT facts FROM entries WHERE id = ?", (entry_id,))
        return json.loads(row[0]) if row and row[0] else None

    def posting_sums(self, after: int = 0, upto: int | None = None) -> dict[tuple[int, str], int]:
        """What the postings add up to, per account and total column (e.g. debits_pending): all
        of them, or those of the entries after entry ``after`` up to entry ``upto``."""
        if after == 0 and upto is None:
            rows = self._all("SELECT account_id, side, phase, SUM(amount) FROM postings GROUP BY 1, 2, 3")
        else:
            rows = self._all(
                "SELECT account_id, side, phase, SUM(amount) FROM postings WHERE entry_id > ? AND entry_id <= ? "
                "GROUP BY 1, 2, 3",
                (after, MAX_ID if upto is None else upto),
            )
        return {(r[0], f"{r[1]}s_{r[2]}"): r[3] for r in rows}

    def fact_rows_named(self, table: str, keys: list[str]) -> Iterator[tuple[str, sealed.Image]]:
        """(key, image) of the rows of a table the chain seals whose key is in ``keys``."""
        key_column, left_out = sealed.COVERED[table]
        names = self._columns(table)
        key_at = names.index(key_column)
        for row in self._rows_with_keys(f"SELECT * FROM {table}", key_column, keys):
            yield (
                str(row[key_at]),
                {name: value for name, value in zip(names, row, strict=True) if name not in left_out},
            )

    # ------------------------------------------------------------------ the verified head

    def verified_head(self) -> "StoredHead | None":
        """Where the last passing verify left off, as recorded (not a fact: verify proves it)."""
        row = self._one("SELECT entry_id, hash, sums, verified_at FROM verified_head WHERE id = 1")
        return StoredHead(row[0], row[1], row[2], row[3]) if row else None

    def keep_verified_head(self, head: "StoredHead") -> None:
        """Record ``head`` as where verify left off, unless a later entry is recorded already."""
        try:
            self.conn.execute(
                "INSERT INTO verified_head (id, entry_id, hash, sums, verified_at) VALUES (1, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET entry_id = excluded.entry_id, hash = excluded.hash, "
                "sums = excluded.sums, verified_at = excluded.verified_at "
                "WHERE excluded.entry_id >= verified_head.entry_id",
                head,
            )
        except sqlite3.Error as exc:
            from piecepay.store.connection import storage_error

            raise storage_error(exc, self.path) from exc

    def accounts(self) -> list[Account]:
        return [account_of(r) for r in self._all(f"{ACCOUNT_SELECT} ORDER BY a.id")]

    def bills_resolve_as_their_status_says(self) -> bool:
        """Whether no bill is resolved twice nor reversed twice, every bill is open (pending or
        revising) exactly when no entry resolved it, only a released bill was reversed, and a
        bill is revising exactly when it has an open revision, in one read of the journal."""
        row = self._one(
            f"WITH resolved AS MATERIALIZED ({RESOLVING}) "
            "SELECT EXISTS (SELECT 1 FROM resolved WHERE times > 1 OR reversed > 1) OR EXISTS (SELECT 1 FROM bills b "
            f"LEFT JOIN resolved r ON r.bill_id = b.id WHERE {STATUS_DISAGREES}) OR EXISTS ({REVISION_DISAGREES}) "
            "OR (SELECT COUNT(*) FROM bills WHERE status = 'revising') != "
            "(SELECT COUNT(*) FROM revisions WHERE status = 'open')"
        )
        return row is not None and not row[0]

    def bill_resolved_twice(self) -> tuple[int, int] | None:
        row = self._one(
            f"SELECT bill_id, CASE WHEN times > 1 THEN times ELSE reversed END FROM ({RESOLVING}) resolved "
            "WHERE times > 1 OR reversed > 1 ORDER BY bill_id LIMIT 1"
        )
        return (row[0], row[1]) if row else None

    def bill_status_against_journal(self) -> int | None:
        """The first bill whose status disagrees with the entries that resolved it, or with
        its revisions."""
        row = self._one(
            f"SELECT b.id FROM bills b LEFT JOIN ({RESOLVING}) r ON r.bill_id = b.id WHERE {STATUS_DISAGREES} "
            "OR (b.status = 'revising') != "
            "EXISTS (SELECT 1 FROM revisions v WHERE v.bill_id = b.id AND v.status = 'open') "
            "ORDER BY b.id LIMIT 1"
        )
        if row is None:
            row = self._one(f"SELECT bill_id FROM ({REVISION_DISAGREES}) wrong ORDER BY bill_id LIMIT 1")
        return int(row[0]) if row else None

    def contract_counters_against_bills(self) -> int | None:
        """The first contract whose piece counters disagree with its bills."""
        row = self._one(
            "SELECT c.id FROM contracts c LEFT JOIN (SELECT contract_id, "
            f"SUM(CASE WHEN status IN {OPEN_BILLS} THEN pieces_milli ELSE 0 END) AS pending, "
            "SUM(released_pieces_milli) AS released, "
            f"SUM(CASE WHEN status IN {OPEN_BILLS} THEN 0 ELSE pieces_milli - released_pieces_milli END) AS rejected "
            "FROM bills GROUP BY contract_id) b ON b.contract_id = c.id "
            "WHERE c.pieces_pending_milli != COALESCE(b.pending, 0) "
            "OR c.pieces_released_milli != COALESCE(b.released, 0) "
            "OR c.pieces_rejected_milli != COALESCE(b.rejected, 0) ORDER BY c.id LIMIT 1"
        )
        return int(row[0]) if row else None

    def released_values(self) -> Iterator[tuple[Any, ...]]:
        """Per contract and rate, what its exact totals cover: (contract id, its carry as
        stored, its currency's digits, a rate or None, the pieces released at that rate and the
        money their releases posted), over the bills released since its exact totals began."""
        yield from self._stream(
            "SELECT c.id, c.released_carry, cur.digits, b.rate, COALESCE(SUM(b.released_pieces_milli), 0), "
            "COALESCE(SUM(b.released_minor), 0) FROM contracts c JOIN campaigns k ON k.id = c.campaign_id "
            "JOIN currencies cur ON cur.code = k.currency LEFT JOIN bills b ON b.contract_id = c.id "
            "AND b.status = 'released' AND b.entry_id >= c.exact_from_entry AND c.tiers IS NULL "
            "GROUP BY c.id, c.released_carry, cur.digits, b.rate ORDER BY c.id"
        )

    def bill_fees(self) -> Iterator[tuple[Any, ...]]:
        """Each bill of a campaign with a fee, with what its fee entries hold and charged:
        (bill id, campaign id, status, amount, released, held, charged) in minor units."""
        yield from self._stream(
            "WITH moved AS (SELECT e.bill_id, SUM(CASE WHEN p.phase = 'pending' THEN p.amount ELSE 0 END) AS held, "
            "SUM(CASE WHEN p.phase = 'posted' THEN p.amount ELSE 0 END) AS charged FROM campaigns k "
            # CROSS JOIN: SQLite reads the campaigns with a fee first, and only their contracts'
            # entries and postings by index, never every posting (PostgreSQL reads a plain join)
            "CROSS JOIN contracts c CROSS JOIN entries e CROSS JOIN postings p "
            "WHERE c.campaign_id = k.id AND e.contract_id = c.id AND p.entry_id = e.id AND p.side = 'debit' "
            "AND k.fee_percent IS NOT NULL AND e.kind = 'fee' AND e.bill_id IS NOT NULL GROUP BY e.bill_id) "
            "SELECT b.id, k.id, b.status, b.amount_minor, b.released_minor, COALESCE(m.held, 0), "
            "COALESCE(m.charged, 0) FROM campaigns k CROSS JOIN contracts c CROSS JOIN bills b "
            "LEFT JOIN moved m ON m.bill_id = b.id "
            "WHERE c.campaign_id = k.id AND b.contract_id = c.id AND k.fee_percent IS NOT NULL ORDER BY b.id"
        )

    def contract_fees(self) -> Iterator[tuple[Any, ...]]:
        """Each contract of a campaign with a fee (or that counts fees): (contract id, campaign
        id, the fees it counts from escrow and from funding, what its entries of kind fee and
        funded_fee posted, what those of no bill posted, its bonuses' amounts as a list)."""
        posted: dict[int, tuple[int, int, int]] = {}
        for contract_id, kind, of_bill, total in self._all(
            "SELECT c.id, e.kind, e.bill_id IS NOT NULL, SUM(p.amount) FROM campaigns k "
            "CROSS JOIN contracts c CROSS JOIN entries e CROSS JOIN postings p "
            "WHERE c.campaign_id = k.id AND e.contract_id = c.id AND p.entry_id = e.id AND p.side = 'debit' "
            "AND p.phase = 'posted' AND k.fee_percent IS NOT NULL AND e.kind IN ('fee', 'funded_fee') "
            "GROUP BY c.id, e.kind, e.bill_id IS NOT NULL"
        ):
            escrow, funded, of_no_bill = posted.get(contract_id, (0, 0, 0))
            total = int(total)
            escrow, funded = (escrow + total, funded) if kind == "fee" else (escrow, funded + total)
            posted[contract_id] = escrow, funded, of_no_bill + (0 if of_bill else total)
        paid: dict[int, list[int]] = {}
        for contract_id, amount in self._all(
            "SELECT x.contract_id, x.amount_minor FROM bonuses x JOIN contracts c ON c.id = x.contract_id "
            "JOIN campaigns k ON k.id = c.campaign_id WHERE k.fee_percent IS NOT NULL ORDER BY x.id"
        ):
            paid.setdefault(contract_id, []).append(amount)
        for contract_id, campaign_id, fees, funded_fees in self._all(
            "SELECT c.id, k.id, c.fees_minor, c.funded_fees_minor FROM campaigns k "
            "JOIN contracts c ON c.campaign_id = k.id WHERE k.fee_percent IS NOT NULL "
            "OR c.fees_minor != 0 OR c.funded_fees_minor != 0 ORDER BY c.id"
        ):
            yield (
                contract_id,
                campaign_id,
                fees,
                funded_fees,
                *posted.get(contract_id, (0, 0, 0)),
                paid.get(contract_id, []),
            )

    def tiered_releases(self) -> Iterator[tuple[Any, ...]]:
        """The released bills of tiered contracts, each contract's in the order they were
        released: (contract id, its tiers and tier period as stored, its currency's digits, the
        bill's date and rate, the pieces it released and what its release posted)."""
        yield from self._stream(
            "SELECT c.id, c.tiers, c.tier_period, cur.digits, b.effective_date, b.rate, b.released_pieces_milli, "
            "b.released_minor FROM contracts c CROSS JOIN bills b JOIN campaigns k ON k.id = c.campaign_id "
            "JOIN currencies cur ON cur.code = k.currency WHERE b.contract_id = c.id AND c.tiers IS NOT NULL "
            "AND b.status = 'released' ORDER BY c.id, b.resolve_entry_id"
        )

    def milestone_over_cap(self) -> tuple[int, int, int] | None:
        """The first milestone whose bills spent more than its cap: (id, cap, spent) in minor units."""
        row = self._one(
            f"SELECT m.id, m.cap_minor, SUM(CASE WHEN b.status IN {OPEN_BILLS} THEN b.amount_minor "
            "ELSE b.released_minor END) AS spent FROM milestones m JOIN bills b ON b.milestone_id = m.id "
            "WHERE m.cap_minor IS NOT NULL GROUP BY m.id "
            f"HAVING SUM(CASE WHEN b.status IN {OPEN_BILLS} THEN b.amount_minor ELSE b.released_minor END) "
            "> m.cap_minor "
            "ORDER BY m.id LIMIT 1"
        )
        return (row[0], row[1], row[2]) if row else None

    def bills_with_their_entries(
        self, bill_ids: list[int] | None = None
    ) -> Iterator[tuple[Bill, Campaign, int | None, int, bool, str | None]]:
        """Each bill (or each of ``bill_ids``) with its campaign, what its entry reserved, what
        its release posted, whether it was priced alone (before its contract's exact totals),
        and its contract's tiers as stored."""
        campaigns = {c.id: c for c in self.campaigns()}
        contracts = {r[0]: r[1] for r in self._all("SELECT id, campaign_id FROM contracts")}
        sql = (
            f"WITH cut AS ({RESUBMIT_CUTS}) SELECT b.*, k.currency, cur.digits, "
            "CASE WHEN b.entry_id < c.exact_from_entry THEN 1 ELSE 0 END AS alone, c.tiers AS contract_tiers, "
            "(SELECT SUM(amount) FROM postings p WHERE p.entry_id = b.entry_id AND p.side = 'debit') "
            "+ COALESCE(cut.amount, 0) AS reserved, "
            "(SELECT COALESCE(SUM(amount), 0) FROM postings p WHERE p.entry_id = b.resolve_entry_id "
            "AND p.side = 'debit' AND p.phase = 'posted') AS posted "
            "FROM bills b JOIN contracts c ON c.id = b.contract_id LEFT JOIN cut ON cut.bill_id = b.id "
            "JOIN campaigns k ON k.id = c.campaign_id JOIN currencies cur ON cur.code = k.currency"
        )
        for part in _parts(bill_ids):
            where = "" if part is None else f" WHERE b.id IN ({','.join('?' * len(part))})"
            for row in self._all(f"{sql}{where} ORDER BY b.id", part or ()):
                found = bill_of(row)
                campaign = campaigns[contracts[found.contract_id]]
                yield found, campaign, row["reserved"], row["posted"], bool(row["alone"]), row["contract_tiers"]

    def bill_amount_groups(self, bill_ids: list[int] | None = None) -> Iterator[tuple[Any, ...]]:
        """The bills (or those of ``bill_ids``) grouped by their figures, as (pieces_milli, rate,
        campaign_id, amount_minor, alone, tiers, wrong): ``alone`` is 1 for bills priced alone
        (before their contract's exact totals began), ``tiers`` their contract's; ``wrong`` is 1
        where a bill of the group has an amount its entry did not reserve, or is released for
        other than what its release posted."""
        sql = (
            f"WITH cut AS ({RESUBMIT_CUTS}) "
            "SELECT b.pieces_milli, b.rate, c.campaign_id, b.amount_minor, "
            "CASE WHEN b.entry_id < c.exact_from_entry THEN 1 ELSE 0 END, c.tiers, MAX(CASE WHEN "
            "(SELECT SUM(amount) FROM postings p WHERE p.entry_id = b.entry_id AND p.side = 'debit') "
            "+ COALESCE(cut.amount, 0) = b.amount_minor "
            "AND (b.status != 'released' OR (SELECT COALESCE(SUM(amount), 0) FROM postings p "
            "WHERE p.entry_id = b.resolve_entry_id AND p.side = 'debit' AND p.phase = 'posted') = b.released_minor) "
            "THEN 0 ELSE 1 END) FROM bills b JOIN contracts c ON c.id = b.contract_id "
            "LEFT JOIN cut ON cut.bill_id = b.id"
        )
        for part in _parts(bill_ids):
            where = "" if part is None else f" WHERE b.id IN ({','.join('?' * len(part))})"
            yield from self._stream(f"{sql}{where} GROUP BY 1, 2, 3, 4, 5, 6", part or ())

    def loose_tables(self) -> list[str]:
        rows = self._all(
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND NOT strict "
            "AND name NOT LIKE 'sqlite%' AND name != 'migrations' ORDER BY name"
        )
        return [row[0] for row in rows]

    def expected_guards(self) -> dict[str, str]:
        """Every trigger a ledger at the current schema has, by name, as the file stores it."""
        from piecepay.store.migrations import GUARDS

        return GUARDS

    def triggers(self) -> dict[str, str]:
        """Every trigger the file holds, by name, with the SQL that made it."""
        return {r[0]: r[1] for r in self._all("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}

    def account_count(self) -> int:
        row = self._one("SELECT COUNT(*) FROM accounts")
        assert row is not None
        return int(row[0])

    # ------------------------------------------------------------------ exports

    def cursor_position(self, name: str) -> int:
        """The last entry exported under cursor ``name`` (0 before its first export)."""
        row = self._one("SELECT last_entry_id FROM export_cursors WHERE name = ?", (name,))
        return int(row[0]) if row else 0

    def move_cursor(self, name: str, position: int, at: str) -> int:
        """Move cursor ``name`` forward to ``position`` (never back); where it stands now."""
        self.conn.execute(
            "INSERT INTO export_cursors (name, last_entry_id, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) "
            "DO UPDATE SET last_entry_id = CASE WHEN excluded.last_entry_id > export_cursors.last_entry_id "
            "THEN excluded.last_entry_id ELSE export_cursors.last_entry_id END, "
            "updated_at = excluded.updated_at",
            (name, position, at),
        )
        return self.cursor_position(name)

    # What an export's statements share: the entries of its range (after_id < id <= upto_id,
    # effective date within [start, end]), their contracts' names, and for the books the
    # entries that post money, from one grouped pass over the posted postings: what their
    # debits add up to and the lowest and highest account they move. piecepay posts each
    # entry's money between two accounts of one currency, at most one of them a worker's, so
    # those two name the entry's currency and the worker it pays or charges.
    EXPORT_CONTRACT_JOIN = (
        "LEFT JOIN contracts c ON c.id = e.contract_id LEFT JOIN campaigns k ON k.id = c.campaign_id "
        "LEFT JOIN workers w ON w.id = c.worker_id"
    )
    EXPORT_BOOKED = (
        "FROM (SELECT p.entry_id, MIN(p.account_id) AS low, MAX(p.account_id) AS high, "
        "CAST(SUM(CASE WHEN p.side = 'debit' THEN p.amount ELSE 0 END) AS BIGINT) AS amount "
        "FROM postings p WHERE p.phase = 'posted' AND p.entry_id > ? AND p.entry_id <= ? GROUP BY p.entry_id) x "
        f"JOIN entries e ON e.id = x.entry_id {EXPORT_CONTRACT_JOIN} "
    )

    @staticmethod
    def _export_range(after_id: int, upto_id: int, start: date | None, end: date | None) -> tuple[str, list[object]]:
        """The WHERE clause (on entries ``e``) and its arguments for an export's range."""
        where = "e.id > ? AND e.id <= ?"
        args: list[object] = [after_id, upto_id]
        if start is not None:
            where += " AND e.effective_date >= ?"
            args.append(start.isoformat())
        if end is not None:
            where += " AND e.effective_date <= ?"
            args.append(end.isoformat())
        return where, args

    @staticmethod
    def _booked_as(accounts: dict[int, tuple[str, str, int]]) -> Callable[[int, int], tuple[str | None, str, int]]:
        """The payee (a worker's handle, or None), currency and digits of an entry whose posted
        postings move accounts ``low`` to ``high``, worked out once per pair."""
        prefix = worker_account_name("")
        seen: dict[tuple[int, int], tuple[str | None, str, int]] = {}

        def booked_as(low: int, high: int) -> tuple[str | None, str, int]:
            found = seen.get((low, high))
            if found is None:
                workers = [accounts[a][0] for a in (low, high) if accounts[a][0].startswith(prefix)]
                _, currency, digits = accounts[low]
                found = seen[low, high] = (workers[0][len(prefix) :] if workers else None, currency, digits)
            return found

        return booked_as

    def _stream(self, sql: str, args: Sequence[object] = ()) -> Iterator[tuple[Any, ...]]:
        """A query's rows as plain tuples, one at a time as the caller takes them (never all at
        once); on PostgreSQL from a server-side cursor in the current transaction."""
        cursor = self.conn.cursor()
        cursor.row_factory = None  # a plain tuple per row: no Row object to build
        return cursor.execute(sql, args)  # iterated directly: no Python frame per row

    def _export_accounts(self) -> dict[int, tuple[str, str, int]]:
        """Every account's name, currency and digits, by id: few, read once per export."""
        rows = self._all(
            "SELECT a.id, a.name, a.currency, cur.digits FROM accounts a JOIN currencies cur ON cur.code = a.currency"
        )
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def export_span(
        self, after_id: int, upto_id: int, start: date | None, end: date | None
    ) -> tuple[int, int | None, int | None]:
        """How many entries the range holds, and the first and last of their ids."""
        where, args = self._export_range(after_id, upto_id, start, end)
        row = self._one(f"SELECT COUNT(*), MIN(e.id), MAX(e.id) FROM entries e WHERE {where}", args)
        assert row is not None
        return int(row[0]), row[1], row[2]

    def export_entries(
        self, after_id: int, upto_id: int, start: date | None, end: date | None
    ) -> "Iterator[ExportEntry]":
        """Entries with after_id < id <= upto_id and an effective date within [start, end], in id
        order, each with its postings in the order written; streamed."""
        from piecepay.export.entries import ExportEntry, ExportPosting

        where, args = self._export_range(after_id, upto_id, start, end)
        accounts = self._export_accounts()
        # Two cursors in id order, merged here: a join would repeat every entry's text on each posting's row.
        postings = self._stream(
            "SELECT p.entry_id, p.account_id, p.side, p.phase, p.amount FROM postings p "
            + (
                "WHERE p.entry_id > ? AND p.entry_id <= ? "
                if start is None and end is None
                else f"JOIN entries e ON e.id = p.entry_id WHERE {where} "
            )
            + "ORDER BY p.entry_id, p.id",
            args,
        )
        entries = self._stream(
            "SELECT e.id, e.effective_date, e.recorded_at, e.kind, k.slug, w.handle, e.contract_id, e.bill_id, "
            f"e.memo, e.actor, e.hash FROM entries e {self.EXPORT_CONTRACT_JOIN} WHERE {where} ORDER BY e.id",
            args,
        )
        posting = next(postings, None)
        for row in entries:
            while posting is not None and posting[0] < row[0]:  # a posting of no entry (a damaged ledger)
                posting = next(postings, None)
            mine: list[ExportPosting] = []
            while posting is not None and posting[0] == row[0]:
                name, currency, digits = accounts[posting[1]]
                mine.append(ExportPosting(name, posting[2], posting[3], currency, digits, posting[4]))
                posting = next(postings, None)
            yield ExportEntry._make((*row, tuple(mine)))

    def export_bookings(self, after_id: int, upto_id: int, start: date | None, end: date | None) -> "Iterator[Booking]":
        """The entries of the range that post money, in effective-date order and then by id (the
        order the books read them), one row each; streamed."""
        from piecepay.export.entries import Booking

        where, args = self._export_range(after_id, upto_id, start, end)
        booked_as = self._booked_as(self._export_accounts())
        rows = self._stream(
            "SELECT e.id, e.effective_date, e.memo, e.kind, k.slug, w.handle, e.contract_id, x.low, x.high, x.amount "
            f"{self.EXPORT_BOOKED} WHERE {where} ORDER BY e.effective_date, e.id",
            [after_id, upto_id, *args],
        )
        for row in rows:
            yield Booking._make((*row[:7], *booked_as(row[7], row[8]), row[9]))

    # ------------------------------------------------------------------ copies

    def copy_to(self, target: Path) -> None:
        """A consistent copy of the whole file at ``target`` (one read snapshot; others may write)."""
        self.conn.execute("VACUUM INTO ?", (str(target),))

    def single_file(self) -> None:
        """Leave no -wal beside this file once it is closed (for a copy that travels alone)."""
        self.conn.execute("PRAGMA journal_mode=DELETE")

    # ------------------------------------------------------------------ a worker's statement

    def worker_entries(self, worker_id: int, account_name: str, first: date, last: date) -> "list[WorkerEntry]":
        """The entries dated ``first`` to ``last`` (inclusive) of the worker's contracts, and
        those of no contract that post to the worker's account (``account_name``): by date,
        then id, each with what it moved on that account (per currency), the sealed facts of
        an entry about a bill (text), and the reason of the revision it asked, if it asked one.
        Both halves read the entries by the index on (contract_id, effective_date)."""
        span = (first.isoformat(), last.isoformat())
        rows = self._all(
            "SELECT e.id, e.effective_date, e.kind, e.contract_id, e.bill_id, e.memo, "
            "CASE WHEN e.bill_id IS NULL THEN NULL ELSE e.facts END AS facts FROM contracts c CROSS JOIN entries e "
            "WHERE e.contract_id = c.id AND c.worker_id = ? AND e.effective_date >= ? AND e.effective_date <= ? "
            "UNION ALL SELECT e.id, e.effective_date, e.kind, e.contract_id, e.bill_id, e.memo, NULL AS facts "
            "FROM entries e WHERE e.contract_id IS NULL AND e.effective_date >= ? AND e.effective_date <= ? "
            "AND EXISTS (SELECT 1 FROM postings p JOIN accounts a ON a.id = p.account_id "
            "WHERE p.entry_id = e.id AND a.name = ?)",
            (worker_id, *span, *span, account_name),
        )
        rows = sorted(rows, key=lambda r: (r["effective_date"], r["id"]))
        ids = [r["id"] for r in rows]
        moved: dict[int, dict[str, list[int]]] = {}
        digits: dict[str, int] = {}
        reasons: dict[int, str] = {}
        for part in _parts(ids):
            assert part is not None
            marks = ",".join("?" * len(part))
            for p in self._all(
                "SELECT p.entry_id, a.currency, cur.digits, p.side, p.phase, SUM(p.amount) AS amount FROM postings p "
                "JOIN accounts a ON a.id = p.account_id JOIN currencies cur ON cur.code = a.currency "
                f"WHERE p.entry_id IN ({marks}) AND a.name = ? GROUP BY p.entry_id, a.currency, cur.digits, "
                "p.side, p.phase",
                (*part, account_name),
            ):
                digits[p["currency"]] = p["digits"]
                sums = moved.setdefault(p["entry_id"], {}).setdefault(p["currency"], [0, 0])
                signed = p["amount"] if p["side"] == "credit" else -p["amount"]
                sums[0 if p["phase"] == "pending" else 1] += signed
            for v in self._all(f"SELECT entry_id, reason FROM revisions WHERE entry_id IN ({marks})", part):
                reasons[v["entry_id"]] = v["reason"]
        return [
            WorkerEntry(
                r["id"],
                date.fromisoformat(r["effective_date"]),
                r["kind"],
                r["contract_id"],
                r["bill_id"],
                r["memo"],
                r["facts"],
                reasons.get(r["id"]),
                tuple(
                    (Currency(code, digits[code]), pending, posted)
                    for code, (pending, posted) in sorted(moved.get(r["id"], {}).items())
                ),
            )
            for r in rows
        ]

    def worker_balances(self, worker_id: int, account_name: str, first: date, last: date) -> "list[WorkerBalance]":
        """Per currency of the worker's account (``account_name``), by effective date: its
        posted credits less posted debits before ``first`` and up to ``last``, and what it
        held reserved (pending) up to ``last``. Its postings are those of the entries of the
        worker's contracts and of entries of no contract, each read by the index on
        (contract_id, effective_date)."""
        before, upto = first.isoformat(), last.isoformat()
        signed = "CASE WHEN p.side = 'credit' THEN p.amount ELSE -p.amount END"
        rows = self._all(
            "WITH theirs AS (SELECT e.id, e.effective_date FROM contracts c CROSS JOIN entries e "
            "WHERE e.contract_id = c.id AND c.worker_id = ? AND e.effective_date <= ? "
            "UNION ALL SELECT e.id, e.effective_date FROM entries e WHERE e.contract_id IS NULL "
            "AND e.effective_date <= ?) "
            "SELECT a.currency, cur.digits, "
            f"SUM(CASE WHEN p.phase = 'posted' AND t.effective_date < ? THEN {signed} ELSE 0 END) AS opening, "
            f"SUM(CASE WHEN p.phase = 'posted' THEN {signed} ELSE 0 END) AS closing, "
            f"SUM(CASE WHEN p.phase = 'pending' THEN {signed} ELSE 0 END) AS pending "
            "FROM theirs t JOIN postings p ON p.entry_id = t.id JOIN accounts a ON a.id = p.account_id "
            "JOIN currencies cur ON cur.code = a.currency WHERE a.name = ? GROUP BY a.currency, cur.digits",
            (worker_id, upto, upto, before, account_name),
        )
        found = [WorkerBalance(_currency(r), r["opening"], r["closing"], r["pending"]) for r in rows]
        return sorted(found, key=lambda b: b.currency.code)


class StoredHead(Record):
    """Where a passing verify left off: the last entry it proved, that entry's hash, the
    postings summed up to it (JSON text: each account's id to its debits_pending,
    debits_posted, credits_pending, credits_posted) and when."""

    entry: int
    hash: str
    sums: str
    verified_at: str


class StoredEntry(Record):
    """An entry as the file holds it: its header, place in the chain, and sealed facts (text)."""

    header: "EntryHeader"
    id: int
    prev_hash: str
    hash: str
    facts: str | None


class WorkerEntry(Record):
    """An entry of a worker's statement: its header, the facts it sealed if it is about a
    bill (canonical JSON text), the reason of the revision it asked, and per currency what
    it moved on the worker's account (credits less debits): reserved (pending), posted."""

    id: int
    effective_date: date
    kind: str
    contract_id: int | None
    bill_id: int | None
    memo: str
    facts: str | None
    revision_reason: str | None
    moved: tuple[tuple[Currency, int, int], ...]


class WorkerBalance(Record):
    """A worker's account in one currency by effective date: posted credits less debits
    before a period and at its end, and what it held reserved at its end (minor units)."""

    currency: Currency
    opening: int
    closing: int
    pending: int
