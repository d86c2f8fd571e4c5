"""Any request a client can send is answered, never with a server error: random JSON bodies,
query parameters, paths and headers against a real server, with every role's token. Whatever
is refused comes back as ``{"error": {"code", "message"}}`` with a 4xx status, and the ledger
still verifies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.serving import Server

PATHS = [
    ("GET", "/api/me"),
    ("GET", "/api/contracts"),
    ("GET", "/api/bills"),
    ("GET", "/api/bills/{bill}"),
    ("GET", "/api/bills/{bill}/proofs/{text}"),
    ("GET", "/api/report"),
    ("GET", "/api/statement"),
    ("POST", "/api/bills"),
    ("POST", "/api/bills/{bill}/release"),
    ("POST", "/api/bills/{bill}/reject"),
    ("POST", "/api/bills/{bill}/revise"),
    ("POST", "/api/bills/{bill}/resubmit"),
    ("POST", "/api/bills/{bill}/proofs"),
    ("POST", "/api/bills/release"),
    ("POST", "/api/bills/reject"),
    ("POST", "/bills"),
    ("POST", "/signin"),
    ("GET", "/"),
]
FIELDS = ["contract", "pieces", "note", "minutes", "proofs", "date", "reason", "bills", "by", "status", "worker"]
texts = st.one_of(
    st.sampled_from(["1", "5", "0", "-1", "2.5", "1e3", "photos/ana", "photos/bob", "audio/cy", "../x", "2026-11-02"]),
    st.text(max_size=30),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), texts)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=3))
bodies = st.one_of(st.dictionaries(st.sampled_from(FIELDS) | texts, values, max_size=5), values)
bill_refs = st.one_of(st.integers(-5, 2**64).map(str), texts.filter(lambda t: "/" not in t and t not in (".", "..")))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str], Any]]:
    """One server over a team ledger with a few bills, for every example of the module."""
    from tests.conftest import initialised
    from tests.serving import TODAY, set_up_team, start_server

    folder = tmp_path_factory.mktemp("fuzz")
    ledger = initialised(folder / "ledger.db")
    ledger.today = TODAY
    set_up_team(ledger)
    tokens = {"owner": ledger.ok("token", "create", "--role", "owner")["token"]}
    for handle in ("ana", "bob"):
        tokens[handle] = ledger.ok("token", "create", "--role", "worker", "--worker", handle)["token"]
    tokens["rev"] = ledger.ok("token", "create", "--role", "reviewer", "--campaign", "audio", "--name", "rev")["token"]
    for contract in ("photos/ana", "photos/bob", "audio/cy"):
        ledger.ok("bill", contract, "--pieces", "1")
    server = start_server(ledger.db, folder)
    yield server, tokens, ledger
    assert server.stop() == 0, server.log_text()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.sampled_from(PATHS),
    who=st.sampled_from(["owner", "ana", "bob", "rev", None, "junk"]),
    bill=bill_refs,
    text=st.text(max_size=70),
    body=bodies,
    params=st.dictionaries(st.sampled_from(FIELDS) | texts, texts, max_size=3),
    key=st.one_of(st.none(), st.from_regex(r"[!-~]([ -~]{0,18}[!-~])?", fullmatch=True)),
)
def test_no_request_meets_a_server_error(
    served: tuple[Server, dict[str, str], Any],
    route: tuple[str, str],
    who: str | None,
    bill: str,
    text: str,
    body: Any,
    params: dict[str, str],
    key: str | None,
) -> None:
    server, tokens, _ = served
    method, template = route
    path = template.replace("{bill}", _segment(bill)).replace("{text}", _segment(text))
    token = "pp_" + "x" * 43 if who == "junk" else tokens.get(who or "")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if key is not None:
        headers["Idempotency-Key"] = key
    with server.client() as http:
        if method == "GET":
            reply = http.get(path, params=params, headers=headers)
        else:
            reply = http.post(path, params=params, headers=headers, content=json.dumps(body, default=str))
    assert reply.status_code < 500, (method, path, reply.status_code, reply.text)
    if reply.status_code >= 400 and path.startswith("/api/"):
        document = reply.json()
        assert set(document) == {"error"} and set(document["error"]) == {"code", "message"}, document


def test_the_ledger_still_verifies_after_the_fuzz(served: tuple[Server, dict[str, str], Any]) -> None:
    server, _, ledger = served
    assert ledger.run("verify").code == 0
    assert " 500 " not in server.log_text()


def _segment(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="") or "x"
