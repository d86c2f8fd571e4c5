"""The PostgreSQL store, end to end through the real command line against a throwaway
server: the shared scenarios run here as they run on a file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import test_cli_seed
from tests.conftest import Ledger


@pytest.fixture
def pg_ledger(pg_url: str) -> Ledger:
    fresh = Ledger(pg_url)  # type: ignore[arg-type]  # --db takes a URL as it takes a path
    fresh.ok("init")
    return fresh


@pytest.fixture
def pg_contract(pg_ledger: Ledger) -> Iterator[Ledger]:
    pg_ledger.ok("campaign", "create", "Restaurant photos", "--slug", "photos", "--unit", "photo", "--rate", "5")
    pg_ledger.ok("worker", "add", "ana")
    pg_ledger.ok("offer", "create", "photos", "ana")
    pg_ledger.ok("offer", "accept", "photos/ana")
    yield pg_ledger


def test_seed_scenario_on_postgresql(pg_contract: Ledger) -> None:
    test_cli_seed.test_seed_scenario(pg_contract)


def test_seed_scenario_table_output_on_postgresql(pg_contract: Ledger) -> None:
    test_cli_seed.test_seed_scenario_table_output(pg_contract)


def test_init_twice_is_refused(pg_ledger: Ledger) -> None:
    again = pg_ledger.run("--json", "init")
    assert again.code == 1
    assert again.error["code"] == "ledger_exists"
