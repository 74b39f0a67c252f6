"""``/t`` and ``/t/<code>``: the citizen's lookup page (the QR code's target).

HTML for browsers (mobile first); the public JSON when the client sends
``Accept: application/json``. Never the citizen's name, phone or description.

With the token of the resolution SMS's link (``?k=``) the page also lets the citizen rate the
answer or say it did not solve the problem (``POST /t/<code>/feedback``, services/feedback.py);
while the ticket waits for them it shows what they are asked for.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from callcentre.core.extensions import db, limiter
from callcentre.http.errors import ApiError
from callcentre.http.request_guard import checks_own_text
from callcentre.models import Ticket
from callcentre.models.feedback import MAX_COMMENT, RATINGS
from callcentre.schemas.ticket import PublicTicketOut
from callcentre.services import feedback
from callcentre.services.queries import find_public_ticket
from callcentre.web.forms import LookupForm, text_error
from callcentre.web.helpers import html_errors

bp = Blueprint("public_pages", __name__)
html_errors(bp)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


@bp.route("/t", defaults={"receipt_code": None})
@bp.route("/t/<string:receipt_code>")
@limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC"])
def lookup(receipt_code: str | None):
    if receipt_code is None and request.args.get("code"):
        # The form's GET: go to the canonical, bookmarkable URL.
        typed = request.args["code"].strip().upper().replace(" ", "").replace("-", "")
        return redirect(url_for("public_pages.lookup", receipt_code=typed or None))
    if receipt_code is not None and _wants_json():
        return PublicTicketOut().dump(find_public_ticket(receipt_code))
    return _page(receipt_code, request.args.get("k"))


def _page(receipt_code: str | None, token: str | None, errors: dict[str, str] | None = None,
          typed: dict[str, Any] | None = None, status: int = 200):
    form = LookupForm(request.args, meta={"csrf": False})
    ticket, found, rating = None, None, None
    if receipt_code is not None:
        form.code.data = receipt_code
        try:
            found = find_public_ticket(receipt_code)
            ticket = PublicTicketOut().dump(found)
        except ApiError as exc:
            status = exc.status
            form.code.errors = [_error_text(exc.status)]
        if found is not None and token:
            rating = _rating_form(found, token, errors or {}, typed or {})
    return render_template(
        "web/public_lookup.html", form=form, ticket=ticket, rating=rating,
        question=feedback.public_question(found) if found is not None else None,
        this_page=url_for("public_pages.lookup", receipt_code=receipt_code, k=token) if receipt_code else None,
    ), status


def _rating_form(ticket: Ticket, token: str, errors: dict[str, str], typed: dict[str, Any]) -> dict[str, Any]:
    """What the feedback part of the page shows: the form while the answer may be rated, else why not."""
    view: dict[str, Any] = {"token": token, "errors": errors, "typed": typed, "ratings": list(RATINGS),
                            "max_comment": MAX_COMMENT, "state": "open", "rating": None, "until": None}
    try:
        row = feedback.row_for_token(ticket, token)
        view["rating"] = row.rating
        feedback.check_open(ticket, datetime.now(UTC))
        view["until"] = feedback.open_until(ticket)
    except feedback.FeedbackError as exc:
        view["state"], view["message"] = exc.reason, exc.text()
    return view


@bp.route("/t/<string:receipt_code>/feedback", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC"])
@checks_own_text  # an overlong or NUL comment is shown beside the field, with what was typed
def give_feedback(receipt_code: str):
    """The rating form's POST: rate (``action=rate``) or dispute (``action=dispute``) the answer."""
    token = request.form.get("k", "")
    dispute = request.form.get("action") == "dispute"
    typed = {"rating": request.form.get("rating", ""), "comment": request.form.get("comment", "")}
    try:
        ticket = find_public_ticket(receipt_code)
    except ApiError:
        return _page(receipt_code, None)  # the page says the code is wrong
    rating = int(typed["rating"]) if typed["rating"] in {str(n) for n in RATINGS} else None
    problem = text_error(typed["comment"], MAX_COMMENT)
    if problem is not None:
        return _page(receipt_code, token, {"comment": problem}, typed, 422)
    if typed["rating"] and rating is None:
        return _page(receipt_code, token, {"rating": _("Điểm đánh giá là một số từ 1 đến 5")}, typed, 422)
    try:
        feedback.row_for_token(ticket, token)
        feedback.give_feedback(ticket, rating=rating, comment=typed["comment"], dispute=dispute, via="web")
    except feedback.FeedbackError as exc:
        db.session.rollback()
        return _page(receipt_code, token, {exc.field: exc.text()}, typed, exc.status)
    try:
        db.session.commit()
    except StaleDataError:  # another writer changed the ticket first (SQLite: no row locks)
        db.session.rollback()
        return _page(receipt_code, token, {"dispute": feedback.FeedbackError(409, "dispute", feedback.REOPENED)
                                           .text()}, typed, 409)
    if dispute:
        flash(_("Đã ghi nhận: phản ánh chưa được giải quyết. Phiếu đã được mở lại để cơ quan chức năng xử lý tiếp; "
                "quý vị sẽ nhận tin nhắn khi có trả lời mới."), "success")
    else:
        flash(_("Cảm ơn quý vị đã đánh giá %(n)d/5.", n=rating or 0), "success")
    return redirect(url_for("public_pages.lookup", receipt_code=ticket.receipt_code, k=token), code=303)


# Read by the route audit (tests/api/test_platform.py): the token of the SMS link is the caller's key.
give_feedback._roles = frozenset({"feedback-token"})  # type: ignore[attr-defined]  # a mark on a function


def _error_text(status: int) -> str:
    if status == 422:
        return _("Mã biên nhận không hợp lệ: hãy kiểm tra lại từng ký tự")
    return _("Không tìm thấy phiếu có mã biên nhận này")
