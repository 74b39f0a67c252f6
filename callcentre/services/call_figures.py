"""Call-centre figures of the last N local days: the supervisor dashboard and
``GET /api/v1/calls/summary``. Reads only; one aggregate statement, a row per day and outcome.

Every inbound call has exactly one outcome (the first that holds):

* ``answered``: an operator took it (``answered_at``);
* ``voicemail``: unanswered, and it left a voicemail (after hours): its own outcome, and it stays
  one when the call-back is done (``callback_done`` replaces the disposition, the recording stays);
* ``waiting``: unanswered, not ended, and the provider last said it rings or waits in the queue;
* ``abandoned``: any other unanswered call: the caller hung up, or it was missed; calling the
  caller back later does not undo that.

Outbound calls are the call-backs operators make: counted apart, never in the volume.
AHT is the mean of the answered inbound calls' ``duration_seconds`` (answer to end); ASA the
mean of their start-to-answer seconds; the service level the share of answered + abandoned calls
(the calls offered to operators; voicemails came when no one was there) answered within
``SERVICE_LEVEL_SECONDS``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, case, func, or_, select

from callcentre.core.extensions import db
from callcentre.models import Call, Disposition
from callcentre.services.report_sql import day_index, day_starts, seconds_between

OUTCOMES = ("answered", "abandoned", "voicemail", "waiting", "callback")
# Twilio's CallStatus of a call not over yet (messaging/voice.py keeps the last one).
LIVE_STATUSES = ("queued", "ringing", "in-progress")
# SQLite measures seconds through julianday(): a wait of exactly N seconds may come out a few
# microseconds over N. PostgreSQL is exact; no real wait is this close to the limit.
WAIT_EPSILON = 0.001


def _last_days(days: int) -> list[date]:
    """The last ``days`` local days, oldest first, today last."""
    today = datetime.now(UTC).astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).date()
    return [today - timedelta(days=i) for i in range(days - 1, -1, -1)]


def call_outcome() -> ColumnElement[str]:
    # CASE takes the first condition that is true; a NULL comparison is not, so it falls through.
    return case(
        (Call.direction != "inbound", "callback"),
        (Call.answered_at.is_not(None), "answered"),
        (or_(Call.disposition == Disposition.VOICEMAIL.value, Call.recording_url.is_not(None)), "voicemail"),
        (Call.ended_at.is_(None) & Call.disposition.is_(None) & Call.provider_status.in_(LIVE_STATUSES), "waiting"),
        else_="abandoned",
    )


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def call_figures(days: int) -> dict[str, Any]:
    """Per local day and over the period: inbound calls by outcome, call-backs made, AHT and ASA
    in seconds, service level (see the module's docstring)."""
    level = int(current_app.config["SERVICE_LEVEL_SECONDS"])
    day_list = _last_days(days)
    starts = day_starts(day_list, ZoneInfo(current_app.config["DEFAULT_TIMEZONE"]))
    started_day, outcome = day_index(Call.started_at, starts), call_outcome()
    wait = seconds_between(Call.answered_at, Call.started_at)
    stmt = (
        select(started_day, outcome, func.count(), func.sum(Call.duration_seconds), func.count(Call.duration_seconds),
               func.sum(wait), func.sum(case((wait <= level + WAIT_EPSILON, 1), else_=0)),
               func.sum(case((Call.disposition == Disposition.CALLBACK_DONE.value, 1), else_=0)))
        .where(Call.started_at >= starts[0])
        .group_by(started_day, outcome)
    )
    per_day: list[dict[str, Any]] = [
        {"day": d, "calls": 0, "answered": 0, "abandoned": 0, "voicemail": 0, "callbacks": 0} for d in day_list]
    counts = dict.fromkeys(OUTCOMES, 0)
    talked = timed = within = called_back = 0
    waited = 0.0
    for i, kind, n, seconds, n_timed, wait_sum, n_within, n_called_back in db.session.execute(stmt):
        counts[kind] += n
        called_back += int(n_called_back or 0)
        row = per_day[i]
        if kind == "callback":
            row["callbacks"] += n
            continue
        row["calls"] += n
        if kind in row:
            row[kind] += n
        if kind == "answered":
            talked, timed = talked + int(seconds or 0), timed + int(n_timed or 0)
            waited, within = waited + float(wait_sum or 0), within + int(n_within or 0)
    total = counts["answered"] + counts["abandoned"] + counts["voicemail"] + counts["waiting"]
    return {
        "days": days, "period_from": starts[0],
        "series": [(r["day"], r["calls"]) for r in per_day], "peak": max([r["calls"] for r in per_day] + [1]),
        "per_day": per_day,
        "total": total, "answered": counts["answered"], "abandoned": counts["abandoned"],
        "voicemail": counts["voicemail"], "waiting": counts["waiting"], "callbacks": counts["callback"],
        "called_back": called_back,
        "answered_pct": _pct(counts["answered"], total), "abandoned_pct": _pct(counts["abandoned"], total),
        "voicemail_pct": _pct(counts["voicemail"], total),
        "aht_seconds": round(talked / timed, 1) if timed else None,
        "asa_seconds": round(waited / counts["answered"], 1) if counts["answered"] else None,
        "service_level_seconds": level,
        "service_level_pct": _pct(within, counts["answered"] + counts["abandoned"]),
    }
