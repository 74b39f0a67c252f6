"""GET /api/v1/reports/summary (JSON), .xlsx and .csv: supervisors and admins only; every
hostile parameter a 422 naming the field; the JSON's figures are the brute-force counts."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.conftest import ROLE_USERS
from tests.services.report_data import PERIOD, insert_report_history

URLS = ("/api/v1/reports/summary", "/api/v1/reports/summary.xlsx", "/api/v1/reports/summary.csv")
QUERY = "?from=2025-04-01&to=2025-04-30"


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("user", [None, *ROLE_USERS])
def test_only_supervisors_and_admins_read_reports(app, api_as, url, user) -> None:
    resp = api_as(user).get(url + QUERY)
    wanted = {None: 401, "supervisor": 200, "admin": 200}.get(user, 403)
    assert resp.status_code == wanted, (user, resp.data[:200])
    if wanted != 200:
        assert resp.is_json and resp.json["code"] == wanted


HOSTILE = [
    ("", "from"),
    ("?to=2025-04-30", "from"),
    ("?from=2025-04-01", "to"),
    ("?from=2025-02-30&to=2025-04-30", "from"),
    ("?from=yesterday&to=2025-04-30", "from"),
    ("?from=1999-12-31&to=2025-04-30", "from"),
    ("?from=2025-04-01&to=2101-01-01", "to"),
    ("?from=2025-04-30&to=2025-04-01", "to"),
    ("?from=2020-01-01&to=2025-12-31", "to"),  # six years
    ("?from=2025-04-01&to=2025-04-30&group_by=street", "group_by"),
    ("?from=2025-04-01&to=2025-04-30&group_by=category%00", "group_by"),
    ("?from=2025-04-01T00:00:00&to=2025-04-30", "from"),
    ("?from=" + "9" * 5000 + "&to=2025-04-30", "from"),
    ("?from=-2025-04-01&to=2025-04-30", "from"),
]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(("query", "field"), HOSTILE)
def test_hostile_parameters_get_a_422_naming_the_field(app, api_as, url, query, field) -> None:
    resp = api_as("supervisor").get(url + query)
    assert resp.status_code == 422, resp.data[:300]
    assert field in resp.json["errors"]["query"], resp.json


def test_five_years_is_the_longest_period(app, api_as) -> None:
    assert api_as("supervisor").get("/api/v1/reports/summary?from=2020-01-01&to=2024-12-31").status_code == 200


def test_the_json_is_the_report_of_the_grouping(app, api_as) -> None:
    with app.app_context():
        insert_report_history(n=80, seed=3)
    resp = api_as("supervisor").get(f"/api/v1/reports/summary?from={PERIOD[0]}&to={PERIOD[1]}&group_by=channel")
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["period_from"] == "2025-04-01" and body["period_to"] == "2025-04-30"
    assert body["group_by"] == "channel" and body["timezone"] == "Asia/Ho_Chi_Minh"
    assert {r["key"] for r in body["rows"]} <= {"phone", "app", "web", "zalo", "sms", "walk_in"}
    assert sum(r["received"] for r in body["rows"]) == body["total"]["received"] > 0
    assert len(body["calls"]["per_day"]) == 30 and body["calls"]["per_day"][0]["day"] == "2025-04-01"
    phone = next(r for r in body["rows"] if r["key"] == "phone")
    assert phone["name_vi"] == "Điện thoại 1022"


def test_the_downloads_are_a_workbook_and_a_csv(app, api_as) -> None:
    with app.app_context():
        insert_report_history(n=60, seed=5)
    xlsx = api_as("admin").get(f"/api/v1/reports/summary.xlsx{QUERY}")
    assert xlsx.status_code == 200
    assert xlsx.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="bao-cao_2025-04-01_2025-04-30.xlsx"' in xlsx.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    assert "Định nghĩa" in book.sheetnames and "Cuộc gọi" in book.sheetnames
    csv = api_as("supervisor").get(f"/api/v1/reports/summary.csv{QUERY}&group_by=priority")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.data.decode("utf-8")
    assert text.startswith("\ufeffMã,Tên,Tiếp nhận")
    assert "Khẩn cấp" in text and "Tổng cộng" in text
