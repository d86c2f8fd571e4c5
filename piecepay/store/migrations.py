"""Schema migrations: small named functions, applied in order and recorded in the file.

sqlite-utils is imported only here, when a ledger is created or upgraded, because it
costs several times Python's own start-up; day-to-day commands use the connection as is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from piecepay.records import Record

if TYPE_CHECKING:
    from sqlite_utils import Database

APPEND_ONLY_TABLES = ("entries", "postings")


class Stamp(Record):
    """Who and when, for the entries a migration writes."""

    actor: str
    recorded_at: str
    today: str


def _guard(name: str, when: str, message: str) -> tuple[str, str]:
    """A trigger that aborts a change the ledger never makes, as (name, the SQL that creates it)."""
    return name, f"CREATE TRIGGER {name} {when} BEGIN SELECT RAISE(ABORT, '{message}'); END"


JOURNAL_GUARDS = [
    _guard(
        f"{table}_no_{action.lower()}",
        f"BEFORE {action} ON {table}",
        f"the journal is append-only: {table} cannot be {action.lower()}d",
    )
    for table in APPEND_ONLY_TABLES
    for action in ("UPDATE", "DELETE")
]
# Facts that never change once written; only a row's state moves, and a final state stays.
FIXED_COLUMNS = {
    "campaigns": "id, slug, title, unit, step, rate, currency, budget_minor, max_pieces_milli, workers, "
    "milestone_cap_minor, review_days, deadline, created_at",
    "accounts": "id, name, currency",
    "contracts": "id, campaign_id, worker_id, rate, max_pieces_milli, offered_at",
    "milestones": "id, contract_id, seq, top_up_minor, cap_minor, opened_on, entry_id",
    "bills": "id, contract_id, milestone_id, pieces_milli, rate, amount_minor, note, minutes, proofs, "
    "effective_date, entry_id",
}
# Columns set once (from empty to a value) and fixed from then on.
SET_ONCE = {
    "contracts": ("accepted_on", "escrow_account_id", "ended_on"),
}
# Statuses a row never leaves (the same rule as the _final triggers below, for verify).
FINAL_STATUSES = {
    "campaigns": frozenset({"closed"}),
    "contracts": frozenset({"ended", "declined", "withdrawn"}),
    "milestones": frozenset({"closed"}),
    "bills": frozenset({"released", "rejected"}),
}
IMMUTABLE_TABLES = ("currencies", "workers", "idempotency_keys")
FINAL_STATES = {
    "campaigns": "OLD.status = 'closed'",
    "contracts": "OLD.status IN ('ended', 'declined', 'withdrawn')",
    "milestones": "OLD.status = 'closed'",
    "bills": "OLD.status != 'pending'",
}
FACT_TABLES = ("currencies", "campaigns", "workers", "accounts", "contracts", "milestones", "bills", "idempotency_keys")
FACT_GUARDS = (
    [_guard(f"{t}_no_delete", f"BEFORE DELETE ON {t}", f"{t} rows are never deleted") for t in FACT_TABLES]
    + [_guard(f"{t}_no_update", f"BEFORE UPDATE ON {t}", f"{t} rows never change") for t in IMMUTABLE_TABLES]
    + [
        _guard(f"{t}_fixed", f"BEFORE UPDATE OF {columns} ON {t}", f"{t}: these facts are fixed once written")
        for t, columns in FIXED_COLUMNS.items()
    ]
    + [
        _guard(f"{t}_final", f"BEFORE UPDATE ON {t} WHEN {when}", f"{t}: a final state never changes")
        for t, when in FINAL_STATES.items()
    ]
)


def fixed_columns(table: str) -> tuple[str, ...] | None:
    """The columns of ``table`` that never change once written (None: every column)."""
    if table in IMMUTABLE_TABLES:
        return None
    return tuple(name.strip() for name in FIXED_COLUMNS.get(table, "").split(",") if name.strip())


def m001_initial(db: Database) -> None:
    """Campaigns, workers, contracts, milestones, bills, the double-entry journal and keys."""
    db.create_table("currencies", {"code": str, "digits": int}, pk="code", strict=True)
    db.create_table(
        "campaigns",
        {
            "id": int,
            "slug": str,
            "title": str,
            "unit": str,
            "step": str,
            "rate": str,
            "currency": str,
            "budget_minor": int,
            "max_pieces_milli": int,
            "workers": int,
            "milestone_cap_minor": int,
            "review_days": int,
            "deadline": str,
            "status": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("currency", "currencies", "code")],
        not_null=["slug", "title", "unit", "step", "rate", "currency", "review_days", "status", "created_at"],
        strict=True,
    )
    db.table("campaigns").create_index(["slug"], unique=True)
    db.create_table(
        "workers",
        {"id": int, "handle": str, "name": str, "email": str, "created_at": str},
        pk="id",
        not_null=["handle", "created_at"],
        strict=True,
    )
    db.table("workers").create_index(["handle"], unique=True)
    db.create_table(
        "accounts",
        {
            "id": int,
            "name": str,
            "currency": str,
            "debits_pending": int,
            "debits_posted": int,
            "credits_pending": int,
            "credits_posted": int,
        },
        pk="id",
        foreign_keys=[("currency", "currencies", "code")],
        not_null=["name", "currency", "debits_pending", "debits_posted", "credits_pending", "credits_posted"],
        defaults={"debits_pending": 0, "debits_posted": 0, "credits_pending": 0, "credits_posted": 0},
        strict=True,
    )
    db.table("accounts").create_index(["name", "currency"], unique=True)
    db.create_table(
        "contracts",
        {
            "id": int,
            "campaign_id": int,
            "worker_id": int,
            "rate": str,
            "max_pieces_milli": int,
            "status": str,
            "offered_at": str,
            "accepted_on": str,
            "ended_on": str,
            "escrow_account_id": int,
            "refunded_minor": int,
            "pieces_pending_milli": int,
            "pieces_released_milli": int,
            "pieces_rejected_milli": int,
        },
        pk="id",
        foreign_keys=[
            ("campaign_id", "campaigns", "id"),
            ("worker_id", "workers", "id"),
            ("escrow_account_id", "accounts", "id"),
        ],
        not_null=[
            "campaign_id",
            "worker_id",
            "rate",
            "status",
            "offered_at",
            "refunded_minor",
            "pieces_pending_milli",
            "pieces_released_milli",
            "pieces_rejected_milli",
        ],
        defaults={
            "refunded_minor": 0,
            "pieces_pending_milli": 0,
            "pieces_released_milli": 0,
            "pieces_rejected_milli": 0,
        },
        strict=True,
    )
    db.table("contracts").create_index(["campaign_id", "worker_id"])
    db.table("contracts").create_index(["status"])
    db.create_table(
        "entries",
        {
            "id": int,
            "kind": str,
            "contract_id": int,
            "bill_id": int,
            "effective_date": str,
            "recorded_at": str,
            "actor": str,
            "memo": str,
            "prev_hash": str,
            "hash": str,
        },
        pk="id",
        not_null=["kind", "effective_date", "recorded_at", "actor", "memo", "prev_hash", "hash"],
        strict=True,
    )
    db.table("entries").create_index(["contract_id"])
    db.create_table(
        "postings",
        {"id": int, "entry_id": int, "account_id": int, "side": str, "phase": str, "amount": int},
        pk="id",
        foreign_keys=[("entry_id", "entries", "id"), ("account_id", "accounts", "id")],
        not_null=["entry_id", "account_id", "side", "phase", "amount"],
        strict=True,
    )
    db.table("postings").create_index(["entry_id"])
    db.create_table(
        "milestones",
        {
            "id": int,
            "contract_id": int,
            "seq": int,
            "top_up_minor": int,
            "cap_minor": int,
            "status": str,
            "opened_on": str,
            "entry_id": int,
        },
        pk="id",
        foreign_keys=[("contract_id", "contracts", "id"), ("entry_id", "entries", "id")],
        not_null=["contract_id", "seq", "top_up_minor", "status", "opened_on"],
        strict=True,
    )
    db.table("milestones").create_index(["contract_id", "seq"], unique=True)
    db.create_table(
        "bills",
        {
            "id": int,
            "contract_id": int,
            "milestone_id": int,
            "pieces_milli": int,
            "rate": str,
            "amount_minor": int,
            "status": str,
            "released_pieces_milli": int,
            "released_minor": int,
            "reason": str,
            "note": str,
            "minutes": int,
            "proofs": str,
            "effective_date": str,
            "resolved_on": str,
            "entry_id": int,
            "resolve_entry_id": int,
        },
        pk="id",
        foreign_keys=[
            ("contract_id", "contracts", "id"),
            ("milestone_id", "milestones", "id"),
            ("entry_id", "entries", "id"),
            ("resolve_entry_id", "entries", "id"),
        ],
        not_null=[
            "contract_id",
            "milestone_id",
            "pieces_milli",
            "rate",
            "amount_minor",
            "status",
            "released_pieces_milli",
            "released_minor",
            "proofs",
            "effective_date",
            "entry_id",
        ],
        defaults={"released_pieces_milli": 0, "released_minor": 0, "proofs": "[]"},
        strict=True,
    )
    db.table("bills").create_index(["milestone_id"])
    db.table("bills").create_index(["contract_id", "status"])
    db.create_table(
        "idempotency_keys",
        {"key": str, "command": str, "request": str, "result": str, "created_at": str},
        pk="key",
        not_null=["command", "request", "result", "created_at"],
        strict=True,
    )
    for _, sql in JOURNAL_GUARDS:
        db.execute(sql)


def m002_export_cursors(db: Database) -> None:
    """Named cursors for incremental exports: the last entry each one has written out."""
    db.create_table(
        "export_cursors",
        {"name": str, "last_entry_id": int, "updated_at": str},
        pk="name",
        not_null=["last_entry_id", "updated_at"],
        strict=True,
    )


def m003_facts_in_the_chain(db: Database) -> None:
    """Seal every fact into the hash chain: entries carry the images of the rows they wrote,
    fact tables refuse deletes and edits of what is fixed, and the file says it is a ledger."""
    from piecepay.store.connection import APPLICATION_ID

    db.execute("ALTER TABLE entries ADD COLUMN facts TEXT")
    for _, sql in FACT_GUARDS:
        db.execute(sql)
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def m004_verified_head(db: Database) -> None:
    """Where verify left off: the last entry a passing verify proved, its hash, and every
    account's posting sums up to it, so that ``verify --since-checkpoint`` may start there.
    Not a fact of the ledger: the full verify proves it against the chain."""
    db.create_table(
        "verified_head",
        {"id": int, "entry_id": int, "hash": str, "sums": str, "verified_at": str},
        pk="id",
        not_null=["entry_id", "hash", "sums", "verified_at"],
        strict=True,
    )


def m005_activity_index(db: Database) -> None:
    """Indexes that let the sweep read only what is due: a contract's last entry date is one
    lookup, and the pending bills past a review window are one range per contract, reached
    from the campaigns with that window."""
    db.table("entries").create_index(["contract_id", "effective_date"])
    db.table("bills").create_index(["contract_id", "status", "effective_date"])
    db.table("campaigns").create_index(["review_days"])
    # each replaced by the index above that begins with its columns: one index less to write
    db.execute("DROP INDEX idx_entries_contract_id")
    db.execute("DROP INDEX idx_bills_contract_id_status")
    # Foreign keys are checked at commit, so each new entry looks up the rows written before
    # it that name it: with these, by index instead of reading every bill and milestone.
    db.table("bills").create_index(["entry_id"])
    db.execute("CREATE INDEX idx_bills_resolve_entry_id ON bills (resolve_entry_id) WHERE resolve_entry_id IS NOT NULL")
    db.table("milestones").create_index(["entry_id"])


MIGRATIONS: list[Callable[[Database], None]] = [
    m001_initial,
    m002_export_cursors,
    m003_facts_in_the_chain,
    m004_verified_head,
    m005_activity_index,
]
FACTS_SEALED_FROM = 3  # the schema from which every fact is sealed into the chain
LATEST_VERSION = len(MIGRATIONS)
GUARDS = dict(JOURNAL_GUARDS + FACT_GUARDS)  # every trigger a ledger at LATEST_VERSION has, by name


def migrate(conn: sqlite3.Connection, stamp: Stamp, fill: Callable[[Any], None] | None = None) -> None:
    """Apply every migration the file lacks, all in one write transaction, then seal what the
    ledger holds so far into a checkpoint entry (the first entry of a new ledger). A new
    file with ``fill`` gets no checkpoint: ``fill`` writes a whole ledger's rows into it (a copy)."""
    from sqlite_utils import Database

    from piecepay.store.connection import user_version, write_transaction

    with write_transaction(conn):
        # Another process may have migrated while this one waited for the lock.
        version = user_version(conn)
        if version >= LATEST_VERSION:
            return
        db = Database(conn, recursive_triggers=False)
        db.create_table("migrations", {"name": str, "applied_at": str}, pk="name", if_not_exists=True)
        applied = {row[0] for row in conn.execute("SELECT name FROM migrations")}
        for migration in MIGRATIONS:
            if migration.__name__ in applied:  # recorded by name, as sqlite-utils' and llm's are
                continue
            migration(db)
            db.table("migrations").insert({"name": migration.__name__, "applied_at": stamp.recorded_at})
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION}")
        if fill is not None and version == 0:
            fill(conn)
        else:
            checkpoint(conn, stamp, created=version == 0, upgraded_from=version)


def checkpoint(conn: sqlite3.Connection, stamp: Stamp, *, created: bool, upgraded_from: int = 0) -> None:
    """The entry that records a new ledger or an upgrade. A new ledger, or one from before
    facts were sealed into the chain, gets every fact row's image sealed in it, so the chain
    covers all that came before; a ledger whose facts are sealed already gets an entry that
    seals nothing new (its migrations add no fact), whatever its size."""
    from piecepay.store.facts import all_facts
    from piecepay.store.journal import EntryHeader, append_entry

    if created:
        memo, facts = "ledger created", all_facts(conn)
    elif upgraded_from < FACTS_SEALED_FROM:
        memo, facts = f"schema {LATEST_VERSION}: every fact so far sealed into the chain", all_facts(conn)
    else:
        memo, facts = f"schema {LATEST_VERSION}: upgraded from schema {upgraded_from}", {}
    header = EntryHeader("checkpoint", stamp.today, stamp.recorded_at, stamp.actor, memo)
    append_entry(conn, header, (), facts=facts)
