"""The hotline's calls from Twilio webhooks: log at once, follow status, keep recordings; a call
entering the queue pops on the operators' consoles (services/live.py)."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from callcentre.core.dialect import upsert_insert
from callcentre.core.extensions import db
from callcentre.formats.phone import InvalidPhone, to_e164
from callcentre.models import Call, Disposition
from callcentre.models.types import utcnow
from callcentre.services import live
from callcentre.services.calls import duration_of
from callcentre.services.contacts import get_or_create_contact
from callcentre.sla.calendars import load_calendar
from integrations import twilio_voice
from integrations.webhooks import FINAL_CALL_STATUSES, after, seconds

log = logging.getLogger(__name__)


def find_call(call_sid: str | None) -> Call | None:
    """The call, locked until commit (PostgreSQL): an operator logging it at this moment
    (services/calls.py) waits, or is waited for, so neither overwrites what the other read."""
    if not call_sid:
        return None
    return db.session.scalar(select(Call).where(Call.provider_call_id == call_sid).with_for_update())


def log_incoming(call_sid: str, from_raw: str, to_raw: str) -> Call:
    """The Call row for ``call_sid``, created on Twilio's first request (a retry finds it).

    One ``INSERT … ON CONFLICT DO NOTHING``: deliveries of one CallSid at the same moment (Twilio
    retrying a slow answer, the status callback racing the voice webhook) leave one row, and
    each reads that row instead of failing on the unique ``provider_call_id``.
    """
    call = find_call(call_sid)
    if call is not None:
        return call
    contact_id = None
    try:
        phone = to_e164(from_raw)
    except InvalidPhone:
        phone = (from_raw or "unknown")[:20]  # withheld numbers: the call is still logged
    else:
        contact_id = get_or_create_contact(phone).id
    now = utcnow()
    insert = upsert_insert(db.session.get_bind().dialect.name, Call).values(
        provider_call_id=call_sid, direction="inbound", from_number=phone, to_number=(to_raw or "1022")[:20],
        contact_id=contact_id, provider_status="ringing", started_at=now, created_at=now,
    ).on_conflict_do_nothing(index_elements=["provider_call_id"])
    # RETURNING says whether this delivery inserted the row (rowcount is -1 here on PostgreSQL).
    inserted = db.session.execute(insert.returning(Call.id)).first() is not None
    call = find_call(call_sid)
    assert call is not None  # inserted now, or by the delivery that won the race
    if inserted and office_open(now):
        # The hotline has one Twilio queue (<Enqueue>, integrations/twilio_voice.py) that every
        # operator dequeues from: the call is offered to the whole front desk, so it pops on every
        # console open. Once, on the first delivery of the CallSid; after the commit.
        live.call_offered(db.session, call.id)
    return call


def office_open(now: datetime | None = None) -> bool:
    try:
        return load_calendar(current_app.config["VOICE_CALENDAR"]).is_working_time(now or utcnow())
    except (LookupError, ValueError):
        # A broken calendar must not silence the hotline: send callers to the queue.
        log.exception("voice calendar %r unusable; treating the office as open", current_app.config["VOICE_CALENDAR"])
        return True


def update_status(call: Call, status: str, duration: str | None) -> None:
    """A status callback; a call that ends before an operator took it is abandoned (call back).
    Twilio's CallDuration is the call's end: it replaces an end the console wrote when the
    operator saved the call (the provider's times stand, services/calls.py)."""
    if call.ended_at is not None and status not in FINAL_CALL_STATUSES:
        return  # a late, out-of-order "ringing"/"in-progress": the end already stands
    call.provider_status = status[:20]
    if status in FINAL_CALL_STATUSES:
        secs = seconds(duration)
        if secs is not None or call.ended_at is None:
            call.ended_at = after(call.started_at, secs)
        if call.answered_at is not None:
            call.duration_seconds = duration_of(call)
        elif call.disposition is None:
            call.disposition = Disposition.ABANDONED.value


def queue_result(call: Call, result: str, queue_time: str | None) -> None:
    """``<Enqueue action>``: ``bridged`` means an operator picked the caller up."""
    if result == "bridged":
        waited = seconds(queue_time)
        # Twilio's time in the queue is the answer (the speed of answer); the console's pop time
        # only stands in for it until Twilio says.
        if waited is not None or call.answered_at is None:
            call.answered_at = after(call.started_at, waited)
        if call.disposition == Disposition.ABANDONED.value:
            call.disposition = None  # the status callback came first; it was answered after all
        if call.ended_at is not None:
            call.duration_seconds = duration_of(call)
    elif call.answered_at is None and call.disposition is None:
        call.disposition = Disposition.ABANDONED.value  # hung up / left the queue unanswered


def store_recording(call: Call, url: str | None, status: str | None) -> None:
    """A voicemail (or call recording) is ready: keep its URL; an after-hours call becomes a call-back."""
    if status not in (None, "", "completed") or not url:
        return
    call.recording_url = url[:500]
    if call.answered_at is None and call.disposition in (None, Disposition.ABANDONED.value):
        call.disposition = Disposition.VOICEMAIL.value


def welcome_twiml(base: str) -> str:
    queue = current_app.config["VOICE_QUEUE"]
    if not office_open():
        return twilio_voice.after_hours(f"{base}/webhooks/twilio/voice/recording")
    return twilio_voice.welcome(f"{base}/webhooks/twilio/voice?step=menu", queue,
                                f"{base}/webhooks/twilio/voice?step=queue")
