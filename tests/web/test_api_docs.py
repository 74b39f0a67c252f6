"""/api/v1/docs renders in a real browser from the app's own files, offline, under the CSP."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

SHOT = Path("/tmp/apidocs.png")


def test_api_docs_render_offline_with_no_csp_violation(new_page, live_url: str) -> None:
    page = new_page()
    origin = urlsplit(live_url).netloc
    outside: list[str] = []

    def only_this_app(route, request) -> None:  # the network beyond this app does not exist
        if urlsplit(request.url).netloc == origin:
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    page.route("**/*", only_this_app)
    console = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.add_init_script("""
        window.__cspViolations = [];
        document.addEventListener("securitypolicyviolation",
            (e) => window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI));
    """)
    resp = page.goto("/api/v1/docs")
    assert resp.ok and "script-src 'self'" in resp.headers["content-security-policy"]
    page.wait_for_selector(".opblock-summary", timeout=15000)
    assert page.locator(".opblock").count() >= 20  # every operation of the OpenAPI document
    text = page.inner_text("body")
    assert "1022 Call Centre API" in text and "/api/v1/tickets" in text
    page.locator(".opblock-summary", has_text="/api/v1/tickets").first.click()  # it is interactive
    page.wait_for_selector(".opblock-body")
    page.screenshot(path=str(SHOT), full_page=False)
    assert page.evaluate("window.__cspViolations") == []
    assert [line for line in console if "Content Security Policy" in line or line.startswith("error")] == []
    assert outside == []
