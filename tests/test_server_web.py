"""The web pages over a real ``piecepay serve``: signing in (token, one-time link), the session
cookie's flags, CSRF and Origin checks that refuse before anything is written, who sees and does
what, escaping, and the security headers."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import httpx
import pytest

from piecepay.server.app import CSP
from tests.serving import Server, Team
from tests.test_browser_harness import png

CSRF = re.compile(r'name="csrf" value="([^"]*)"')
SESSION = "piecepay_session"


def csrf_in(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def browser(server: Server, **kwargs: Any) -> httpx.Client:
    """A client with no bearer token: cookies only, as a browser."""
    return httpx.Client(base_url=server.url, timeout=30, **kwargs)


def signed_in(server: Server, token: str) -> tuple[httpx.Client, str]:
    """A browser signed in with ``token``, and the CSRF field of its forms."""
    http = browser(server)
    form = http.get("/")
    assert form.status_code == 200 and 'action="/signin"' in form.text
    reply = http.post("/signin", data={"csrf": csrf_in(form), "token": token})
    assert reply.status_code == 303, reply.text
    home = http.get("/")
    assert home.status_code == 200
    return http, csrf_in(home)


def token_id(team: Team, name: str) -> str:
    return str(next(t["id"] for t in team.ledger.ok("token", "list") if t["name"] == name))


def api_bill(server: Server, team: Team, worker: str, contract: str, pieces: str = "2", **fields: Any) -> int:
    reply = server.post("/api/bills", team.tokens[worker], {"contract": contract, "pieces": pieces, **fields})
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def bill_status(server: Server, team: Team, bill_id: int) -> str:
    return str(server.get(f"/api/bills/{bill_id}", team.tokens["owner"]).json()["status"])


# ---------------------------------------------------------------- signing in


def test_signing_in_sets_a_strict_httponly_session_cookie(team: Team) -> None:
    server = team.start()
    with browser(server) as http:
        page = http.get("/")
        assert page.status_code == 200 and "Your token" in page.text
        reply = http.post("/signin", data={"csrf": csrf_in(page), "token": team.tokens["ana"]})
        assert reply.status_code == 303 and reply.headers["location"] == "/"
        cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith(SESSION + "="))
        flags = [part.strip().lower() for part in cookie.split(";")]
        assert cookie.startswith(f"{SESSION}=ps_")
        assert "httponly" in flags and "samesite=strict" in flags and "path=/" in flags
        assert "secure" not in flags  # plain http: a Secure cookie would never come back
        home = http.get("/")
        assert "photos/ana" in home.text and "photos/bob" not in home.text


def test_behind_https_the_session_cookie_is_secure(team: Team) -> None:
    server = team.start()
    proxied = {"X-Forwarded-Proto": "https"}
    with browser(server, headers=proxied) as http:
        page = http.get("/")
        nonce = page.cookies["piecepay_signin"]
        assert "secure" in page.headers["set-cookie"].lower()
        reply = http.post(
            "/signin",
            data={"csrf": csrf_in(page), "token": team.tokens["ana"]},
            headers={"Cookie": f"piecepay_signin={nonce}", "Origin": f"https://{server.url.split('//')[1]}"},
        )
        assert reply.status_code == 303, reply.text
        cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith(SESSION + "="))
        assert "secure" in [part.strip().lower() for part in cookie.split(";")]


def test_a_wrong_revoked_or_expired_token_cannot_sign_in(team: Team) -> None:
    team.token("--role", "worker", "--worker", "bob", "--name", "bob-old")
    team.token("--role", "worker", "--worker", "bob", "--name", "bob-short", "--expires", "2026-11-02")
    team.ledger.ok("token", "revoke", token_id(team, "bob-old"))
    server = team.start(env={"PIECEPAY_TODAY": "2026-11-03"})
    for secret in ("pp_not-a-token", team.tokens["bob-old"], team.tokens["bob-short"], ""):
        with browser(server) as http:
            page = http.get("/")
            reply = http.post("/signin", data={"csrf": csrf_in(page), "token": secret})
            assert reply.status_code == 401, (secret, reply.text)
            assert 'action="/signin"' in reply.text and 'class="flash error"' in reply.text
            assert SESSION not in http.cookies
            assert http.get("/").status_code == 200 and "Your contracts" not in http.get("/").text


def test_a_one_time_link_signs_in_once(team: Team) -> None:
    server = team.start()
    link = team.ledger.ok("token", "link", token_id(team, "ana"), "--url", server.url)["link"]
    path = link[len(server.url) :]
    with browser(server) as http:
        for _ in range(2):  # a link preview opening it twice uses nothing
            page = http.get(path)
            assert page.status_code == 200 and "Sign in with this link" in page.text
        reply = http.post(path, data={"csrf": csrf_in(page)})
        assert reply.status_code == 303 and http.cookies[SESSION].startswith("ps_")
        assert "photos/ana" in http.get("/").text
    with browser(server) as other:
        page = other.get(path)
        again = other.post(path, data={"csrf": csrf_in(page)})
        assert again.status_code == 401 and "used, expired or wrong" in again.text
        assert SESSION not in other.cookies


def test_signing_out_ends_the_session(team: Team) -> None:
    server = team.start()
    http, csrf = signed_in(server, team.tokens["ana"])
    secret = http.cookies[SESSION]
    reply = http.post("/signout", data={"csrf": csrf})
    assert reply.status_code == 303 and SESSION not in http.cookies
    with browser(server, cookies={SESSION: secret}) as replayed:
        page = replayed.get("/")
        assert page.status_code == 401 and "the session has ended" in page.text
        assert replayed.get("/api/contracts", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


# ---------------------------------------------------------------- CSRF and Origin


def test_a_post_without_its_csrf_field_changes_nothing(team: Team) -> None:
    server = team.start()
    bill_id = api_bill(server, team, "ana", "photos/ana")
    http, csrf = signed_in(server, team.tokens["owner"])
    ana, ana_csrf = signed_in(server, team.tokens["ana"])
    before = team.ledger.dump()
    photo = {"proof": ("shelf.png", png(2, 2), "image/png")}
    tries = [
        (http, f"/bills/{bill_id}/release", {}, None),
        (http, f"/bills/{bill_id}/release", {"csrf": "0" * 64}, None),
        (http, f"/bills/{bill_id}/release", {"csrf": "é" * 64}, None),
        (http, f"/bills/{bill_id}/reject", {"csrf": ana_csrf, "reason": "blurry"}, None),  # another session's
        (http, "/bills/many", {"bill": str(bill_id), "action": "release"}, None),
        (http, "/signout", {}, None),
        (ana, "/bills", {"contract": "photos/ana", "pieces": "1"}, photo),
        (ana, f"/bills/{bill_id}/resubmit", {"pieces": "1"}, None),
    ]
    for client, path, data, files in tries:
        reply = client.post(path, data=data, files=files)
        assert reply.status_code == 403, (path, reply.text)
        assert "out of date or came from another site" in reply.text
    # the right field, from another origin
    reply = http.post(f"/bills/{bill_id}/release", data={"csrf": csrf}, headers={"Origin": "https://evil.example"})
    assert reply.status_code == 403
    # a sign-in form without its double-submitted value
    with browser(server) as stranger:
        assert stranger.post("/signin", data={"csrf": "x", "token": team.tokens["ana"]}).status_code == 403
        stranger.get("/")  # its double-submit cookie, but an empty field
        assert stranger.post("/signin", data={"csrf": "", "token": team.tokens["ana"]}).status_code == 403
    assert team.ledger.dump() == before
    assert list(server.proofs.rglob("*.png")) == [] and not any(p.is_file() for p in server.proofs.rglob("*"))
    assert bill_status(server, team, bill_id) == "pending"
    assert http.post(f"/bills/{bill_id}/release", data={"csrf": csrf}).status_code == 303  # the session lives
    assert bill_status(server, team, bill_id) == "released"


# ---------------------------------------------------------------- who sees and does what


def test_a_worker_cannot_open_the_queue_or_act_on_bills(team: Team) -> None:
    server = team.start()
    ana_bill = api_bill(server, team, "ana", "photos/ana")
    bob_bill = api_bill(server, team, "bob", "photos/bob")
    http, csrf = signed_in(server, team.tokens["ana"])
    assert http.get("/queue").status_code == 403
    before = team.ledger.dump()
    assert http.post(f"/bills/{ana_bill}/release", data={"csrf": csrf}).status_code == 403
    assert http.post(f"/bills/{ana_bill}/reject", data={"csrf": csrf, "reason": "no"}).status_code == 403
    assert http.post("/bills/many", data={"csrf": csrf, "bill": str(ana_bill), "action": "release"}).status_code == 403
    refused = http.post(f"/bills/{bob_bill}/resubmit", data={"csrf": csrf})
    assert refused.status_code == 404 and f"no bill &#39;{bob_bill}&#39;" in refused.text
    assert team.ledger.dump() == before
    assert f"Bill {bob_bill} " not in http.get("/").text


def test_a_reviewer_of_audio_sees_no_photos_bill(team: Team) -> None:
    server = team.start()
    photos = api_bill(server, team, "ana", "photos/ana")
    audio = api_bill(server, team, "cy", "audio/cy", "3")
    http, csrf = signed_in(server, team.tokens["audio-rev"])
    page = http.get("/").text
    assert f'id="bill-{audio}"' in page and f'id="bill-{photos}"' not in page
    assert http.post(f"/bills/{photos}/release", data={"csrf": csrf}).status_code == 404
    assert bill_status(server, team, photos) == "pending"
    owner, _ = signed_in(server, team.tokens["owner"])
    both = owner.get("/").text
    assert both.index(f'id="bill-{photos}"') < both.index(f'id="bill-{audio}"')  # oldest first


# ---------------------------------------------------------------- billing and reviewing


def test_a_worker_bills_with_a_photo_and_a_reviewer_releases_part(team: Team) -> None:
    server = team.start()
    http, csrf = signed_in(server, team.tokens["ana"])
    home = http.get("/").text
    assert 'capture="environment"' in home and 'accept="image/*,application/pdf,audio/*,text/plain"' in home
    key = re.search(r'name="key" value="([^"]*)"', home)
    assert key is not None
    form = {"csrf": csrf, "contract": "photos/ana", "pieces": "5", "note": "shelf 4", "key": key.group(1)}
    photo = png(3, 2)
    reply = http.post("/bills", data=form, files={"proof": ("shelf.png", photo, "image/png")})
    assert reply.status_code == 303, reply.text
    again = http.post("/bills", data=form, files={"proof": ("shelf.png", photo, "image/png")})  # a double tap
    assert again.status_code == 303
    page = http.get("/")
    assert "Bill 1: 5 photos for 25.00 USD, pending." in page.text
    assert "piecepay_flash" in page.headers["set-cookie"]  # shown once, then cleared
    assert "Bill 1: 5 photos" not in http.get("/").text
    bills = server.get("/api/bills", team.tokens["owner"]).json()
    assert len(bills) == 1 and bills[0]["proofs"][0].startswith("sha256:")
    digest = bills[0]["proofs"][0].removeprefix("sha256:")
    rev, rev_csrf = signed_in(server, team.tokens["rev"])
    queue = rev.get("/").text
    assert f'<img src="/api/bills/1/proofs/{digest}"' in queue
    image = rev.get(f"/api/bills/1/proofs/{digest}")  # the page's image, by the session cookie
    assert image.status_code == 200 and image.content == photo
    done = rev.post("/bills/1/release", data={"csrf": rev_csrf, "pieces": "3"})
    assert done.status_code == 303
    assert "Bill 1 released (3 photos, 15.00 USD)." in rev.get("/").text
    mine = http.get("/").text
    assert "Released: 3 photos, 15.00 USD" in mine and "Released to you</dt><dd>15.00 USD" in mine


def test_a_refused_bill_says_why_as_text_and_writes_nothing(team: Team) -> None:
    server = team.start()
    http, csrf = signed_in(server, team.tokens["ana"])
    before = team.ledger.dump()
    reply = http.post("/bills", data={"csrf": csrf, "contract": "photos/ana", "pieces": "11"})
    assert reply.status_code == 303
    page = http.get("/").text
    assert 'class="flash error"' in page and "cap" in page
    reply = http.post(
        "/bills", data={"csrf": csrf, "contract": "photos/ana", "pieces": "1"}, files={"proof": ("a.svg", b"<svg/>")}
    )
    assert reply.status_code == 303 and 'class="flash error"' in http.get("/").text
    assert team.ledger.dump() == before


def test_revise_resubmit_and_reject_many(team: Team) -> None:
    server = team.start()
    first = api_bill(server, team, "ana", "photos/ana")
    second = api_bill(server, team, "bob", "photos/bob")
    rev, csrf = signed_in(server, team.tokens["rev"])
    assert rev.post(f"/bills/{first}/revise", data={"csrf": csrf, "reason": "crop them"}).status_code == 303
    ana, ana_csrf = signed_in(server, team.tokens["ana"])
    page = ana.get("/").text
    assert "Revision asked" in page and "crop them" in page and f'action="/bills/{first}/resubmit"' in page
    reply = ana.post(f"/bills/{first}/resubmit", data={"csrf": ana_csrf, "pieces": "1"})
    assert reply.status_code == 303 and f"Bill {first} sent back for review." in ana.get("/").text
    assert rev.post("/bills/many", data={"csrf": csrf, "action": "reject"}).status_code == 303
    assert "select at least one bill" in rev.get("/").text
    picked = {"csrf": csrf, "action": "reject", "bill": [str(first), str(second)], "reason": "late"}
    assert rev.post("/bills/many", data=picked).status_code == 303
    assert [bill_status(server, team, b) for b in (first, second)] == ["rejected", "rejected"]
    assert "Nothing to review." in rev.get("/").text


# ---------------------------------------------------------------- escaping and headers

SCRIPT = "<script>alert(1)</script>"


def test_user_text_is_escaped_everywhere(team: Team) -> None:
    server = team.start()
    http, csrf = signed_in(server, team.tokens["ana"])
    reply = http.post("/bills", data={"csrf": csrf, "contract": "photos/ana", "pieces": "1", "note": SCRIPT})
    assert reply.status_code == 303
    rev, rev_csrf = signed_in(server, team.tokens["rev"])
    assert rev.post("/bills/1/revise", data={"csrf": rev_csrf, "reason": '"><img src=x>'}).status_code == 303
    for page in (http.get("/").text, rev.get("/").text):
        assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<img src=x>" not in page and "&#34;&gt;&lt;img src=x&gt;" in page
    link = team.ledger.ok("token", "link", token_id(team, "ana"), "--url", server.url)["link"]
    assert SCRIPT not in http.get(link[len(server.url) :] + "<script>").text


@pytest.mark.parametrize("path", ["/", "/signin/pl_nothing"])
def test_pages_carry_the_security_headers(team: Team, path: str) -> None:
    server = team.start()
    with browser(server) as http:
        page = http.get(path)
        assert page.headers["content-security-policy"] == CSP
        assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "same-origin" and page.headers["cache-control"] == "no-store"
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page.text
        assert "<script" not in page.text and "style=" not in page.text and "<style" not in page.text
        css = http.get("/static/piecepay.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_hostile_forms_are_refused_as_text_and_write_nothing(team: Team) -> None:
    server = team.start(args=("--upload-limit", "1"))
    http, csrf = signed_in(server, team.tokens["ana"])
    before = team.ledger.dump()
    refusals = [
        ({"pieces": "1e3"}, None, "1e3"),
        ({"pieces": "-1"}, None, "-1"),
        ({"pieces": "1", "minutes": "NaN"}, None, "minutes"),
        ({"pieces": "1", "note": "a\x00b"}, None, "note"),
        ({"pieces": "1", "contract": "audio/cy"}, None, "no contract &#39;audio/cy&#39;"),
        ({"pieces": "1"}, [("proof", ("big.png", png(2, 2) + b"\0" * (1024 * 1024), "image/png"))], "limit"),
        ({"pieces": "1"}, [("proof", (f"{n}.png", png(1, 1), "image/png")) for n in range(11)], "refused"),
    ]
    for fields, files, said in refusals:
        reply = http.post("/bills", data={"csrf": csrf, "contract": "photos/ana", **fields}, files=files)
        assert reply.status_code in (303, 404), (fields, reply.text)
        shown = reply.text if reply.status_code == 404 else http.get("/").text
        assert said in shown, (fields, shown)
    no_bill = http.post("/bills/abc/release", data={"csrf": csrf})
    assert no_bill.status_code == 404 and no_bill.headers["content-type"].startswith("text/html")
    huge = http.post(
        "/bills/1/release",
        content=b"csrf=" + b"x" * 70_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert huge.status_code == 303 and "larger than the server takes" in http.get("/").text
    assert team.ledger.dump() == before
    assert not any(p.is_file() and "sha256" in p.parts for p in server.proofs.rglob("*"))


def test_a_worker_adds_proofs_to_an_open_bill_and_only_to_their_own(team: Team) -> None:
    server = team.start()
    mine = api_bill(server, team, "ana", "photos/ana")
    theirs = api_bill(server, team, "bob", "photos/bob")
    http, csrf = signed_in(server, team.tokens["ana"])
    assert f'action="/bills/{mine}/proofs"' in http.get("/").text
    photo = png(4, 4)
    digest = hashlib.sha256(photo).hexdigest()
    added = http.post(f"/bills/{mine}/proofs", data={"csrf": csrf}, files={"proof": ("p.png", photo, "image/png")})
    assert added.status_code == 303, added.text
    page = http.get("/").text
    assert f"Bill {mine}: 1 proof added." in page and "1 proof</p>" in page
    assert team.ledger.ok("bill", "show", str(mine))["uploads"] == [digest]
    rev, rev_csrf = signed_in(server, team.tokens["rev"])
    before = team.ledger.dump()
    files = {"proof": ("p.png", photo, "image/png")}
    assert http.post(f"/bills/{theirs}/proofs", data={"csrf": csrf}, files=files).status_code == 404
    assert http.post(f"/bills/{mine}/proofs", data={}, files=files).status_code == 403  # no CSRF field
    assert rev.post(f"/bills/{mine}/proofs", data={"csrf": rev_csrf}, files=files).status_code == 403
    assert team.ledger.dump() == before
    assert bill_status(server, team, mine) == "pending"
