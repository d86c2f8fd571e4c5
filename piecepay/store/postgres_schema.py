"""The PostgreSQL schema: the same named migrations as the SQLite file, in PostgreSQL's words.

Tables and columns mirror the SQLite schema exactly (TEXT for text, dates and decimal
rates, BIGINT for integers, no NUMERIC), so a row reads back as the same Python values on
both stores and the hash chain holds the same images. Text sorts by bytes (``COLLATE
"C"``), as SQLite's does. Ids are assigned as the largest so far plus one (writers are
serialised, and no sequence skips a number on a rollback), and references are checked at
commit, because rows point to the entry written last in their transaction.

Guards are triggers, as in the SQLite file, plus what PostgreSQL adds: TRUNCATE is
refused too, and rows are noted for sealing by permanent triggers that write to the
session's temporary ``touched`` table, so a session that did not set one up (psql, say)
cannot change a fact table at all.
"""

from __future__ import annotations

from piecepay.store.facts import COVERED, WATCHED_UPDATES
from piecepay.store.migrations import (
    APPEND_ONLY_TABLES,
    GUARD_RULES,
    GUARD_RULES_3,
    GUARD_RULES_6,
    GUARD_RULES_8,
    GUARD_RULES_9,
    REVISION_INDEXES,
    SCHEMA_9_INDEXES,
    GuardRules,
)

T = 'TEXT COLLATE "C"'
FK = "DEFERRABLE INITIALLY DEFERRED"

FUNCTIONS = {
    "piecepay_next_id": """
BEGIN
    IF NEW.id IS NULL THEN
        EXECUTE format('SELECT COALESCE(MAX(id), 0) + 1 FROM %I', TG_TABLE_NAME) INTO NEW.id;
    END IF;
    RETURN NEW;
END
""",
    "piecepay_refuse": """
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'raise_exception';
END
""",
    "piecepay_refuse_final": """
BEGIN
    IF OLD.status = ANY (TG_ARGV[1:]) THEN
        RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'raise_exception';
    END IF;
    RETURN NEW;
END
""",
    "piecepay_refuse_reopen": """
BEGIN
    IF OLD.status = TG_ARGV[1] AND NEW.status IS DISTINCT FROM TG_ARGV[2] THEN
        RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'raise_exception';
    END IF;
    RETURN NEW;
END
""",
    "piecepay_touch": """
BEGIN
    INSERT INTO pg_temp.touched (tbl, rid) VALUES (TG_TABLE_NAME, to_jsonb(NEW) ->> TG_ARGV[0])
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
""",
}


def _function(name: str) -> str:
    return f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body${FUNCTIONS[name]}$body$"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _trigger(name: str, timing: str, table: str, function: str, *args: str, row: bool = True) -> tuple[str, str]:
    """(name, the definition as PostgreSQL prints it back with pg_get_triggerdef)."""
    each = "ROW" if row else "STATEMENT"
    arguments = ", ".join(_quote(a) for a in args)
    return (
        name,
        f"CREATE TRIGGER {name} {timing} ON public.{table} FOR EACH {each} EXECUTE FUNCTION {function}({arguments})",
    )


ID_TABLES = ("campaigns", "workers", "accounts", "contracts", "entries", "postings", "milestones", "bills")
# The functions each migration creates (the others are there from the first).
FUNCTIONS_BY_MIGRATION = {"m006_revisions_and_edits": ("piecepay_refuse_reopen",)}

TABLES = {
    "m001_initial": [
        f"CREATE TABLE currencies (code {T} PRIMARY KEY, digits BIGINT)",
        f"""CREATE TABLE campaigns (
            id BIGINT PRIMARY KEY, slug {T} NOT NULL, title {T} NOT NULL, unit {T} NOT NULL, step {T} NOT NULL,
            rate {T} NOT NULL, currency {T} NOT NULL REFERENCES currencies (code) {FK}, budget_minor BIGINT,
            max_pieces_milli BIGINT, workers BIGINT, milestone_cap_minor BIGINT, review_days BIGINT NOT NULL,
            deadline {T}, status {T} NOT NULL, created_at {T} NOT NULL)""",
        "CREATE UNIQUE INDEX idx_campaigns_slug ON campaigns (slug)",
        f"""CREATE TABLE workers (
            id BIGINT PRIMARY KEY, handle {T} NOT NULL, name {T}, email {T}, created_at {T} NOT NULL)""",
        "CREATE UNIQUE INDEX idx_workers_handle ON workers (handle)",
        f"""CREATE TABLE accounts (
            id BIGINT PRIMARY KEY, name {T} NOT NULL, currency {T} NOT NULL REFERENCES currencies (code) {FK},
            debits_pending BIGINT NOT NULL DEFAULT 0, debits_posted BIGINT NOT NULL DEFAULT 0,
            credits_pending BIGINT NOT NULL DEFAULT 0, credits_posted BIGINT NOT NULL DEFAULT 0)""",
        "CREATE UNIQUE INDEX idx_accounts_name_currency ON accounts (name, currency)",
        f"""CREATE TABLE contracts (
            id BIGINT PRIMARY KEY, campaign_id BIGINT NOT NULL REFERENCES campaigns (id) {FK},
            worker_id BIGINT NOT NULL REFERENCES workers (id) {FK}, rate {T} NOT NULL, max_pieces_milli BIGINT,
            status {T} NOT NULL, offered_at {T} NOT NULL, accepted_on {T}, ended_on {T},
            escrow_account_id BIGINT REFERENCES accounts (id) {FK}, refunded_minor BIGINT NOT NULL DEFAULT 0,
            pieces_pending_milli BIGINT NOT NULL DEFAULT 0, pieces_released_milli BIGINT NOT NULL DEFAULT 0,
            pieces_rejected_milli BIGINT NOT NULL DEFAULT 0)""",
        "CREATE INDEX idx_contracts_campaign_id_worker_id ON contracts (campaign_id, worker_id)",
        "CREATE INDEX idx_contracts_status ON contracts (status)",
        f"""CREATE TABLE entries (
            id BIGINT PRIMARY KEY, kind {T} NOT NULL, contract_id BIGINT, bill_id BIGINT,
            effective_date {T} NOT NULL, recorded_at {T} NOT NULL, actor {T} NOT NULL, memo {T} NOT NULL,
            prev_hash {T} NOT NULL, hash {T} NOT NULL)""",
        "CREATE INDEX idx_entries_contract_id ON entries (contract_id)",
        f"""CREATE TABLE postings (
            id BIGINT PRIMARY KEY, entry_id BIGINT NOT NULL REFERENCES entries (id) {FK},
            account_id BIGINT NOT NULL REFERENCES accounts (id) {FK}, side {T} NOT NULL, phase {T} NOT NULL,
            amount BIGINT NOT NULL)""",
        "CREATE INDEX idx_postings_entry_id ON postings (entry_id)",
        f"""CREATE TABLE milestones (
            id BIGINT PRIMARY KEY, contract_id BIGINT NOT NULL REFERENCES contracts (id) {FK},
            seq BIGINT NOT NULL, top_up_minor BIGINT NOT NULL, cap_minor BIGINT, status {T} NOT NULL,
            opened_on {T} NOT NULL, entry_id BIGINT REFERENCES entries (id) {FK})""",
        "CREATE UNIQUE INDEX idx_milestones_contract_id_seq ON milestones (contract_id, seq)",
        f"""CREATE TABLE bills (
            id BIGINT PRIMARY KEY, contract_id BIGINT NOT NULL REFERENCES contracts (id) {FK},
            milestone_id BIGINT NOT NULL REFERENCES milestones (id) {FK}, pieces_milli BIGINT NOT NULL,
            rate {T} NOT NULL, amount_minor BIGINT NOT NULL, status {T} NOT NULL,
            released_pieces_milli BIGINT NOT NULL DEFAULT 0, released_minor BIGINT NOT NULL DEFAULT 0,
            reason {T}, note {T}, minutes BIGINT, proofs {T} NOT NULL DEFAULT '[]', effective_date {T} NOT NULL,
            resolved_on {T}, entry_id BIGINT NOT NULL REFERENCES entries (id) {FK},
            resolve_entry_id BIGINT REFERENCES entries (id) {FK})""",
        "CREATE INDEX idx_bills_milestone_id ON bills (milestone_id)",
        "CREATE INDEX idx_bills_contract_id_status ON bills (contract_id, status)",
        f"""CREATE TABLE idempotency_keys (
            key {T} PRIMARY KEY, command {T} NOT NULL, request {T} NOT NULL, result {T} NOT NULL,
            created_at {T} NOT NULL)""",
    ],
    "m002_export_cursors": [
        f"CREATE TABLE export_cursors (name {T} PRIMARY KEY, last_entry_id BIGINT NOT NULL, updated_at {T} NOT NULL)",
    ],
    "m003_facts_in_the_chain": [f"ALTER TABLE entries ADD COLUMN facts {T}"],
    "m004_verified_head": [
        f"""CREATE TABLE verified_head (
            id BIGINT PRIMARY KEY, entry_id BIGINT NOT NULL, hash {T} NOT NULL, sums {T} NOT NULL,
            verified_at {T} NOT NULL)""",
    ],
    "m005_activity_index": [
        "CREATE INDEX idx_entries_contract_id_effective_date ON entries (contract_id, effective_date)",
        "CREATE INDEX idx_bills_contract_id_status_effective_date ON bills (contract_id, status, effective_date)",
        "CREATE INDEX idx_campaigns_review_days ON campaigns (review_days)",
        "DROP INDEX idx_entries_contract_id",
        "DROP INDEX idx_bills_contract_id_status",
        "CREATE INDEX idx_bills_entry_id ON bills (entry_id)",
        "CREATE INDEX idx_bills_resolve_entry_id ON bills (resolve_entry_id) WHERE resolve_entry_id IS NOT NULL",
        "CREATE INDEX idx_milestones_entry_id ON milestones (entry_id)",
    ],
    "m006_revisions_and_edits": [
        "ALTER TABLE campaigns ADD COLUMN revision_days BIGINT",
        "ALTER TABLE campaigns ADD COLUMN reversal_days BIGINT",
        f"""CREATE TABLE revisions (
            id BIGINT PRIMARY KEY, bill_id BIGINT NOT NULL REFERENCES bills (id) {FK}, reason {T} NOT NULL,
            asked_on {T} NOT NULL, entry_id BIGINT NOT NULL REFERENCES entries (id) {FK}, status {T} NOT NULL,
            resolved_on {T}, resolve_entry_id BIGINT REFERENCES entries (id) {FK})""",
        *REVISION_INDEXES,
    ],
    "m007_tokens": [
        f"""CREATE TABLE tokens (
            id BIGINT PRIMARY KEY, name {T} NOT NULL, role {T} NOT NULL,
            worker_id BIGINT REFERENCES workers (id) {FK}, campaigns {T} NOT NULL, expires_on {T},
            hash {T} NOT NULL, created_at {T} NOT NULL, revoked_on {T})""",
        "CREATE UNIQUE INDEX idx_tokens_name ON tokens (name)",
        "CREATE UNIQUE INDEX idx_tokens_hash ON tokens (hash)",
    ],
    "m008_sign_ins": [
        f"""CREATE TABLE sign_ins (
            id BIGSERIAL PRIMARY KEY, token_id BIGINT NOT NULL REFERENCES tokens (id) {FK}, kind {T} NOT NULL,
            hash {T} NOT NULL, created_at {T} NOT NULL, expires_at {T} NOT NULL, used_at {T})""",
        "CREATE UNIQUE INDEX idx_sign_ins_hash ON sign_ins (hash)",
        "CREATE INDEX idx_sign_ins_token_id ON sign_ins (token_id)",
    ],
    "m009_exact_totals_bonuses_and_time": [
        # the contracts there are start their exact totals at the checkpoint that records the
        # upgrade (the next entry); a contract made since names the entry it starts from
        "DO $do$ BEGIN EXECUTE format('ALTER TABLE contracts ADD COLUMN exact_from_entry BIGINT NOT NULL DEFAULT %s', "
        "(SELECT COALESCE(MAX(id), 0) + 1 FROM entries)); END $do$",
        "ALTER TABLE contracts ALTER COLUMN exact_from_entry DROP DEFAULT",
        f"ALTER TABLE contracts ADD COLUMN released_carry {T} NOT NULL DEFAULT '0'",
        f"""CREATE TABLE bonuses (
            id BIGINT PRIMARY KEY, contract_id BIGINT NOT NULL REFERENCES contracts (id) {FK},
            amount_minor BIGINT NOT NULL, source {T} NOT NULL, reason {T} NOT NULL, makeup_period {T},
            effective_date {T} NOT NULL, entry_id BIGINT NOT NULL REFERENCES entries (id) {FK})""",
        f"""CREATE TABLE work_times (
            id BIGINT PRIMARY KEY, contract_id BIGINT NOT NULL REFERENCES contracts (id) {FK},
            minutes BIGINT NOT NULL, effective_date {T} NOT NULL, note {T},
            entry_id BIGINT NOT NULL REFERENCES entries (id) {FK})""",
        *SCHEMA_9_INDEXES,
    ],
    "m010_tiers_and_fees": [
        f"ALTER TABLE campaigns ADD COLUMN tiers {T}",
        f"ALTER TABLE campaigns ADD COLUMN tier_period {T}",
        f"ALTER TABLE campaigns ADD COLUMN fee_percent {T}",
        "ALTER TABLE campaigns ADD COLUMN fee_min_minor BIGINT",
        "ALTER TABLE campaigns ADD COLUMN minimum_wage_minor BIGINT",
        f"ALTER TABLE contracts ADD COLUMN tiers {T}",
        f"ALTER TABLE contracts ADD COLUMN tier_period {T}",
        "ALTER TABLE contracts ADD COLUMN fees_minor BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE contracts ADD COLUMN funded_fees_minor BIGINT NOT NULL DEFAULT 0",
    ],
}
MIGRATION_NAMES = tuple(TABLES)
# (table, column, the table it refers to, that table's key): what verify checks row by row,
# since whoever can drop a constraint can add a row that breaks it.
FOREIGN_KEYS = (
    ("campaigns", "currency", "currencies", "code"),
    ("accounts", "currency", "currencies", "code"),
    ("contracts", "campaign_id", "campaigns", "id"),
    ("contracts", "worker_id", "workers", "id"),
    ("contracts", "escrow_account_id", "accounts", "id"),
    ("postings", "entry_id", "entries", "id"),
    ("postings", "account_id", "accounts", "id"),
    ("milestones", "contract_id", "contracts", "id"),
    ("milestones", "entry_id", "entries", "id"),
    ("bills", "contract_id", "contracts", "id"),
    ("bills", "milestone_id", "milestones", "id"),
    ("bills", "entry_id", "entries", "id"),
    ("bills", "resolve_entry_id", "entries", "id"),
    ("revisions", "bill_id", "bills", "id"),
    ("revisions", "entry_id", "entries", "id"),
    ("revisions", "resolve_entry_id", "entries", "id"),
    ("tokens", "worker_id", "workers", "id"),
    ("bonuses", "contract_id", "contracts", "id"),
    ("bonuses", "entry_id", "entries", "id"),
    ("work_times", "contract_id", "contracts", "id"),
    ("work_times", "entry_id", "entries", "id"),
)


def _next_ids(tables: tuple[str, ...]) -> list[tuple[str, str]]:
    return [_trigger(f"{t}_next_id", "BEFORE INSERT", t, "piecepay_next_id") for t in tables]


def _touches(tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """The triggers that note each row of ``tables`` inserted or changed, for sealing."""
    return [_trigger(f"touch_{t}_i", "AFTER INSERT", t, "piecepay_touch", COVERED[t][0]) for t in tables] + [
        _trigger(
            f"touch_{t}_u",
            f"AFTER UPDATE OF {', '.join(WATCHED_UPDATES[t])}" if t in WATCHED_UPDATES else "AFTER UPDATE",
            t,
            "piecepay_touch",
            COVERED[t][0],
        )
        for t in tables
    ]


JOURNAL_GUARDS = [
    _trigger(
        f"{t}_no_{action.lower()}",
        f"BEFORE {action}",
        t,
        "piecepay_refuse",
        f"the journal is append-only: {t} cannot be {action.lower()}d",
    )
    for t in APPEND_ONLY_TABLES
    for action in ("UPDATE", "DELETE")
]
# The statuses each table's final states are, in PostgreSQL's guard (SQLite's says it in SQL).
FINAL_3 = {
    "campaigns": ("closed",),
    "contracts": ("declined", "ended", "withdrawn"),
    "milestones": ("closed",),
    "bills": ("rejected", "released"),
}
FINAL = {
    "campaigns": ("closed",),
    "contracts": ("declined", "ended", "withdrawn"),
    "milestones": ("closed",),
    "bills": ("released",),
    "revisions": ("closed", "resubmitted"),
}


def fact_guards(rules: GuardRules, final: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """The triggers that enforce ``rules`` (with ``final``: each table's final statuses)."""
    return (
        [
            _trigger(f"{t}_no_delete", "BEFORE DELETE", t, "piecepay_refuse", f"{t} rows are never deleted")
            for t in rules.tables
        ]
        + [
            _trigger(f"{t}_no_update", "BEFORE UPDATE", t, "piecepay_refuse", f"{t} rows never change")
            for t in rules.immutable
        ]
        + [
            _trigger(
                f"{t}_fixed",
                f"BEFORE UPDATE OF {columns}",
                t,
                "piecepay_refuse",
                f"{t}: these facts are fixed once written",
            )
            for t, columns in rules.fixed.items()
        ]
        + [
            _trigger(
                f"{t}_final",
                "BEFORE UPDATE",
                t,
                "piecepay_refuse_final",
                f"{t}: a final state never changes",
                *statuses,
            )
            for t, statuses in final.items()
        ]
        + [
            _trigger(
                f"{t}_reopened",
                "BEFORE UPDATE",
                t,
                "piecepay_refuse_reopen",
                f"{t}: a {was} row may only become {to}",
                was,
                to,
            )
            for t, (was, to, _) in rules.reopened.items()
        ]
        + [
            _trigger(f"{t}_no_truncate", "BEFORE TRUNCATE", t, "piecepay_refuse", f"{t} is never emptied", row=False)
            for t in (*rules.tables, *APPEND_ONLY_TABLES)
        ]
    )


FACT_GUARDS_3 = fact_guards(GUARD_RULES_3, FINAL_3)
FACT_GUARDS_6 = fact_guards(GUARD_RULES_6, FINAL)
FACT_GUARDS_8 = fact_guards(GUARD_RULES_8, FINAL)
FACT_GUARDS_9 = fact_guards(GUARD_RULES_9, FINAL)
FACT_GUARDS = fact_guards(GUARD_RULES, FINAL)
LATER_TABLES = ("revisions", "tokens", "bonuses", "work_times")  # made by migrations after the third
TOUCH = _touches(tuple(t for t in COVERED if t not in LATER_TABLES))
# (triggers made, triggers dropped) by each migration
TRIGGERS_BY_MIGRATION: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    "m001_initial": (_next_ids(ID_TABLES) + JOURNAL_GUARDS, []),
    "m002_export_cursors": ([], []),
    "m003_facts_in_the_chain": (FACT_GUARDS_3 + TOUCH, []),
    "m004_verified_head": ([], []),
    "m005_activity_index": ([], []),
    "m006_revisions_and_edits": (
        _next_ids(("revisions",)) + [g for g in FACT_GUARDS_6 if g not in FACT_GUARDS_3] + _touches(("revisions",)),
        [g for g in FACT_GUARDS_3 if g not in FACT_GUARDS_6],
    ),
    "m007_tokens": (
        _next_ids(("tokens",)) + [g for g in FACT_GUARDS_8 if g not in FACT_GUARDS_6] + _touches(("tokens",)),
        [g for g in FACT_GUARDS_6 if g not in FACT_GUARDS_8],
    ),
    "m008_sign_ins": ([], []),
    "m009_exact_totals_bonuses_and_time": (
        _next_ids(("bonuses", "work_times"))
        + [g for g in FACT_GUARDS_9 if g not in FACT_GUARDS_8]
        + _touches(("bonuses", "work_times")),
        [g for g in FACT_GUARDS_8 if g not in FACT_GUARDS_9],
    ),
    "m010_tiers_and_fees": (
        [g for g in FACT_GUARDS if g not in FACT_GUARDS_9],
        [g for g in FACT_GUARDS_9 if g not in FACT_GUARDS],
    ),
}


def guards_after(applied: tuple[str, ...] | frozenset[str]) -> dict[str, str]:
    """Every trigger a ledger with the migrations ``applied`` has, as printed back."""
    found: dict[str, str] = {}
    for name in MIGRATION_NAMES:
        if name in applied:
            made, dropped = TRIGGERS_BY_MIGRATION[name]
            for trigger, _ in dropped:
                del found[trigger]
            found.update(made)
    return found


def functions_after(applied: tuple[str, ...] | frozenset[str]) -> dict[str, str]:
    """Every function a ledger with the migrations ``applied`` has, by name, with its body."""
    later = {f for name, made in FUNCTIONS_BY_MIGRATION.items() if name not in applied for f in made}
    return {name: body for name, body in FUNCTIONS.items() if name not in later}


GUARDS = guards_after(MIGRATION_NAMES)  # every trigger a ledger has, as printed back


def migration_statements(name: str) -> list[str]:
    """Every statement of the migration ``name``: tables, then functions, then triggers
    (those it replaces dropped first)."""
    statements = list(TABLES[name])
    made_first = set(FUNCTIONS) - {f for made in FUNCTIONS_BY_MIGRATION.values() for f in made}
    made = made_first if name == "m001_initial" else FUNCTIONS_BY_MIGRATION.get(name, ())
    statements += [_function(f) for f in FUNCTIONS if f in made]
    created, dropped = TRIGGERS_BY_MIGRATION[name]
    statements += [f"DROP TRIGGER {trigger} ON {table_of(sql)}" for trigger, sql in dropped]
    statements += [definition for _, definition in created]
    return statements


def table_of(definition: str) -> str:
    return definition.split(" ON public.", 1)[1].split(" ", 1)[0]


# What the role piecepay writes with may do (README, Team ledger): read everything, add
# rows, change only what piecepay changes; never update or delete the journal.
WRITER_GRANTS = [
    "GRANT USAGE ON SCHEMA public TO {role}",
    "GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO {role}",
    "GRANT UPDATE ON campaigns, workers, accounts, contracts, milestones, bills, revisions, tokens, "
    "export_cursors, verified_head TO {role}",
    "GRANT UPDATE, DELETE ON sign_ins TO {role}",
    "GRANT USAGE ON SEQUENCE sign_ins_id_seq TO {role}",
]
