"""Tokens through the real command line, on both stores: `token create` prints a secret
once and the ledger keeps only its SHA-256; `token list` shows terms and state, never a
secret; `token revoke` ends one; each is an entry of the journal, its row a sealed fact."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.conftest import Ledger

BOTH_STORES = True

TODAY = "2026-11-20"


@pytest.fixture
def party(contract: Ledger) -> Ledger:
    """photos/ana, a second campaign 'menus' and a second worker 'bo'."""
    contract.today = TODAY
    contract.ok("campaign", "create", "Menus", "--slug", "menus", "--unit", "row", "--rate", "0.01")
    contract.ok("worker", "add", "bo")
    return contract


def refusal(ledger: Ledger, *args: str) -> tuple[int, str]:
    result = ledger.run("--json", *args)
    assert result.out == ""
    return result.code, json.loads(result.err)["error"]["code"]


def test_a_token_is_shown_once_and_kept_only_as_its_digest(party: Ledger) -> None:
    made = party.ok("token", "create", "--role", "worker", "--worker", "ana", "--expires", "2026-12-31")
    secret = made["token"]
    assert secret.startswith("pp_") and len(secret) > 40
    assert (made["id"], made["name"], made["role"], made["worker"], made["expires_on"], made["state"]) == (
        1,
        "ana",
        "worker",
        "ana",
        "2026-12-31",
        "active",
    )
    assert party.query("SELECT hash FROM tokens") == [(hashlib.sha256(secret.encode()).hexdigest(),)]
    assert secret not in party.dump()  # not in any row, entry or sealed fact
    listed = party.ok("token", "list")
    assert [t["name"] for t in listed] == ["ana"] and "token" not in listed[0]
    for fmt in ("table", "csv", "jsonl", "json"):
        shown = party.run("token", "list", "--format", fmt).out
        assert secret not in shown and made["id"] is not None
        assert hashlib.sha256(secret.encode()).hexdigest() not in shown
    assert secret not in party.run("log").out
    text = party.run("token", "create", "--role", "reviewer", "--campaign", "photos").out
    assert "Keep it now: it is not shown again." in text and "pp_" in text


def test_names_roles_and_campaigns(party: Ledger) -> None:
    assert party.ok("token", "create", "--role", "owner")["name"] == "owner"
    assert party.ok("token", "create", "--role", "owner")["name"] == "owner-2"
    reviewer = party.ok("token", "create", "--role", "reviewer", "--campaign", "menus", "--campaign", "photos")
    assert (reviewer["name"], reviewer["campaigns"]) == ("reviewer", "menus, photos")
    named = party.ok("token", "create", "--role", "worker", "--worker", "bo", "--name", "Bo's phone")
    assert (named["name"], named["worker"]) == ("Bo's phone", "bo")
    assert refusal(party, "token", "create", "--role", "reviewer", "--name", "Bo's phone") == (1, "token_exists")
    log = party.ok("log", "--kind", "token_created")
    assert [e["memo"] for e in log][2:] == [
        "token 3 created: reviewer (reviewer; campaigns menus, photos)",
        "token 4 created: Bo's phone (worker bo)",
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--role", "worker"), (2, "worker_required")),
        (("--role", "owner", "--worker", "ana"), (2, "conflicting_options")),
        (("--role", "reviewer", "--worker", "ana"), (2, "conflicting_options")),
        (("--role", "owner", "--campaign", "photos"), (2, "conflicting_options")),
        (("--role", "admin"), (2, "bad_role")),
        (("--role", "worker", "--worker", "cy"), (3, "worker_not_found")),
        (("--role", "reviewer", "--campaign", "posters"), (3, "campaign_not_found")),
        (("--role", "reviewer", "--expires", "2026-11-19"), (2, "date_in_past")),
        (("--role", "reviewer", "--expires", "2026-02-30"), (2, "bad_date")),
    ],
)
def test_tokens_refused(party: Ledger, args: tuple[str, ...], expected: tuple[int, str]) -> None:
    before = party.dump()
    assert refusal(party, "token", "create", *args) == expected
    assert party.dump() == before


def test_a_token_lasts_through_its_last_day_and_is_revoked_once(party: Ledger) -> None:
    party.ok("token", "create", "--role", "reviewer", "--expires", TODAY)  # today itself is a last day
    party.ok("token", "create", "--role", "worker", "--worker", "ana")
    assert [t["state"] for t in party.ok("token", "list")] == ["active", "active"]
    assert [t["state"] for t in party.ok("token", "list", today="2026-11-21")] == ["expired", "active"]
    revoked = party.ok("token", "revoke", "2")
    assert (revoked["state"], revoked["revoked_on"]) == ("revoked", TODAY)
    assert party.ok("log")[-1]["memo"] == "token 2 revoked: ana (worker ana)"
    before = party.dump()
    assert refusal(party, "token", "revoke", "2") == (1, "token_revoked")
    assert refusal(party, "token", "revoke", "9") == (3, "token_not_found")
    assert refusal(party, "token", "revoke", "x") == (3, "token_not_found")
    assert party.dump() == before
    assert party.ok("verify")["ok"] is True


@pytest.mark.sqlite_only
def test_a_token_changed_by_hand_is_caught(party: Ledger) -> None:
    """A token's digest swapped in its row (to let another secret in): the row no longer
    equals what the chain sealed, and the guard that refuses the edit had to go first."""
    import sqlite3

    party.ok("token", "create", "--role", "owner")
    conn = sqlite3.connect(party.db)
    with pytest.raises(sqlite3.IntegrityError, match="fixed once written"):
        conn.execute("UPDATE tokens SET hash = 'forged'")
    conn.execute("DROP TRIGGER tokens_fixed")
    conn.execute("UPDATE tokens SET hash = 'forged'")
    conn.commit()
    conn.close()
    result = party.run("--json", "verify")
    assert result.code == 5
    assert json.loads(result.err)["error"]["code"] in ("fact_altered", "guard_missing")
