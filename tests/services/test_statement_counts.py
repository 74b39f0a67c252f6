"""Reads cost a fixed number of SQL statements, whatever the size of the history.

Each list, detail, inbox, dashboard and export endpoint (API and HTML) is requested with 50
tickets in the database and again with 2,000: the statements it runs (seen by a
``before_cursor_execute`` listener on the engine) must not grow. Statements are compared by
shape (their text with ``IN (...)`` lists collapsed): no shape may run more often with more rows.
A query per row (a lazy load in a loop, a calendar per clock) or an export that reads the table
in chunks runs its shape more often, and fails. A shape that the small history never needed (a
page with no running clock loads no calendar) may appear once."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import Ticket
from tests.services.history import FREQUENT_PHONE, insert_history

SMALL, LARGE = 50, 2_000
WEEK_AGO = (datetime.now(UTC) - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")

API = [
    "/api/v1/tickets",
    "/api/v1/tickets?page=2&per_page=10",
    "/api/v1/tickets?page=4&per_page=10",
    "/api/v1/tickets?status=closed",
    "/api/v1/tickets?status=received,assigned,in_progress,awaiting_citizen",
    "/api/v1/tickets?department=SNNMT",
    "/api/v1/tickets?category=TN-MT&priority=normal",
    "/api/v1/tickets?channel=phone&status=resolved",
    f"/api/v1/tickets?created_from={WEEK_AGO}",
    f"/api/v1/tickets?phone={FREQUENT_PHONE}",
    "/api/v1/tickets/{ticket_id}",
    f"/api/v1/contacts?phone={FREQUENT_PHONE}",
    "/api/v1/calls",
    f"/api/v1/calls?phone={FREQUENT_PHONE}",
    "/api/v1/calls/summary",
    "/api/v1/calls/summary?days=366",
    "/api/v1/sla/at-risk",
    "/api/v1/sla/at-risk?within=P30D",
    "/api/v1/sla/breaches",
    "/api/v1/sla/breaches?level=warning&acknowledged=false",
    "/api/v1/sla/summary",
    "/api/v1/sla/summary?from=2000-01-01T00:00:00Z",
]
PAGES = [
    ("officer", "/department"),
    ("officer", "/department?status=all"),
    ("supervisor", "/department"),
    ("supervisor", "/department?status=all&page=2"),
    ("supervisor", "/department?status=closed"),
    ("officer", "/department?format=csv"),
    ("supervisor", "/department?format=csv&status=all"),
    ("supervisor", "/tickets/{ticket_id}"),
    ("operator", f"/operator?phone={FREQUENT_PHONE}"),
    ("operator", "/operator/callbacks?format=csv"),
    ("supervisor", "/supervisor"),
    ("supervisor", "/supervisor?days=30&unacked=1"),
    *[("supervisor", f"/supervisor?csv={name}") for name in
      ("counts", "at_risk", "breaches", "trend", "calls", "extensions")],
]


@contextmanager
def statements(app) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


_IN_LIST = re.compile(r"\(\s*(?:\?|%\([^)]*\)s)(?:\s*,\s*(?:\?|%\([^)]*\)s))*\s*\)")


def shapes(seen: list[str]) -> Counter[str]:
    return Counter(_IN_LIST.sub("(…)", statement) for statement in seen)


def _measure(app, get: Callable[[str], Any], path: str) -> tuple[int, list[str]]:
    get(path).close()  # once first: a token's or session's last-use stamp is written at most every few minutes
    with statements(app) as seen:
        resp = get(path)
        body = resp.get_data()  # a streamed export runs its queries while it is read
    assert resp.status_code == 200, (path, resp.status_code, body[:300])
    return len(seen), seen


def _signed_in(app, username: str):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "Demo@1022"}).status_code == 302
    return client


def _counts(app, api_as) -> dict[str, tuple[int, list[str]]]:
    with app.app_context():
        ticket_id = db.session.scalar(sa.select(Ticket.id).order_by(Ticket.id.desc()))
    out: dict[str, tuple[int, list[str]]] = {}
    api = api_as("supervisor")
    for path in API:
        url = path.format(ticket_id=ticket_id)
        out[path] = _measure(app, lambda u: api.get(u), url)
    clients = {name: _signed_in(app, name) for name in {u for u, _ in PAGES}}
    for user, path in PAGES:
        url = path.format(ticket_id=ticket_id)
        out[f"{user} {path}"] = _measure(app, clients[user].get, url)
    return out


def test_statements_per_request_do_not_grow_with_the_history(app, api_as) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        insert_history(SMALL, seed=1, now=now)
    small = _counts(app, api_as)
    with app.app_context():
        insert_history(LARGE - SMALL, seed=2, now=now)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == LARGE
    large = _counts(app, api_as)
    grown = {}
    for path in small:
        before, after = shapes(small[path][1]), shapes(large[path][1])
        more = {shape: (before[shape], n) for shape, n in after.items() if n > max(before[shape], 1)}
        if more:
            grown[path] = more
    assert not grown, grown
    # And they are few: a page is a handful of statements, not one per row.
    assert max(n for n, _ in large.values()) <= 25, {p: n for p, (n, _) in large.items()}


@pytest.mark.parametrize("username", ["officer", "supervisor"])
def test_a_total_past_the_count_cap_is_shown_as_a_lower_bound(app, api_as, username, monkeypatch) -> None:
    from callcentre.http import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 5)  # the count stops at 5 rows instead of 10,000
    with app.app_context():
        insert_history(120, seed=3, now=datetime.now(UTC))
    html = _signed_in(app, username).get("/department?status=all&per_page=5").get_data(as_text=True)
    # The inbox counts its urgent part exactly and the rest up to the cap: still "more than".
    assert re.search(r"Trang 1 \(hơn \d+ mục\)", html) and 'rel="next"' in html
    api = api_as("supervisor")
    body = api.get("/api/v1/tickets?per_page=3&page=4").json
    assert (body["total"], body["total_is_estimate"], len(body["items"])) == (12, True, 3)
    body = api.get("/api/v1/tickets?per_page=3&page=400").json
    assert (body["total"], body["total_is_estimate"], body["items"]) == (5, True, [])
    assert api.get("/api/v1/tickets?status=nosuch").json["total_is_estimate"] is False
