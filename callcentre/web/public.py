"""``/t`` and ``/t/<code>``: the citizen's lookup page (the QR code's target).

HTML for browsers (mobile first); the public JSON when the client sends
``Accept: application/json``. Never the citizen's name, phone or description.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from callcentre.core.extensions import limiter
from callcentre.http.errors import ApiError
from callcentre.schemas.ticket import PublicTicketOut
from callcentre.services.queries import find_public_ticket
from callcentre.web.forms import LookupForm
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
    form = LookupForm(request.args, meta={"csrf": False})
    ticket, status = None, 200
    if receipt_code is not None:
        form.code.data = receipt_code
        try:
            ticket = PublicTicketOut().dump(find_public_ticket(receipt_code))
        except ApiError as exc:
            status = exc.status
            form.code.errors = [_error_text(exc.status)]
    return render_template("web/public_lookup.html", form=form, ticket=ticket), status


def _error_text(status: int) -> str:
    from flask_babel import gettext as _

    if status == 422:
        return _("Mã biên nhận không hợp lệ: hãy kiểm tra lại từng ký tự")
    return _("Không tìm thấy phiếu có mã biên nhận này")
