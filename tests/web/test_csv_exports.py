"""CSV exports never hand a spreadsheet a formula: text typed by citizens or staff that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a CR is prefixed with ``'`` (web/helpers.py: csv_cell)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from callcentre.web.helpers import csv_cell
from tests.conftest import ticket_payload

FORMULA = '=HYPERLINK("http://x","y")'


def _signed_in(app, username: str):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "Demo@1022"}).status_code == 302
    return client


def _rows(resp) -> list[dict[str, str]]:
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).removeprefix("\ufeff"))))


def test_a_formula_in_a_ticket_description_is_text_in_the_inbox_export(app, api_as) -> None:
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload(description=FORMULA + "\nchi tiết")).json
    api_as("operator").post(f"/api/v1/tickets/{ticket['id']}/transitions", {"trigger": "assign"})
    [row] = _rows(_signed_in(app, "officer").get("/department?format=csv&status=all"))
    assert row["Mã biên nhận"] == ticket["receipt_code"]
    assert row["Tiêu đề"] == "'" + FORMULA  # the first line of the description, never evaluated
    assert row["Còn lại (giây làm việc)"].lstrip("-").isdigit()  # numbers stay numbers


def test_a_formula_in_an_extension_reason_is_text_in_the_supervisor_export(app, api_as) -> None:
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    fire = [("operator", "assign", {}), ("officer", "accept", {}),
            ("head", "request_extension", {"deadline": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
                                           "reason": "@SUM(1+1)*cmd|' /C calc'!A0"})]
    for user, trigger, fields in fire:
        resp = api_as(user).post(f"/api/v1/tickets/{ticket['id']}/transitions", {"trigger": trigger, **fields})
        assert resp.status_code == 200, resp.json
    [row] = _rows(_signed_in(app, "supervisor").get("/supervisor?csv=extensions"))
    assert row["Lý do"] == "'@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.mark.parametrize(("value", "cell"), [
    (FORMULA, "'" + FORMULA),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("Khói bụi = ô nhiễm", "Khói bụi = ô nhiễm"),  # not at the start
    ("+84912345678", "+84912345678"),  # a plain signed number computes nothing
    ("-3600", "-3600"),
    (-3600, -3600),
    (None, ""),
])
def test_csv_cell(value, cell) -> None:
    assert csv_cell(value) == cell
