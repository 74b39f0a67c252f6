"""Timers exist in Redis only within SLA_TIMER_HORIZON; the sweep creates later ones in time."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import SlaClock
from callcentre.sla import timers
from callcentre.sla.sweep import sweep
from tests.conftest import ticket_payload


def test_far_instants_get_their_timer_from_the_sweep_once_within_the_horizon(app, api_as) -> None:
    api_as("admin").put("/api/v1/sla/policies", {"category": "TN-MT", "priority": "normal", "accept_within": "PT1H",
                                                 "resolve_within": "PT3H", "warn_at": 0.5, "calendar": "24x7"})
    near = api_as("admin").put("/api/v1/sla/policies", {"category": "DIEN", "priority": "normal",
                                                        "accept_within": "PT1H", "resolve_within": "PT20M",
                                                        "calendar": "24x7"})
    assert near.status_code in (200, 201), near.json
    far_t = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    near_t = api_as("operator").post("/api/v1/tickets", ticket_payload(category="DIEN")).json
    with app.app_context():
        def instant(tid: int):
            return db.session.scalars(sa.select(SlaClock.next_check_at).where(SlaClock.ticket_id == tid,
                                                                        SlaClock.kind == "resolve")).one()

        far, near_at = instant(far_t["id"]), instant(near_t["id"])  # warning at 1h30 / 15 min (default 0.75)
        assert far - near_at > timedelta(hours=1)
        assert timers.missing_epochs([timers.epoch_of(near_at)]) == []  # within the hour: scheduled at once
        assert timers.missing_epochs([timers.epoch_of(far)]) == [timers.epoch_of(far)]  # not yet
        sweep((far - timedelta(minutes=50)).isoformat())  # the sweep that runs once it is within reach
        assert timers.missing_epochs([timers.epoch_of(far)]) == []
