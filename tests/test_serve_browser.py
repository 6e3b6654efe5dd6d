"""``adx serve`` in a real browser: Debian's Chromium, driven by Playwright's Python API.

The test starts ``adx serve`` on a free port, opens it in headless Chromium (the
system's browser: no ``playwright install``), waits for the explorer, steps it
with → and checks that the page shows the step.  xterm.js draws the terminal on
a canvas, so the text is read from the websocket frames the page receives (what
xterm draws) and the page's pixels are compared before and after the key.

``ADX_UPDATE_SERVE_SCREENSHOT=1`` rewrites ``docs/img/serve-explorer.png``.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from tests.serve_helpers import serving
from tests.system_tools import require_tool

pytest.importorskip("textual_serve")
playwright_api = pytest.importorskip("playwright.sync_api")

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "img" / "serve-explorer.png"
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


class Frames:
    """The text the page received over its websocket, escape sequences removed."""

    def __init__(self) -> None:
        self.chunks: list[str] = []

    def add(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            self.chunks.append(_CONTROL.sub("", payload.decode("utf-8", "replace")))

    def text(self) -> str:
        return "".join(self.chunks)

    def wait_for(self, needle: str, page: object, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            if time.monotonic() > deadline:
                tail = self.text()[-400:]
                raise AssertionError(f"the page never showed {needle!r}; last: {tail!r}")
            page.wait_for_timeout(100)  # type: ignore[attr-defined]


def test_the_explorer_in_headless_chromium(tmp_path: Path) -> None:
    chromium = require_tool("chromium", "chromium-browser")
    frames = Frames()
    with serving(tmp_path) as served, playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("websocket", lambda ws: ws.on("framereceived", frames.add))
            page.goto(served.url, wait_until="domcontentloaded")
            # the terminal is shown once its first bytes arrive
            page.wait_for_function(
                "document.body.classList.contains('-first-byte')", timeout=60_000
            )
            frames.wait_for("ln(x1) + x1*x2 - sin(x2)", page)
            frames.wait_for("step 0/16", page)
            page.wait_for_timeout(300)  # let xterm paint the frame it received
            before = page.locator("#terminal").screenshot()
            seen = len(frames.chunks)
            page.locator("#terminal").click()
            page.keyboard.press("ArrowRight")
            frames.wait_for("step 1/16", page)
            assert "step 1/16" in "".join(frames.chunks[seen:])  # drawn after the key
            page.wait_for_timeout(300)
            after = page.locator("#terminal").screenshot()
            assert after != before  # the pixels changed too
            if os.environ.get("ADX_UPDATE_SERVE_SCREENSHOT") == "1":
                for _ in range(5):  # a few steps in: values and the bar filled in
                    page.keyboard.press("ArrowRight")
                frames.wait_for("step 6/16", page)
                page.wait_for_timeout(500)
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOT))
            page.keyboard.press("q")  # the session ends: the page says so
            page.wait_for_function("document.body.classList.contains('-closed')", timeout=30_000)
        finally:
            browser.close()


def test_an_export_reaches_the_browser_as_a_download(tmp_path: Path) -> None:
    """x, j in the served explorer: the JSON export is saved in --dir and the browser
    downloads the same bytes; the page gave the browser its student cookie."""
    chromium = require_tool("chromium", "chromium-browser")
    frames = Frames()
    with serving(tmp_path) as served, playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            context = browser.new_context(accept_downloads=True)
            page = context.new_page()
            page.on("websocket", lambda ws: ws.on("framereceived", frames.add))
            page.goto(served.url, wait_until="domcontentloaded")
            frames.wait_for("step 0/16", page, timeout=60.0)
            (cookie,) = [c for c in context.cookies() if c["name"] == "adx-student"]
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
            page.locator("#terminal").click()
            page.keyboard.press("ArrowRight")
            frames.wait_for("step 1/16", page)
            with page.expect_download(timeout=30_000) as arrived:
                page.keyboard.press("x")
                page.wait_for_timeout(500)
                page.keyboard.press("j")
            download = arrived.value
            (saved,) = [p for p in tmp_path.iterdir() if p.name.startswith("adx-trace-")]
            assert download.suggested_filename == saved.name
            assert Path(download.path()).read_bytes() == saved.read_bytes()
            frames.wait_for("sent to your browser", page)
        finally:
            browser.close()


def test_a_browser_keeps_its_own_progress_folder(tmp_path: Path) -> None:
    """A served lesson: the browser's websocket carries the page's cookie, and its
    session keeps progress in DIR/.adx-progress/<that id>; another browser, another."""
    chromium = require_tool("chromium", "chromium-browser")
    ids: list[str] = []
    with serving(tmp_path, "--lesson", "1") as served, playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            for _ in range(2):  # two contexts: two browsers, as two students have
                context = browser.new_context()
                page = context.new_page()
                page.goto(served.url, wait_until="domcontentloaded")
                page.wait_for_function(
                    "document.body.classList.contains('-first-byte')", timeout=60_000
                )
                (cookie,) = [c for c in context.cookies() if c["name"] == "adx-student"]
                ids.append(cookie["value"])
                page.reload(wait_until="domcontentloaded")  # a reload: the same student
                page.wait_for_function(
                    "document.body.classList.contains('-first-byte')", timeout=60_000
                )
                context.close()
        finally:
            browser.close()
    assert ids[0] != ids[1]
    assert sorted(p.name for p in (tmp_path / ".adx-progress").iterdir()) == sorted(ids)
