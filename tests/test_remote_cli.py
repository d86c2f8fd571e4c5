"""The remote command line: with PIECEPAY_URL and PIECEPAY_TOKEN set, bill, bill list, bill
show, release, reject, revise, resubmit and report ask a real ``piecepay serve`` process
(tests/serving.py) and print what the same command prints on a ledger, byte for byte, with
the same exit code; every other command refuses; the token is never printed."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

import pytest

from tests.conftest import Ledger, Result
from tests.serving import TODAY, Server, Team, free_port


def remote_env(team: Team, server: Server, token: str = "owner") -> dict[str, str]:
    return {"PIECEPAY_URL": server.url, "PIECEPAY_TOKEN": team.tokens.get(token, token)}


def remote(team: Team, server: Server, *args: str, token: str = "owner") -> Result:
    """``piecepay ARGS`` against the server (no --db), holding that the token is never printed."""
    result = team.ledger.run(*args, env=remote_env(team, server, token), db=False)
    secret = team.tokens.get(token, token)
    assert secret not in result.out and secret not in result.err, args
    return result


def same(local: Result, served: Result, args: tuple[str, ...]) -> None:
    assert (served.code, served.out, served.err) == (local.code, local.out, local.err), args


def twin_of(team: Team, tmp_path: Path) -> Ledger:
    """A consistent copy of the team's ledger, driven locally as the server's owner."""
    copy = tmp_path / "twin.db"
    team.ledger.ok("backup", str(copy))
    return Ledger(copy, today=TODAY)


def on_both(team: Team, server: Server, twin: Ledger, *args: str) -> tuple[Result, Result]:
    """``args`` on the twin, locally as 'owner', then on the server with the owner's token."""
    return twin.run("--actor", "owner", *args), remote(team, server, *args)


# --------------------------------------------------------------------------- the same output


# Each step runs on a local copy and on the server, in step; both must print the same.
STEPS: list[tuple[str, ...]] = [
    ("bill", "photos/ana", "--pieces", "2", "--note", "Cafe Lume\nfront", "--minutes", "30", "--key", "b1"),
    ("--json", "bill", "photos/bob", "--pieces", "1", "--proof", "https://example.com/a.zip", "--proof", "b.jpg"),
    ("bill", "audio/cy", "--pieces", "3", "--date", "2026-11-01"),
    ("bill", "photos/ana", "--pieces", "2", "--note", "Cafe Lume\nfront", "--minutes", "30", "--key", "b1"),
    ("bill", "photos/ana", "--pieces", "11"),  # 55.00 over the milestone's cap of 50.00: exit 1
    ("--json", "bill", "photos/ana", "--pieces", "11"),
    ("bill", "photos/nobody", "--pieces", "1"),  # exit 3
    ("bill", "photos/ana", "--pieces", "0"),  # exit 2, refused before asking
    ("release", "1", "--pieces", "1"),
    ("--json", "release", "2"),
    ("release", "2"),  # already released: exit 1
    ("release", "99"),  # exit 3
    ("--json", "release", "99"),
    ("bill", "photos/ana", "--pieces", "1"),  # 4
    ("bill", "photos/ana", "--pieces", "1"),  # 5
    ("bill", "photos/bob", "--pieces", "1"),  # 6
    ("bill", "photos/bob", "--pieces", "1"),  # 7
    ("bill", "audio/cy", "--pieces", "1"),  # 8
    ("release", "4", "5", "--key", "r45"),
    ("--json", "release", "4", "5", "--key", "r45"),  # replayed
    ("release", "6", "99"),  # all or none: exit 3, 6 stays pending (worded by the API)
    ("release", "6", "7", "--pieces", "1"),  # exit 2
    ("--json", "reject", "6", "7", "--reason", "blurry"),
    ("reject", "8", "--reason", "too quiet"),
    ("reject", "8", "--reason", "too quiet"),  # already rejected: exit 1
    ("revise", "3", "--reason", "retake minute two"),
    ("release", "3"),  # out for a revision: exit 1
    ("--json", "resubmit", "3", "--pieces", "2", "--note", "retaken", "--proof", "https://example.com/r.zip"),
    ("resubmit", "3"),  # pending again, not out for a revision: exit 1
    ("--json", "revise", "3", "--reason", "once more"),
    ("resubmit", "3", "--minutes", "45"),
    ("reject", "3", "--reason", ""),  # exit 2
    ("bill", "list"),
    ("--json", "bill", "list", "--status", "rejected"),
    ("bill", "list", "--campaign", "photos", "--format", "csv"),
    ("bill", "list", "--worker", "bob", "--format", "jsonl"),
    ("bill", "list", "--contract", "audio/cy", "--due-within", "14"),
    ("bill", "list", "--status", "revising"),  # empty
    ("bill", "list", "--older-than", "x"),  # exit 2
    ("report",),
    ("--json", "report", "--by", "contract"),
    ("report", "--by", "worker", "--format", "csv"),
    ("report", "--campaign", "audio", "--format", "jsonl"),
    ("report", "--by", "nothing"),  # exit 2
]


# Refusals the API words its own way: it finds each contract and bill the token names before
# acting, and words one that does not exist as one the token may not see (so nobody learns
# which). The exit code is the same; the words are not.
WORDED_BY_THE_API: set[tuple[str, ...]] = set()  # steps whose refusal the API words otherwise: none


def test_every_served_command_prints_what_it_prints_on_a_ledger(team: Team, tmp_path: Path) -> None:
    twin = twin_of(team, tmp_path)
    server = team.start()
    codes = set()
    for args in STEPS:
        local, served = on_both(team, server, twin, *args)
        if args in WORDED_BY_THE_API:
            assert (served.code, served.out) == (local.code, local.out) and served.err != local.err, args
        else:
            same(local, served, args)
        codes.add(served.code)
    assert codes == {0, 1, 2, 3}  # the steps did reach every kind of refusal


def test_bill_show_prints_what_it_prints_on_the_same_ledger(team: Team) -> None:
    ledger = team.ledger
    ledger.ok("bill", "photos/ana", "--pieces", "2", "--note", "first")
    ledger.ok("revise", "1", "--reason", "retake")
    ledger.ok("resubmit", "1", "--pieces", "1")
    ledger.ok("release", "1")
    server = team.start()
    for args in [("bill", "show", "1"), ("--json", "bill", "show", "#1"), ("bill", "show", "2"), ("bill", "show", "x")]:
        same(ledger.run(*args), remote(team, server, *args), args)
    assert remote(team, server, "bill", "show", "2").code == 3


def test_a_key_reused_with_another_request_exits_4_as_on_a_ledger(team: Team, tmp_path: Path) -> None:
    twin = twin_of(team, tmp_path)
    server = team.start()
    on_both(team, server, twin, "bill", "photos/ana", "--pieces", "1", "--key", "k1")
    local, served = on_both(team, server, twin, "--json", "bill", "photos/ana", "--pieces", "2", "--key", "k1")
    assert (served.code, served.out) == (local.code, local.out) == (4, "")
    assert served.error["code"] == local.error["code"] == "key_reused_with_different_request"
    assert "pieces was '1', now '2'" in served.error["message"]


# --------------------------------------------------------------------------- who may do what


def test_the_token_decides_who_may_act(team: Team) -> None:
    team.ledger.ok("bill", "photos/ana", "--pieces", "1")
    team.ledger.ok("bill", "audio/cy", "--pieces", "1")
    server = team.start()
    refused = remote(team, server, "--json", "release", "1", token="ana")
    assert (refused.code, refused.error["code"]) == (6, "forbidden")
    wrong = remote(team, server, "--json", "report", token="pp_" + "x" * 43)
    assert (wrong.code, wrong.error["code"]) == (6, "token_unknown")
    # outside a token's scope a bill is not found, as a missing one is
    hidden = remote(team, server, "release", "1", token="audio-rev")
    assert (hidden.code, hidden.err) == (3, team.ledger.run("release", "99").err.replace("99", "1"))
    assert remote(team, server, "--json", "release", "2", token="audio-rev").json["status"] == "released"
    # a worker bills on their own contract without naming it, and sees only their own bills
    assert remote(team, server, "--json", "bill", "--pieces", "2", token="bob").json["contract"] == "photos/bob"
    mine = remote(team, server, "--json", "bill", "list", token="bob").json
    assert [b["contract"] for b in mine] == ["photos/bob"]
    assert team.ledger.ok("bill", "show", "1")["status"] == "pending"  # the refused release wrote nothing


# --------------------------------------------------------------------------- servers that do not answer as one


def test_a_server_that_is_not_running_is_unreachable_exit_5(team: Team) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    before = team.ledger.dump()
    for args in [("report",), ("bill", "photos/ana", "--pieces", "1")]:
        result = team.ledger.run("--json", *args, env={"PIECEPAY_URL": url, "PIECEPAY_TOKEN": "pp_secret"}, db=False)
        assert (result.code, result.error["code"]) == (5, "server_unreachable")
        assert url in result.error["message"] and "pp_secret" not in result.err
    assert team.ledger.dump() == before


class Stub(http.server.BaseHTTPRequestHandler):
    """A server that is not piecepay: answers every request with ``reply``; records what it got."""

    reply: ClassVar[tuple[int, dict[str, str], bytes]] = (200, {}, b"")
    seen: ClassVar[list[dict[str, str]]] = []
    delay: ClassVar[float] = 0.0

    def do_GET(self) -> None:
        import time

        self.seen.append(dict(self.headers))
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(self.delay)
        status, headers, body = self.reply
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def stub(reply: tuple[int, dict[str, str], bytes], delay: float = 0.0) -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []
    handler = type("Handler", (Stub,), {"reply": reply, "seen": seen, "delay": delay})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def stubbed(ledger: Ledger, url: str, *args: str, **env: str) -> Result:
    result = ledger.run("--json", *args, env={"PIECEPAY_URL": url, "PIECEPAY_TOKEN": "pp_secret", **env}, db=False)
    assert "pp_secret" not in result.out + result.err
    assert result.out == "" and result.err.count("\n") == 1
    return result


@pytest.mark.parametrize(
    ("reply", "code", "error"),
    [
        ((200, {"Content-Type": "text/html"}, b"<html>hello</html>"), 5, "bad_reply"),
        ((502, {}, b"Bad Gateway"), 5, "bad_reply"),
        ((200, {}, b"[1, 2]"), 5, "bad_reply"),  # JSON, but no document
        ((500, {}, b'{"error": {"code": "internal_error", "message": "internal error"}}'), 5, "internal_error"),
        ((409, {}, b'{"error": {"code": "exceeds_cap", "message": "\\u001b[31mred"}}'), 1, "exceeds_cap"),
        ((404, {}, b'{"error": {"code": "Not A Code!", "message": "gone"}}'), 3, "not_found"),
        ((400, {}, b'{"error": {"code": "bad_field", "message": ""}}'), 5, "bad_reply"),
    ],
)
def test_a_reply_that_is_not_a_piecepay_document_is_a_storage_error(
    ledger: Ledger, reply: tuple[int, dict[str, str], bytes], code: int, error: str
) -> None:
    with stub(reply) as (url, seen):
        result = stubbed(ledger, url, "bill", "show", "1")
    assert (result.code, result.error["code"]) == (code, error)
    assert "\x1b" not in result.err  # a server's message is shown as any message is, escapes visible
    assert seen[0]["Authorization"] == "Bearer pp_secret"


def test_a_redirect_is_not_followed_so_the_token_stays_with_its_server(ledger: Ledger) -> None:
    with stub((200, {}, b"{}")) as (elsewhere, reached), stub((302, {"Location": elsewhere}, b"")) as (url, seen):
        result = stubbed(ledger, url, "report")
    assert (result.code, result.error["code"]) == (5, "bad_reply")
    assert len(seen) == 1 and reached == []


def test_a_server_that_does_not_answer_in_time_is_unreachable(ledger: Ledger) -> None:
    with stub((200, {}, b"{}"), delay=2) as (url, _):
        result = stubbed(ledger, url, "report", PIECEPAY_TIMEOUT="0.3")
    assert (result.code, result.error["code"]) == (5, "server_unreachable")
    assert "no answer within 0.3 s" in result.error["message"]


def test_the_url_may_carry_a_path_prefix_and_the_key_goes_in_a_header(ledger: Ledger) -> None:
    document = b'{"id": 1, "contract": "photos/ana", "status": "released"}'
    with stub((200, {}, document)) as (url, seen):
        result = ledger.run(
            "--json",
            "release",
            "1",
            "--key",
            "k 1",
            env={"PIECEPAY_URL": url + "/ledger/", "PIECEPAY_TOKEN": "pp_secret"},
            db=False,
        )
    assert result.code == 0 and result.json["status"] == "released"
    assert seen[0]["Idempotency-Key"] == "k 1"


# --------------------------------------------------------------------------- settings, and commands that are not served


NOT_SERVED = [
    ("verify",),
    ("campaign", "create", "X", "--slug", "x", "--rate", "1"),
    ("log",),
    ("init",),
    ("demo", "--quiet"),
    ("bill", "--from", "bills.csv"),
]


@pytest.mark.parametrize("args", NOT_SERVED, ids=" ".join)
def test_commands_that_are_not_served_refuse_while_piecepay_url_is_set(contract: Ledger, args: tuple[str, ...]) -> None:
    before = contract.dump()
    result = contract.run(*args, env={"PIECEPAY_URL": "http://127.0.0.1:9", "PIECEPAY_TOKEN": "pp_x"}, db=False)
    name = (
        "piecepay bill --from"
        if "--from" in args
        else "piecepay " + " ".join(args[:2] if args[0] == "campaign" else args[:1])
    )
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"piecepay: error: '{name}' works on a ledger (--db), not on a server; unset PIECEPAY_URL to run it\n"
    )
    assert contract.dump() == before


@pytest.mark.parametrize(
    ("env", "db", "words"),
    [
        ({"PIECEPAY_URL": "http://127.0.0.1:9"}, False, "PIECEPAY_URL is set but PIECEPAY_TOKEN is not"),
        ({"PIECEPAY_TOKEN": "pp_x"}, False, "PIECEPAY_TOKEN is set but PIECEPAY_URL is not"),
        ({"PIECEPAY_TOKEN": "pp_x"}, True, "PIECEPAY_TOKEN is set but PIECEPAY_URL is not"),
        ({"PIECEPAY_URL": "http://127.0.0.1:9", "PIECEPAY_TOKEN": "pp_x"}, True, "give only one of them"),
    ],
)
@pytest.mark.parametrize("args", [("report",), ("release", "1"), ("verify",)], ids=" ".join)
def test_half_a_server_setting_or_a_ledger_as_well_is_bad_input(
    contract: Ledger, env: dict[str, str], db: bool, words: str, args: tuple[str, ...]
) -> None:
    result = contract.run(*args, env=env, db=db)
    expected = words if args != ("verify",) or "only one" not in words else "works on a ledger"
    assert (result.code, result.out) == (2, "")
    assert expected in result.err and "pp_x" not in result.err
