"""The JSON API over a real server process on a loopback port: every role, every endpoint,
and every path a party must not take."""

from __future__ import annotations

from tests.serving import Team

BOTH_STORES = True


def test_a_worker_bills_and_the_owner_releases(team: Team) -> None:
    server = team.start()
    ana, owner = team.tokens["ana"], team.tokens["owner"]
    made = server.post("/api/bills", ana, {"contract": "photos/ana", "pieces": "5", "note": "cafe"})
    assert made.status_code == 201, made.text
    bill = made.json()
    assert (bill["amount"], bill["status"], bill["contract"]) == ("25.00", "pending", "photos/ana")
    released = server.post(f"/api/bills/{bill['id']}/release", owner)
    assert released.status_code == 200 and released.json()["status"] == "released"
    actors = team.ledger.query(f"SELECT kind, actor FROM entries WHERE bill_id = {bill['id']} ORDER BY id")
    assert actors == [("bill", "ana"), ("release", "owner")]
    assert team.ledger.run("verify").code == 0
