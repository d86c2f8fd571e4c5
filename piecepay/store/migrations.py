"""Schema migrations: small named functions, applied in order and recorded in the file.

sqlite-utils is imported only here, when a ledger is created or upgraded, because it
costs several times Python's own start-up; day-to-day commands use the connection as is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
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
FIXED_COLUMNS_9 = {
    "campaigns": "id, slug, unit, step, rate, currency, created_at",
    "workers": "id, handle, created_at",
    "accounts": "id, name, currency",
    "contracts": "id, campaign_id, worker_id, rate, max_pieces_milli, offered_at, exact_from_entry",
    "milestones": "id, contract_id, seq, top_up_minor, cap_minor, opened_on, entry_id",
    "bills": "id, contract_id, milestone_id, rate, effective_date, entry_id",
    "revisions": "id, bill_id, reason, asked_on, entry_id",
    "tokens": "id, name, role, worker_id, campaigns, expires_on, hash, created_at",
}
# A contract's fixed columns before schema 9 gave it the entry its exact totals start from.
CONTRACTS_FIXED_8 = "id, campaign_id, worker_id, rate, max_pieces_milli, offered_at"
# Schema 10: a campaign's tiered rates and fee, and a contract's tiers, fixed once written too.
FIXED_COLUMNS = FIXED_COLUMNS_9 | {
    "campaigns": f"{FIXED_COLUMNS_9['campaigns']}, tiers, tier_period, fee_percent, fee_min_minor",
    "contracts": f"{FIXED_COLUMNS_9['contracts']}, tiers, tier_period",
}
# Facts that change only in an entry of one kind, which records the old and new values: a
# campaign's terms (campaign edit), a worker's name and contact (worker edit), and what a
# bill claims (a resubmission, in an entry about that bill).
EDITABLE = {
    "campaigns": (
        "title, budget_minor, max_pieces_milli, workers, milestone_cap_minor, review_days, deadline, "
        "revision_days, reversal_days, minimum_wage_minor",
        "campaign_edited",
    ),
    "workers": ("name, email", "worker_edited"),
    "bills": ("pieces_milli, amount_minor, note, minutes, proofs", "resubmit"),
}
# Columns set once (from empty to a value) and fixed from then on.
SET_ONCE = {
    "contracts": ("accepted_on", "escrow_account_id", "ended_on"),
    "revisions": ("resolved_on", "resolve_entry_id"),
    "tokens": ("revoked_on",),
}
# Statuses a row never leaves (the same rule as the _final triggers below, for verify)...
FINAL_STATUSES = {
    "campaigns": frozenset({"closed"}),
    "contracts": frozenset({"ended", "declined", "withdrawn"}),
    "milestones": frozenset({"closed"}),
    "bills": frozenset({"released", "rejected"}),
    "revisions": frozenset({"resubmitted", "closed"}),
}
# ...but for one: a rejected bill may still be released, once, by an entry of kind
# "reversal" about that bill (the _reopened trigger). (table: (from, to, entry kind))
REOPENED = {"bills": ("rejected", "released", "reversal")}
IMMUTABLE_TABLES = ("currencies", "idempotency_keys", "bonuses", "work_times")
FACT_TABLES = (
    "currencies",
    "campaigns",
    "workers",
    "accounts",
    "contracts",
    "milestones",
    "bills",
    "idempotency_keys",
    "revisions",
    "tokens",
    "bonuses",
    "work_times",
)


class GuardRules(Record):
    """What a schema's fact triggers refuse: deletes, any update, updates of fixed columns,
    leaving a final state (by the SQL condition that says a row is in one), and leaving a
    state for any but the one it may reopen to."""

    tables: tuple[str, ...]
    immutable: tuple[str, ...]
    fixed: dict[str, str]
    final: dict[str, str]
    reopened: dict[str, tuple[str, str, str]]


def fact_guards(rules: GuardRules) -> list[tuple[str, str]]:
    """The SQLite triggers that enforce ``rules``, as (name, the SQL that creates it)."""
    return (
        [_guard(f"{t}_no_delete", f"BEFORE DELETE ON {t}", f"{t} rows are never deleted") for t in rules.tables]
        + [_guard(f"{t}_no_update", f"BEFORE UPDATE ON {t}", f"{t} rows never change") for t in rules.immutable]
        + [
            _guard(f"{t}_fixed", f"BEFORE UPDATE OF {columns} ON {t}", f"{t}: these facts are fixed once written")
            for t, columns in rules.fixed.items()
        ]
        + [
            _guard(f"{t}_final", f"BEFORE UPDATE ON {t} WHEN {when}", f"{t}: a final state never changes")
            for t, when in rules.final.items()
        ]
        + [
            _guard(
                f"{t}_reopened",
                f"BEFORE UPDATE ON {t} WHEN OLD.status = '{was}' AND NEW.status != '{to}'",
                f"{t}: a {was} row may only become {to}",
            )
            for t, (was, to, _) in rules.reopened.items()
        ]
    )


# The rules as schema 3 made them, before anything but a row's state could change.
GUARD_RULES_3 = GuardRules(
    FACT_TABLES[: FACT_TABLES.index("revisions")],
    ("currencies", "workers", "idempotency_keys"),
    {
        "campaigns": "id, slug, title, unit, step, rate, currency, budget_minor, max_pieces_milli, workers, "
        "milestone_cap_minor, review_days, deadline, created_at",
        "accounts": "id, name, currency",
        "contracts": "id, campaign_id, worker_id, rate, max_pieces_milli, offered_at",
        "milestones": "id, contract_id, seq, top_up_minor, cap_minor, opened_on, entry_id",
        "bills": "id, contract_id, milestone_id, pieces_milli, rate, amount_minor, note, minutes, proofs, "
        "effective_date, entry_id",
    },
    {
        "campaigns": "OLD.status = 'closed'",
        "contracts": "OLD.status IN ('ended', 'declined', 'withdrawn')",
        "milestones": "OLD.status = 'closed'",
        "bills": "OLD.status != 'pending'",
    },
    {},
)
# The rules as schema 6 made them, before tokens; then today's, which only add the tokens.
GUARD_RULES_6 = GuardRules(
    FACT_TABLES[: FACT_TABLES.index("tokens")],
    IMMUTABLE_TABLES[:2],
    {table: columns for table, columns in FIXED_COLUMNS_9.items() if table != "tokens"}
    | {"contracts": CONTRACTS_FIXED_8},
    {
        "campaigns": "OLD.status = 'closed'",
        "contracts": "OLD.status IN ('ended', 'declined', 'withdrawn')",
        "milestones": "OLD.status = 'closed'",
        "bills": "OLD.status = 'released'",
        "revisions": "OLD.status IN ('resubmitted', 'closed')",
    },
    REOPENED,
)
GUARD_RULES_8 = GUARD_RULES_6._replace(
    tables=FACT_TABLES[: FACT_TABLES.index("bonuses")], fixed=FIXED_COLUMNS_9 | {"contracts": CONTRACTS_FIXED_8}
)
GUARD_RULES_9 = GUARD_RULES_8._replace(tables=FACT_TABLES, immutable=IMMUTABLE_TABLES, fixed=FIXED_COLUMNS_9)
GUARD_RULES = GUARD_RULES_9._replace(fixed=FIXED_COLUMNS)
FACT_GUARDS_3 = fact_guards(GUARD_RULES_3)
FACT_GUARDS_6 = fact_guards(GUARD_RULES_6)
FACT_GUARDS_8 = fact_guards(GUARD_RULES_8)
FACT_GUARDS_9 = fact_guards(GUARD_RULES_9)
FACT_GUARDS = fact_guards(GUARD_RULES)


def guard_changes(before: list[tuple[str, str]], after: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """What takes a ledger from the triggers ``before`` to those ``after``: the names to drop
    and the definitions to create (a trigger whose text changes is dropped and made again)."""
    old, new = dict(before), dict(after)
    drop = [name for name, sql in before if new.get(name) != sql]
    create = [sql for name, sql in after if old.get(name) != sql]
    return drop, create


def editable_columns(table: str) -> tuple[str, ...]:
    """The columns of ``table`` that only an entry of one kind changes (``EDITABLE``)."""
    columns = EDITABLE.get(table)
    return () if columns is None else tuple(name.strip() for name in columns[0].split(","))


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
    for _, sql in FACT_GUARDS_3:
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


def _move_guards(db: Database, before: list[tuple[str, str]], after: list[tuple[str, str]]) -> None:
    """Take a ledger's triggers from those of one schema to the next (``guard_changes``)."""
    drop, create = guard_changes(before, after)
    for name in drop:
        db.execute(f"DROP TRIGGER {name}")
    for sql in create:
        db.execute(sql)


def m006_revisions_and_edits(db: Database) -> None:
    """Revisions of bills, rejections reversed and terms edited: the table of revisions, a
    campaign's revision and reversal windows (empty: 7 and 30 days), and guards that let a
    campaign's terms, a worker's name and contact and a bill's claim change, and a rejected
    bill be released (verify proves each change is in an entry of its kind)."""
    db.execute("ALTER TABLE campaigns ADD COLUMN revision_days INTEGER")
    db.execute("ALTER TABLE campaigns ADD COLUMN reversal_days INTEGER")
    db.execute(
        "CREATE TABLE revisions (id INTEGER PRIMARY KEY, bill_id INTEGER NOT NULL REFERENCES bills (id), "
        "reason TEXT NOT NULL, asked_on TEXT NOT NULL, entry_id INTEGER NOT NULL REFERENCES entries (id), "
        "status TEXT NOT NULL, resolved_on TEXT, resolve_entry_id INTEGER REFERENCES entries (id)) STRICT"
    )
    for statement in REVISION_INDEXES:
        db.execute(statement)
    _move_guards(db, FACT_GUARDS_3, FACT_GUARDS_6)


REVISION_INDEXES = (
    "CREATE INDEX idx_revisions_bill_id ON revisions (bill_id)",
    "CREATE INDEX idx_revisions_open ON revisions (asked_on) WHERE status = 'open'",
    "CREATE INDEX idx_revisions_entry_id ON revisions (entry_id)",
    "CREATE INDEX idx_revisions_resolve_entry_id ON revisions (resolve_entry_id) WHERE resolve_entry_id IS NOT NULL",
)


def m007_tokens(db: Database) -> None:
    """Tokens for the parties of a served ledger: each one's name (the actor its requests
    are recorded under), role, worker and campaigns, expiry, the SHA-256 of its secret (never
    the secret), and the day it was revoked; rows are facts sealed into the chain."""
    db.execute(TOKENS_TABLE)
    db.execute("CREATE UNIQUE INDEX idx_tokens_name ON tokens (name)")
    db.execute("CREATE UNIQUE INDEX idx_tokens_hash ON tokens (hash)")
    _move_guards(db, FACT_GUARDS_6, FACT_GUARDS_8)


TOKENS_TABLE = (
    "CREATE TABLE tokens (id INTEGER PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, "
    "worker_id INTEGER REFERENCES workers (id), campaigns TEXT NOT NULL, expires_on TEXT, hash TEXT NOT NULL, "
    "created_at TEXT NOT NULL, revoked_on TEXT) STRICT"
)


def m008_sign_ins(db: Database) -> None:
    """Sign-ins to a served ledger's web pages: one-time links (``piecepay token link``) and the
    sessions a browser holds, each for a token, kept as the SHA-256 of its secret. They are
    credentials, not facts: nothing here moves money, a session ends by being deleted, and a
    copy of the ledger does not take them along."""
    db.execute(SIGN_INS_TABLE)
    db.execute("CREATE UNIQUE INDEX idx_sign_ins_hash ON sign_ins (hash)")
    db.execute("CREATE INDEX idx_sign_ins_token_id ON sign_ins (token_id)")


SIGN_INS_TABLE = (
    "CREATE TABLE sign_ins (id INTEGER PRIMARY KEY, token_id INTEGER NOT NULL REFERENCES tokens (id), "
    "kind TEXT NOT NULL, hash TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT) STRICT"
)


def m009_exact_totals_bonuses_and_time(db: Database) -> None:
    """Exact totals, bonuses and time. A contract's released money is its released pieces'
    exact value rounded once: each contract keeps the carry (the exact value released less
    the money released, in minor units) and the entry its exact totals start from. A contract
    from before this schema starts them at the checkpoint that records the upgrade: bills it
    holds from before were priced one by one and stay so. Bonuses paid on a contract (from its
    escrow or straight from the client), and time worked on a contract that no bill names, are
    facts sealed into the chain, never changed once written."""
    row = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM entries").fetchone()
    db.execute(f"ALTER TABLE contracts ADD COLUMN exact_from_entry INTEGER NOT NULL DEFAULT {int(row[0])}")
    db.execute("ALTER TABLE contracts ADD COLUMN released_carry TEXT NOT NULL DEFAULT '0'")
    for statement in (BONUSES_TABLE, WORK_TIMES_TABLE, *SCHEMA_9_INDEXES):
        db.execute(statement)
    _move_guards(db, FACT_GUARDS_8, FACT_GUARDS_9)


def m010_tiers_and_fees(db: Database) -> None:
    """Tiered rates, platform fees and a campaign's minimum wage. A campaign may carry tiers
    (from the Nth piece released in a week or a month, another rate) that its offers copy or
    replace, and a fee charged to the client on every release and bonus, held in escrow with
    each reservation; a contract
    keeps the fees charged on it, from its escrow and from the client's funding; and a
    campaign may name the wage an hour its pay is measured against. Empty on the campaigns
    and contracts there are: no tiers, no fee, no wage."""
    for statement in SCHEMA_10_COLUMNS:
        db.execute(statement)
    _move_guards(db, FACT_GUARDS_9, FACT_GUARDS)


SCHEMA_10_COLUMNS = (
    "ALTER TABLE campaigns ADD COLUMN tiers TEXT",
    "ALTER TABLE campaigns ADD COLUMN tier_period TEXT",
    "ALTER TABLE campaigns ADD COLUMN fee_percent TEXT",
    "ALTER TABLE campaigns ADD COLUMN fee_min_minor INTEGER",
    "ALTER TABLE campaigns ADD COLUMN minimum_wage_minor INTEGER",
    "ALTER TABLE contracts ADD COLUMN tiers TEXT",
    "ALTER TABLE contracts ADD COLUMN tier_period TEXT",
    "ALTER TABLE contracts ADD COLUMN fees_minor INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE contracts ADD COLUMN funded_fees_minor INTEGER NOT NULL DEFAULT 0",
)


BONUSES_TABLE = (
    "CREATE TABLE bonuses (id INTEGER PRIMARY KEY, contract_id INTEGER NOT NULL REFERENCES contracts (id), "
    "amount_minor INTEGER NOT NULL, source TEXT NOT NULL, reason TEXT NOT NULL, makeup_period TEXT, "
    "effective_date TEXT NOT NULL, entry_id INTEGER NOT NULL REFERENCES entries (id)) STRICT"
)
WORK_TIMES_TABLE = (
    "CREATE TABLE work_times (id INTEGER PRIMARY KEY, contract_id INTEGER NOT NULL REFERENCES contracts (id), "
    "minutes INTEGER NOT NULL, effective_date TEXT NOT NULL, note TEXT, "
    "entry_id INTEGER NOT NULL REFERENCES entries (id)) STRICT"
)
SCHEMA_9_INDEXES = (
    "CREATE INDEX idx_bonuses_contract_id ON bonuses (contract_id, effective_date)",
    "CREATE INDEX idx_bonuses_entry_id ON bonuses (entry_id)",
    "CREATE INDEX idx_bonuses_makeup_period ON bonuses (makeup_period) WHERE makeup_period IS NOT NULL",
    "CREATE INDEX idx_work_times_contract_id ON work_times (contract_id, effective_date)",
    "CREATE INDEX idx_work_times_entry_id ON work_times (entry_id)",
)
# Tables whose every row a migration changes the image of (a column added): the checkpoint
# that records the upgrade seals them again, so the chain holds each row as it is now.
RESEALED = {
    "m006_revisions_and_edits": ("campaigns",),
    "m009_exact_totals_bonuses_and_time": ("contracts",),
    "m010_tiers_and_fees": ("campaigns", "contracts"),
}
# The columns those migrations add to them, migration by migration: the checkpoint's image
# of a row may differ from the one sealed before the upgrade by those of the migrations it
# applied alone (verify), even a row in a final state.
ADDED_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "m006_revisions_and_edits": {"campaigns": ("revision_days", "reversal_days")},
    "m009_exact_totals_bonuses_and_time": {"contracts": ("exact_from_entry", "released_carry")},
    "m010_tiers_and_fees": {
        "campaigns": ("tiers", "tier_period", "fee_percent", "fee_min_minor", "minimum_wage_minor"),
        "contracts": ("tiers", "tier_period", "fees_minor", "funded_fees_minor"),
    },
}


MIGRATIONS: list[Callable[[Database], None]] = [
    m001_initial,
    m002_export_cursors,
    m003_facts_in_the_chain,
    m004_verified_head,
    m005_activity_index,
    m006_revisions_and_edits,
    m007_tokens,
    m008_sign_ins,
    m009_exact_totals_bonuses_and_time,
    m010_tiers_and_fees,
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
        now: list[str] = []
        for migration in MIGRATIONS:
            if migration.__name__ in applied:  # recorded by name, as sqlite-utils' and llm's are
                continue
            migration(db)
            now.append(migration.__name__)
            db.table("migrations").insert({"name": migration.__name__, "applied_at": stamp.recorded_at})
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION}")
        if fill is not None and version == 0:
            fill(conn)
        else:
            checkpoint(conn, stamp, created=version == 0, upgraded_from=version, applied=now)


def checkpoint(
    conn: sqlite3.Connection, stamp: Stamp, *, created: bool, upgraded_from: int = 0, applied: Sequence[str] = ()
) -> None:
    """The entry that records a new ledger or an upgrade. A new ledger, or one from before
    facts were sealed into the chain, gets every fact row's image sealed in it, so the chain
    covers all that came before; a ledger whose facts are sealed already gets an entry that
    seals again only the tables whose images the migrations just ``applied`` changed (``RESEALED``: a few
    campaigns, never the bills), so an upgrade costs little whatever the ledger's size."""
    from piecepay.store.facts import all_facts
    from piecepay.store.journal import EntryHeader, append_entry

    if created:
        memo, facts = "ledger created", all_facts(conn)
    elif upgraded_from < FACTS_SEALED_FROM:
        memo, facts = f"schema {LATEST_VERSION}: every fact so far sealed into the chain", all_facts(conn)
    else:
        changed = tuple(table for name in applied for table in RESEALED.get(name, ()))
        memo, facts = f"schema {LATEST_VERSION}: upgraded from schema {upgraded_from}", all_facts(conn, changed)
    header = EntryHeader("checkpoint", stamp.today, stamp.recorded_at, stamp.actor, memo)
    append_entry(conn, header, (), facts=facts)
