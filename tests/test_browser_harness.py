"""The browser fixtures (tests/browser.py) do what the page tests rely on: a phone-sized page that clicks,
picks a photo and is photographed, and errors on the page that fail the test instead of passing unseen."""

from __future__ import annotations

import http.server
import os
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests import browser as harness
from tests.browser import Phone
from tests.conftest import ROOT

CSP = "default-src 'self'; img-src 'self' data: blob:"  # data: for the empty icon, so none is fetched
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>harness</title><link rel="icon" href="data:,"><script src="/app.js" defer></script></head>
<body>
<p id="status">waiting</p>
<button id="go">Bill 1 piece</button>
<label>Photo <input id="photo" type="file" accept="image/*" capture="environment"></label>
<p id="picked">none</p>
</body></html>
"""
SCRIPT = """
document.getElementById("go").addEventListener("click", () => {
  document.getElementById("status").textContent = "billed at " + window.innerWidth + "px";
});
document.getElementById("photo").addEventListener("change", (event) => {
  const file = event.target.files[0];
  document.getElementById("picked").textContent = file.name + " " + file.type + " " + file.size;
});
"""
Route = tuple[str, bytes]  # content type, body


def png(width: int, height: int) -> bytes:
    """A valid grey PNG of the given size, made here so that the test needs no image file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))  # filter 0, one grey byte a pixel
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@contextmanager
def serving(routes: dict[str, Route], csp: str = CSP) -> Iterator[str]:
    """Serve ``routes`` (path to content type and body) on 127.0.0.1 from a thread; the base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path not in routes:
                self.send_error(404)
                return
            kind, body = routes[self.path]
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", csp)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep the test's output to what failed

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)  # shutdown waits a poll
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def app(page: str = PAGE, script: str = SCRIPT) -> dict[str, Route]:
    return {
        "/": ("text/html; charset=utf-8", page.encode()),
        "/app.js": ("text/javascript", script.encode()),
    }


def test_a_phone_clicks_picks_a_photo_and_is_photographed(
    phone: Phone, screenshot: Callable[..., Path], tmp_path: Path
) -> None:
    photo = png(4, 3)
    with serving(app()) as url:
        page = phone.page
        page.goto(url)
        width, ratio, touch = page.evaluate("[innerWidth, devicePixelRatio, navigator.maxTouchPoints > 0]")
        assert (width, ratio, touch) == (390, 2, True)
        assert page.text_content("#status") == "waiting"
        page.tap("#go")  # a touch, as on a phone; a click works the same
        assert page.text_content("#status") == f"billed at {width}px"
        picker = page.locator("#photo")
        assert (picker.get_attribute("accept"), picker.get_attribute("capture")) == ("image/*", "environment")
        picker.set_input_files({"name": "shelf.png", "mimeType": "image/png", "buffer": photo})
        assert page.text_content("#picked") == f"shelf.png image/png {len(photo)}"
        shot = screenshot(page, "picked")
    assert shot.parent == ROOT / "test-artifacts" / "screenshots"
    assert shot.name == "test_a_phone_clicks_picks_a_photo_and_is_photographed-picked.png"
    # The page is no taller than the screen, so the PNG is the viewport in device pixels.
    assert png_size(shot.read_bytes()) == (390 * 2, 844 * 2)
    assert phone.errors == []


def test_an_inline_script_the_csp_refuses_is_an_error(phone: Phone) -> None:
    page = PAGE.replace("</body>", '<script>document.title = "ran"</script></body>')
    with serving(app(page=page)) as url:
        phone.page.goto(url)
        phone.page.wait_for_load_state("load")
        assert phone.page.title() == "harness"  # the inline script never ran
    assert len(phone.errors) == 1, phone.errors
    assert "Content Security Policy" in phone.errors[0]
    phone.errors.clear()  # seen: the fixture would fail the test otherwise


def test_an_uncaught_exception_and_a_console_error_are_errors(phone: Phone) -> None:
    script = (
        SCRIPT
        + """
document.getElementById("go").addEventListener("click", () => { throw new TypeError("no bill 7"); });
console.error("photo upload failed");
"""
    )
    with serving(app(script=script)) as url:
        phone.page.goto(url)
        phone.page.wait_for_function("document.readyState === 'complete'")
        assert [error.split(" (")[0] for error in phone.errors] == ["console: photo upload failed"]
        with phone.page.expect_event("pageerror"):  # reported after the tap returns
            phone.page.tap("#go")
    assert phone.errors[1:] == ["page error: TypeError: no bill 7"]
    phone.errors.clear()


def test_a_missing_file_the_page_asks_for_is_an_error(phone: Phone) -> None:
    with serving(app(script=SCRIPT + 'document.body.append(Object.assign(new Image(), {src: "/gone.png"}));')) as url:
        phone.page.goto(url)
        phone.page.wait_for_load_state("load")
    assert len(phone.errors) == 1, phone.errors
    assert "404" in phone.errors[0] and "/gone.png" in phone.errors[0]
    phone.errors.clear()


LEFT_OVER = """
def test_leaves_an_error(phone):
    phone.page.set_content("<script>console.error('left over')</script>")

def test_fails(phone):
    phone.page.set_content('<meta name="viewport" content="width=device-width"><p>the page at the time</p>')
    assert False
"""


def test_errors_left_unseen_fail_the_test_and_a_failure_leaves_a_screenshot(
    chromium_path: Path, tmp_path: Path
) -> None:
    test_file = tmp_path / "test_left_over.py"
    test_file.write_text(LEFT_OVER)
    failed_shot = harness.SCREENSHOTS / "test_fails-failed.png"
    failed_shot.unlink(missing_ok=True)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.browser", "-p", "no:cacheprovider", "-q", str(test_file)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PIECEPAY_CHROMIUM": str(chromium_path)},
        timeout=120,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "the page reported errors:\nconsole: left over" in run.stdout
    assert "1 failed, 1 passed, 1 error" in run.stdout
    assert png_size(failed_shot.read_bytes())[0] == 390 * 2


def test_chromium_is_found_where_it_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    program = tmp_path / "chromium"
    program.write_text("#!/bin/sh\n")
    monkeypatch.setenv("PIECEPAY_CHROMIUM", str(program))
    assert harness.find_chromium() is None  # not executable
    program.chmod(0o755)
    assert harness.find_chromium() == program
    monkeypatch.setenv("PIECEPAY_CHROMIUM", str(tmp_path / "nowhere"))
    assert harness.find_chromium() is None
