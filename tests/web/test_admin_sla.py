"""SLA policies and working calendars admin: the API's new DELETE, the two screens, audit, recompute."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from callcentre.core.extensions import db
from callcentre.core.jobs import make_worker
from callcentre.models import AuditEvent, CalendarException, SlaPolicy
from tests.conftest import ticket_payload
from tests.web.conftest import PASSWORD, login, shoot
from tests.web.test_html_valid import _audit
from workflows.calendar import default_calendar

STAFF_ROLES = ("operator", "officer", "head", "supervisor")
POLICY = {"category": "TN-MT", "priority": "normal", "accept_within": "PT1H", "resolve_within": "P2D",
          "forward_within": "", "warn_at": "0.5", "calendar": "working_hours"}


def signed_in(client: FlaskClient, username: str = "admin") -> FlaskClient:
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def audit_rows(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                                       .order_by(AuditEvent.id)))


def delete(api, path: str):
    return api._call("DELETE", path)


def exception_ids(app: Flask) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(CalendarException.id).order_by(CalendarException.id)))


def resolve_deadline(api_as, ticket_id: int) -> datetime:
    return datetime.fromisoformat(api_as("operator").get(f"/api/v1/tickets/{ticket_id}").json["resolve_deadline"])


# -- RBAC ---------------------------------------------------------------------

PAGES = [("get", "/admin/policies"), ("post", "/admin/policies"), ("get", "/admin/calendars"),
         ("post", "/admin/calendars/working_hours/exceptions"),
         ("post", "/admin/calendars/working_hours/exceptions/1/delete")]


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_pages_are_for_admins_only(app, count, method, path) -> None:
    resp = getattr(app.test_client(), method)(path)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    for role in STAFF_ROLES:
        assert getattr(signed_in(app.test_client(), role), method)(path, data=POLICY).status_code == 403, role
    if method == "get":
        assert signed_in(app.test_client()).get(path).status_code == 200
    assert count(SlaPolicy) == 0 and count(AuditEvent, AuditEvent.action != "login") == 0


def test_delete_exception_api_roles(app, api_as, count) -> None:
    added = api_as("admin").post("/api/v1/sla/calendars/working_hours/exceptions",
                                 {"date": "2027-01-04", "kind": "day_off"})
    assert added.status_code == 201
    [exc] = added.json["exceptions"]
    path = f"/api/v1/sla/calendars/working_hours/exceptions/{exc['id']}"
    assert delete(api_as(None), path).status_code == 401
    for role in ("operator", "officer", "head"):
        assert delete(api_as(role), path).status_code == 403, role
    assert delete(api_as("admin"), "/api/v1/sla/calendars/mars/exceptions/1").status_code == 404
    assert delete(api_as("admin"), "/api/v1/sla/calendars/24x7/exceptions/" + str(exc["id"])).status_code == 404
    assert delete(api_as("admin"), "/api/v1/sla/calendars/working_hours/exceptions/999999").status_code == 404
    assert count(CalendarException) == 1
    resp = delete(api_as("supervisor"), path)  # managers, as for adding
    assert resp.status_code == 200 and resp.json["exceptions"] == [] and resp.json["name"] == "working_hours"
    assert delete(api_as("admin"), path).status_code == 404
    [added_row] = audit_rows(app, "calendar_exception_add")
    [deleted] = audit_rows(app, "calendar_exception_delete")
    assert added_row.target_type == deleted.target_type == "calendar" and deleted.target_id == "working_hours"
    assert added_row.details["before"] is None and added_row.details["after"]["date"] == "2027-01-04"
    assert deleted.details == {"before": {"id": exc["id"], "date": "2027-01-04", "kind": "day_off", "note": None},
                               "after": None}
    assert deleted.actor_label == "supervisor"


def test_policy_put_through_the_api_is_audited(app, api_as) -> None:
    body = {**POLICY, "forward_within": None, "warn_at": 0.5}
    assert api_as("admin").put("/api/v1/sla/policies", body).status_code == 201
    assert api_as("admin").put("/api/v1/sla/policies", {**body, "resolve_within": "P3D"}).status_code == 200
    first, second = audit_rows(app, "policy_update")
    assert first.target_type == "policy" and first.target_id == "TN-MT:normal" and first.details["before"] is None
    assert second.details["before"]["resolve_within"] == "P2D" and second.details["after"]["resolve_within"] == "P3D"
    refused = api_as("admin").put("/api/v1/sla/policies", {**body, "category": "NOPE"})
    assert refused.status_code == 422 and list(refused.json["errors"]["json"]) == ["category"]
    assert len(audit_rows(app, "policy_update")) == 2


# -- the policies screen --------------------------------------------------------

def test_admin_creates_and_edits_a_policy_on_the_screen(app, count) -> None:
    web = signed_in(app.test_client())
    page = web.get("/admin/policies").get_data(as_text=True)
    _audit(page, "/admin/policies")
    assert "Chưa có chính sách nào" in page and "/admin/policies?category=TN-MT&amp;priority=normal" in page
    resp = web.post("/admin/policies", data={**POLICY, "forward_within": "PT30M", "warn_at": "0,6"})
    assert resp.status_code == 302
    page = web.get("/admin/policies").get_data(as_text=True)
    assert "Đã tạo chính sách TN-MT / Thường" in page
    row = re.search(r'<tr id="policy-TN-MT-normal">(.*?)</tr>', page, re.S)
    assert row is not None
    text = row.group(1)
    assert "PT1H" in text and "1 giờ" in text and "P2D" in text and "2 ngày làm việc" in text
    assert "30 phút" in text and "60%" in text and "Giờ hành chính" in text
    form = web.get("/admin/policies?category=TN-MT&priority=normal").get_data(as_text=True)
    assert 'value="P2D"' in form and 'value="PT30M"' in form
    assert web.post("/admin/policies", data={**POLICY, "resolve_within": "P1DT4H"}).status_code == 302
    with app.app_context():
        policy = db.session.scalars(sa.select(SlaPolicy)).one()
        assert (policy.resolve_within, policy.forward_within, policy.warn_at) == ("P1DT4H", None, 0.5)
    assert "1 ngày làm việc 4 giờ" in web.get("/admin/policies").get_data(as_text=True)
    [created, edited] = audit_rows(app, "policy_update")
    assert created.details["before"] is None and edited.details["before"]["resolve_within"] == "P2D"
    assert edited.target_id == "TN-MT:normal" and edited.actor_label == "admin"


@pytest.mark.parametrize(("changes", "field"), [
    ({"accept_within": "P1M"}, "accept_within"),
    ({"resolve_within": "soon"}, "resolve_within"),
    ({"resolve_within": ""}, "resolve_within"),
    ({"resolve_within": "P400D"}, "resolve_within"),
    ({"forward_within": "x" * 41}, "forward_within"),
    ({"warn_at": "2"}, "warn_at"),
    ({"warn_at": "abc"}, "warn_at"),
    ({"priority": "meh"}, "priority"),
    ({"category": "NOPE"}, "category"),
    ({"category": ""}, "category"),
    ({"calendar": "moon"}, "calendar"),
    ({"accept_within": "PT1H\x00"}, "accept_within"),
])
def test_a_refused_policy_field_is_shown_beside_it_and_nothing_written(app, count, changes, field) -> None:
    web = signed_in(app.test_client())
    resp = web.post("/admin/policies", data={**POLICY, **changes})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    if not any("\x00" in v for v in changes.values()):  # the typed NUL is shown back as typed
        _audit(page, "refused policy")
    assert f'id="{field}-msg"' in page and 'class="error"' in page
    assert re.search(rf'id="{field}-msg">[^<]*[ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ]', page)
    assert count(SlaPolicy) == 0 and count(AuditEvent, AuditEvent.action == "policy_update") == 0
    if field not in ("category", "priority", "calendar"):  # a select offers only its options
        kept = next(iter(changes.values())).replace("\x00", "")
        assert kept[:10] in page  # the typed value is kept


# -- the calendars screen and the recompute --------------------------------------

def test_adding_then_deleting_a_day_off_moves_the_deadline_and_back(app, api_as) -> None:
    assert api_as("admin").put("/api/v1/sla/policies", {**POLICY, "forward_within": "P1D", "warn_at": 0.5}
                               ).status_code == 201
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    old = datetime.fromisoformat(ticket["resolve_deadline"])
    due_day = old.astimezone(default_calendar().zone).date()
    web = signed_in(app.test_client())
    page = web.get("/admin/calendars").get_data(as_text=True)
    _audit(page, "/admin/calendars")
    assert "Thứ Hai" in page and "07:00–11:30, 13:30–17:00" in page
    assert "Đang có 2 thời hạn chạy trên lịch này." in page  # resolve and forward
    resp = web.post("/admin/calendars/working_hours/exceptions",
                    data={"date": due_day.isoformat(), "kind": "day_off", "note": "Bão số 9"})
    assert resp.status_code == 302
    page = web.get("/admin/calendars").get_data(as_text=True)
    assert f"Đã thêm ngày {due_day:%d/%m/%Y}; đã tính lại 2 thời hạn đang chạy" in page
    assert "Bão số 9" in page and "Ngày nghỉ (bão, lũ...)" in page
    moved = resolve_deadline(api_as, ticket["id"])
    expected = default_calendar(days_off=[due_day]).add_working_time(
        datetime.fromisoformat(ticket["created_at"]), timedelta(hours=16))
    assert moved == expected and moved > old
    [exc_id] = exception_ids(app)
    assert f"/admin/calendars/working_hours/exceptions/{exc_id}/delete" in page
    assert web.post(f"/admin/calendars/working_hours/exceptions/{exc_id}/delete").status_code == 302
    assert "Đã xóa ngày ngoại lệ; đã tính lại 2 thời hạn đang chạy" in web.get("/admin/calendars").get_data(
        as_text=True)
    assert resolve_deadline(api_as, ticket["id"]) == old
    assert exception_ids(app) == []
    [deleted] = audit_rows(app, "calendar_exception_delete")
    assert deleted.target_id == "working_hours" and deleted.details["before"]["note"] == "Bão số 9"
    assert len(audit_rows(app, "calendar_exception_add")) == 1
    assert web.post(f"/admin/calendars/working_hours/exceptions/{exc_id}/delete").status_code == 404


def test_the_api_delete_recomputes_too(app, api_as) -> None:
    assert api_as("admin").put("/api/v1/sla/policies", {**POLICY, "forward_within": "P1D", "warn_at": 0.5}
                               ).status_code == 201
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    old = datetime.fromisoformat(ticket["resolve_deadline"])
    due_day = old.astimezone(default_calendar().zone).date()
    added = api_as("admin").post("/api/v1/sla/calendars/working_hours/exceptions",
                                 {"date": due_day.isoformat(), "kind": "day_off"}).json
    make_worker(app, ["default"]).work(burst=True)  # the queued recompute
    assert resolve_deadline(api_as, ticket["id"]) > old
    resp = delete(api_as("admin"), f"/api/v1/sla/calendars/working_hours/exceptions/{added['exceptions'][0]['id']}")
    assert resp.status_code == 200
    make_worker(app, ["default"]).work(burst=True)
    assert resolve_deadline(api_as, ticket["id"]) == old


@pytest.mark.parametrize(("data", "field"), [
    ({"date": ""}, "date"),
    ({"date": "2027-02-30"}, "date"),
    ({"date": "hôm nay"}, "date"),
    ({"date": "9999-12-31"}, "date"),
    ({"kind": "holiday"}, "kind"),
    ({"note": "x" * 201}, "note"),
    ({"note": "bão\x00"}, "note"),
])
def test_a_refused_exception_is_shown_beside_its_field(app, count, data, field) -> None:
    web = signed_in(app.test_client())
    resp = web.post("/admin/calendars/working_hours/exceptions",
                    data={"date": "2027-01-04", "kind": "day_off", "note": "", **data})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    if not any("\x00" in v for v in data.values()):
        _audit(page, "refused exception")
    assert f'id="{field}-msg"' in page
    assert count(CalendarException) == 0 and count(AuditEvent, AuditEvent.action.like("calendar%")) == 0
    assert web.post("/admin/calendars/mars/exceptions", data={"date": "2027-01-04", "kind": "day_off"}
                    ).status_code == 404


# -- in a browser ---------------------------------------------------------------

def test_admin_adds_and_deletes_a_day_off_in_a_browser(app, new_page) -> None:
    page = new_page()
    login(page, "admin")
    page.goto("/admin")
    page.get_by_role("link", name="Lịch làm việc").click()
    assert page.locator("h1").inner_text() == "Lịch làm việc"
    form = page.locator("#calendar-working_hours form.add-exception")
    form.get_by_label("Ngày").fill("2027-01-05")
    form.get_by_label("Ghi chú").fill("Bão số 3")
    with page.expect_navigation():
        form.get_by_role("button", name="Thêm ngày ngoại lệ").click()
    assert "Đã thêm ngày 05/01/2027" in page.locator(".flash").inner_text()
    assert "Bão số 3" in page.locator("#calendar-working_hours").inner_text()
    page.goto("/admin/policies")
    page.get_by_role("link", name="Tạo chính sách TN-MT, Cao").click()
    assert page.get_by_label("Lĩnh vực").input_value() == "TN-MT"
    page.get_by_label("Thời hạn tiếp nhận").fill("PT2H")
    page.get_by_label("Thời hạn giải quyết").fill("P1W")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu chính sách").click()
    assert "7 ngày làm việc" in page.locator("#policy-TN-MT-high").inner_text()
    page.get_by_label("Thời hạn giải quyết").fill("P2M")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu chính sách").click()
    assert "Dạng ISO 8601" in page.locator("#resolve_within-msg").inner_text()
    assert page.locator("#category-msg").inner_text() == "Chọn một lĩnh vực"  # all at once
    shoot(page, "admin-policies")
    page.goto("/admin/calendars")
    shoot(page, "admin-calendars")
    page.locator("#calendar-working_hours details.confirm summary").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Xác nhận xóa ngày 05/01/2027").click()
    assert "Đã xóa ngày ngoại lệ" in page.locator(".flash").inner_text()
    assert "Chưa có ngày ngoại lệ" in page.locator("#calendar-working_hours").inner_text()


def test_the_screens_in_english(app) -> None:
    web = signed_in(app.test_client())
    web.get("/lang/en")
    policies = web.get("/admin/policies").get_data(as_text=True)
    calendars = web.get("/admin/calendars").get_data(as_text=True)
    _audit(policies, "/admin/policies en")
    _audit(calendars, "/admin/calendars en")
    assert "<h1>SLA policies</h1>" in policies and "Create policy TN-MT, Urgent" in policies
    assert "<h1>Working calendars</h1>" in calendars and "Monday" in calendars and "Add an exception" in calendars
