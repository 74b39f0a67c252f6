"""Provider webhooks: ``/webhooks/twilio/...`` (voice, SMS) and ``/webhooks/zalo``.

Twilio requests must carry a valid ``X-Twilio-Signature`` (403 otherwise),
computed over ``PUBLIC_BASE_URL + path`` (the URL Twilio was given; behind a
proxy Flask sees another) or, failing that, the URL of the request itself.
Only requests that pass that check (or Zalo's MAC) count against ``WEBHOOK_RATELIMIT``.
Twilio retries, so each handler is idempotent on Twilio's ids: CallSid (the
unique ``calls.provider_call_id``), MessageSid (``webhook_receipts``, whose
stored reply is sent again), and status updates that never move backwards.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from callcentre.core.extensions import db, limiter
from callcentre.messaging import inbound, voice, zalo_inbound
from callcentre.models import MessageStatus, OutboundMessage, WebhookReceipt
from integrations import twilio_voice, zalo
from integrations.webhooks import SIGNATURE_HEADER, is_valid_twilio_request, signed_url, sms_reply

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
# Delivery statuses in the order they can happen; a late callback never moves a message back.
_RANK = {s: i for i, s in enumerate(("queued", "sending", "sent", "delivered", "undelivered", "failed"))}
_TWILIO_TO_OURS = {"accepted": "queued", "scheduled": "queued", "queued": "queued", "sending": "sending",
                   "sent": "sent", "delivered": "delivered", "undelivered": "undelivered", "failed": "failed",
                   "read": "delivered", "canceled": "failed"}


def _rate_limit() -> str:
    return current_app.config["WEBHOOK_RATELIMIT"]


def _was_signed(_response: Response) -> bool:
    """Only a request whose signature held counts against WEBHOOK_RATELIMIT. Flask-Limiter tests
    the budget before the view and deducts after it, so a flood of unsigned or ill-signed junk
    (answered 403 after a cheap HMAC check) never uses up the provider's real requests' budget."""
    return bool(g.get("webhook_signed"))


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """403 unless ``X-Twilio-Signature`` is Twilio's signature of this request."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = current_app.config["TWILIO_AUTH_TOKEN"]
        signature = request.headers.get(SIGNATURE_HEADER)
        params = request.form.to_dict()
        query = request.query_string.decode()
        urls = {signed_url(current_app.config.get("PUBLIC_BASE_URL"), request.path, query, request.url),
                request.url}
        if not any(is_valid_twilio_request(token, url, params, signature) for url in urls):
            return Response("invalid signature", status=403, mimetype="text/plain")
        g.webhook_signed = True
        return view(*args, **kwargs)

    # Read by the route audit (tests/api/test_platform.py): the caller is authenticated by signature.
    wrapper._roles = frozenset({"twilio-signature"})  # type: ignore[attr-defined]  # a mark on a function
    return wrapper


CALL_SID_REQUIRED = "CallSid is required (at most 64 characters)"


def _call_sid_ok(sid: str | None) -> bool:
    """Twilio's are 34 characters; ``calls.provider_call_id`` holds 64."""
    return bool(sid) and len(sid or "") <= 64


def _twiml(xml: str) -> Response:
    return Response(xml, mimetype="text/xml")


def _base() -> str:
    return (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")


# ----- voice ------------------------------------------------------------------
@bp.route("/twilio/voice", methods=["POST"])
@limiter.limit(_rate_limit, deduct_when=_was_signed)
@twilio_signed
def twilio_voice_incoming() -> Response:
    """An incoming call (and its menu/queue steps, ``?step=``): log it, answer with TwiML."""
    form = request.form
    if not _call_sid_ok(form.get("CallSid")):
        return Response(CALL_SID_REQUIRED, status=400, mimetype="text/plain")
    call = voice.log_incoming(form["CallSid"], form.get("From", ""), form.get("To", ""))
    step = request.args.get("step")
    if step == "menu":
        language = "en" if form.get("Digits") == twilio_voice.ENGLISH_KEY else "vi"
        if language == "en" and call.contact is not None:
            call.contact.language = "en"  # the citizen chose English: later SMS in English too
        xml = twilio_voice.to_queue(language, current_app.config["VOICE_QUEUE"],
                                    f"{_base()}/webhooks/twilio/voice?step=queue")
    elif step == "queue":
        voice.queue_result(call, form.get("QueueResult", ""), form.get("QueueTime"))
        xml = twilio_voice.empty()
    else:
        xml = voice.welcome_twiml(_base())
    db.session.commit()
    return _twiml(xml)


@bp.route("/twilio/voice/status", methods=["POST"])
@limiter.limit(_rate_limit, deduct_when=_was_signed)
@twilio_signed
def twilio_voice_status() -> Response:
    form = request.form
    if not _call_sid_ok(form.get("CallSid")):
        return Response(CALL_SID_REQUIRED, status=400, mimetype="text/plain")
    call = voice.find_call(form["CallSid"])
    if call is None:  # a status for a call we never saw answered (e.g. rejected early): log it now
        call = voice.log_incoming(form.get("CallSid", ""), form.get("From", ""), form.get("To", ""))
    voice.update_status(call, form.get("CallStatus", ""), form.get("CallDuration"))
    db.session.commit()
    return _twiml(twilio_voice.empty())


@bp.route("/twilio/voice/recording", methods=["POST"])
@limiter.limit(_rate_limit, deduct_when=_was_signed)
@twilio_signed
def twilio_voice_recording() -> Response:
    """The ``<Record>`` action (answers TwiML) and the recording status callback (same URL)."""
    form = request.form
    call = voice.find_call(form.get("CallSid"))
    if call is not None:
        voice.store_recording(call, form.get("RecordingUrl"), form.get("RecordingStatus"))
        db.session.commit()
    is_action = "RecordingStatus" not in form
    return _twiml(twilio_voice.goodbye() if is_action else twilio_voice.empty())


# ----- SMS --------------------------------------------------------------------
@bp.route("/twilio/sms", methods=["POST"])
@limiter.limit(_rate_limit, deduct_when=_was_signed)
@twilio_signed
def twilio_sms_incoming() -> Response:
    """A citizen's SMS: answered with TwiML; a retried MessageSid gets the same answer, once acted on."""
    sid = request.form.get("MessageSid") or request.form.get("SmsSid") or ""
    if not sid:
        return Response("MessageSid is required", status=400, mimetype="text/plain")
    done = db.session.scalar(select(WebhookReceipt).where(WebhookReceipt.provider == "twilio-sms",
                                                          WebhookReceipt.external_id == sid))
    if done is not None:
        return _twiml(done.response or sms_reply(None))
    text, ticket_id = inbound.handle_sms(request.form.get("From", ""), request.form.get("Body", ""))
    xml = sms_reply(text)
    receipt = WebhookReceipt(provider="twilio-sms", external_id=sid[:100], kind="sms",
                             subject=request.form.get("From", "")[:64], ticket_id=ticket_id, response=xml)
    db.session.add(receipt)
    try:
        db.session.commit()  # the ticket and the receipt in one transaction
    except IntegrityError:
        # The same MessageSid handled concurrently: that one's work stands, ours is rolled back.
        db.session.rollback()
        done = db.session.scalar(select(WebhookReceipt).where(WebhookReceipt.provider == "twilio-sms",
                                                              WebhookReceipt.external_id == sid))
        return _twiml(done.response if done and done.response else sms_reply(None))
    return _twiml(xml)


@bp.route("/twilio/sms/status", methods=["POST"])
@limiter.limit(_rate_limit, deduct_when=_was_signed)
@twilio_signed
def twilio_sms_status() -> Response:
    """Delivery reports: move the message forward (never back); unknown messages are ignored."""
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid")
    ours = _TWILIO_TO_OURS.get(form.get("MessageStatus") or form.get("SmsStatus") or "")
    message = None
    if request.args.get("message_id", "").isdigit():
        message = db.session.get(OutboundMessage, int(request.args["message_id"]))
        if message is not None and message.provider_message_id not in (None, sid):
            message = None  # an id that does not belong to this MessageSid
    if message is None and sid:
        message = db.session.scalar(select(OutboundMessage).where(OutboundMessage.provider_message_id == sid))
    if message is None or ours is None:
        return Response(status=204)
    values: dict[str, Any] = {}
    if message.provider_message_id is None:
        values["provider_message_id"] = sid
    if _RANK.get(ours, -1) > _RANK.get(message.status, -1) and message.status != MessageStatus.SUPPRESSED:
        values["status"] = ours
        if ours in ("undelivered", "failed"):
            values["last_error"] = f"twilio {ours}: error {form.get('ErrorCode') or '?'}"
    if values:
        # Conditional on the status we read, so a concurrent report cannot be overwritten by an older one.
        db.session.execute(update(OutboundMessage).where(OutboundMessage.id == message.id,
                                                         OutboundMessage.status == message.status).values(**values))
        db.session.commit()
    return Response(status=204)



# ----- Zalo -------------------------------------------------------------------
@bp.route("/zalo", methods=["POST"])
@limiter.limit(_rate_limit, deduct_when=_was_signed)
def zalo_webhook() -> Response:
    """OA events, MAC-verified with the app secret; a retried event (same msg_id) is acted on once."""
    raw = request.get_data(cache=True)
    cfg = current_app.config
    if not zalo.verify_webhook(raw, request.headers.get("X-ZEvent-Signature"), cfg["ZALO_APP_SECRET"],
                               cfg["ZALO_APP_ID"] or None):
        return Response("invalid signature", status=403, mimetype="text/plain")
    g.webhook_signed = True
    event = zalo.parse_event(request.get_json(force=True, silent=True) or {})
    key = event.idempotency_key[:100]
    seen = db.session.scalar(select(WebhookReceipt.id).where(WebhookReceipt.provider == "zalo",
                                                             WebhookReceipt.external_id == key))
    if seen is None:
        ticket_id = zalo_inbound.handle_event(event)
        db.session.add(WebhookReceipt(provider="zalo", external_id=key, kind=event.name[:40] or "unknown",
                                      subject=(event.user_id or "")[:64] or None, ticket_id=ticket_id))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # the same event handled concurrently
    return Response(status=200)


zalo_webhook._roles = frozenset({"zalo-mac"})  # type: ignore[attr-defined]  # route audit: MAC-authenticated
