"""Browser tests: the app served by a real HTTP server in a thread, driven by headless Chromium.

The server app shares the test database and Redis (tables are emptied per test by the
``app`` fixture) but keeps CSRF on, as in production.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from callcentre import create_app
from config import TestConfig
from tests.conftest import make_config

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).parent / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "Demo@1022"


@pytest.fixture(scope="session")
def web_app(services, session_app: Flask) -> Flask:
    return create_app(TestConfig, make_config(services, WTF_CSRF_ENABLED=True, RATELIMIT_PUBLIC="1000 per minute"))


@pytest.fixture(scope="session")
def live_url(web_app: Flask) -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no request log in test output
    server = make_server("127.0.0.1", 0, web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("no /usr/bin/chromium: run scripts/ensure_chromium.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture()
def new_page(app: Flask, browser: Any, live_url: str) -> Iterator[Callable[..., Any]]:
    """``new_page(viewport=PHONE)``: a fresh browser context (own cookies) per call.

    Every page of every test is also checked against the Content-Security-Policy: anything it
    blocked (an inline script, an outside resource) fails the test (http/security.py)."""
    contexts = []
    blocked: list[str] = []

    def factory(viewport: dict[str, int] | None = None, locale: str = "vi-VN") -> Any:
        ctx = browser.new_context(viewport=viewport or DESKTOP, locale=locale, base_url=live_url)
        ctx.set_default_timeout(5000)
        contexts.append(ctx)
        page = ctx.new_page()

        def watch(msg: Any) -> None:
            if "Content Security Policy" in msg.text:
                blocked.append(f"{page.url}: {msg.text}")

        page.on("console", watch)
        return page

    yield factory
    for ctx in contexts:
        ctx.close()
    assert blocked == []


def login(page: Any, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")  # keyboard only


def shoot(page: Any, name: str) -> None:
    """Screenshots at desktop and phone widths, for people to look at (git-ignored)."""
    SHOTS.mkdir(exist_ok=True)
    size = page.viewport_size
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
        # Text must fit: nothing may make the page scroll sideways (wide tables scroll in their box).
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{name} is {width}px wide at {label} width"
    page.set_viewport_size(size)
