"""A headless Chromium for the tests of the web pages: one browser per session, a fresh phone per test.

Registered for every test module by ``pytest_plugins`` in tests/conftest.py; then a test asks for

- ``phone``: a Phone, a new browser context the size of a phone (390x844 CSS pixels at 2x, touch) with
  one ``page``; every console error and uncaught page error lands in ``phone.errors``. The test must
  leave that list empty: errors still in it when the test ends fail the test at teardown, so a test
  that provokes one on purpose asserts it and then clears the list.
- ``screenshot``: ``screenshot(page, "name")`` saves a PNG under test-artifacts/screenshots/ at the
  repository's root, named after the test and ``name``, and returns its path. A test using ``phone``
  that fails leaves a screenshot of the page there as well.
- ``browser`` (a Playwright Browser) and ``chromium_path``, for a test that wants its own contexts.

The browser is the system's Chromium (Debian's ``chromium`` at /usr/bin/chromium, or the program named
by PIECEPAY_CHROMIUM) driven by Playwright's Python package, whose driver ships inside its wheel:
nothing is downloaded, neither at install nor here. Without Chromium or Playwright the tests that
use these fixtures skip locally and fail under CI (CI=true), as the PostgreSQL ones do.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.postgres import unavailable

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Error, Page

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
INSTALL_HINT = "Chromium not installed: apt-get install chromium"
# The tests' machine may have no network at all: without these Chromium keeps reaching for Google's
# services (component updates, sync, QUIC probes) and logs every refused connection.
LAUNCH_ARGS = (
    "--no-sandbox",  # the tests may run as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
TIMEOUT_MS = 10_000  # a page on 127.0.0.1 answers at once: fail fast rather than after Playwright's 30 s
_FAILED = pytest.StashKey[bool]()


def find_chromium() -> Path | None:
    """The Chromium to drive: PIECEPAY_CHROMIUM if set, else /usr/bin/chromium; None if not executable."""
    path = Path(os.environ.get("PIECEPAY_CHROMIUM") or DEFAULT_CHROMIUM)
    return path if path.is_file() and os.access(path, os.X_OK) else None


@dataclass
class Phone:
    """A phone-sized browser context with one page, and the errors its pages reported so far."""

    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location
            self.errors.append(f"console: {message.text} ({where.get('url', '')}:{where.get('lineNumber', '')})")

    def _page_error(self, error: Error) -> None:
        self.errors.append(f"page error: {error.name}: {error.message}")


def _file_name(test: str, name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{test}-{name}").strip("-.")[:150] + ".png"


def save_screenshot(page: Page, test: str, name: str) -> Path:
    """Save what ``page`` shows (the whole page, not only the viewport) as a PNG; its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / _file_name(test, name)
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.when == "call" and report.failed:
        item.stash[_FAILED] = True  # for the phone fixture's teardown, which runs after this
    return report


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """The Chromium program the browser runs; skips (fails under CI) when there is none."""
    path = find_chromium()
    if path is None:
        named = os.environ.get("PIECEPAY_CHROMIUM")
        unavailable(f"PIECEPAY_CHROMIUM={named} is not an executable file" if named else INSTALL_HINT)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Browser]:
    """One headless Chromium for the session, with a fresh profile in a temporary folder; closed at the end."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        unavailable(f"playwright not importable ({error}): pip install -e '.[test]'")
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=list(LAUNCH_ARGS),
        )
        try:
            yield launched
        finally:
            launched.close()
    finally:
        playwright.stop()


@pytest.fixture
def phone(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Phone]:
    """A fresh phone-sized context and page; fails the test if errors are left in ``phone.errors``."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},  # CSS pixels of a common phone
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-US",
        timezone_id="UTC",
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    device = Phone(context, page)
    context.on("console", device._console)
    context.on("weberror", lambda web_error: device._page_error(web_error.error))
    try:
        yield device
        if request.node.stash.get(_FAILED, False):
            with contextlib.suppress(Exception):  # a crashed page must not hide the test's own failure
                save_screenshot(page, request.node.name, "failed")
    finally:
        context.close()
    if device.errors:
        pytest.fail("the page reported errors:\n" + "\n".join(device.errors), pytrace=False)


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """``screenshot(page, name)``: save the page as test-artifacts/screenshots/<test>-<name>.png; its path."""

    def take(page: Page, name: str) -> Path:
        return save_screenshot(page, request.node.name, name)

    return take
