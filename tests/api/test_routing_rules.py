"""Routing API: /api/v1/routing/rules (admin) and /api/v1/routing/suggest (front desk): every
role against every endpoint, the audit rows, hostile input, and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from callcentre.core.extensions import db
from callcentre.models import AuditEvent
from callcentre.models.routing import RoutingRule
from tests.services.routing_data import DAO_THANH, MY_THO, TAN_HUONG, place_setup, restored_org

RULES = "/api/v1/routing/rules"
SUGGEST = "/api/v1/routing/suggest"
ROLES = ("operator", "officer", "head", "officer_ct", "supervisor", "admin", None)


@pytest.fixture(autouse=True)
def org(app: Flask) -> Iterator[None]:
    yield from restored_org(app)


@pytest.fixture()
def place(app: Flask) -> dict[str, str]:
    with app.app_context():
        return place_setup()


def _rule(api, **overrides: Any):
    return api.post(RULES, {"category": "ZZ-VESINH", "commune_code": MY_THO, "department": "ZZ-SO2", **overrides})


def _audit(app: Flask) -> list[tuple[str, str | None, dict]]:
    with app.app_context():
        return [(e.action, e.target_id, e.details) for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.target_type == "routing_rule").order_by(AuditEvent.id))]


# -- RBAC: every role x every endpoint -----------------------------------------------

@pytest.mark.parametrize("user", ROLES)
def test_every_role_against_every_routing_endpoint(app, api_as, place, user: str | None) -> None:
    with app.app_context():
        rule = RoutingRule(category_id=db.session.scalar(sa.text("SELECT id FROM categories WHERE code='ZZ-TINH'")),
                           commune_code=TAN_HUONG,
                           department_id=db.session.scalar(sa.text("SELECT id FROM departments WHERE code='ZZ-SO2'")))
        db.session.add(rule)
        db.session.commit()
        rule_id = rule.id
    api = api_as(user)
    admin_only = {
        ("GET", RULES): api.get(RULES),
        ("POST", RULES): _rule(api),
        ("PATCH", f"{RULES}/id"): api.patch(f"{RULES}/{rule_id}", {"active": False}),
        ("DELETE", f"{RULES}/id"): api.client.delete(f"{RULES}/{rule_id}", headers=api.headers),
    }
    suggest = api.get(f"{SUGGEST}?category=ZZ-VESINH&commune_code={MY_THO}")
    expected_admin = {("GET", RULES): 200, ("POST", RULES): 201, ("PATCH", f"{RULES}/id"): 200,
                      ("DELETE", f"{RULES}/id"): 204}
    for key, resp in admin_only.items():
        want = expected_admin[key] if user == "admin" else 401 if user is None else 403
        assert resp.status_code == want, (user, key, resp.status_code, resp.get_json())
    want = 200 if user in ("operator", "supervisor", "admin") else 401 if user is None else 403
    assert suggest.status_code == want, (user, suggest.get_json())
    with app.app_context():
        rules = db.session.scalar(sa.select(sa.func.count()).select_from(RoutingRule))
    # The admin created one and deleted the other; nobody else changed anything.
    assert rules == 1 and (user == "admin") == (len(_audit(app)) == 3)


# -- rules CRUD ------------------------------------------------------------------------

def test_admin_creates_lists_edits_and_deletes_a_rule_each_audited(app, api_as, place) -> None:
    admin = api_as("admin")
    created = _rule(admin)
    assert created.status_code == 201, created.json
    body = created.json
    assert body["commune"] == {"code": MY_THO, "name": "Phường Mỹ Tho"}
    assert (body["category"]["code"], body["department"]["code"], body["active"]) == ("ZZ-VESINH", "ZZ-SO2", True)
    _rule(admin, commune_code=TAN_HUONG, department="ZZ-UBND-TANHUONG")
    listed = admin.get(f"{RULES}?category=ZZ-VESINH").json
    assert [r["commune_code"] for r in listed["items"]] == sorted([MY_THO, TAN_HUONG]) and listed["total"] == 2
    assert admin.get(f"{RULES}?commune_code={TAN_HUONG}").json["total"] == 1
    assert admin.get(f"{RULES}?department=ZZ-SO2").json["total"] == 1
    assert admin.get(f"{RULES}?category=ZZ-TINH").json["total"] == 0
    edited = admin.patch(f"{RULES}/{body['id']}", {"department": "ZZ-SO", "commune_code": DAO_THANH})
    assert edited.status_code == 200 and edited.json["commune"]["name"] == "Phường Đạo Thạnh"
    assert admin.patch(f"{RULES}/{body['id']}", {"department": "ZZ-SO"}).status_code == 200  # no change: no row
    assert admin.client.delete(f"{RULES}/{body['id']}", headers=admin.headers).status_code == 204
    assert admin.client.delete(f"{RULES}/{body['id']}", headers=admin.headers).status_code == 404
    rows = _audit(app)
    assert [a for a, _, _ in rows] == ["routing_rule_create", "routing_rule_create", "routing_rule_update",
                                       "routing_rule_delete"]
    assert rows[0][1] == str(body["id"]) and rows[0][2]["after"]["commune_name"] == "Phường Mỹ Tho"
    assert rows[2][2] == {"before": {"commune_code": MY_THO, "commune_name": "Phường Mỹ Tho", "department": "ZZ-SO2"},
                          "after": {"commune_code": DAO_THANH, "commune_name": "Phường Đạo Thạnh",
                                    "department": "ZZ-SO"}}
    assert rows[3][2]["before"]["department"] == "ZZ-SO" and rows[3][2]["after"] is None


def test_a_rule_routes_the_next_ticket_and_the_suggestion_says_so(app, api_as, place) -> None:
    operator = api_as("operator")
    before = operator.get(f"{SUGGEST}?category=ZZ-VESINH&address=P.%20M%E1%BB%B9%20Tho").json
    assert before["department"]["code"] == "ZZ-UBND-MYTHO" and before["reason"] == "commune"
    assert before["commune"] == {"code": MY_THO, "name": "Phường Mỹ Tho"} and before["commune_found"] is True
    assert before["reason_label"]["vi"] == "theo xã/phường của địa chỉ"
    rule = _rule(api_as("admin")).json
    after = operator.get(f"{SUGGEST}?category=ZZ-VESINH&commune_code={MY_THO}").json
    assert (after["department"]["code"], after["reason"], after["rule_id"], after["commune_found"]) == \
        ("ZZ-SO2", "rule", rule["id"], False)
    ticket = operator.post("/api/v1/tickets", {
        "channel": "phone", "category": "ZZ-VESINH", "description": "Rác", "contact": {"phone": "0912345678"},
        "location": {"address": "phường Mỹ Tho"}}).json
    assert ticket["department"]["code"] == "ZZ-SO2"
    nowhere = operator.get(f"{SUGGEST}?category=ZZ-VESINH").json
    assert (nowhere["department"]["code"], nowhere["reason"], nowhere["commune"]) == ("ZZ-SO", "default", None)


@pytest.mark.parametrize(("body", "field", "status"), [
    ({"category": "NOPE"}, "category", 422),
    ({"category": "X" * 41}, "category", 422),
    ({"category": None}, "category", 422),
    ({"commune_code": "99999"}, "commune_code", 422),
    ({"commune_code": "1" * 11}, "commune_code", 422),
    ({"commune_code": "282\x0061"}, "commune_code", 422),
    ({"department": "NOPE"}, "department", 422),
    ({"department": 12}, "department", 422),
    ({"active": "maybe"}, "active", 422),
    ({"unknown": 1}, "unknown", 422),
])
def test_a_bad_rule_is_refused_naming_the_field_and_nothing_written(app, api_as, place, count, body, field,
                                                                       status) -> None:
    resp = _rule(api_as("admin"), **body)
    assert resp.status_code == status, resp.json
    assert field in resp.json["errors"]["json"], resp.json
    assert count(RoutingRule) == 0 and _audit(app) == []


def test_a_second_rule_for_a_pair_is_a_conflict_and_a_missing_rule_is_404(app, api_as, place, count) -> None:
    admin = api_as("admin")
    first = _rule(admin).json
    again = _rule(admin, department="ZZ-SO")
    assert again.status_code == 409 and "commune_code" in again.json["errors"]["json"]
    other = _rule(admin, commune_code=TAN_HUONG).json
    moved = admin.patch(f"{RULES}/{other['id']}", {"commune_code": MY_THO})
    assert moved.status_code == 409
    for path in (f"{RULES}/999999", f"{RULES}/{2**31}", f"{RULES}/abc"):
        assert admin.patch(path, {"active": False}).status_code == 404, path
        assert admin.client.delete(path, headers=admin.headers).status_code == 404, path
    assert admin.patch(f"{RULES}/{first['id']}", []).status_code == 422
    assert count(RoutingRule) == 2 and len(_audit(app)) == 2


@pytest.mark.parametrize(("query", "field"), [
    ("", "category"),
    ("category=NOPE", "category"),
    ("category=" + "X" * 41, "category"),
    ("category=ZZ-VESINH&commune_code=00000", "commune_code"),
    ("category=ZZ-VESINH&commune_code=" + "1" * 11, "commune_code"),
    ("category=ZZ-VESINH&address=" + "a" * 501, "address"),
    ("category=ZZ-VESINH&address=%00", "address"),
])
def test_a_bad_suggestion_query_is_refused_naming_the_field(api_as, place, query: str, field: str) -> None:
    resp = api_as("operator").get(f"{SUGGEST}?{query}")
    assert resp.status_code in (400, 422), resp.json
    assert field in str(resp.json.get("errors", {})) or field in resp.json["message"], resp.json


def test_the_openapi_document_has_the_routing_endpoints(client) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert {"get", "post"} <= spec["paths"]["/api/v1/routing/rules"].keys()
    assert {"patch", "delete"} <= spec["paths"]["/api/v1/routing/rules/{rule_id}"].keys()
    assert "get" in spec["paths"]["/api/v1/routing/suggest"]
    schemas = spec["components"]["schemas"]
    assert {"RoutingRuleCreate", "RoutingRuleOut", "SuggestOut"} <= schemas.keys()
    assert "department" in schemas["TicketCreate"]["properties"]
