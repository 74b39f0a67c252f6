"""The publication decision: taken when resolving (``publish``, default the category's), changed
later by a supervisor (``PUT /tickets/{id}/publication``), in the history; never for a confidential
ticket; the category's default editable by admins."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import AuditEvent, Category, Ticket
from tests.conftest import fire, ticket_payload
from tests.services.public_answers_data import CODE, NAME, PHONE_TYPED, categories  # noqa: F401  (a fixture)

pytestmark = pytest.mark.usefixtures("categories")
ANSWER = "Đã thay bóng đèn đường hỏng trên tuyến."


def _in_progress(api_as, **kw) -> dict:
    """A ticket of the test category, with SCT (officer_ct's department), in progress."""
    body = ticket_payload(category=CODE, contact={"phone": PHONE_TYPED, "name": NAME}, **kw)
    ticket = api_as("operator").post("/api/v1/tickets", body).json
    fire(api_as("operator"), ticket["id"], "assign", department="SCT")
    fire(api_as("officer_ct"), ticket["id"], "accept")
    return ticket


def _resolve(api_as, ticket_id: int, **fields):
    return api_as("officer_ct").post(f"/api/v1/tickets/{ticket_id}/transitions",
                                     {"trigger": "resolve", "answer": ANSWER, **fields})


def _set_default(app, value: bool) -> None:
    with app.app_context():
        db.session.scalar(sa.select(Category).where(Category.code == CODE)).publish_by_default = value
        db.session.commit()


def _published(app, ticket_id: int) -> bool:
    with app.app_context():
        return db.session.get(Ticket, ticket_id).published


def _public_codes(api_as) -> list[str]:
    return [r["receipt_code"] for r in api_as(None).get("/api/v1/public/answers").json["items"]]


def _events(api_as, ticket_id: int, kind: str) -> list[dict]:
    return [e for e in api_as("supervisor").get(f"/api/v1/tickets/{ticket_id}").json["events"] if e["kind"] == kind]


def test_resolve_takes_the_categorys_default_and_records_it(app, api_as) -> None:
    off = _in_progress(api_as)
    assert _resolve(api_as, off["id"]).status_code == 200
    _set_default(app, True)
    on = _in_progress(api_as)
    assert _resolve(api_as, on["id"]).status_code == 200
    assert not _published(app, off["id"]) and _published(app, on["id"])
    payload = _events(api_as, off["id"], "resolve")[0]["payload"]
    assert payload["answer"] == ANSWER and payload["published"] is False
    assert _events(api_as, on["id"], "resolve")[0]["payload"]["published"] is True
    assert _public_codes(api_as) == [on["receipt_code"]]


def test_resolve_with_publish_overrides_the_default(app, api_as) -> None:
    yes = _in_progress(api_as)
    assert _resolve(api_as, yes["id"], publish=True).status_code == 200
    _set_default(app, True)
    no = _in_progress(api_as)
    assert _resolve(api_as, no["id"], publish=False).status_code == 200
    assert _published(app, yes["id"]) and not _published(app, no["id"])
    assert _events(api_as, no["id"], "resolve")[0]["payload"]["published"] is False


def test_a_confidential_ticket_is_never_published(app, api_as) -> None:
    _set_default(app, True)
    asked = _in_progress(api_as, confidential=True)
    resp = _resolve(api_as, asked["id"], publish=True)
    assert resp.status_code == 422 and "publish" in resp.json["errors"]["json"]
    with app.app_context():
        assert db.session.get(Ticket, asked["id"]).status == "in_progress"  # nothing written
    by_default = _in_progress(api_as, confidential=True)
    assert _resolve(api_as, by_default["id"]).status_code == 200  # the default does not apply to it
    assert not _published(app, by_default["id"])
    resp = api_as("supervisor").put(f"/api/v1/tickets/{by_default['id']}/publication", {"published": True})
    assert resp.status_code == 422 and "publish" in resp.json["errors"]["json"]
    assert not _published(app, by_default["id"]) and _public_codes(api_as) == []


def test_publish_is_checked(app, api_as) -> None:
    t = _in_progress(api_as)
    for value in ("perhaps", 2, [], {"a": 1}):
        resp = _resolve(api_as, t["id"], publish=value)
        assert resp.status_code == 422 and "publish" in resp.json["errors"]["json"], value
    resp = api_as("officer_ct").post(f"/api/v1/tickets/{t['id']}/transitions",
                                     {"trigger": "request_info", "note": "Xin thêm ảnh", "publish": True})
    assert resp.status_code == 422 and "publish" in resp.json["errors"]["json"]
    with app.app_context():
        assert db.session.get(Ticket, t["id"]).status == "in_progress"


def test_resolve_publish_follows_who_may_resolve(app, api_as) -> None:
    t = _in_progress(api_as)
    assert _resolve(api_as, t["id"], publish=True).status_code == 200  # officer_ct: own department
    assert _published(app, t["id"])
    other = _in_progress(api_as)
    for user in ("officer", "operator", "supervisor"):  # another department; not department staff
        resp = api_as(user).post(f"/api/v1/tickets/{other['id']}/transitions",
                                 {"trigger": "resolve", "answer": ANSWER, "publish": True})
        assert resp.status_code in (403, 404), (user, resp.status_code)
    assert not _published(app, other["id"])


def test_a_supervisor_changes_the_decision_later_and_it_is_in_the_history(app, api_as) -> None:
    t = _in_progress(api_as)
    url = f"/api/v1/tickets/{t['id']}/publication"
    assert api_as("supervisor").put(url, {"published": True}).status_code == 409  # not answered yet
    _resolve(api_as, t["id"], publish=False)
    for user in ("officer_ct", "head", "operator", None):
        assert api_as(user).put(url, {"published": True}).status_code in (401, 403), user
    assert not _published(app, t["id"])
    resp = api_as("supervisor").put(url, {"published": True})
    assert resp.status_code == 200 and resp.json["published"] is True
    assert _public_codes(api_as) == [t["receipt_code"]]
    fire(api_as("operator"), t["id"], "close")
    resp = api_as("supervisor").put(url, {"published": False, "version": resp.json["version"]})
    assert resp.status_code == 409  # closing changed the version
    assert api_as("supervisor").put(url, {"published": False}).status_code == 200
    assert _public_codes(api_as) == []
    [first, second] = _events(api_as, t["id"], "publication")
    assert first["payload"] == {"published": True, "before": False} and first["actor"] == "supervisor"
    assert second["payload"] == {"published": False, "before": True} and not second["public"]
    for bad in ({}, {"published": "perhaps"}, {"published": True, "extra": 1}):
        assert api_as("supervisor").put(url, bad).status_code == 422, bad


def test_reopening_keeps_the_decision_but_hides_the_answer_until_answered_again(app, api_as) -> None:
    t = _in_progress(api_as)
    _resolve(api_as, t["id"], publish=True)
    assert _public_codes(api_as) == [t["receipt_code"]]
    fire(api_as("operator"), t["id"], "reopen", reason="Công dân báo đèn vẫn tắt")
    assert _published(app, t["id"]) and _public_codes(api_as) == []
    resp = api_as("officer_ct").post(f"/api/v1/tickets/{t['id']}/transitions",
                                     {"trigger": "resolve", "answer": "Đã thay cả tủ điện."})
    assert resp.status_code == 200  # no publish sent: the category's default (off) decides again
    assert not _published(app, t["id"]) and _public_codes(api_as) == []


def test_admins_edit_the_categorys_default(app, api_as) -> None:
    url = f"/api/v1/categories/{CODE}"
    assert api_as("supervisor").patch(url, {"publish_by_default": True}).status_code == 403
    resp = api_as("admin").patch(url, {"publish_by_default": True})
    assert resp.status_code == 200 and resp.json["publish_by_default"] is True
    for bad in ("perhaps", 3, None):
        assert api_as("admin").patch(url, {"publish_by_default": bad}).status_code == 422, bad
    listed = api_as("operator").get("/api/v1/categories?per_page=100").json["items"]
    assert next(c for c in listed if c["code"] == CODE)["publish_by_default"] is True
    with app.app_context():
        audit = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "category_update",
                                                               AuditEvent.target_id == CODE)).all()
    assert audit and "publish_by_default" in str(audit[-1].details)
    made = api_as("admin").post("/api/v1/categories", {"code": "CK-TEST-NEW", "name_vi": "Thử", "default_department":
                                                       "SCT", "publish_by_default": True})
    try:
        assert made.status_code == 201 and made.json["publish_by_default"] is True
    finally:
        with app.app_context():
            db.session.execute(sa.delete(Category).where(Category.code == "CK-TEST-NEW"))
            db.session.commit()
