"""The PostgreSQL store, end to end through the real command line against a throwaway
server: the shared scenarios run here as they run on a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from piecepay.store.postgres_schema import MIGRATION_NAMES, TRIGGERS_BY_MIGRATION, table_of
from tests import test_cli_seed
from tests.conftest import Ledger, initialised, with_contract


@pytest.fixture
def pg_ledger(pg_url: str) -> Ledger:
    return initialised(pg_url)


@pytest.fixture
def pg_contract(pg_ledger: Ledger) -> Ledger:
    return with_contract(pg_ledger)


def test_seed_scenario_on_postgresql(pg_contract: Ledger) -> None:
    test_cli_seed.test_seed_scenario(pg_contract)


def test_seed_scenario_table_output_on_postgresql(pg_contract: Ledger) -> None:
    test_cli_seed.test_seed_scenario_table_output(pg_contract)


def test_init_twice_is_refused(pg_ledger: Ledger) -> None:
    again = pg_ledger.run("--json", "init")
    assert again.code == 1
    assert again.error["code"] == "ledger_exists"


def _rows(ledger: Ledger) -> list[str]:
    """Every row but the record of when each schema step ran and where verify last left off."""
    return [
        line
        for line in ledger.dump().splitlines()
        if not line.startswith(('INSERT INTO "migrations"', 'INSERT INTO "verified_head"'))
    ]


def _head(ledger: Ledger) -> tuple[int, str]:
    proof = ledger.ok("verify")
    return proof["entries"], proof["head"]


def test_copy_from_a_file_to_postgresql_and_back_keeps_the_head(contract: Ledger, pg_url: str, tmp_path: Path) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "100", "--cap", "30")
    contract.ok("release", str(contract.ok("bill", "--pieces", "3", "--note", "Café ✓")["id"]))
    contract.ok("bill", "--pieces", "1")
    revised = str(contract.ok("bill", "--pieces", "1")["id"])
    contract.ok("revise", revised, "--reason", "crop it")  # a revision open, and one resubmitted
    contract.ok("resubmit", revised)
    contract.ok("revise", revised, "--reason", "crop it again")
    contract.ok("campaign", "edit", "photos", "--title", "Photos, edited")
    contract.ok("bonus", "photos/ana", "--amount", "2", "--reason", "rush")
    contract.ok("time", "photos/ana", "--minutes", "30", "--note", "training")
    contract.ok("campaign", "create", "Rows", "--slug", "rows", "--rate", "0.004", "--tier", "3:0.01", "--fee", "10%")
    contract.ok("offer", "create", "rows", "ana")
    contract.ok("offer", "accept", "rows/ana")
    contract.ok("milestone", "add", "rows/ana", "--top-up", "1")
    contract.ok("release", str(contract.ok("bill", "rows/ana", "--pieces", "5")["id"]))
    head = _head(contract)

    there = contract.ok("copy", str(contract.db), pg_url)
    assert (there["entries"], there["head"]) == head
    on_server = Ledger(pg_url)  # type: ignore[arg-type]
    assert _head(on_server) == head
    assert on_server.ok("report") == contract.ok("report")

    back = tmp_path / "back.db"
    home = contract.ok("copy", pg_url, str(back))
    assert (home["entries"], home["head"]) == head
    assert _head(Ledger(back)) == head
    assert _rows(Ledger(back)) == _rows(contract)  # every row the same but those records

    # the copy on the server is a working ledger: it chains on from the same head
    on_server.ok("bill", "photos/ana", "--pieces", "1")
    assert _head(on_server)[0] == head[0] + 1


def test_copy_refuses_a_destination_that_holds_anything(contract: Ledger, pg_ledger: Ledger, tmp_path: Path) -> None:
    before = _head(pg_ledger)
    onto_ledger = contract.run("--json", "copy", str(contract.db), str(pg_ledger.db))
    assert (onto_ledger.code, onto_ledger.error["code"]) == (1, "ledger_exists")
    onto_file = contract.run("--json", "copy", str(contract.db), str(contract.db))
    assert onto_file.code in (1, 2)
    assert _head(pg_ledger) == before


def test_backup_of_a_server_ledger_is_a_verified_file(pg_contract: Ledger, tmp_path: Path) -> None:
    pg_contract.ok("milestone", "add", "photos/ana", "--top-up", "100", "--cap", "25")
    pg_contract.ok("bill", "--pieces", "2")
    head = _head(pg_contract)
    done = pg_contract.ok("backup", str(tmp_path / "copy.db"))
    assert (done["entries"], done["head"]) == head
    assert _head(Ledger(tmp_path / "copy.db")) == head


def test_the_writer_role_cannot_update_or_delete_the_journal(pg_server: Any, tmp_path: Path) -> None:
    """Privileges, not only triggers: the role piecepay writes with may add entries but the
    database refuses it any UPDATE or DELETE of the journal, even with the triggers gone."""
    import psycopg

    owner_url = pg_server.new_database()
    writer_url = pg_server.new_role("piecepay_writer", database=owner_url)
    Ledger(owner_url).ok("init", "--writer", "piecepay_writer")  # type: ignore[arg-type]
    writer = Ledger(writer_url)  # type: ignore[arg-type]
    writer.ok("campaign", "create", "Rows", "--slug", "rows", "--unit", "row", "--rate", "0.01")
    writer.ok("worker", "add", "ana")
    writer.ok("offer", "create", "rows", "ana")
    writer.ok("offer", "accept", "rows/ana")
    writer.ok("milestone", "add", "rows/ana", "--top-up", "10")
    dbname = urlsplit(owner_url).path.strip("/")
    pg_server.sql(dbname, "ALTER TABLE postings DISABLE TRIGGER USER; ALTER TABLE entries DISABLE TRIGGER USER")
    with psycopg.connect(writer_url, autocommit=True) as conn:
        for statement in (
            "UPDATE postings SET amount = amount + 1",
            "DELETE FROM postings",
            "UPDATE entries SET memo = 'x'",
            "DELETE FROM entries",
            "DELETE FROM bills",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    pg_server.sql(dbname, "ALTER TABLE postings ENABLE TRIGGER USER; ALTER TABLE entries ENABLE TRIGGER USER")
    assert writer.ok("verify")["entries"] == 6


# What schemas 6 to 10 added besides triggers, undone (tables, columns, functions), latest first.
UNDONE: dict[str, tuple[str | None, list[str]]] = {
    "m010_tiers_and_fees": (
        None,
        [
            "ALTER TABLE campaigns DROP COLUMN tiers, DROP COLUMN tier_period, DROP COLUMN fee_percent, "
            "DROP COLUMN fee_min_minor, DROP COLUMN minimum_wage_minor",
            "ALTER TABLE contracts DROP COLUMN tiers, DROP COLUMN tier_period, DROP COLUMN fees_minor, "
            "DROP COLUMN funded_fees_minor",
        ],
    ),
    "m009_exact_totals_bonuses_and_time": (
        "bonuses",
        ["DROP TABLE work_times", "ALTER TABLE contracts DROP COLUMN exact_from_entry, DROP COLUMN released_carry"],
    ),
    "m008_sign_ins": ("sign_ins", []),
    "m007_tokens": ("tokens", []),
    "m006_revisions_and_edits": (
        "revisions",
        [
            "ALTER TABLE campaigns DROP COLUMN revision_days, DROP COLUMN reversal_days",
            "DROP FUNCTION piecepay_refuse_reopen",
        ],
    ),
}


def _downgrade(pg_server: Any, url: str) -> None:
    """Make a server ledger what piecepay made at schema 5: no tokens, no revisions, no
    revision or reversal windows, and the guards of that schema."""
    statements = []
    for name, (table, rest) in UNDONE.items():
        made, dropped = TRIGGERS_BY_MIGRATION[name]
        if table is not None:
            statements.append(f"DROP TABLE {table}")
        statements += [f"DROP TRIGGER {t} ON {table_of(sql)}" for t, sql in made if table_of(sql) != table]
        statements += [sql for _, sql in dropped] + rest + [f"DELETE FROM migrations WHERE name = '{name}'"]
    pg_server.sql(urlsplit(url).path.strip("/"), "; ".join(statements))


def test_an_older_server_ledger_is_upgraded_when_opened_by_its_owner(pg_server: Any) -> None:
    """A ledger at schema 5 (here one with a worker and no campaign yet, taken back to that
    schema) is upgraded by the first command its owner runs, even one that only reads: the
    migration and one checkpoint entry, in one transaction; its history still proves out, and
    it then takes revisions."""
    owner = Ledger(pg_server.new_database())  # type: ignore[arg-type]
    owner.ok("init")
    owner.ok("worker", "add", "ana")
    head = owner.ok("verify")
    _downgrade(pg_server, str(owner.db))
    assert ("m006_revisions_and_edits",) not in owner.query("SELECT name FROM migrations")
    assert owner.ok("report")["rows"] == []
    log = owner.ok("log")
    upgrade = f"schema {len(MIGRATION_NAMES)}: upgraded from schema 5"
    assert [(e["kind"], e["memo"]) for e in log[-1:]] == [("checkpoint", upgrade)]
    assert ("m006_revisions_and_edits",) in owner.query("SELECT name FROM migrations")
    assert owner.ok("verify", "--expect", f"{head['entries']}:{head['head']}")["entries"] == len(log)
    owner.ok("campaign", "create", "Photos", "--rate", "5")
    owner.ok("offer", "create", "photos", "ana")
    owner.ok("offer", "accept", "photos/ana")
    owner.ok("milestone", "add", "photos/ana", "--top-up", "10")
    owner.ok("bill", "photos/ana", "--pieces", "1")
    assert owner.ok("revise", "1", "--reason", "crop it")["status"] == "revising"
    assert owner.ok("verify")["checkpoint_recorded"] is True


def test_only_the_owner_upgrades_a_server_ledger_and_its_writer_keeps_its_rights(pg_server: Any) -> None:
    """The role init --writer named cannot alter tables, so it is told who can upgrade the
    ledger; once the owner has (by any command), the writer may write the new table's rows
    (a revision) as it writes everything else."""
    owner_url = pg_server.new_database()
    writer_url = pg_server.new_role("piecepay_upgrade_writer", database=owner_url)
    owner = Ledger(owner_url)  # type: ignore[arg-type]
    owner.ok("init", "--writer", "piecepay_upgrade_writer")
    writer = Ledger(writer_url)  # type: ignore[arg-type]
    writer.ok("worker", "add", "ana")
    _downgrade(pg_server, owner_url)
    for args in (("worker", "add", "ben"), ("report",)):
        refused = writer.run("--json", *args)
        assert (refused.code, refused.error["code"]) == (5, "ledger_needs_upgrade")
        assert "only the role owning its tables can upgrade" in refused.error["message"]
    assert ("m006_revisions_and_edits",) not in owner.query("SELECT name FROM migrations")
    owner.ok("worker", "add", "ben")
    assert writer.ok("worker", "add", "cy")["handle"] == "cy"
    writer.ok("campaign", "create", "Photos", "--rate", "5")
    writer.ok("offer", "create", "photos", "cy")
    writer.ok("offer", "accept", "photos/cy")
    writer.ok("milestone", "add", "photos/cy", "--top-up", "10")
    writer.ok("bill", "photos/cy", "--pieces", "1")
    assert writer.ok("revise", "1", "--reason", "crop it")["status"] == "revising"
    assert writer.ok("verify")["checkpoint_recorded"] is True


def test_a_password_in_the_url_is_never_printed(pg_server: Any) -> None:
    url = pg_server.new_role("secretive", password="hunter2-s3cret")
    wrong = url.replace("hunter2-s3cret", "not-the-pw-9z")
    for attempt in (wrong, wrong.replace("/postgres?", "/no_such_db?"), url.replace("/postgres?", "/no_such_db?")):
        for args in (("report",), ("--json", "report"), ("--json", "init")):
            result = Ledger(attempt).run(*args)  # type: ignore[arg-type]
            assert result.code in (3, 5), result
            assert "hunter2" not in result.out + result.err and "not-the-pw" not in result.out + result.err
            assert "***" in result.err


def test_a_database_that_holds_no_ledger_is_not_taken_for_one(pg_server: Any) -> None:
    url = pg_server.new_database()
    result = Ledger(url).run("--json", "report")  # type: ignore[arg-type]
    assert (result.code, result.error["code"]) == (5, "not_a_ledger")
    pg_server.sql(urlsplit(url).path.strip("/"), "CREATE TABLE stuff (x int)")
    refused = Ledger(url).run("--json", "init")  # type: ignore[arg-type]
    assert (refused.code, refused.error["code"]) == (1, "ledger_exists")


def test_a_ledger_from_a_newer_piecepay_is_refused_untouched(pg_ledger: Ledger, pg_server: Any) -> None:
    dbname = urlsplit(str(pg_ledger.db)).path.strip("/")
    pg_server.sql(dbname, "INSERT INTO migrations (name, applied_at) VALUES ('m999_future', 'x')")
    before = pg_server.sql(dbname, "SELECT COUNT(*) FROM entries")
    result = pg_ledger.run("--json", "worker", "add", "bo")
    assert (result.code, result.error["code"]) == (5, "ledger_too_new")
    assert pg_server.sql(dbname, "SELECT COUNT(*) FROM entries") == before


def test_hand_edits_through_psql_are_refused_by_the_guards(pg_contract: Ledger, pg_server: Any) -> None:
    import psycopg

    pg_contract.ok("milestone", "add", "photos/ana", "--top-up", "100")
    dbname = urlsplit(str(pg_contract.db)).path.strip("/")
    for statement in (
        "UPDATE postings SET amount = 1",
        "DELETE FROM entries",
        "TRUNCATE bills, revisions",
        "UPDATE campaigns SET rate = '50'",
        "INSERT INTO workers (handle, created_at) VALUES ('ghost', 'now')",
    ):
        with pytest.raises(psycopg.Error, match=r"append-only|never|fixed|touched|emptied"):
            pg_server.sql(dbname, statement)
    assert pg_contract.ok("verify")["entries"] == 6


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ana:pw@/led\x1b[2Jger?host=/nonexistent-piecepay",
        "postgresql://an\u202ea:pw@/ledger?host=/nonexistent-piecepay",
        "postgresql://ana:pw@/ledger?host=/nonexistent-piecepay&options=-c%20x%3D\x07",
    ],
)
def test_a_hostile_url_is_shown_escaped_and_without_its_password(url: str, tmp_path: Path) -> None:
    result = Ledger(url).run("report")  # type: ignore[arg-type]
    assert result.code in (2, 3, 5), result
    assert "\x1b" not in result.err and "\u202e" not in result.err and "\x07" not in result.err
    assert ":pw@" not in result.err
    assert len(result.err.splitlines()) == 1


def test_a_copy_takes_every_fact_table_along() -> None:
    """Every table whose rows are facts sealed into the chain is copied (and so is the record
    of exports), parents before children."""
    from piecepay.store.copy import TABLES
    from piecepay.store.migrations import FACT_TABLES

    copied = [table for table, _ in TABLES]
    assert set(FACT_TABLES) <= set(copied)
    assert copied.index("contracts") < copied.index("bonuses") and copied.index("entries") < copied.index("work_times")
