"""The supervisor dashboard's call-centre figures in Chromium, after a realistic mix of calls
(tests/integrations/call_mix.py): the figures recomputed from the logged calls are the ones shown,
Vietnamese first, English when the UI is English."""

from __future__ import annotations

from tests.integrations.call_mix import expected_figures, log_call_mix
from tests.web.conftest import PHONE, SHOTS, login


def _shot(page, selector: str, name: str) -> None:
    """The block as it is now. By its box, not by its element: the live stream (static/live.js)
    may swap the block for a fresh copy at any moment, and an element screenshot then fails."""
    page.evaluate("window.scrollTo(0, 0)")
    box = page.locator(selector).bounding_box()
    assert box is not None
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, clip=box)


def test_the_dashboard_shows_the_call_figures(app, make_app, tokens, new_page) -> None:
    mix = log_call_mix(app, make_app, tokens)
    expected = expected_figures(mix)
    page = new_page()
    login(page, "supervisor")
    page.goto("/supervisor?days=7")
    block = page.locator("section[aria-labelledby=calls-h]")

    def kpi(name: str) -> str:
        return block.locator(f"[data-figure={name}] b").inner_text()

    assert kpi("total") == str(expected["total"]) == "9"
    assert kpi("answered_pct") == f"{expected['answered_pct']}%"
    assert kpi("abandoned_pct") == f"{expected['abandoned_pct']}%"
    assert kpi("voicemail_pct") == f"{expected['voicemail_pct']}%"
    assert kpi("service_level_pct") == f"{expected['service_level_pct']}%"
    assert kpi("asa_seconds") == f"{round(expected['asa_seconds'])} giây"
    assert kpi("aht_seconds") == f"{round(expected['aht_seconds'])} giây"
    assert kpi("callbacks") == "2"
    text = block.inner_text()
    for label in ("cuộc gọi đến", "được trả lời", "bị bỏ nhỡ", "để lại lời nhắn", "trả lời trong 20 giây",
                  "thời gian chờ trung bình (ASA)", "thời gian xử lý trung bình (AHT)", "cuộc gọi lại đã thực hiện"):
        assert label in text, label
    assert block.locator("svg rect").count() == 7
    SHOTS.mkdir(exist_ok=True)
    _shot(page, "section[aria-labelledby=calls-h]", "supervisor-call-figures-desktop")
    page.set_viewport_size(PHONE)
    _shot(page, "section[aria-labelledby=calls-h]", "supervisor-call-figures-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    english = new_page()
    login(english, "supervisor")
    english.goto("/supervisor?days=7&lang=en")
    text = english.locator("section[aria-labelledby=calls-h]").inner_text()
    for label in ("inbound calls", "answered within 20 s", "average speed of answer (ASA)",
                  "average handling time (AHT)", f"{round(expected['aht_seconds'])} s"):
        assert label in text, (label, text)
    _shot(english, "section[aria-labelledby=calls-h]", "supervisor-call-figures-en")
