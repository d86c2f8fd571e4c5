"""--db as a place: a file path or a PostgreSQL URL, whose password is never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from piecepay.errors import BadInput
from piecepay.locations import ServerLedger, ledger_location, redacted


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://ana:s3cret@db.example:5432/ledger", "postgresql://ana:***@db.example:5432/ledger"),
        ("postgres://ana@db/ledger", "postgres://ana@db/ledger"),
        ("postgresql://ana:p%40ss@db/ledger?sslmode=require", "postgresql://ana:***@db/ledger?sslmode=require"),
        ("postgresql:///ledger?host=/run/pg&password=s3cret", "postgresql:///ledger?host=/run/pg&password=***"),
        ("postgresql://a:b:c@h/d", "postgresql://a:***@h/d"),
    ],
)
def test_passwords_are_hidden(url: str, shown: str) -> None:
    assert redacted(url) == shown
    assert ServerLedger(url).shown == shown == str(ServerLedger(url))
    assert "s3cret" not in shown


def test_a_path_stays_a_path_and_a_url_a_url() -> None:
    assert ledger_location("ledger.db") == Path("ledger.db")
    assert ledger_location("./postgresql:/x") == Path("postgresql:/x")
    assert ledger_location("postgresql://u@h/db") == ServerLedger("postgresql://u@h/db")
    assert ledger_location("POSTGRESQL://u@h/db") == ServerLedger("POSTGRESQL://u@h/db")


@pytest.mark.parametrize("url", ["postgresql://u:pw@h", "postgresql://u:pw@h:99999/db", "postgresql://u:pw@h/"])
def test_a_url_that_names_no_database_is_refused_without_its_password(url: str) -> None:
    with pytest.raises(BadInput) as caught:
        ledger_location(url)
    assert caught.value.code == "bad_url"
    assert "pw" not in caught.value.message
