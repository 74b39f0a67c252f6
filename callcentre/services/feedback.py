"""The citizen's voice on an answer: the link token of the resolution SMS, ratings, disputes, figures.

* **Token.** The resolution SMS links to ``/t/{code}?k={token}``. The token is an HMAC of the
  ticket and its ``resolve`` event under ``SECRET_KEY``: the database keeps only its SHA-256
  (``ticket_feedback.token_hash``) and the stored message body only a mask, so no one reading
  either can rate in the citizen's place; the send job puts the token back (``reveal``). It is
  good while the ticket stays answered, for ``REOPEN_WINDOW_DAYS`` after the resolution; a new
  resolution issues a new one.
* **Rating** (1–5, an optional comment that only staff see) and **dispute** come from the page,
  the public API (with the token) or an SMS from the ticket's own phone (inbound.py), and all go
  through ``give_feedback``. A dispute reopens the ticket through the workflow's one write path
  (``fire("citizen_dispute")``, whose effect notifies the department's staff in the app, as SLA
  warnings do); the ``citizen_dispute`` events are the record of disputes.
* **Figures**: average rating and dispute rate per department (``figures_by_department``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError

from callcentre.core.extensions import db
from callcentre.models import Department, Ticket, TicketEvent, TicketFeedback
from callcentre.models.feedback import MAX_COMMENT, RATINGS, TOKEN_LENGTH
from callcentre.services.history import record_event
from callcentre.services.workflow import fire
from workflows.definition import WorkflowError
from workflows.states import Status

TOKEN_BYTES = 12  # 96 bits as TOKEN_LENGTH URL-safe characters: short for an SMS, far from guessable
TOKEN_MASK = "*" * TOKEN_LENGTH  # what the stored message body holds instead (GSM-7, same length)
ANSWERED = (Status.RESOLVED.value, Status.CLOSED.value)
WORKING = (Status.ASSIGNED.value, Status.IN_PROGRESS.value, Status.AWAITING_CITIZEN.value)
VIA = ("web", "api", "sms")


# -- the token ------------------------------------------------------------------

def token_for(ticket_id: int, event_id: int) -> str:
    """The link token of the resolution ``event_id`` of ``ticket_id`` (the same every time)."""
    key = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(key, f"ticket-feedback:{ticket_id}:{event_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:TOKEN_BYTES]).decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feedback_link(code: str, token: str | None = None) -> str:
    """The lookup page with the token; ``None``: with the mask, as the message row stores it."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/t/{code}?k={token or TOKEN_MASK}"


def reveal(body: str, ticket_id: int, event_id: int) -> str:
    """A stored message body with its masked token replaced by the real one (at send time)."""
    return body.replace(f"?k={TOKEN_MASK}", f"?k={token_for(ticket_id, event_id)}")


def _row(ticket: Ticket) -> TicketFeedback:
    """The ticket's feedback row, created if missing (two jobs at once end with one row)."""
    found = db.session.scalar(select(TicketFeedback).where(TicketFeedback.ticket_id == ticket.id))
    if found is not None:
        return found
    row = TicketFeedback(ticket_id=ticket.id)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return db.session.scalars(select(TicketFeedback).where(TicketFeedback.ticket_id == ticket.id)).one()
    return row


def issue_token(ticket: Ticket, event: TicketEvent) -> bool:
    """Record the hash of the token of resolution ``event``, unless a later one was issued; whether
    the link may carry it (not for a ticket no public view shows). The caller commits."""
    if ticket.confidential:
        return False
    row = _row(ticket)
    if row.token_event_id is None or row.token_event_id <= event.id:
        row.token_hash, row.token_event_id = token_hash(token_for(ticket.id, event.id)), event.id
    return row.token_event_id == event.id


# -- refusals -------------------------------------------------------------------

BAD_TOKEN, REOPENED, EXPIRED, NOTHING, BAD_RATING, NOT_ANSWERED, TOO_LONG = (
    "bad_token", "reopened", "expired", "nothing", "bad_rating", "not_answered", "too_long")


@dataclass
class FeedbackError(Exception):
    """A refused rating or dispute: the HTTP status, the field it is about, and why (``reason``)."""

    status: int
    field: str
    reason: str
    days: int = 0  # the window for EXPIRED, the limit for TOO_LONG

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"

    def text(self) -> str:
        """In the request's language (Vietnamese unless English was chosen)."""
        texts = {
            BAD_TOKEN: _("Đường dẫn đánh giá không đúng hoặc đã được thay bằng đường dẫn trong tin nhắn mới hơn"),
            REOPENED: _("Phiếu đang được xử lý lại; quý vị sẽ nhận tin nhắn khi có trả lời mới"),
            EXPIRED: _("Đã quá %(days)d ngày kể từ khi trả lời: không thể đánh giá hoặc phản hồi lại qua đường "
                       "dẫn này nữa; vui lòng gọi 1022", days=self.days),
            NOTHING: _("Hãy chọn điểm đánh giá từ 1 đến 5, hoặc gửi phản hồi chưa được giải quyết"),
            BAD_RATING: _("Điểm đánh giá là một số từ 1 đến 5"),
            NOT_ANSWERED: _("Phiếu chưa được trả lời"),
            TOO_LONG: _("Góp ý không được dài quá %(n)d ký tự", n=self.days),
        }
        return texts[self.reason]


def window() -> timedelta:
    return timedelta(days=current_app.config["REOPEN_WINDOW_DAYS"])


def open_until(ticket: Ticket) -> datetime | None:
    """Until when the citizen may rate or dispute the answer; None while it is not answered."""
    if ticket.status not in ANSWERED or ticket.resolved_at is None:
        return None
    return ticket.resolved_at + window()


def check_open(ticket: Ticket, now: datetime, field: str = "token") -> None:
    """Refuse unless the answer stands and its window has not passed."""
    until = open_until(ticket)
    if until is None:
        answered_once = ticket.status in WORKING and db.session.scalar(
            select(TicketEvent.id).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "resolve").limit(1))
        raise FeedbackError(409, field, REOPENED if answered_once else NOT_ANSWERED)
    if now > until:
        raise FeedbackError(410, field, EXPIRED, days=window().days)


def row_for_token(ticket: Ticket, token: str) -> TicketFeedback:
    """The feedback row whose token ``token`` is, or FeedbackError 403."""
    row = db.session.scalar(select(TicketFeedback).where(TicketFeedback.ticket_id == ticket.id))
    if row is None or row.token_hash is None or not hmac.compare_digest(row.token_hash, token_hash(token)):
        raise FeedbackError(403, "token", BAD_TOKEN)
    return row


def feedback_of(ticket: Ticket) -> TicketFeedback | None:
    return db.session.scalar(select(TicketFeedback).where(TicketFeedback.ticket_id == ticket.id))


# -- the one write path ---------------------------------------------------------

def lock(ticket: Ticket) -> Ticket:
    """Re-read ``ticket`` under its row lock (PostgreSQL), so a change is judged on the state the
    previous writer left; the row only, not the rows its eager loads join."""
    locking = db.session.get_bind().dialect.name == "postgresql"
    db.session.refresh(ticket, with_for_update={"of": Ticket} if locking else None)
    return ticket


@dataclass
class Outcome:
    rating: int | None
    comment: str | None
    rated_at: datetime | None
    disputed: bool
    status: str


def give_feedback(ticket: Ticket, *, rating: int | None = None, comment: str | None = None,
                  dispute: bool = False, via: str = "web", now: datetime | None = None) -> Outcome:
    """Record the citizen's rating and/or dispute of the answer to ``ticket``; the caller commits.

    Raises FeedbackError: nothing given, a rating out of range, the answer reopened or too old (a
    dispute that lost a race to another writer: after rolling the transaction back)."""
    now = now or datetime.now(UTC)
    comment = (comment or "").strip() or None
    if rating is None and not dispute:
        raise FeedbackError(422, "rating", NOTHING)
    if rating is not None and rating not in RATINGS:
        raise FeedbackError(422, "rating", BAD_RATING)
    if comment is not None and len(comment) > MAX_COMMENT:  # the forms say so first; never cut
        raise FeedbackError(422, "comment", TOO_LONG, days=MAX_COMMENT)
    if dispute:
        lock(ticket)  # two disputes at once reopen once: the second sees it reopened
    check_open(ticket, now)
    row = _row(ticket)
    # The same rating again (the form still shows it when the citizen then disputes) is no news.
    rated = rating is not None and (rating != row.rating or (comment is not None and comment != row.comment))
    if comment is not None:
        row.comment = comment
    if rated:
        row.rating, row.rated_at, row.rated_via = rating, now, via
        record_event(db.session, ticket, "citizen_feedback", actor_label="citizen", note=comment,
                     from_status=ticket.status, to_status=ticket.status,
                     payload={"rating": rating, "via": via}, at=now)
    if dispute:
        try:  # reopens it, and tells the department (services/workflow.py)
            fire(ticket, "citizen_dispute", {"note": comment, "via": via}, None, now=now, actor_label="citizen")
        except WorkflowError as exc:  # not expected once check_open passed: the state moved under us
            raise FeedbackError(409, "dispute", REOPENED if ticket.status not in ANSWERED else EXPIRED,
                                days=window().days) from exc
        except StaleDataError as exc:  # without row locks (SQLite) a concurrent writer wins the version
            db.session.rollback()
            raise FeedbackError(409, "dispute", REOPENED) from exc
    return Outcome(row.rating, row.comment, row.rated_at, dispute, ticket.status)


# -- what the SMS and the page say ----------------------------------------------

def latest_answered(contact_id: int, now: datetime | None = None) -> Ticket | None:
    """The contact's most recently answered ticket still within the window, if any."""
    now = now or datetime.now(UTC)
    return db.session.scalar(
        select(Ticket).where(Ticket.contact_id == contact_id, Ticket.status.in_(ANSWERED),
                             Ticket.resolved_at >= now - window())
        .order_by(Ticket.resolved_at.desc(), Ticket.id.desc()).limit(1))


def question_text(event: TicketEvent) -> str | None:
    """What the citizen is asked for by a ``request_info`` event: the text their SMS carries
    (messaging/outbound.py) and their lookup page shows, so both say the same."""
    return event.note


def public_question(ticket: Ticket) -> str | None:
    """While the ticket waits for the citizen, the question of its latest ``request_info``."""
    if ticket.status != Status.AWAITING_CITIZEN:
        return None
    asked = [e for e in ticket.events if e.kind == "request_info"]
    return question_text(asked[-1]) if asked else None


# -- figures ----------------------------------------------------------------------

def _since(days: int, now: datetime) -> datetime:
    """The UTC start of the first of the last ``days`` local days."""
    zone = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    first = now.astimezone(zone).date() - timedelta(days=days - 1)
    return datetime.combine(first, time.min, zone).astimezone(UTC)


def figures_by_department(days: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per department over the last ``days`` local days: ratings given and their average; answers
    sent (``resolve`` events), disputes of them (``citizen_dispute``) and the dispute rate.
    Two aggregate statements, whatever the number of tickets."""
    now = now or datetime.now(UTC)
    since = _since(days, now)
    dept_cols = (Department.code, Department.name_vi, Department.name_en)
    # A rating is of the answer its link came with: it counts for the department that gave that
    # answer (the event names it), as the answers and disputes below do, wherever the ticket is now.
    answered = aliased(TicketEvent)
    ratings = db.session.execute(
        select(*dept_cols, func.count(TicketFeedback.rating), func.avg(TicketFeedback.rating))
        .select_from(TicketFeedback).join(Ticket, Ticket.id == TicketFeedback.ticket_id)
        .outerjoin(answered, answered.id == TicketFeedback.token_event_id)
        .outerjoin(Department, Department.id == func.coalesce(answered.department_id, Ticket.department_id))
        .where(TicketFeedback.rated_at >= since, TicketFeedback.rating.is_not(None))
        .group_by(*dept_cols)).all()
    # By the department each event names (the one that answered), from the (kind, created_at)
    # index: joining every event of the period to its ticket cost ~100 ms at 1M tickets.
    answers = db.session.execute(
        select(*dept_cols, func.sum(case((TicketEvent.kind == "resolve", 1), else_=0)),
               func.sum(case((TicketEvent.kind == "citizen_dispute", 1), else_=0)))
        .select_from(TicketEvent).outerjoin(Department, Department.id == TicketEvent.department_id)
        .where(TicketEvent.created_at >= since, TicketEvent.kind.in_(("resolve", "citizen_dispute")))
        .group_by(*dept_cols)).all()
    rows: dict[str | None, dict[str, Any]] = {}

    def row(code: str | None, name_vi: str | None, name_en: str | None) -> dict[str, Any]:
        return rows.setdefault(code, {"department": code, "name_vi": name_vi, "name_en": name_en, "ratings": 0,
                                      "average_rating": None, "answers": 0, "disputes": 0, "dispute_rate": None})

    for code, name_vi, name_en, n, average in ratings:
        r = row(code, name_vi, name_en)
        r["ratings"], r["average_rating"] = int(n), round(float(average), 2) if average is not None else None
    for code, name_vi, name_en, answered, disputed in answers:
        r = row(code, name_vi, name_en)
        r["answers"], r["disputes"] = int(answered or 0), int(disputed or 0)
        r["dispute_rate"] = round(r["disputes"] / r["answers"], 4) if r["answers"] else None
    return sorted(rows.values(), key=lambda r: (r["name_vi"] is None, r["name_vi"] or ""))

