"""Citizen notifications: workflow events -> OutboundMessage rows -> provider, each at most once.

Flow: the event's transaction writes a ``notification_outbox`` row (outbox.py), whose
dispatcher enqueues ``notify_event(event_id)``; that job creates one row per channel with
the unique key ``"{event_id}:{channel}"`` (a second run finds the row and stops) and
enqueues ``send_message(id)`` with RQ ``Retry`` backoff, or schedules it for the
morning in quiet hours (``enqueue_at``).
``send_message`` claims the row (``queued`` -> ``sending`` in one UPDATE, so two
jobs can never both send), calls the provider, and records the outcome. After
the last try the row is ``failed`` (``GET /api/v1/messages?status=failed``) and
a failed Zalo message falls back to SMS.

The answer (``resolve``) goes to the ticket's citizen with the rating link of services/feedback.py
(its token masked in the stored row, put back by ``send_message``), and to the reporter of each
ticket merged into it (``resolve_duplicate``, key ``"{event_id}:{channel}:dup{ticket_id}"``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from time import sleep
from typing import Any, cast
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from rq import Retry, get_current_job
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from callcentre.core.extensions import db
from callcentre.core.redis_client import get_queue
from callcentre.formats.receipt import display
from callcentre.messaging.templates import render, shorten
from callcentre.models import Contact, MessageStatus, OutboundMessage, Ticket, TicketEvent
from callcentre.models.types import utcnow
from callcentre.services import feedback
from callcentre.services.history import NOTIFY_KINDS
from callcentre.services.publication import is_findable
from integrations.sms import OutgoingMessage, ProviderError, SegmentCount, count_segments, create_provider
from workflows.states import label

log = logging.getLogger(__name__)
QUEUE = "default"
NOTIFY_JOB = "callcentre.messaging.outbound.notify_event"
SEND_JOB = "callcentre.messaging.outbound.send_message"
DUPLICATE_KIND = "resolve_duplicate"
MAX_DUPLICATES = 200  # reporters told of one answer; a mass merge beyond that is the hotline's to call


# ----- from the outbox: enqueue ------------------------------------------------
def enqueue_notify_jobs(event_ids: Sequence[int], app: Flask | None = None) -> None:
    """One ``notify_event`` job per event, in one Redis round trip (RQ alone makes two per job).

    Called by the outbox dispatcher (outbox.py) and by ``messages-repair``. The job id dedupes in
    Redis too; the unique key of the message row is what counts.
    """
    if not event_ids:
        return
    queue = get_queue(QUEUE, app)
    with queue.connection.pipeline() as pipe:
        for event_id in event_ids:
            queue.enqueue(NOTIFY_JOB, event_id, job_id=f"notify-{event_id}",
                          result_ttl=3600, failure_ttl=7 * 86400, pipeline=pipe)
        pipe.execute()


# ----- quiet hours ------------------------------------------------------------
def parse_quiet_hours(spec: str) -> tuple[time, time] | None:
    """``"21:00-07:00"`` -> (21:00, 07:00); ``""`` -> None (send at any hour)."""
    if not spec or "-" not in spec:
        return None
    start, end = (time.fromisoformat(p.strip()) for p in spec.split("-", 1))
    return start, end


def quiet_until(now: datetime, spec: str, tz: str) -> datetime | None:
    """The end of the quiet period ``now`` falls in (UTC), or None if it is not quiet."""
    window = parse_quiet_hours(spec)
    if window is None:
        return None
    start, end = window
    local = now.astimezone(ZoneInfo(tz))
    t = local.time()
    quiet = (start <= t or t < end) if start > end else (start <= t < end)
    if not quiet:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def retry_intervals(app: Flask) -> list[int]:
    return [int(x) for x in str(app.config.get("SMS_RETRY_INTERVALS") or "").split(",") if x.strip()]


# ----- the jobs ---------------------------------------------------------------
def _link(ticket: Ticket) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/t/{ticket.receipt_code}"


def _params(ticket: Ticket, event: TicketEvent, *, reveal: bool = False) -> dict[str, str]:
    """The template's values; the answer's link carries the rating token, masked unless ``reveal``."""
    language = ticket.contact.language if ticket.contact else "vi"
    link = _link(ticket)
    if event.kind == "resolve" and is_findable(ticket):  # a hidden ticket has no page to rate on
        link = feedback.feedback_link(ticket.receipt_code,
                                      feedback.token_for(ticket.id, event.id) if reveal else None)
    return _values(ticket, link, language, answer=ticket.public_answer, question=feedback.question_text(event))


def _values(ticket: Ticket, link: str, language: str, *, answer: str | None, question: str | None) -> dict[str, str]:
    return {"code": ticket.receipt_code, "link": link, "status": label(ticket.status, language),
            "answer": shorten(answer), "note": shorten(question, 100)}


# What the ticket page previews: the texted field of the triggers whose event sends an SMS.
PREVIEWED = {"resolve": "answer", "request_info": "note"}


def preview(ticket: Ticket, kind: str, text: str) -> OutgoingPreview | None:
    """The SMS the citizen would get if ``kind`` were fired now with ``text``: the template, values
    and encoding of the real one (the rating link with its mask, of the same length as the token).
    None when no SMS would go: no contact, no consent or opted out, or a kind that texts nothing."""
    contact = ticket.contact
    if kind not in PREVIEWED or contact is None or not contact.can_receive_sms:
        return None
    link = _link(ticket)
    if kind == "resolve" and is_findable(ticket):
        link = feedback.feedback_link(ticket.receipt_code)
    params = _values(ticket, link, contact.language, answer=text if kind == "resolve" else None,
                     question=text if kind == "request_info" else None)
    body = _body(kind, contact.language, _channel(contact), params)
    return OutgoingPreview(body, count_segments(body))


def _duplicate_params(duplicate: Ticket, answered: Ticket) -> dict[str, str]:
    """A merged duplicate's reporter: their code, the answered ticket's code, answer and page."""
    language = duplicate.contact.language if duplicate.contact else "vi"
    return {"code": duplicate.receipt_code, "main_code": display(answered.receipt_code), "link": _link(answered),
            "status": label(answered.status, language), "answer": shorten(answered.public_answer)}


def _message_params(message: OutboundMessage, *, reveal: bool) -> dict[str, str] | None:
    """The values a message row was rendered with (its ticket and event), for a Zalo send or a fallback."""
    ticket = db.session.get(Ticket, message.ticket_id) if message.ticket_id else None
    event = db.session.get(TicketEvent, message.event_id) if message.event_id else None
    if ticket is None or event is None:
        return None
    if message.kind == DUPLICATE_KIND:
        return _duplicate_params(ticket, event.ticket)
    return _params(ticket, event, reveal=reveal)


def _duplicates(answered: Ticket) -> list[Ticket]:
    """The tickets merged into ``answered``, and into those (their ``merged_in`` events name them)."""
    found: dict[int, Ticket] = {}
    frontier = [answered.id]
    while frontier and len(found) < MAX_DUPLICATES:
        named = {e.payload.get("ticket_id") for e in db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id.in_(frontier), TicketEvent.kind == "merged_in"))}
        ids = [i for i in named if isinstance(i, int) and i not in found and i != answered.id]
        rows = db.session.scalars(select(Ticket).where(Ticket.id.in_(ids), Ticket.duplicate_of_id.in_(frontier)))
        frontier = []
        for row in rows:
            found[row.id] = row
            frontier.append(row.id)
    return list(found.values())[:MAX_DUPLICATES]


def _create_message(key: str, **values: Any) -> OutboundMessage:
    """Insert the row for ``key`` or return the one already there (a repeated job)."""
    existing = db.session.scalar(select(OutboundMessage).where(OutboundMessage.idempotency_key == key))
    if existing is not None:
        return existing
    message = OutboundMessage(idempotency_key=key, **values)
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:  # a concurrent job won the race: use its row
        return db.session.scalars(select(OutboundMessage).where(OutboundMessage.idempotency_key == key)).one()
    return message


def _body(kind: str, language: str, channel: str, params: dict[str, str]) -> str:
    strip = channel == "sms" and bool(current_app.config.get("SMS_STRIP_DIACRITICS"))
    return render(kind, language, params, channel=channel, strip=strip)


@dataclass(frozen=True)
class OutgoingPreview:
    body: str
    count: SegmentCount


def build_message(ticket: Ticket, contact: Contact, kind: str, key: str, channel: str,
                  params: dict[str, str], event_id: int | None = None) -> OutboundMessage:
    cfg = current_app.config
    provider = cfg["ZALO_PROVIDER"] if channel == "zalo" else cfg["SMS_PROVIDER"]
    body = _body(kind, contact.language, channel, params)
    seg = count_segments(body)
    message = _create_message(
        key, ticket_id=ticket.id, contact_id=contact.id, event_id=event_id, kind=kind, channel=channel,
        provider=provider, to=contact.phone, body=body, language=contact.language, encoding=seg.encoding,
        segments=seg.segments, status=MessageStatus.QUEUED.value, attempts=0,
    )
    # An opted-out citizen gets nothing, on any channel.
    if message.status == MessageStatus.QUEUED and not contact.can_receive_sms:
        message.status, message.last_error = MessageStatus.SUPPRESSED.value, "opted out"
    return message


def _channel(contact: Contact) -> str:
    return "zalo" if bool(current_app.config.get("ZALO_PROVIDER")) and contact.zalo_consent else "sms"


def notify_event(event_id: int) -> list[int]:
    """Create this event's message(s) and hand them to ``send_message``; safe to run twice."""
    event = db.session.get(TicketEvent, event_id)
    if event is None or event.kind not in NOTIFY_KINDS:
        return []
    ticket = event.ticket
    contact = ticket.contact
    made: list[tuple[OutboundMessage, Ticket]] = []
    # The reply to the citizen's own SMS already carried the receipt code of a ``created``.
    if contact is not None and not (event.kind == "created" and ticket.channel == "sms"):
        if event.kind == "resolve":
            feedback.issue_token(ticket, event)  # its hash, before the link that carries it is queued
        channel = _channel(contact)
        made.append((build_message(ticket, contact, event.kind, f"{event_id}:{channel}", channel,
                                   _params(ticket, event), event_id), ticket))
    if event.kind == "resolve" and is_findable(ticket):
        told = {contact.id} if contact is not None else set()
        for duplicate in _duplicates(ticket):
            other = duplicate.contact
            if other is None or other.id in told:
                continue  # one message per person, even for two merged reports of theirs
            told.add(other.id)
            channel = _channel(other)
            made.append((build_message(duplicate, other, DUPLICATE_KIND, f"{event_id}:{channel}:dup{duplicate.id}",
                                       channel, _duplicate_params(duplicate, ticket), event_id), duplicate))
    db.session.commit()
    for message, about in made:
        schedule_send(message, about)
    return [m.id for m, _ in made]


def schedule_send(message: OutboundMessage, ticket: Ticket | None) -> None:
    """Enqueue the send now, or at the end of the night unless the ticket is urgent."""
    if message.status != MessageStatus.QUEUED:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # typed as Flask, is a proxy
    intervals = retry_intervals(app)
    retry = Retry(max=len(intervals), interval=intervals) if intervals else None
    queue = get_queue(QUEUE, app)
    urgent = ticket is not None and ticket.priority == "urgent"
    later = None if urgent else quiet_until(utcnow(), app.config["SMS_QUIET_HOURS"], app.config["DEFAULT_TIMEZONE"])
    job_id = f"send-{message.id}"
    if later is not None:
        if message.scheduled_for != later:
            message.scheduled_for = later
            db.session.commit()
        queue.enqueue_at(later, SEND_JOB, message.id, job_id=job_id, retry=retry, failure_ttl=7 * 86400)
    else:
        queue.enqueue(SEND_JOB, message.id, job_id=job_id, retry=retry, failure_ttl=7 * 86400)


def send_message(message_id: int) -> str:
    """Send one queued message (a job); raise to let RQ retry a provider error.

    All the send needs is read before the claim, and nothing touches the database between the
    claim's commit and the provider's answer: a connection lost there would leave the row
    ``sending`` and the message unsent. Lost before the claim, the job just runs again
    (core/jobs.py); lost after the send, recording it is retried here (``_record_sent``).
    """
    message = db.session.get(OutboundMessage, message_id)
    if message is None or message.status != MessageStatus.QUEUED:
        return message.status if message else "missing"  # sent, failed or claimed by another job
    contact = db.session.get(Contact, message.contact_id) if message.contact_id else None
    opted_out = contact is not None and not contact.can_receive_sms  # opted out since it was queued
    cfg = current_app.config
    base = cfg["PUBLIC_BASE_URL"]
    provider = message.provider
    body = message.body
    if message.kind == "resolve" and message.ticket_id and message.event_id:
        body = feedback.reveal(body, message.ticket_id, message.event_id)  # the row keeps the mask
    outgoing = OutgoingMessage(
        to=message.to, body=body, reference=message.idempotency_key, template=message.kind,
        params=_zalo_params(message), status_callback=(
            f"{base}/webhooks/twilio/sms/status?message_id={message.id}" if provider == "twilio" else None),
    )
    # An UPDATE without RETURNING gives a CursorResult; Session.execute is typed as Result.
    claimed = cast(CursorResult[Any], db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id, OutboundMessage.status == MessageStatus.QUEUED.value)
        .values(status=MessageStatus.SENDING.value, attempts=OutboundMessage.attempts + 1, updated_at=utcnow())
    )).rowcount
    db.session.commit()
    if claimed != 1:
        return db.session.scalar(select(OutboundMessage.status).where(OutboundMessage.id == message_id)) or "missing"
    if opted_out:
        message.status, message.last_error = MessageStatus.SUPPRESSED.value, "opted out"
        db.session.commit()
        return message.status
    try:
        result = create_provider(provider, cfg).send(outgoing)
    except ProviderError as exc:
        return _failed(message, exc)
    _record_sent(message_id, result.provider_message_id)
    log.info("message %s sent via %s (%s)", message_id, provider, result.provider_message_id)
    return db.session.scalar(select(OutboundMessage.status).where(OutboundMessage.id == message_id)) or "missing"


def _record_sent(message_id: int, provider_message_id: str | None, tries: int = 3) -> None:
    """Mark the message sent. The provider has it: a lost connection is retried here, since a
    run of the job again would find the row ``sending`` and never record it."""
    for attempt in range(1, tries + 1):
        try:
            # Conditional: a delivery report that raced ahead of us may already have moved it on.
            db.session.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id == message_id, OutboundMessage.status == MessageStatus.SENDING.value)
                .values(status=MessageStatus.SENT.value, provider_message_id=provider_message_id,
                        last_error=None, updated_at=utcnow())
            )
            db.session.commit()
            return
        except DBAPIError as exc:
            db.session.rollback()
            if not exc.connection_invalidated or attempt == tries:
                raise
            log.warning("message %s: database connection lost recording the send; retrying", message_id)
            sleep(0.5 * attempt)  # a fresh connection at once; a restarting server gets a moment


def _zalo_params(message: OutboundMessage) -> dict[str, str]:
    if message.channel != "zalo" or message.ticket_id is None:
        return {}
    return _message_params(message, reveal=True) or {}


def _failed(message: OutboundMessage, exc: ProviderError) -> str:
    job = get_current_job()
    final = not exc.retryable or job is None or not job.retries_left
    message.last_error = str(exc)[:1000]
    message.status = MessageStatus.FAILED.value if final else MessageStatus.QUEUED.value
    db.session.commit()
    if not final:
        log.warning("message %s: %s; RQ retries (%s left)", message.id, exc, job.retries_left if job else 0)
        raise exc
    log.error("message %s failed for good: %s", message.id, exc)
    if message.channel == "zalo":
        _fall_back_to_sms(message)
    return message.status


def _fall_back_to_sms(message: OutboundMessage) -> None:
    """Zalo could not deliver: the same notice by SMS (its own row and key)."""
    ticket = db.session.get(Ticket, message.ticket_id) if message.ticket_id else None
    contact = db.session.get(Contact, message.contact_id) if message.contact_id else None
    params = _message_params(message, reveal=False)
    if ticket is None or contact is None or params is None or message.event_id is None:
        return
    key = message.idempotency_key.replace(":zalo", ":sms", 1)  # "{event}:sms", or "{event}:sms:dup{ticket}"
    sms = build_message(ticket, contact, message.kind, key, "sms", params, message.event_id)
    db.session.commit()
    schedule_send(sms, ticket)
