"""GET /api/v1/public/answers: no login, paginated, filtered, hostile parameters refused, never
personal data, never a confidential or unpublished ticket; and the Open311 list's same rule."""

from __future__ import annotations

import json

import pytest

from callcentre.core.extensions import db
from tests.services.public_answers_data import (
    CODE,
    NAME,
    OTHER,
    PHONE_TYPED,
    add_ticket,
    categories,  # noqa: F401  (a fixture)
    personal_bits,
)

pytestmark = pytest.mark.usefixtures("categories")
URL = "/api/v1/public/answers"


def _seed(app) -> dict[str, str]:
    with app.app_context():
        made = {
            "lamp": add_ticket(answer=f"Kính gửi bà {NAME}, đã thay bóng đèn đường.", answered_days_ago=1),
            "waste": add_ticket(category=OTHER, commune="28249", answer="Đã thu gom rác.", answered_days_ago=2,
                                channel="app"),
            "closed": add_ticket(status="closed", answered_days_ago=3),
            "secret": add_ticket(confidential=True, answer="BÍ MẬT đèn đường"),
            "private": add_ticket(published=False, answer="RIÊNG TƯ đèn đường", channel="app"),
            "reopened": add_ticket(status="in_progress", answer="ĐANG LÀM LẠI đèn đường"),
        }
        db.session.commit()
        return {k: t.receipt_code for k, t in made.items()}


def test_lists_published_answers_without_login(app, api_as) -> None:
    codes = _seed(app)
    resp = api_as(None).get(URL)
    assert resp.status_code == 200
    body = resp.json
    assert [r["receipt_code"] for r in body["items"]] == [codes["lamp"], codes["waste"], codes["closed"]]
    assert body["total"] == 3 and body["total_is_estimate"] is False and body["page"] == 1
    lamp = body["items"][0]
    assert lamp["category"]["code"] == CODE and lamp["department"]["code"] == "SCT"
    assert lamp["commune"] == {"code": "28261", "name": "Phường Mỹ Tho"}
    assert lamp["answered_at"].endswith("+07:00") and lamp["received_at"].endswith("+07:00")
    assert lamp["status_label"] == {"vi": "Đã trả lời", "en": "Answered"}
    assert lamp["answer"] == "Kính gửi bà ***, đã thay bóng đèn đường."
    text = json.dumps(body, ensure_ascii=False)
    for bit in personal_bits():
        assert bit not in text, bit
    for word in ("BÍ MẬT", "RIÊNG TƯ", "ĐANG LÀM LẠI", "description", "title", "lat", "media", "phone"):
        assert word not in text, word


def test_pages_and_filters(app, api_as) -> None:
    codes = _seed(app)
    anon = api_as(None)
    page2 = anon.get(f"{URL}?per_page=2&page=2").json
    assert [r["receipt_code"] for r in page2["items"]] == [codes["closed"]] and page2["total"] == 3
    assert [r["receipt_code"] for r in anon.get(f"{URL}?category={OTHER}").json["items"]] == [codes["waste"]]
    assert [r["receipt_code"] for r in anon.get(f"{URL}?commune=28249").json["items"]] == [codes["waste"]]
    assert [r["receipt_code"] for r in anon.get(f"{URL}?q=thu gom").json["items"]] == [codes["waste"]]
    found = [r["receipt_code"] for r in anon.get(f"{URL}?q=DEN DUONG").json["items"]]
    # Not the confidential, unpublished or reopened ones that say it too.
    assert found == [codes["lamp"], codes["closed"]]
    assert anon.get(f"{URL}?q=bich ngoc").json["items"] == []  # the citizen's name, quoted in the answer


@pytest.mark.parametrize("query, field", [
    ("page=0", "page"), ("page=10001", "page"), ("per_page=0", "per_page"), ("per_page=101", "per_page"),
    ("page=abc", "page"), ("category=" + "A" * 41, "category"), ("category=NO-SUCH", "category"),
    ("commune=99999", "commune"), ("commune=" + "1" * 11, "commune"), ("q=" + "a" * 101, "q"),
    ("q=0987654321", "q"), ("q=45%2F2B", "q"), ("q=a", "q"), ("q=%00den", "q"), ("name=x", "name"),
])
def test_hostile_parameters_are_422_naming_the_field(app, api_as, query: str, field: str) -> None:
    resp = api_as(None).get(f"{URL}?{query}")
    assert resp.status_code in (400, 422), (query, resp.status_code)
    if resp.status_code == 422:
        assert field in json.dumps(resp.json["errors"]), resp.json


def test_rate_limited(make_app) -> None:
    client = make_app(RATELIMIT_PUBLIC="2 per minute").test_client()
    statuses = [client.get(URL).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_in_the_openapi_document_without_security(client) -> None:
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/public/answers"]["get"]
    assert operation["security"] == []
    names = {p["name"] for p in operation["parameters"]}
    assert {"page", "per_page", "category", "commune", "q"} <= names
    assert "PublicAnswerPage" in spec["components"]["schemas"]


def test_open311_list_and_feed_show_an_answer_only_when_published(app, api_as, client) -> None:
    codes = _seed(app)
    listed = {r["service_request_id"]: r for r in client.get("/open311/v2/requests.json").json}
    assert listed[codes["lamp"]]["status_notes"] == "Kính gửi bà ***, đã thay bóng đèn đường."  # a published call
    assert listed[codes["private"]]["status_notes"] is None  # the app's own report stays listed, without the answer
    assert codes["secret"] not in listed and codes["reopened"] not in listed
    by_code = client.get(f"/open311/v2/requests/{codes['private']}.json").json[0]
    assert by_code["status_notes"] == "RIÊNG TƯ đèn đường"  # asked for by its code: as on /t/<code>
    text = json.dumps(list(listed.values()), ensure_ascii=False)
    for bit in (NAME, PHONE_TYPED, "45/2B"):
        assert bit not in text
