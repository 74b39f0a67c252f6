"""Departments and categories admin: the API writes, the two admin screens, and what they change.

Departments and categories are session-wide reference data (tests/conftest.py): the ``org``
fixture puts back every row as it was and deletes the ones a test added.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from callcentre.core.extensions import db
from callcentre.models import AuditEvent, Category, Department
from tests.conftest import _clear_transactional_tables, ticket_payload
from tests.web.conftest import PASSWORD, login, shoot
from tests.web.test_html_valid import _audit

STAFF_ROLES = ("operator", "officer", "head", "supervisor")
FIELDS = ("name_vi", "name_en", "level", "active")


def _snapshot() -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for d in db.session.scalars(sa.select(Department)):
        rows[f"d:{d.code}"] = {**{f: getattr(d, f) for f in FIELDS}, "commune_codes": list(d.commune_codes or [])}
    for c in db.session.scalars(sa.select(Category)):
        rows[f"c:{c.code}"] = {**{f: getattr(c, f) for f in FIELDS}, "search_text": c.search_text,
                               "default_department_id": c.default_department_id}
    return rows


@pytest.fixture(autouse=True)
def org(app: Flask) -> Iterator[None]:
    with app.app_context():
        before = _snapshot()
    yield
    with app.app_context():
        _clear_transactional_tables()  # tickets of a test's new category go first
        for c in db.session.scalars(sa.select(Category)).all():
            if f"c:{c.code}" in before:
                for name, value in before[f"c:{c.code}"].items():
                    setattr(c, name, value)
            else:
                db.session.delete(c)
        db.session.flush()
        for d in db.session.scalars(sa.select(Department)).all():
            if f"d:{d.code}" in before:
                for name, value in before[f"d:{d.code}"].items():
                    setattr(d, name, value)
            else:
                db.session.delete(d)
        db.session.commit()


def signed_in(client: FlaskClient, username: str = "admin") -> FlaskClient:
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def audit_rows(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                                       .order_by(AuditEvent.id)))


def new_department(api, **overrides: Any):
    body = {"code": "ZZ-PHONG", "name_vi": "Phòng thử nghiệm", "name_en": "Test office", **overrides}
    return api.post("/api/v1/departments", body)


# -- RBAC ---------------------------------------------------------------------

WRITES = [("post", "/api/v1/departments", {"code": "ZZ-X", "name_vi": "X"}),
          ("patch", "/api/v1/departments/SNNMT", {"name_en": "x"}),
          ("post", "/api/v1/categories", {"code": "ZZ-X", "name_vi": "X", "default_department": "SNNMT"}),
          ("patch", "/api/v1/categories/TN-MT", {"name_en": "x"})]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_api_writes_are_for_admins_only(api_as, count, method, path, body) -> None:
    assert getattr(api_as(None), method)(path, body).status_code == 401
    for role in STAFF_ROLES:
        resp = getattr(api_as(role), method)(path, body)
        assert resp.status_code == 403, (role, resp.json)
    assert count(Department, Department.code == "ZZ-X") == 0 and count(Category, Category.code == "ZZ-X") == 0
    assert count(AuditEvent) == 0


def test_get_answers_keep_their_shape_and_add_fields(api_as) -> None:
    api = api_as("operator")
    cats = api.get("/api/v1/categories?q=moi+truong").json["items"]
    tnmt = next(c for c in cats if c["code"] == "TN-MT")
    assert tnmt["department"] == {"code": "SNNMT", "name_vi": "Sở Nông nghiệp và Môi trường",
                                  "name_en": "Department of Agriculture and Environment"}
    assert tnmt["level"] == "province" and tnmt["active"] is True
    depts = {d["code"]: d for d in api.get("/api/v1/departments?per_page=100").json["items"]}
    assert depts["UBND-28261"]["commune_code"] == "28261" and depts["UBND-28261"]["level"] == "commune"
    assert depts["UBND-28261"]["commune_codes"] == ["28261"]
    assert depts["SNNMT"]["commune_codes"] == [] and depts["SNNMT"]["active"] is True
    # Deactivated ones: admins only.
    assert api.get("/api/v1/departments?include_inactive=true").status_code == 403
    assert api_as("admin").get("/api/v1/categories?include_inactive=true").status_code == 200


PAGES = ["/admin/departments", "/admin/departments/SNNMT", "/admin/categories", "/admin/categories/TN-MT"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_for_admins_only(app, path) -> None:
    resp = app.test_client().get(path)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    for role in STAFF_ROLES:
        assert signed_in(app.test_client(), role).get(path).status_code == 403, role
        assert signed_in(app.test_client(), role).post(path, data={"name_vi": "x"}).status_code == 403, role
    assert signed_in(app.test_client()).get(path).status_code == 200


# -- departments through the API ----------------------------------------------

def test_admin_creates_and_edits_a_department_audited(app, api_as) -> None:
    api = api_as("admin")
    resp = new_department(api, level="commune", commune_codes=["28261", "28249", "28261"])
    assert resp.status_code == 201, resp.json
    assert resp.json == {"code": "ZZ-PHONG", "name_vi": "Phòng thử nghiệm", "name_en": "Test office",
                         "level": "commune", "commune_code": None, "commune_codes": ["28261", "28249"],
                         "active": True}
    [created] = audit_rows(app, "department_create")
    assert created.target_type == "department" and created.target_id == "ZZ-PHONG"
    assert created.actor_label == "admin" and created.details["before"] is None
    assert created.details["after"]["commune_codes"] == ["28261", "28249"]

    resp = api.patch("/api/v1/departments/ZZ-PHONG", {"name_vi": "Phòng mới", "active": False})
    assert resp.status_code == 200 and resp.json["name_vi"] == "Phòng mới" and resp.json["active"] is False
    [updated] = audit_rows(app, "department_update")
    assert updated.details == {"before": {"name_vi": "Phòng thử nghiệm", "active": True},
                               "after": {"name_vi": "Phòng mới", "active": False}}
    # Gone from the staff list, still in the admin's.
    codes = [d["code"] for d in api.get("/api/v1/departments?per_page=100").json["items"]]
    assert "ZZ-PHONG" not in codes
    all_codes = [d["code"] for d in api.get("/api/v1/departments?per_page=100&include_inactive=1").json["items"]]
    assert "ZZ-PHONG" in all_codes


@pytest.mark.parametrize(("body", "field"), [
    ({"code": "zz-lower"}, "code"),
    ({"code": "Z"}, "code"),
    ({"code": "ZZ PHONG"}, "code"),
    ({"code": "ZZ-Á"}, "code"),
    ({"code": "Z" * 41}, "code"),
    ({"name_vi": ""}, "name_vi"),
    ({"name_vi": "   "}, "name_vi"),
    ({"name_vi": "x" * 201}, "name_vi"),
    ({"name_en": "x\x00"}, "name_en"),
    ({"level": "district"}, "level"),
    ({"commune_codes": ["99999"]}, "commune_codes"),
    ({"commune_codes": "28261"}, "commune_codes"),
    ({"commune_codes": ["1" * 11]}, "commune_codes"),
    ({"active": "maybe"}, "active"),
])
def test_a_refused_department_field_is_named_and_nothing_written(app, api_as, count, body, field) -> None:
    resp = new_department(api_as("admin"), **body)
    assert resp.status_code == 422, resp.json
    assert list(resp.json["errors"]["json"]) == [field]
    assert count(Department, Department.code.like("ZZ%")) == 0 and count(AuditEvent) == 0


def test_a_taken_code_is_a_conflict_and_the_code_cannot_change(api_as, count) -> None:
    api = api_as("admin")
    resp = new_department(api, code="SNNMT")
    assert resp.status_code == 409 and list(resp.json["errors"]["json"]) == ["code"]
    assert api.patch("/api/v1/departments/SNNMT", {"code": "SOMOI"}).status_code == 422  # not a field to send
    assert api.patch("/api/v1/departments/NOPE", {"name_vi": "x"}).status_code == 404
    assert api.patch("/api/v1/categories/NOPE", {"name_vi": "x"}).status_code == 404
    assert count(AuditEvent) == 0


def test_deactivating_a_default_department_is_refused_naming_its_categories(app, api_as, count) -> None:
    api = api_as("admin")
    resp = api.patch("/api/v1/departments/SNNMT", {"active": False, "name_vi": "Đổi tên"})
    assert resp.status_code == 409
    [reason] = resp.json["errors"]["json"]["active"]
    assert "TN-MT" in reason
    with app.app_context():
        snnmt = db.session.scalars(sa.select(Department).where(Department.code == "SNNMT")).one()
        assert snnmt.active and snnmt.name_vi == "Sở Nông nghiệp và Môi trường"  # nothing partial
    assert count(AuditEvent) == 0
    # Once its categories route elsewhere (or are inactive), it may stop.
    routed = [c["code"] for c in api.get("/api/v1/categories?per_page=100&include_inactive=1").json["items"]
              if c["department"]["code"] == "SNNMT"]
    for code in routed:
        assert api.patch(f"/api/v1/categories/{code}", {"default_department": "VPUBND"}).status_code == 200
    assert api.patch("/api/v1/departments/SNNMT", {"active": False}).status_code == 200


# -- categories through the API -----------------------------------------------

def test_a_new_category_is_offered_on_the_console_and_routes_its_tickets(app, api_as) -> None:
    admin = api_as("admin")
    assert new_department(admin).status_code == 201
    resp = admin.post("/api/v1/categories", {"code": "ZZ-CAY-XANH", "name_vi": "Cây xanh đô thị",
                                             "name_en": "Urban trees", "default_department": "ZZ-PHONG",
                                             "level": "commune"})
    assert resp.status_code == 201, resp.json
    assert resp.json["department"]["code"] == "ZZ-PHONG" and resp.json["level"] == "commune"
    [row] = audit_rows(app, "category_create")
    assert row.target_id == "ZZ-CAY-XANH" and row.details["after"]["default_department"] == "ZZ-PHONG"

    operator = signed_in(app.test_client(), "operator")
    assert 'value="ZZ-CAY-XANH"' in operator.get("/operator").get_data(as_text=True)
    found = api_as("operator").get("/api/v1/categories?q=cay+xanh").json["items"]
    assert [c["code"] for c in found] == ["ZZ-CAY-XANH"]
    # No commune known (none given, none named in the address): the category's default department.
    no_commune = {"address": "12 Lê Lợi"}
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload(category="ZZ-CAY-XANH", location=no_commune))
    assert ticket.status_code == 201, ticket.json
    assert ticket.json["department"]["code"] == "ZZ-PHONG"
    # A commune-level category filed in phường Mỹ Tho (28261): that ward's People's Committee.
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload(category="ZZ-CAY-XANH"))
    assert ticket.json["department"]["code"] == "UBND-28261"

    # A new default department routes the very next ticket.
    assert admin.patch("/api/v1/categories/ZZ-CAY-XANH", {"default_department": "SXD"}).status_code == 200
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload(category="ZZ-CAY-XANH", location=no_commune))
    assert ticket.json["department"]["code"] == "SXD"
    [updated] = audit_rows(app, "category_update")
    assert updated.details == {"before": {"default_department": "ZZ-PHONG"}, "after": {"default_department": "SXD"}}
    # Deactivated: no longer offered.
    assert admin.patch("/api/v1/categories/ZZ-CAY-XANH", {"active": False}).status_code == 200
    assert 'value="ZZ-CAY-XANH"' not in operator.get("/operator").get_data(as_text=True)
    assert api_as("operator").post("/api/v1/tickets", ticket_payload(category="ZZ-CAY-XANH")).status_code == 422


@pytest.mark.parametrize(("body", "field"), [
    ({"default_department": "NOPE"}, "default_department"),
    ({"default_department": "ZZ-OFF"}, "default_department"),
    ({"code": "tn mt"}, "code"),
    ({"name_vi": ""}, "name_vi"),
    ({"level": "x"}, "level"),
])
def test_a_refused_category_field_is_named_and_nothing_written(app, api_as, count, body, field) -> None:
    admin = api_as("admin")
    assert new_department(admin, code="ZZ-OFF", active=False).status_code == 201
    payload = {"code": "ZZ-CAT", "name_vi": "Lĩnh vực", "default_department": "SNNMT", **body}
    resp = admin.post("/api/v1/categories", payload)
    assert resp.status_code == 422, resp.json
    assert list(resp.json["errors"]["json"]) == [field]
    assert count(Category, Category.code.like("ZZ%")) == 0 and len(audit_rows(app, "category_create")) == 0
    resp = admin.patch("/api/v1/categories/TN-MT", {k: v for k, v in body.items() if k != "code"} or {"code": "X"})
    assert resp.status_code == 422 and len(audit_rows(app, "category_update")) == 0


def test_api_messages_follow_the_language(api_as) -> None:
    api = api_as("admin")
    vi = new_department(api, code="x").json["errors"]["json"]["code"][0]
    en = api.post("/api/v1/departments", {"code": "x", "name_vi": "X"},
                  headers={"Accept-Language": "en"}).json["errors"]["json"]["code"][0]
    assert vi.startswith("Mã gồm") and en.startswith("The code")


# -- the screens over HTTP ----------------------------------------------------

def test_screen_creates_edits_and_refuses_beside_the_field(app, count) -> None:
    web = signed_in(app.test_client())
    resp = web.post("/admin/departments", data={"code": "zz-phong", "name_vi": "", "name_en": "Kept",
                                                "level": "commune", "commune_codes": "28261, 99999",
                                                "active": "y"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Bắt buộc nhập" in html and "Mã xã/phường không có trong tỉnh: 99999" in html
    assert 'value="Kept"' in html and "28261, 99999" in html  # typed values kept
    assert count(Department, Department.code.like("ZZ%")) == 0

    resp = web.post("/admin/departments", data={"code": "zz-phong", "name_vi": "Phòng thử", "level": "commune",
                                                "commune_codes": "28261; 28249", "active": "y"})
    assert resp.status_code == 302  # the code is taken upper-case
    html = web.get("/admin/departments").get_data(as_text=True)
    assert "Đã tạo đơn vị ZZ-PHONG" in html and 'id="department-ZZ-PHONG"' in html and "28261, 28249" in html

    # Unchecked "active" deactivates it; the list marks it.
    assert web.post("/admin/departments/ZZ-PHONG", data={"name_vi": "Phòng thử", "level": "commune",
                                                          "commune_codes": ""}).status_code == 302
    html = web.get("/admin/departments").get_data(as_text=True)
    row = html.split('id="department-ZZ-PHONG"')[1].split("</tr>")[0]
    assert "Ngừng hoạt động" in row
    assert [e.details["after"] for e in audit_rows(app, "department_update")] == [
        {"commune_codes": [], "active": False}]

    # The default department of TN-MT cannot stop: 409, said beside the checkbox.
    resp = web.post("/admin/departments/SNNMT", data={"name_vi": "Sở Nông nghiệp và Môi trường",
                                                      "name_en": "x", "level": "province"})
    assert resp.status_code == 409 and "TN-MT" in resp.get_data(as_text=True)
    assert len(audit_rows(app, "department_update")) == 1

    resp = web.post("/admin/categories", data={"code": "ZZ-CAT", "name_vi": "Lĩnh vực thử",
                                               "default_department": "ZZ-PHONG", "level": "province",
                                               "active": "y"})
    assert resp.status_code == 422 and "Đơn vị ZZ-PHONG đã ngừng hoạt động" in resp.get_data(as_text=True)
    resp = web.post("/admin/categories", data={"code": "ZZ-CAT", "name_vi": "Lĩnh vực thử",
                                               "default_department": "SXD", "level": "province", "active": "y"})
    assert resp.status_code == 302
    assert 'id="category-ZZ-CAT"' in web.get("/admin/categories").get_data(as_text=True)
    edit = web.get("/admin/categories/ZZ-CAT").get_data(as_text=True)
    assert 'value="Lĩnh vực thử"' in edit and '<option selected value="SXD">' in edit
    assert len(audit_rows(app, "category_create")) == 1
    assert web.get("/admin/departments/NOPE").status_code == 404


def test_screen_refuses_a_forged_post(make_app, count) -> None:
    web = make_app(WTF_CSRF_ENABLED=True).test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', web.get("/login").get_data(as_text=True))
    assert token is not None
    assert web.post("/login", data={"username": "admin", "password": PASSWORD,
                                    "csrf_token": token.group(1)}).status_code == 302
    resp = web.post("/admin/categories", data={"code": "ZZ-CAT", "name_vi": "x", "default_department": "SXD"})
    assert resp.status_code == 400  # the app-wide CSRF check's error page
    assert count(Category, Category.code == "ZZ-CAT") == 0


# -- in a browser ---------------------------------------------------------------

def test_admin_adds_a_category_in_a_browser(app, new_page) -> None:
    page = new_page()
    login(page, "admin")
    page.goto("/admin/categories")
    assert page.locator("h1").inner_text() == "Lĩnh vực"
    page.get_by_label("Mã lĩnh vực").fill("ZZ-CAY-XANH")
    page.get_by_label("Tên tiếng Việt").fill("Cây xanh đô thị")
    with page.expect_navigation():
        page.get_by_role("button", name="Thêm lĩnh vực").click()
    assert page.locator("#default_department-msg").inner_text() == "Bắt buộc chọn"
    assert page.get_by_label("Tên tiếng Việt").input_value() == "Cây xanh đô thị"  # kept
    shoot(page, "admin-categories-error")
    page.get_by_label("Đơn vị xử lý mặc định").select_option("SXD")
    with page.expect_navigation():
        page.get_by_role("button", name="Thêm lĩnh vực").click()
    assert "Đã tạo lĩnh vực ZZ-CAY-XANH" in page.locator(".flash").inner_text()
    assert "Sở Xây dựng" in page.locator("#category-ZZ-CAY-XANH").inner_text()

    page.get_by_role("link", name="Sửa ZZ-CAY-XANH").click()
    page.get_by_label("Đang hoạt động").uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu").click()
    assert "Ngừng hoạt động" in page.locator("#category-ZZ-CAY-XANH").inner_text()
    shoot(page, "admin-categories")
    page.goto("/admin/departments")
    shoot(page, "admin-departments")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_screens_are_valid_html_and_labelled(app, lang) -> None:
    web = app.test_client()
    web.get(f"/lang/{lang}")
    signed_in(web)
    for path in PAGES:
        _audit(web.get(path).get_data(as_text=True), f"{path} ({lang})")
    refused = web.post("/admin/categories", data={"code": "x", "name_vi": "", "default_department": ""})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    _audit(html, f"refused category ({lang})")
    assert ("Required" if lang == "en" else "Bắt buộc chọn") in html


def test_saving_without_a_change_records_nothing(app, api_as) -> None:
    api = api_as("admin")
    assert api.patch("/api/v1/departments/SNNMT", {}).status_code == 200
    same = {"default_department": "SNNMT", "level": "province"}
    assert api.patch("/api/v1/categories/TN-MT", same).status_code == 200
    assert audit_rows(app, "department_update") == [] and audit_rows(app, "category_update") == []
