"""The web pages in a phone-sized Chromium against a real ``piecepay serve``: a worker bills 5
photos with a photo attached, a reviewer sees it with its image and releases it, the worker
sees it released; many bills released at once; a bill made over the API released by the client
through the page. The pages must raise no error (CSP refusals included)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tests.browser import Phone
from tests.serving import Server, Team
from tests.test_browser_harness import png

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


def sign_in(page: Page, server: Server, token: str) -> None:
    page.goto(server.url + "/")
    page.fill("input[name=token]", token)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("header .who")


def second_phone(browser: Browser, phone: Phone) -> Page:
    """Another phone (its own cookies), whose errors land in ``phone.errors`` too."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    page.on("console", phone._console)
    page.on("pageerror", phone._page_error)
    return page


def image_loaded(page: Page, selector: str) -> bool:
    return bool(page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0"))


def test_a_worker_bills_photos_from_a_phone_and_a_reviewer_releases_them(
    team: Team, phone: Phone, browser: Browser, screenshot: Callable[..., Path]
) -> None:
    server = team.start()
    page = phone.page
    sign_in(page, server, team.tokens["ana"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    form = page.locator("#contract-1 form.bill-form")
    form.locator("input[name=pieces]").fill("5")
    form.locator("input[name=note]").fill("<b>shelf 4</b>")
    form.locator("input[name=proof]").set_input_files(
        {"name": "shelf.png", "mimeType": "image/png", "buffer": png(40, 30)}
    )
    form.locator("button").click()
    page.wait_for_selector(".flash.ok")
    assert page.text_content(".flash.ok") == "Bill 1: 5 photos for 25.00 USD, pending."
    assert page.text_content("#bill-1 .note") == "Note: <b>shelf 4</b>"
    assert page.text_content("#bill-1 .status") == "pending"
    screenshot(page, "worker")

    reviewer = second_phone(browser, phone)
    try:
        sign_in(reviewer, server, team.tokens["rev"])
        assert reviewer.text_content("header .who") == "rev · reviewer"
        reviewer.wait_for_load_state("load")
        assert image_loaded(reviewer, "#bill-1 .proofs img")
        assert reviewer.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(reviewer, "reviewer")
        reviewer.click("#bill-1 button:has-text('Release all')")
        reviewer.wait_for_selector(".flash.ok")
        assert reviewer.text_content(".flash.ok") == "Bill 1 released (5 photos, 25.00 USD)."
        assert reviewer.locator("#bill-1").count() == 0
    finally:
        reviewer.context.close()

    page.reload()
    assert page.text_content("#bill-1 .status") == "released"
    earnings = page.locator(".earnings")
    assert earnings.locator("dt").all_text_contents()[:2] == ["Released to you", "Paid out"]
    assert earnings.locator("dd").all_text_contents()[:2] == ["25.00 USD", "0.00 USD"]
    screenshot(page, "worker-released")
    assert phone.errors == []


def test_a_reviewer_releases_two_selected_bills_at_once(team: Team, phone: Phone) -> None:
    server = team.start()
    for worker, contract in (("ana", "photos/ana"), ("bob", "photos/bob"), ("cy", "audio/cy")):
        reply = server.post("/api/bills", team.tokens[worker], {"contract": contract, "pieces": "2"})
        assert reply.status_code == 201
    page = phone.page
    sign_in(page, server, team.tokens["rev"])
    page.check("#bill-1 input[type=checkbox]")
    page.check("#bill-3 input[type=checkbox]")
    page.click("button:has-text('Release selected')")
    page.wait_for_selector(".flash.ok")
    assert page.text_content(".flash.ok") == (
        "Bill 1 released (2 photos, 10.00 USD); bill 3 released (2 minutes, 4.00 USD)."
    )
    assert [page.locator(f"#bill-{n}").count() for n in (1, 2, 3)] == [0, 1, 0]
    statuses = [server.get(f"/api/bills/{n}", team.tokens["owner"]).json()["status"] for n in (1, 2, 3)]
    assert statuses == ["released", "pending", "released"]
    assert phone.errors == []


def test_a_bill_made_over_the_api_is_released_by_the_client_on_the_page(
    team: Team, phone: Phone, screenshot: Callable[..., Path]
) -> None:
    server = team.start()
    made = server.post("/api/bills", team.tokens["ana"], {"contract": "photos/ana", "pieces": "5", "note": "aisle 2"})
    assert made.status_code == 201, made.text
    bill_id = made.json()["id"]
    page = phone.page
    sign_in(page, server, team.tokens["owner"])
    row = page.locator(f"#bill-{bill_id}")
    assert "aisle 2" in row.text_content()
    row.locator("button:has-text('Release all')").click()
    page.wait_for_selector(".flash.ok")
    screenshot(page, "owner-released")
    assert server.get(f"/api/bills/{bill_id}", team.tokens["ana"]).json()["status"] == "released"
    verified = team.ledger.run("verify")
    assert verified.code == 0, verified.err
    assert phone.errors == []
