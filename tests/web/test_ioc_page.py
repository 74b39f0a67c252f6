"""The operations-centre wall (/ioc) in Chromium, at a wall's 1920x1080 and a laptop's 1280x720:
today's figures as the snapshot counts them, on one screen without scrolling; a ticket filed and
assigned through the API while the wall is open appears on it without a reload (the live stream);
"mất kết nối" when the stream is refused; no citizen's name, phone or address anywhere; supervisor
and admin only. Screenshots: tests/web/screenshots/ioc-*.png (looked at by people)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.formats.geo import communes
from callcentre.models import SlaClock, User
from callcentre.services.ioc import MAX_BREACHES, MAX_DEPARTMENTS, snapshot
from tests.conftest import fire, ticket_payload
from tests.integrations.conftest import TELEPHONY_CONFIG
from tests.integrations.test_twilio_webhooks import CALLER, call_params, post
from tests.web.conftest import SHOTS, login, shoot

WALL = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1280, "height": 720}
NAME, PHONE, ADDRESS = "Trần Thị Bích Ngọc", "0987654321", "45/2B Nguyễn Trãi"


def _commune(i: int) -> str:
    return sorted(communes())[i]


def _file(api_as, channel: str, commune: str, lat: float | None = None, lng: float | None = None,
          assign: bool = True) -> dict:
    location = {"commune_code": commune, "address": ADDRESS, "lat": lat, "lng": lng}
    resp = api_as("operator").post("/api/v1/tickets", ticket_payload(
        channel=channel, category="CONG-THUONG", location=location, contact={"phone": PHONE, "name": NAME}))
    assert resp.status_code == 201, resp.json
    if assign:
        fire(api_as("operator"), resp.json["id"], "assign")
    return resp.json


def _today_on_the_wall(app, api_as, make_app) -> dict:
    """Two reports today (one on the map), a deadline missed two hours ago, a call waiting."""
    from callcentre.sla.sweep import process_due

    late = _file(api_as, "phone", _commune(0), 10.3601, 106.3602)
    _file(api_as, "web", _commune(1), assign=False)
    now = datetime.now(UTC)
    with app.app_context():
        # Its answer was due two hours ago (as if filed days earlier); the worker's sweep finds it.
        db.session.execute(sa.update(SlaClock).where(SlaClock.ticket_id == late["id"], SlaClock.kind == "resolve")
                           .values(due_at=now - timedelta(hours=2), warn_at=now - timedelta(hours=3),
                                   next_check_at=now - timedelta(hours=3)))
        db.session.commit()
        assert process_due(now).breaches == 1
    twilio = make_app(**{**TELEPHONY_CONFIG, "VOICE_CALENDAR": "24x7"}).test_client()
    assert post(twilio, "/webhooks/twilio/voice", call_params()).status_code == 200  # ringing: waiting
    return late


def _snapshot(app) -> dict:
    with app.app_context():
        return snapshot(db.session.scalars(sa.select(User).where(User.username == "supervisor")).one())


def _figure(page, name: str) -> str:
    return page.inner_text(f'[data-figure="{name}"] b')


def _loaded(page, loads: int = 1) -> None:
    page.wait_for_function(f"() => Number(document.getElementById('ioc').dataset.loads || 0) >= {loads}")


FITS = """() => document.documentElement.scrollHeight <= window.innerHeight
    && document.documentElement.scrollWidth <= window.innerWidth
    && Array.from(document.querySelectorAll('.ioc-panel')).every(p => p.scrollHeight <= p.clientHeight + 1)"""


def _resize(page, size: dict) -> None:
    page.set_viewport_size(size)
    page.wait_for_function(FITS, timeout=3000)  # the lists are fitted again after a resize


def _fits(page) -> None:
    """One screen: nothing scrolls, either way."""
    size = page.viewport_size
    assert page.evaluate("document.documentElement.scrollHeight") <= size["height"], size
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], size
    # Every panel's content fits its box (nothing cut off at the bottom of a panel).
    cut = page.evaluate("""() => Array.from(document.querySelectorAll('.ioc-panel'))
        .filter(p => p.scrollHeight > p.clientHeight + 1).map(p => p.className)""")
    assert cut == [], (size, cut)


def test_the_wall_shows_todays_figures_on_one_screen(app, api_as, make_app, new_page) -> None:
    late = _today_on_the_wall(app, api_as, make_app)
    snap = _snapshot(app)
    page = new_page(viewport=WALL)
    login(page, "supervisor")
    page.goto("/ioc")
    _loaded(page)
    page.wait_for_selector("#ioc[data-live=open]")
    assert _figure(page, "calls.waiting") == "1"
    assert _figure(page, "received.total") == "2"
    assert _figure(page, "calls.answered") == str(snap["calls"]["answered"]) == "0"
    for name in ("open", "at_risk", "breached"):
        assert _figure(page, f"open.{name}") == str(snap["open"][name])
    assert snap["open"]["breached"] >= 1
    rows = page.locator("#ioc-channels li")
    assert rows.count() == 6
    assert [(rows.nth(i).locator(".ioc-bar-label").inner_text(), rows.nth(i).locator(".ioc-bar-count").inner_text())
            for i in range(6)] == [("Điện thoại 1022", "1"), ("Ứng dụng", "0"), ("Cổng thông tin", "1"), ("Zalo", "0"),
                                   ("SMS", "0"), ("Trực tiếp", "0")]
    dept = page.locator("#ioc-departments tr").first
    assert dept.locator("th").inner_text() == "Sở Công Thương"
    assert dept.locator("td").all_inner_texts() == [str(snap["open"]["departments"][0][k])
                                                   for k in ("open", "at_risk", "breached")]
    breaches = page.locator("#ioc-breaches li")
    assert breaches.count() == len(snap["breaches"]) == 1
    code = late["receipt_code"]
    assert breaches.first.locator(".ioc-code").inner_text() == f"{code[:5]}-{code[5:]}"
    assert breaches.first.locator(".ioc-dept").inner_text() == "Sở Công Thương"
    assert breaches.first.locator(".ioc-late").inner_text() == "Quá hạn trả lời · trễ 2 giờ 0 phút"
    assert page.locator("#ioc-points circle").count() == 1
    assert "1 trên bản đồ" in page.inner_text("#ioc-map-summary")
    assert communes()[_commune(1)] in page.inner_text("#ioc-communes")
    now_local = datetime.now(UTC) + timedelta(hours=7)
    assert page.inner_text("#ioc-day") == now_local.strftime("%d/%m/%Y")
    assert page.inner_text("#ioc-updated")[:2] in {now_local.strftime("%H"), (now_local - timedelta(minutes=1))
                                                  .strftime("%H")}
    assert page.locator(".ioc-live-on").is_visible() and page.locator(".ioc-live-off").is_hidden()
    _fits(page)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "ioc-1920x1080.png"))
    _resize(page, LAPTOP)
    _fits(page)
    page.screenshot(path=str(SHOTS / "ioc-1280x720.png"))
    shoot(page, "ioc")  # desktop and phone widths: no sideways scrolling on either

    # Visitors see the wall: no citizen's name, phone or address, in the page or in its data.
    text = page.inner_text("body")
    data = page.evaluate("() => fetch('/ioc/data').then(r => r.text())")
    for secret in (NAME, PHONE, PHONE[1:], ADDRESS, "Nguyễn Trãi", CALLER, CALLER[3:]):
        assert secret not in text and secret not in data, secret
    assert json.loads(data)["map"]["points"][0]["count"] == 1


def test_a_busy_day_still_fits_on_one_screen(app, new_page) -> None:
    """Sixty days of history and a busy today: every department with open work, many breaches,
    reports all over the map and in many communes."""
    from tests.services.history import insert_history
    from tests.services.test_ioc import _insert, _ticket

    now = datetime.now(UTC)
    start = datetime.combine((now + timedelta(hours=7)).date(), datetime.min.time(), UTC) - timedelta(hours=7)
    span = max((now - start).total_seconds(), 60.0)
    codes = sorted(communes())[:30]
    channels = ("phone", "phone", "phone", "app", "web", "zalo", "sms", "walk_in")
    with app.app_context():
        insert_history(600, seed=5, now=now)
        _insert([_ticket(start + timedelta(seconds=span * i / 130), channel=channels[i % 8],
                         commune=codes[(i * 7) % 30] if i % 5 else None,
                         lat=10.15 + 0.75 * ((i * 37) % 100) / 100 if i % 3 else None,
                         lng=105.25 + 1.5 * ((i * 53) % 100) / 100 if i % 3 else None) for i in range(120)])
    snap = _snapshot(app)
    assert len(snap["open"]["departments"]) == MAX_DEPARTMENTS and len(snap["breaches"]) == MAX_BREACHES
    page = new_page(viewport=WALL)
    login(page, "supervisor")
    page.goto("/ioc")
    _loaded(page)
    assert _figure(page, "received.total") == str(snap["received"]["total"])
    assert page.locator("#ioc-points circle").count() == len(snap["map"]["points"]) >= 60
    assert page.locator("#ioc-departments tr").count() == len(snap["open"]["departments"]) + (
        1 if snap["open"]["others"]["departments"] else 0)
    _fits(page)
    page.screenshot(path=str(SHOTS / "ioc-busy-1920x1080.png"))
    _resize(page, LAPTOP)
    _fits(page)
    assert page.locator("#ioc-breaches li").count() >= 4  # the newest, as many as fit
    page.screenshot(path=str(SHOTS / "ioc-busy-1280x720.png"))


def test_a_ticket_filed_while_the_wall_is_open_appears_without_a_reload(app, api_as, new_page) -> None:
    _file(api_as, "phone", _commune(0), 10.3601, 106.3602)
    page = new_page(viewport=LAPTOP)
    login(page, "supervisor")
    page.goto("/ioc")
    _loaded(page)
    page.wait_for_selector("#ioc[data-live=open]")
    assert _figure(page, "received.total") == "1"
    page.evaluate("window.stillTheSamePage = true")
    loads = int(page.get_attribute("#ioc", "data-loads") or 0)
    sent = time.monotonic()
    # Filed and assigned through the API, as the triage queue does: the assignment is the event.
    _file(api_as, "zalo", _commune(2), 10.4567, 105.6789)
    page.wait_for_function("() => document.querySelector('[data-figure=\"received.total\"] b').textContent === '2'",
                           timeout=6000)
    assert time.monotonic() - sent < 6.0  # the stream, not the minute's timer
    assert page.evaluate("window.stillTheSamePage") is True
    assert int(page.get_attribute("#ioc", "data-loads") or 0) == loads + 1  # one reload for the burst
    assert page.locator("#ioc-points circle").count() == 2
    zalo = page.locator("#ioc-channels li", has_text="Zalo")
    assert zalo.locator(".ioc-bar-count").inner_text() == "1"
    assert communes()[_commune(2)] in page.inner_text("#ioc-communes")
    page.screenshot(path=str(SHOTS / "ioc-live-1280x720.png"))


def test_a_refused_stream_shows_mat_ket_noi_and_the_figures_still_load(app, api_as, new_page) -> None:
    _file(api_as, "sms", _commune(3))
    page = new_page(viewport=LAPTOP)
    login(page, "supervisor")
    # As when Redis is down: the stream answers 503 (api/events.py); the figures still load.
    page.route("**/api/v1/events*", lambda route: route.fulfill(status=503, body="unavailable",
                                                                 headers={"Retry-After": "30"}))
    page.goto("/ioc")
    _loaded(page)
    page.wait_for_selector("#ioc[data-live=down]")
    assert page.locator(".ioc-live-off").is_visible() and page.locator(".ioc-live-on").is_hidden()
    assert "Mất kết nối" in page.inner_text("#ioc-state")
    assert _figure(page, "received.total") == "1"
    page.screenshot(path=str(SHOTS / "ioc-offline-1280x720.png"))


def test_the_wall_in_english(app, api_as, new_page) -> None:
    _file(api_as, "phone", _commune(0))
    page = new_page(viewport=WALL)
    login(page, "supervisor")
    page.goto("/lang/en?next=/ioc")
    assert page.url.endswith("/ioc")
    _loaded(page)
    text = page.inner_text("#ioc")
    for label in ("Operations centre", "calls waiting", "Received today by channel", "Open tickets by department",
                  "Department of Industry and Trade", "Today's reports on the map", "By commune or ward"):
        assert label in text, label
    page.screenshot(path=str(SHOTS / "ioc-en-1920x1080.png"))


def test_only_supervisors_and_admins_open_the_wall(app, new_page, client) -> None:
    page = new_page()
    page.goto("/ioc")
    assert "/login" in page.url  # anonymous: to the login page, and back after it
    login(page, "officer")
    resp = page.goto("/ioc")
    assert resp.status == 403
    assert page.goto("/ioc/data").status == 403
    for who in ("supervisor", "admin"):
        other = new_page()
        login(other, who)
        assert other.goto("/ioc").status == 200
        assert other.goto("/ioc/data").status == 200
    assert client.get("/ioc/data").status_code == 302
    assert "/login" in client.get("/ioc/data").headers["Location"]


def test_the_wall_is_valid_html_in_both_languages(app, client) -> None:
    from tests.web.test_html_valid import _audit, _login

    _login(client, "supervisor")
    for lang in ("vi", "en"):
        client.get(f"/lang/{lang}")
        resp = client.get("/ioc")
        assert resp.status_code == 200 and resp.content_type == "text/html; charset=utf-8"
        _audit(resp.get_data(as_text=True), f"/ioc ({lang})")
        data = client.get("/ioc/data")
        assert data.status_code == 200 and data.headers["Cache-Control"] == "no-store"
        assert data.json["received"]["channels"][0]["label"] == ("1022 phone" if lang == "en" else "Điện thoại 1022")
