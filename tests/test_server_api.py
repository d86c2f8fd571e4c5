"""The JSON API over a real server process on a loopback port: every role, every endpoint,
and every path a party must not take. Each refusal changes nothing (the ledger's dump is the
same before and after)."""

from __future__ import annotations

import hashlib
import struct
import zlib
from typing import Any

import pytest

from tests.serving import Server, Team

BOTH_STORES = True


def png() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def error(reply: Any, status: int, code: str | None = None) -> dict[str, str]:
    assert reply.status_code == status, reply.text
    found = reply.json()["error"]
    assert set(found) == {"code", "message"}
    if code is not None:
        assert found["code"] == code, found
    return dict(found)


def raw(server: Server, request: str) -> str:
    """Send a request as written (headers that a client library would not send) and read the
    reply's head and start, without sending the body it declares."""
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(server.url)
    received = b""
    with socket.create_connection((where.hostname, where.port), timeout=10) as conn:
        conn.sendall(request.encode())
        while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
    return received.decode(errors="replace")


def bill(server: Server, token: str, contract: str, pieces: str = "1", **extra: Any) -> dict[str, Any]:
    reply = server.post("/api/bills", token, {"contract": contract, "pieces": pieces, **extra})
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def test_a_worker_bills_and_the_owner_releases(team: Team) -> None:
    server = team.start()
    ana, owner = team.tokens["ana"], team.tokens["owner"]
    made = bill(server, ana, "photos/ana", "5", note="cafe")
    assert (made["amount"], made["amount_minor"], made["status"]) == ("25.00", 2500, "pending")
    released = server.post(f"/api/bills/{made['id']}/release", owner)
    assert released.status_code == 200 and released.json()["status"] == "released"
    actors = team.ledger.query(f"SELECT kind, actor FROM entries WHERE bill_id = {made['id']} ORDER BY id")
    assert actors == [("bill", "ana"), ("release", "owner")]
    assert team.ledger.run("verify").code == 0
    lines = [line for line in server.log_text().splitlines() if "/api/bills" in line]
    assert any(" POST /api/bills 201 " in line and line.endswith(" ana") for line in lines), lines


def test_results_are_the_command_lines_json(team: Team) -> None:
    server = team.start()
    made = bill(server, team.tokens["ana"], "photos/ana", "2")
    assert made == {k: v for k, v in team.ledger.ok("bill", "show", str(made["id"])).items() if k in made}
    shown = server.get(f"/api/bills/{made['id']}", team.tokens["owner"]).json()
    local = team.ledger.ok("bill", "show", str(made["id"]))
    assert shown == local
    assert server.get("/api/report", team.tokens["owner"]).json() == team.ledger.ok("report")
    listed = server.get("/api/bills", team.tokens["owner"], params={"status": "pending"}).json()
    assert listed == team.ledger.ok("bill", "list", "--status", "pending")


def test_a_worker_sees_only_their_own(team: Team) -> None:
    server = team.start()
    ana, bob = team.tokens["ana"], team.tokens["bob"]
    mine, theirs = bill(server, ana, "photos/ana"), bill(server, bob, "photos/bob")
    contracts = server.get("/api/contracts", ana).json()
    assert [k["ref"] for k in contracts] == ["photos/ana"]
    assert (contracts[0]["cap_left"], contracts[0]["available"], contracts[0]["rate"]) == ("45.00", "95.00", "5")
    assert "budget" not in contracts[0]
    assert [b["id"] for b in server.get("/api/bills", ana).json()] == [mine["id"]]
    statement = server.get("/api/statement", ana).json()
    assert statement["worker"] == "ana" and [b["id"] for b in statement["bills"]] == [mine["id"]]
    assert [row["worker"] for row in statement["rows"]] == ["ana"]
    # another worker's bill is exactly as missing as a bill that does not exist
    missing = error(server.get("/api/bills/999", ana), 404, "bill_not_found")
    other = error(server.get(f"/api/bills/{theirs['id']}", ana), 404, "bill_not_found")
    assert other["message"] == missing["message"].replace("999", str(theirs["id"]))
    for path in ("release", "reject", "revise", "resubmit", "proofs"):
        reply = server.post(
            f"/api/bills/{theirs['id']}/{path}", ana, {"reason": "x"} if path in ("reject", "revise") else None
        )
        assert reply.status_code in (403, 404), (path, reply.text)
    error(server.get("/api/statement", ana, params={"worker": "bob"}), 404, "worker_not_found")
    error(server.get("/api/bills", ana, params={"worker": "bob"}), 404, "worker_not_found")
    error(server.get("/api/bills", ana, params={"contract": "photos/bob"}), 404, "contract_not_found")


def test_a_worker_cannot_bill_on_anothers_contract(team: Team) -> None:
    server = team.start()
    before = team.ledger.dump()
    taken = error(server.post("/api/bills", team.tokens["ana"], {"contract": "photos/bob", "pieces": "1"}), 404)
    unknown = error(server.post("/api/bills", team.tokens["ana"], {"contract": "photos/zed", "pieces": "1"}), 404)
    assert taken["code"] == unknown["code"] == "contract_not_found"
    by_id = error(server.post("/api/bills", team.tokens["ana"], {"contract": "2", "pieces": "1"}), 404)
    assert by_id["code"] == "contract_not_found"
    assert team.ledger.dump() == before
    # left out, the worker's only active contract is billed
    assert bill(server, team.tokens["ana"], None)["contract"] == "photos/ana"  # type: ignore[arg-type]


def test_what_a_role_never_does_is_forbidden(team: Team) -> None:
    server = team.start()
    made = bill(server, team.tokens["ana"], "photos/ana")
    before = team.ledger.dump()
    for path, body in (("release", None), ("reject", {"reason": "no"}), ("revise", {"reason": "again"})):
        found = error(server.post(f"/api/bills/{made['id']}/{path}", team.tokens["ana"], body), 403, "forbidden")
        assert "worker's token cannot" in found["message"]
    error(server.post("/api/bills/release", team.tokens["ana"], {"bills": [made["id"]]}), 403, "forbidden")
    error(server.get("/api/report", team.tokens["ana"]), 403, "forbidden")
    error(server.post("/api/bills", team.tokens["rev"], {"contract": "photos/ana", "pieces": "1"}), 403, "forbidden")
    error(server.post(f"/api/bills/{made['id']}/resubmit", team.tokens["rev"], {}), 403, "forbidden")
    assert team.ledger.dump() == before


def test_a_reviewer_acts_only_within_their_campaigns(team: Team) -> None:
    server = team.start()
    photo, audio = bill(server, team.tokens["ana"], "photos/ana"), bill(server, team.tokens["cy"], "audio/cy")
    scoped = team.tokens["audio-rev"]
    before = team.ledger.dump()
    error(server.post(f"/api/bills/{photo['id']}/release", scoped), 404, "bill_not_found")
    error(server.post(f"/api/bills/{photo['id']}/reject", scoped, {"reason": "no"}), 404, "bill_not_found")
    error(server.get(f"/api/bills/{photo['id']}", scoped), 404, "bill_not_found")
    error(server.post("/api/bills/release", scoped, {"bills": [audio["id"], photo["id"]]}), 404, "bill_not_found")
    assert team.ledger.dump() == before
    assert [b["id"] for b in server.get("/api/bills", scoped).json()] == [audio["id"]]
    assert [r["campaign"] for r in server.get("/api/report", scoped).json()["rows"]] == ["audio"]
    by_worker = server.get("/api/report", scoped, params={"by": "worker"}).json()["rows"]
    assert [r["worker"] for r in by_worker] == ["cy"] and by_worker[0]["paid_out"] is None  # spans campaigns
    assert server.post(f"/api/bills/{audio['id']}/revise", scoped, {"reason": "noisy"}).json()["status"] == "revising"
    again = server.post(f"/api/bills/{audio['id']}/resubmit", team.tokens["cy"], {"note": "cleaned"})
    assert again.json()["status"] == "pending"
    done = server.post(f"/api/bills/{audio['id']}/reject", scoped, {"reason": "still noisy"}).json()
    assert (done["status"], done["reason"]) == ("rejected", "still noisy")
    assert team.ledger.query(f"SELECT actor FROM entries WHERE bill_id = {audio['id']} ORDER BY id") == [
        ("cy",),
        ("audio-rev",),
        ("cy",),
        ("audio-rev",),
    ]
    # the reviewer of every campaign releases several at once, all or none
    more = [bill(server, team.tokens["ana"], "photos/ana")["id"] for _ in range(2)]
    assert server.post(f"/api/bills/{photo['id']}/release", team.tokens["rev"]).status_code == 200
    refused = server.post("/api/bills/release", team.tokens["rev"], {"bills": [*more, photo["id"]]})
    error(refused, 409, "bill_already_released")
    assert {b["status"] for b in (server.get(f"/api/bills/{i}", team.tokens["rev"]).json() for i in more)} == {
        "pending"
    }
    released = server.post("/api/bills/release", team.tokens["rev"], {"bills": more})
    assert [b["status"] for b in released.json()] == ["released"] * 2


@pytest.mark.parametrize("how", ["wrong", "revoked", "expired", "none", "scheme"])
def test_a_token_that_is_not_good_is_unauthenticated(team: Team, how: str) -> None:
    if how == "revoked":
        team.ledger.ok("token", "revoke", str(team.ledger.ok("token", "list")[-1]["id"]))  # cy's
    if how == "expired":
        team.ledger.ok("token", "create", "--role", "owner", "--name", "old", "--expires", "2026-11-02")
    server = team.start(env={"PIECEPAY_TODAY": "2026-11-03"} if how == "expired" else None)
    token = {
        "wrong": "pp_" + "A" * 43,
        "revoked": team.tokens["cy"],
        "expired": team.ledger.ok("token", "create", "--role", "owner", "--expires", "2026-11-02")["token"],
        "none": None,
        "scheme": None,
    }[how]
    before = team.ledger.dump()
    headers = {"Authorization": f"Basic {team.tokens['owner']}"} if how == "scheme" else {}
    with server.client(token) as http:
        for reply in (
            http.get("/api/bills", headers=headers),
            http.post("/api/bills", json={"contract": "audio/cy", "pieces": "1"}, headers=headers),
            http.get("/api/contracts", headers=headers),
        ):
            found = error(reply, 401)
            assert reply.headers["www-authenticate"].startswith("Bearer")
            assert "pp_" not in found["message"]
    assert team.ledger.dump() == before


def test_every_post_takes_an_idempotency_key(team: Team) -> None:
    server = team.start()
    first = server.post("/api/bills", team.tokens["ana"], {"contract": "photos/ana", "pieces": "2"}, key="b-1")
    again = server.post("/api/bills", team.tokens["ana"], {"contract": "photos/ana", "pieces": "2"}, key="b-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    changed = server.post("/api/bills", team.tokens["ana"], {"contract": "photos/ana", "pieces": "3"}, key="b-1")
    error(changed, 422, "key_reused_with_different_request")
    # a key lives in its token's own space: bob's b-1 is a new bill of bob's, not ana's replayed
    bobs = server.post("/api/bills", team.tokens["bob"], {"contract": "photos/bob", "pieces": "2"}, key="b-1")
    assert bobs.status_code == 201 and bobs.json()["contract"] == "photos/bob"
    released = [server.post(f"/api/bills/{first.json()['id']}/release", team.tokens["owner"], key="r") for _ in "ab"]
    assert [r.status_code for r in released] == [200, 200] and released[0].json() == released[1].json()
    assert len(team.ledger.query("SELECT id FROM bills")) == 2


def test_bad_requests_are_refused_with_the_command_lines_codes(team: Team) -> None:
    server = team.start()
    ana, owner = team.tokens["ana"], team.tokens["owner"]
    before = team.ledger.dump()
    cases: list[tuple[Any, int, str]] = [
        ({"contract": "photos/ana"}, 400, "bad_field"),
        ({"contract": "photos/ana", "pieces": "0"}, 400, "not_positive"),
        ({"contract": "photos/ana", "pieces": 1.5}, 400, "not_whole"),
        ({"contract": "photos/ana", "pieces": True}, 400, "bad_field"),
        ({"contract": "photos/ana", "pieces": "11"}, 409, "exceeds_milestone_cap"),
        ({"contract": "photos/ana", "pieces": "1", "sneaky": 1}, 400, "bad_field"),
        ({"contract": "photos/ana", "pieces": "1", "note": "\x1b[31mred"}, 400, None),
        ({"contract": ["photos/ana"], "pieces": "1"}, 400, "bad_field"),
        ([1, 2], 400, "bad_json"),
    ]
    for body, status, code in cases:
        error(server.post("/api/bills", ana, body), status, code)
    with server.client(ana) as http:
        error(http.post("/api/bills", content=b"{not json"), 400, "bad_json")
        error(http.post("/api/bills", content=b'{"pieces": NaN}'), 400, "bad_json")
        error(http.post("/api/bills", content=b"[" * 100_000), 413, "body_too_large")
    error(server.get("/api/bills", owner, params={"status": "lost"}), 400, "bad_status")
    error(server.get("/api/bills", owner, params={"colour": "red"}), 400, "bad_parameter")
    error(server.get("/api/bills/abc", owner), 404, "bill_not_found")
    error(server.get("/api/nowhere", owner), 404, "not_found")
    error(server.post("/api/bills/1/reject", owner, {}), 400, "reason_required")
    error(server.post("/api/bills/1/release", owner, {"pieces": "1"}), 404, "bill_not_found")
    assert team.ledger.dump() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/bills/..%2F..%2Fetc%2Fpasswd",
        "/api/bills/1/proofs/..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/bills/1/proofs/" + "A" * 64,
        "/api/bills/%2e%2e",
        "/api/bills/1/proofs/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    ],
)
def test_dot_dot_in_any_name_finds_nothing(team: Team, path: str) -> None:
    server = team.start()
    bill(server, team.tokens["ana"], "photos/ana")
    with server.client(team.tokens["owner"]) as http:
        reply = http.get(path)
    assert reply.status_code in (400, 404), reply.text
    assert "root:" not in reply.text
    contract = server.post("/api/bills", team.tokens["ana"], {"contract": "photos/../bob", "pieces": "1"})
    error(contract, 404, "contract_not_found")


def test_proofs_are_uploaded_checked_and_fetched_by_those_who_may(team: Team) -> None:
    server = team.start(args=("--upload-limit", "1"))
    ana, bob, owner = team.tokens["ana"], team.tokens["bob"], team.tokens["owner"]
    made = bill(server, ana, "photos/ana")
    image = png()
    digest = hashlib.sha256(image).hexdigest()
    with server.client(ana) as http:
        added = http.post(f"/api/bills/{made['id']}/proofs", files={"file": ("../../cafe.png", image, "image/png")})
    assert added.status_code == 200, added.text
    assert added.json()["uploads"] == [digest]
    assert team.ledger.ok("bill", "show", str(made["id"]))["uploads"] == [digest]
    stored = list(server.proofs.rglob(digest))
    assert len(stored) == 1 and stored[0].read_bytes() == image and not (server.proofs.parent / "cafe.png").exists()
    for token in (ana, owner, team.tokens["rev"]):
        fetched = server.get(f"/api/bills/{made['id']}/proofs/{digest}", token)
        assert fetched.status_code == 200 and fetched.content == image
        assert fetched.headers["content-type"] == "image/png"
        assert fetched.headers["x-content-type-options"] == "nosniff"
    error(server.get(f"/api/bills/{made['id']}/proofs/{digest}", bob), 404, "bill_not_found")
    error(server.get(f"/api/bills/{made['id']}/proofs/{digest}", team.tokens["audio-rev"]), 404, "bill_not_found")
    error(server.get(f"/api/bills/{made['id']}/proofs/{'0' * 64}", ana), 404, "proof_not_found")
    before = team.ledger.dump()
    with server.client(ana) as http:
        disguised = http.post(
            f"/api/bills/{made['id']}/proofs", files={"file": ("photo.png", b"<script>alert(1)</script>", "image/png")}
        )
        error(disguised, 400, "proof_type_refused")
        exe = http.post(f"/api/bills/{made['id']}/proofs", files={"file": ("a.jpg", b"MZ\x90\x00" * 64, "image/jpeg")})
        error(exe, 400, "proof_type_refused")
        big = image + b"\x00" * (1024 * 1024)
        error(http.post(f"/api/bills/{made['id']}/proofs", files={"file": ("big.png", big)}), 413, "proof_too_large")
        error(http.post(f"/api/bills/{made['id']}/proofs", data={"note": "x"}), 400, None)
    declared = raw(
        server,
        f"POST /api/bills/{made['id']}/proofs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ana}\r\n"
        f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {50 * 1024 * 1024}\r\n\r\n",
    )
    assert declared.startswith("HTTP/1.1 413 ") and "proof_too_large" in declared
    with server.client(bob) as http:
        theirs = http.post(f"/api/bills/{made['id']}/proofs", files={"file": ("p.png", image)})
        error(theirs, 404, "bill_not_found")
    assert team.ledger.dump() == before
    assert [p.name for p in server.proofs.rglob("*") if p.is_file()] == [digest]
    # a released bill's claim is closed
    server.post(f"/api/bills/{made['id']}/release", owner)
    with server.client(ana) as http:
        closed = http.post(f"/api/bills/{made['id']}/proofs", files={"file": ("p.png", image)})
    error(closed, 409, "bill_not_open")
    assert team.ledger.run("verify").code == 0


def test_the_openapi_document_describes_every_route(team: Team) -> None:
    server = team.start()
    document = server.get("/api/openapi.json", None).json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert set(paths) >= {
        "/api/contracts",
        "/api/bills",
        "/api/bills/{bill}",
        "/api/bills/{bill}/proofs",
        "/api/bills/{bill}/release",
        "/api/bills/{bill}/reject",
        "/api/bills/{bill}/revise",
        "/api/bills/{bill}/resubmit",
        "/api/report",
        "/api/statement",
    }
    assert set(paths["/api/bills"]) == {"get", "post"}
    create = paths["/api/bills"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["required"] == ["pieces"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert "multipart/form-data" in paths["/api/bills/{bill}/proofs"]["post"]["requestBody"]["content"]


def test_what_other_processes_write_is_seen_at_once(team: Team) -> None:
    """The server keeps its connections open between requests: a token made or revoked by the
    command line counts from the next request, even after another process opened and closed
    the ledger and the server opened a connection of its own for a page's sign-in."""
    server = team.start()
    owner = team.tokens["owner"]
    assert server.get("/api/me", owner).status_code == 200
    with server.client() as http:  # a sign-in opens a connection of its own in the server's process
        page = http.get("/")
        nonce = page.cookies.get("piecepay_signin") or http.cookies.get("piecepay_signin")
        assert http.post("/signin", data={"csrf": nonce, "token": team.tokens["ana"]}).status_code == 303
    assert team.ledger.query("SELECT count(*) FROM workers")[0][0] == 3  # another process reads, closes
    made = team.ledger.ok("token", "create", "--role", "reviewer", "--name", "late")
    assert server.get("/api/me", made["token"]).json()["name"] == "late"
    team.ledger.ok("token", "revoke", str(made["id"]))
    error(server.get("/api/me", made["token"]), 401, "token_revoked")
    assert server.get("/api/bills", owner).status_code == 200
