"""Tampering with a server ledger as its superuser can (triggers disabled, functions
rewritten, constraints dropped): verify names each change, as it does on a file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import Ledger, initialised, with_contract


@pytest.fixture
def book(pg_url: str) -> Iterator[Ledger]:
    """A server ledger with a top-up, a released bill and a pending one."""
    ledger = with_contract(initialised(pg_url))
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "100")
    ledger.ok("release", str(ledger.ok("bill", "photos/ana", "--pieces", "2", "--note", "two")["id"]))
    ledger.ok("bill", "photos/ana", "--pieces", "1")
    assert ledger.ok("verify")["entries"] == 9
    yield ledger


def forge(server: Any, ledger: Ledger, *statements: str) -> None:
    """Run ``statements`` as the superuser with every piecepay trigger switched off."""
    dbname = urlsplit(str(ledger.db)).path.strip("/")
    tables = [t for (t,) in server.sql(dbname, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    off = "; ".join(f"ALTER TABLE {t} DISABLE TRIGGER USER" for t in tables)
    on = "; ".join(f"ALTER TABLE {t} ENABLE TRIGGER USER" for t in tables)
    server.sql(dbname, f"BEGIN; {off}; {'; '.join(statements)}; SET CONSTRAINTS ALL IMMEDIATE; {on}; COMMIT")


def fault(ledger: Ledger, *args: str) -> dict[str, str]:
    result = ledger.run("--json", "verify", *args)
    assert result.code == 5, result
    return result.error


def test_a_posting_amount_changed(book: Ledger, pg_server: Any) -> None:
    forge(pg_server, book, "UPDATE postings SET amount = amount + 100 WHERE entry_id = 7")
    assert fault(book)["code"] in {"entry_unbalanced", "entry_altered"}


def test_a_bill_note_changed_with_its_guards_off(book: Ledger, pg_server: Any) -> None:
    forge(pg_server, book, "UPDATE bills SET note = 'three' WHERE id = 1")
    assert fault(book) == {
        "code": "fact_altered",
        "message": "verify failed: bills row 1 differs from what entry 8 sealed (changed: note)",
    }


def test_a_guard_trigger_dropped(book: Ledger, pg_server: Any) -> None:
    pg_server.sql(urlsplit(str(book.db)).path.strip("/"), "DROP TRIGGER postings_no_update ON postings")
    assert fault(book) == {
        "code": "guard_missing",
        "message": "verify failed: the trigger postings_no_update that guards the ledger is gone",
    }


def test_the_refusing_function_rewritten_to_let_changes_through(book: Ledger, pg_server: Any) -> None:
    pg_server.sql(
        urlsplit(str(book.db)).path.strip("/"),
        "CREATE OR REPLACE FUNCTION piecepay_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    )
    assert fault(book) == {
        "code": "guard_altered",
        "message": "verify failed: the trigger function piecepay_refuse that guards the ledger was rewritten",
    }


def test_a_trigger_added(book: Ledger, pg_server: Any) -> None:
    pg_server.sql(
        urlsplit(str(book.db)).path.strip("/"),
        "CREATE TRIGGER zz_extra BEFORE INSERT ON bills FOR EACH ROW EXECUTE FUNCTION piecepay_next_id()",
    )
    assert fault(book)["code"] == "guard_added"


def test_the_journal_cut_back_is_caught_by_an_anchor(book: Ledger, pg_server: Any) -> None:
    head = book.ok("verify")
    forge(
        pg_server,
        book,
        "DELETE FROM postings WHERE entry_id = 9",
        "DELETE FROM bills WHERE entry_id = 9",
        "UPDATE contracts SET pieces_pending_milli = 0",
        "UPDATE accounts SET debits_pending = 0, credits_pending = 0",
        "DELETE FROM entries WHERE id = 9",
        "DELETE FROM verified_head",  # the record of the head verify proved, which is gone
    )
    anchor = f"{head['entries']}:{head['head']}"
    assert book.ok("verify")["entries"] == 8  # a consistent, shorter ledger: only the anchor knows
    assert fault(book, "--expect", anchor) == {
        "code": "anchor_entry_missing",
        "message": "verify failed: --expect 9 says entry 9 existed, but the ledger has only 8 entries: "
        "it was truncated or rolled back to an older copy",
    }


def test_a_reference_to_nothing_is_found_once_its_constraint_is_dropped(book: Ledger, pg_server: Any) -> None:
    from piecepay.locations import ServerLedger
    from piecepay.store.postgres import PostgresStore, open_ledger

    dbname = urlsplit(str(book.db)).path.strip("/")
    pg_server.sql(dbname, "ALTER TABLE bills DROP CONSTRAINT bills_milestone_id_fkey")
    forge(pg_server, book, "UPDATE bills SET milestone_id = 99 WHERE id = 2")
    where = ServerLedger(str(book.db))
    store = PostgresStore(open_ledger(where, write=False), where)
    try:
        assert store.broken_reference() == ("bills", 2, "milestones")
    finally:
        store.close()
