"""Every page is valid HTML5 and usable without a mouse: labelled fields, unique ids, a language."""

from __future__ import annotations

from html.parser import HTMLParser

import html5lib
import pytest

from tests.conftest import ticket_payload


class _Audit(HTMLParser):
    """Collects what keyboard and screen-reader users depend on."""

    FIELDS = {"input", "select", "textarea"}

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.fields: list[dict[str, str | None]] = []
        self.html_lang: str | None = None
        self.h1 = 0
        self._label_depth = 0
        self.wrapped: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"] or "")
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"] or "")
        elif tag in self.FIELDS and a.get("type") not in ("hidden", "submit", "button"):
            self.fields.append(a)
            self.wrapped.append(self._label_depth > 0)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_depth -= 1


def _audit(html: str, where: str) -> None:
    # html5lib's strict mode raises on any parse error (unclosed or misnested tags, bad attributes).
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)
    audit = _Audit()
    audit.feed(html)
    assert audit.html_lang in ("vi", "en"), where
    assert audit.h1 == 1, f"{where}: {audit.h1} <h1>"
    dupes = {i for i in audit.ids if audit.ids.count(i) > 1}
    assert not dupes, f"{where}: duplicate ids {dupes}"
    for field, wrapped in zip(audit.fields, audit.wrapped, strict=True):
        labelled = wrapped or field.get("id") in audit.label_for or field.get("aria-label") \
            or field.get("aria-labelledby")
        assert labelled, f"{where}: field without a label: {field}"


def _login(client, username: str) -> None:
    resp = client.post("/login", data={"username": username, "password": "Demo@1022"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_page_is_valid_and_labelled(app, api_as, lang: str) -> None:
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    api_as("operator").post(f"/api/v1/tickets/{ticket['id']}/transitions", {"trigger": "assign"})
    pages = {
        None: ["/login", "/t", f"/t/{ticket['receipt_code']}", "/t/NOTACODE1"],
        "operator": ["/operator", "/operator?phone=0912345678"],
        "officer": ["/department", f"/tickets/{ticket['id']}"],
        "supervisor": ["/supervisor", "/department", f"/tickets/{ticket['id']}"],
    }
    for user, paths in pages.items():
        client = app.test_client()
        client.get(f"/lang/{lang}")
        if user:
            _login(client, user)
        for path in paths:
            resp = client.get(path)
            assert resp.status_code in (200, 422), (path, resp.status_code)  # 422: a mistyped code
            assert resp.content_type == "text/html; charset=utf-8", path
            _audit(resp.get_data(as_text=True), f"{user or 'public'} {path} ({lang})")
