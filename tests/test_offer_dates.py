"""`offer accept --date`: a contract accepted on an earlier day takes bills dated since then."""

from __future__ import annotations

import json

from tests.conftest import Ledger

BOTH_STORES = True
TODAY = "2026-11-20"


def offered(ledger: Ledger) -> Ledger:
    ledger.today = TODAY
    ledger.ok("campaign", "create", "Photos", "--slug", "photos", "--unit", "photo", "--rate", "5")
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "photos", "ana")
    return ledger


def test_an_acceptance_dated_earlier_lets_bills_date_back_to_it(ledger: Ledger) -> None:
    book = offered(ledger)
    contract = book.ok("offer", "accept", "photos/ana", "--date", "2026-11-02")
    assert (contract["status"], contract["accepted_on"]) == ("active", "2026-11-02")
    book.ok("milestone", "add", "photos/ana", "--top-up", "100")
    assert book.ok("bill", "photos/ana", "--pieces", "1", "--date", "2026-11-02")["date"] == "2026-11-02"
    refused = book.run("--json", "bill", "photos/ana", "--pieces", "1", "--date", "2026-11-01")
    assert refused.code == 1 and json.loads(refused.err)["error"]["code"] == "date_before_contract"
    accepted = [e for e in book.ok("log") if e["kind"] == "offer_accepted"]
    assert [(e["date"], e["contract"]) for e in accepted] == [("2026-11-02", "photos/ana")]


def test_today_is_the_latest_acceptance_date(ledger: Ledger) -> None:
    book = offered(ledger)
    before = book.dump()
    late = book.run("--json", "offer", "accept", "photos/ana", "--date", "2026-11-21")
    assert late.code == 2 and json.loads(late.err)["error"]["code"] == "date_in_future"
    assert book.dump() == before
    assert book.ok("offer", "accept", "photos/ana", "--date", TODAY)["accepted_on"] == TODAY


def test_without_a_date_the_acceptance_is_today(ledger: Ledger) -> None:
    assert offered(ledger).ok("offer", "accept", "photos/ana")["accepted_on"] == TODAY
