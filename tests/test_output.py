"""The output sink: Rich tables in a terminal, plain text when piped, the contract from env."""

from __future__ import annotations

import pytest

from piecepay.cli import output
from tests.conftest import Ledger


@pytest.fixture
def billed(contract: Ledger) -> Ledger:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "100")
    contract.ok("bill", "--pieces", "2", "--note", "Cafe Lume")
    return contract


def test_piped_tables_are_plain_text(billed: Ledger) -> None:
    out = billed.run("report", "--by", "contract").out
    assert "\x1b[" not in out and "┃" not in out and "│" not in out
    assert out.splitlines()[1].split()[:4] == ["photos/ana", "active", "photo", "USD"]


def test_a_terminal_gets_a_rich_table(billed: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "to_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "200")
    out = billed.run("report", "--by", "contract").out
    assert "photos/ana" in out and ("┃" in out or "│" in out)
    assert "10.00" in out  # reserved


def test_piecepay_contract_names_the_contract_to_bill(billed: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    billed.ok("worker", "add", "ben")
    billed.ok("offer", "create", "photos", "ben")
    billed.ok("offer", "accept", "photos/ben")
    billed.ok("milestone", "add", "photos/ben", "--top-up", "10")
    assert billed.run("bill", "--pieces", "1").code == 2  # two active: ambiguous
    monkeypatch.setenv("PIECEPAY_CONTRACT", "photos/ben")
    assert billed.ok("bill", "--pieces", "1")["contract"] == "photos/ben"
