"""The supervisor dashboard shows pending extension requests a page at a time (oldest first), with
their total; the CSV export has them all."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from tests.conftest import fire, ticket_payload
from tests.web.conftest import PASSWORD

APPROVE = 'name="trigger" value="approve_extension"'


def test_pending_extensions_are_paged_on_the_dashboard_and_all_exported(app, api_as) -> None:
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    codes = []
    for n in range(12):
        ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
        fire(api_as("operator"), ticket["id"], "assign")
        fire(api_as("officer"), ticket["id"], "accept")
        fire(api_as("head"), ticket["id"], "request_extension", deadline=later, reason=f"khảo sát {n}")
        codes.append(ticket["receipt_code"])
    client = app.test_client()
    assert client.post("/login", data={"username": "supervisor", "password": PASSWORD}).status_code == 302
    first = client.get("/supervisor").get_data(as_text=True)
    assert first.count(APPROVE) == 10 and "Đề nghị gia hạn chờ duyệt (12)" in first
    assert "khảo sát 0<" in first and "khảo sát 11<" not in first  # oldest first
    assert "ext_page=2" in first
    second = client.get("/supervisor?ext_page=2").get_data(as_text=True)
    assert second.count(APPROVE) == 2 and "khảo sát 11<" in second
    exported = client.get("/supervisor?csv=extensions")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == codes
