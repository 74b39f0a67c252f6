"""The message templates admin: the API and the page share one set of rules; a saved text is the
next message's text; every change is audited; the page previews the message and its parts."""

from __future__ import annotations

from string import Formatter
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import expect

from callcentre.core.extensions import db
from callcentre.messaging.outbound import notify_event
from callcentre.messaging.templates import DEFAULTS
from callcentre.models import AuditEvent, MessageTemplate, OutboundMessage, TicketEvent
from callcentre.services.message_templates import KINDS, PLACEHOLDERS, check_body
from tests.conftest import ticket_payload
from tests.web.conftest import PASSWORD, login, shoot
from tests.web.test_html_valid import _audit

API = "/api/v1/message-templates"
CREATED = f"{API}/created/vi/sms"
NEW_BODY = "1022 đã nhận phản ánh, mã {code}. Xem tại {link}"


def _signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def _reason(resp: Any) -> str:
    assert resp.status_code == 422, resp.json
    [reason] = resp.json["errors"]["json"]["body"]
    return str(reason)


def _delete(api: Any, path: str) -> Any:
    return api._call("DELETE", path)


def test_every_kind_has_its_placeholders_and_keeps_its_defaults(app) -> None:
    assert set(KINDS) == set(PLACEHOLDERS)
    with app.test_request_context():
        for (kind, language), body in DEFAULTS.items():  # a default passes its own rules
            assert {n for _t, n, _s, _c in Formatter().parse(body) if n} <= set(PLACEHOLDERS[kind])
            assert check_body(kind, language, body) == body


@pytest.mark.parametrize("username", ["operator", "officer", "supervisor"])
def test_only_admins_see_or_change_templates(app, api_as, username) -> None:
    api = api_as(username)
    assert api.get(API).status_code == 403
    assert api.put(CREATED, {"body": NEW_BODY}).status_code == 403
    assert _delete(api, CREATED).status_code == 403
    web = _signed_in(app, username)
    assert web.get("/admin/templates").status_code == 403
    assert web.post("/admin/templates/created/vi/sms", data={"body": NEW_BODY}).status_code == 403
    assert web.post("/admin/templates/preview", data={"kind": "created", "language": "vi", "channel": "sms",
                                                       "body": NEW_BODY}).status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MessageTemplate)) == 0


def test_anonymous_is_sent_to_login_or_refused(app, api_as, client) -> None:
    assert api_as(None).get(API).status_code == 401
    assert api_as(None).put(CREATED, {"body": NEW_BODY}).status_code == 401
    assert _delete(api_as(None), CREATED).status_code == 401
    for resp in (client.get("/admin/templates"), client.post("/admin/templates/created/vi/sms", data={"body": "x"}),
                 client.post("/admin/templates/preview", data={})):
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_the_list_shows_every_text_sent_now(app, api_as) -> None:
    resp = api_as("admin").get(API)
    assert resp.status_code == 200
    rows = {(r["kind"], r["language"], r["channel"]): r for r in resp.json}
    assert len(rows) == len(DEFAULTS)  # SMS only: Zalo is not in use in the tests
    created = rows[("created", "vi", "sms")]
    assert created["body"] == created["default_body"] == DEFAULTS[("created", "vi")]
    assert created["customised"] is False and created["updated_at"] is None
    assert created["required"] == ["code", "link"] and "status" in created["placeholders"]
    assert rows[("opted_out", "vi", "sms")]["required"] == []
    assert rows[("feedback_none", "en", "sms")]["required"] == ["days"]


@pytest.mark.parametrize(("body", "found"), [
    ("Phản ánh {code}: {link} {ma_phieu}", "{ma_phieu}"),  # unknown placeholder, named
    ("Phản ánh {code}: {link} {answer}", "{answer}"),  # known, but not rendered for this kind
    ("Phản ánh {code.__class__} {link}", "{code.__class__}"),  # attribute access: never evaluated
    ("Phản ánh {code!r} {link}", "{code!r}"),
    ("Phản ánh {code} {link} {}", "{}"),
    ("Đã tiếp nhận. Tra cứu: {link}", "Thiếu biến bắt buộc: {code}"),
    ("Mã biên nhận {code}", "Thiếu biến bắt buộc: {link}"),
    ("   \n ", "Hãy nhập nội dung tin nhắn"),
    ("Mã {code {link}", "Có dấu { hoặc } lẻ"),  # stray brace
    ("Mã {code}} {link}", "Có dấu { hoặc } lẻ"),
])
def test_a_refused_text_is_a_422_naming_the_fault_and_nothing_is_written(app, api_as, count, body, found) -> None:
    assert found in _reason(api_as("admin").put(CREATED, {"body": body}))
    web = _signed_in(app, "admin")
    page = web.post("/admin/templates/created/vi/sms", data={"body": body, "action": "save"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert 'id="err-created-vi-sms"' in html and found.replace("{", "") in html.replace("{", "")
    preview = web.post("/admin/templates/preview", data={"kind": "created", "language": "vi", "channel": "sms",
                                                         "body": body})
    assert preview.status_code == 422 and found in preview.json["error"]
    assert count(MessageTemplate) == 0 and count(AuditEvent, AuditEvent.action == "template_update") == 0


def test_too_long_hostile_and_unknown_templates_are_refused(app, api_as, count) -> None:
    admin = api_as("admin")
    too_long = "{code} {link} " + "x" * 1000
    assert "1000" in _reason(admin.put(CREATED, {"body": too_long}))
    assert _reason(admin.put(CREATED, {"body": "{code} {link} \x00"}))
    assert admin.put(CREATED, {"body": 5}).status_code == 422
    assert admin.put(CREATED, {}).status_code == 422
    for path in (f"{API}/nope/vi/sms", f"{API}/created/fr/sms", f"{API}/created/vi/fax"):
        assert admin.put(path, {"body": NEW_BODY}).status_code == 404
        assert _delete(admin, path).status_code == 404
    web = _signed_in(app, "admin")
    page = web.post("/admin/templates/created/vi/sms", data={"body": too_long, "action": "save"})
    assert page.status_code == 422 and "Không được dài quá 1000 ký tự" in page.get_data(as_text=True)
    assert too_long in page.get_data(as_text=True)  # the typed text is kept
    assert web.post("/admin/templates/nope/vi/sms", data={"body": NEW_BODY}).status_code == 404
    assert web.post("/admin/templates/created/vi/sms", data={"body": NEW_BODY, "action": "drop"}).status_code == 400
    assert web.post("/admin/templates/preview", data={"kind": "nope", "language": "vi", "channel": "sms",
                                                      "body": NEW_BODY}).status_code == 404
    assert web.post("/admin/templates/preview", data={"kind": "created", "language": "vi", "channel": "sms",
                                                      "body": "x" * 6000}).status_code == 422
    assert count(MessageTemplate) == 0


def _created_sms(api_as: Any, app: Flask, language: str = "vi") -> tuple[OutboundMessage, str]:
    """The SMS a newly created ticket's citizen gets, and the ticket's receipt code."""
    contact = {"phone": "0912345678" if language == "vi" else "0987654321", "name": "An", "language": language}
    resp = api_as("operator").post("/api/v1/tickets", ticket_payload(contact=contact))
    assert resp.status_code == 201, resp.json
    with app.app_context():
        event_id = db.session.scalar(sa.select(TicketEvent.id).where(TicketEvent.ticket_id == resp.json["id"],
                                                                     TicketEvent.kind == "created"))
        [message_id] = notify_event(event_id)
        message = db.session.get(OutboundMessage, message_id)
        db.session.expunge(message)
        return message, resp.json["receipt_code"]


def test_a_saved_text_is_the_next_message_and_is_audited_then_reset(app, api_as) -> None:
    admin = api_as("admin")
    resp = admin.put(CREATED, {"body": f"  {NEW_BODY}\n"})
    assert resp.status_code == 200, resp.json
    assert resp.json["body"] == NEW_BODY and resp.json["customised"] is True and resp.json["updated_at"]
    assert admin.put(CREATED, {"body": NEW_BODY}).status_code == 200  # the same text again: no change, no row

    message, code = _created_sms(api_as, app)
    assert message.body == f"1022 đã nhận phản ánh, mã {code}. Xem tại https://1022.example.vn/t/{code}"
    assert message.kind == "created" and message.encoding == "ucs2"
    english, code = _created_sms(api_as, app, "en")  # the English text stays the English default
    assert english.body == f"1022 hotline: your report was received. Receipt code: {code}. Track it: " \
        f"https://1022.example.vn/t/{code}"

    reset = _delete(admin, CREATED)
    assert reset.status_code == 200 and reset.json["body"] == DEFAULTS[("created", "vi")]
    assert reset.json["customised"] is False
    assert _created_sms(api_as, app)[0].body.startswith("Tổng đài 1022 đã tiếp nhận phản ánh của quý vị.")

    with app.app_context():
        rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "template_update")
                                  .order_by(AuditEvent.id)).all()
        assert [(r.target_type, r.target_id, r.actor_label) for r in rows] == [
            ("template", "created:vi:sms", "admin"), ("template", "created:vi:sms", "admin")]
        assert rows[0].details == {"before": DEFAULTS[("created", "vi")], "after": NEW_BODY}
        assert rows[1].details == {"before": NEW_BODY, "after": DEFAULTS[("created", "vi")]}


def test_the_page_saves_resets_and_previews(app, count) -> None:
    web = _signed_in(app, "admin")
    page = web.get("/admin/templates")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="body-resolve-en-sms"' in html and "C32HFM3Y0T" in html  # the sample ticket's preview
    _audit(html, "/admin/templates")  # valid HTML, every field labelled, unique ids
    refused = web.post("/admin/templates/close/vi/sms", data={"body": "{code} {x}", "action": "save"})
    _audit(refused.get_data(as_text=True), "/admin/templates (422)")
    web.get("/lang/en")
    english = web.get("/admin/templates").get_data(as_text=True)
    _audit(english, "/admin/templates (en)")
    assert "<h1>Message templates</h1>" in english and "Report received" in english and "receipt code" in english
    web.get("/lang/vi")
    saved = web.post("/admin/templates/close/vi/sms", data={"body": "1022: Phản ánh {code} đã xong. {link}",
                                                            "action": "save"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#tpl-close-vi-sms")
    assert "Phản ánh {code} đã xong" in web.get("/admin/templates").get_data(as_text=True)
    assert web.post("/admin/templates/close/vi/sms", data={"action": "reset"}).status_code == 302
    with app.app_context():
        row = db.session.scalars(sa.select(MessageTemplate).where(MessageTemplate.kind == "close")).one()
        assert row.body == DEFAULTS[("close", "vi")]
    assert count(AuditEvent, AuditEvent.target_id == "close:vi:sms") == 2

    shown = web.post("/admin/templates/preview", data={"kind": "resolve", "language": "vi", "channel": "sms",
                                                       "body": DEFAULTS[("resolve", "vi")]})
    assert shown.status_code == 200
    assert shown.json["body"].startswith("1022: Phản ánh C32HFM3Y0T đã được trả lời: Đoàn kiểm tra")
    assert "https://1022.example.vn/t/C32HFM3Y0T?k=" in shown.json["body"]  # the rating link's length
    assert shown.json["encoding"] == "ucs2" and shown.json["segments"] >= 3
    assert f"{shown.json['segments']} phần tin nhắn" in shown.json["message"]
    short = web.post("/admin/templates/preview", data={"kind": "created", "language": "en", "channel": "sms",
                                                       "body": "Code {code} {link}"})
    assert short.json == {"body": "Code C32HFM3Y0T https://1022.example.vn/t/C32HFM3Y0T", "segments": 1,
                          "units": 52, "encoding": "gsm7", "message": short.json["message"]}


def test_admin_edits_a_template_watching_its_parts(app, new_page) -> None:
    page = new_page()
    login(page, "admin")
    page.goto("/admin/templates")
    assert page.locator("h1").inner_text() == "Mẫu tin nhắn"
    field = page.locator("#body-created-en-sms")
    count = page.locator("#tpl-created-en-sms .sms-count")
    assert count.inner_text().startswith("1 phần tin nhắn")
    field.fill("1022: report {code} received. Track it: {link}")
    expect(page.locator("#tpl-created-en-sms .sms-body")).to_have_text(
        "1022: report C32HFM3Y0T received. Track it: https://1022.example.vn/t/C32HFM3Y0T")
    assert count.inner_text().startswith("1 phần tin nhắn") and "GSM-7" in count.inner_text()
    field.press("End")
    field.type(" Thank you for calling the 1022 hotline; we will text you again when there is an answer to it.")
    expect(count).to_contain_text("2 phần tin nhắn")
    field.type(" {oops}")
    error = page.locator("#tpl-created-en-sms .sms-error")
    error.wait_for(state="visible")
    assert "{oops}" in error.inner_text()
    for _ in range(len(" {oops}")):
        field.press("Backspace")
    error.wait_for(state="hidden")
    shoot(page, "admin-templates")
    with page.expect_navigation():
        page.locator("#tpl-created-en-sms button[value=save]").click()
    assert "Đã lưu mẫu tin nhắn" in page.locator(".flash.success").inner_text()
    assert page.locator("#body-created-en-sms").input_value().endswith("when there is an answer to it.")
    assert page.locator("#tpl-created-en-sms .sms-count").inner_text().startswith("2 phần tin nhắn")
    with page.expect_navigation():
        page.locator("#tpl-created-en-sms button[value=reset]").click()
    assert page.locator("#body-created-en-sms").input_value() == DEFAULTS[("created", "en")]
