"""Department staff see a ticket once it is assigned to their department: not while it is
``received`` (the operators' queue, name and phone of the caller included), not once returned.
The same rule in the API's detail and list, the transitions, and the web inbox, CSV and page."""

from __future__ import annotations

from tests.conftest import ticket_payload


def _fire(api, ticket_id: int, trigger: str, **fields):
    resp = api.post(f"/api/v1/tickets/{ticket_id}/transitions", {"trigger": trigger, **fields})
    assert resp.status_code == 200, resp.json
    return resp


def _signed_in_officer(app):
    client = app.test_client()  # its own cookie jar: the API calls carry bearer tokens only
    assert client.post("/login", data={"username": "officer", "password": "Demo@1022"}).status_code == 302
    return client


def _officer_sees(api_as, pages, ticket: dict) -> dict[str, object]:
    officer = api_as("officer")  # SNNMT, the default department of TN-MT
    return {
        "detail": officer.get(f"/api/v1/tickets/{ticket['id']}").status_code,
        "transitions": officer.get(f"/api/v1/tickets/{ticket['id']}/transitions").status_code,
        "listed": [t["id"] for t in officer.get("/api/v1/tickets").json["items"]] == [ticket["id"]],
        "by_phone": officer.get("/api/v1/tickets?phone=0912345678").json["total"],
        "page": pages.get(f"/tickets/{ticket['id']}").status_code,
        "inbox": ticket["receipt_code"][:5] in pages.get("/department?status=all").get_data(as_text=True),
        "csv": ticket["receipt_code"] in pages.get("/department?format=csv&status=all").get_data(as_text=True),
    }


NOTHING = {"detail": 403, "transitions": 403, "listed": False, "by_phone": 0, "page": 403, "inbox": False,
           "csv": False}
EVERYTHING = {"detail": 200, "transitions": 200, "listed": True, "by_phone": 1, "page": 200, "inbox": True,
              "csv": True}


def test_an_officer_sees_a_ticket_once_assigned_and_no_longer_once_returned(app, api_as) -> None:
    pages = _signed_in_officer(app)
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    assert ticket["status"] == "received" and ticket["department"]["code"] == "SNNMT"
    assert _officer_sees(api_as, pages, ticket) == NOTHING
    # Operators and supervisors see it all along.
    assert api_as("supervisor").get(f"/api/v1/tickets/{ticket['id']}").status_code == 200

    _fire(api_as("operator"), ticket["id"], "assign")
    assert _officer_sees(api_as, pages, ticket) == EVERYTHING
    detail = api_as("officer").get(f"/api/v1/tickets/{ticket['id']}").json
    assert detail["contact"]["phone"] == "+84912345678"

    _fire(api_as("officer"), ticket["id"], "return", reason="Không thuộc thẩm quyền")
    assert _officer_sees(api_as, pages, ticket) == NOTHING
    _fire(api_as("operator"), ticket["id"], "assign")
    assert _officer_sees(api_as, pages, ticket)["detail"] == 200


def test_a_ticket_rejected_before_assignment_never_reaches_the_department(app, api_as) -> None:
    pages = _signed_in_officer(app)
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    _fire(api_as("operator"), ticket["id"], "reject", reason="Không thuộc phạm vi tiếp nhận")
    assert _officer_sees(api_as, pages, ticket) == NOTHING
