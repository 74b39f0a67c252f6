"""Sign in, sign out, language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from callcentre.core.extensions import db, limiter
from callcentre.http import staff_sessions
from callcentre.models import User, utcnow
from callcentre.services import audit
from callcentre.web import login_throttle
from callcentre.web.forms import LoginForm, add_errors
from callcentre.web.helpers import home_endpoint, html_errors, page_roles

bp = Blueprint("web_auth", __name__)
html_errors(bp)


def _safe_next(target: str | None) -> str | None:
    """Only local paths: never an open redirect to another site."""
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


def _too_many(form: LoginForm, seconds: int, status: int = 429) -> Response:
    add_errors(form.password, _("Quá nhiều lần đăng nhập sai, thử lại sau %(seconds)d giây", seconds=seconds))
    resp = current_app.make_response((render_template("web/login.html", form=form), status))
    resp.headers["Retry-After"] = str(seconds)
    return resp


@bp.route("/login", methods=["GET", "POST"])
@limiter.exempt  # throttled per account and per address by web/login_throttle.py instead
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for(home_endpoint(current_user)))
    form = LoginForm(next=request.args.get("next"))
    status = 200
    if form.validate_on_submit():
        username = (form.username.data or "").strip()
        now = utcnow()
        wait = login_throttle.seconds_to_wait(username, request.remote_addr, now)
        if wait:  # refused before the password is even looked at
            return _too_many(form, wait)
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None and user.active and user.check_password(form.password.data):
            login_throttle.record_success(username)
            audit.record("login", actor=user, target_type="user", target_id=user.id)  # sign_in commits it
            staff_sessions.sign_in(user)
            session.permanent = False
            return redirect(_safe_next(form.next.data) or url_for(home_endpoint(user)))
        add_errors(form.password, _("Sai tên đăng nhập hoặc mật khẩu"))
        # The name as typed (never the password); committed by record_failure.
        reason = "unknown_user" if user is None else "wrong_password" if user.active else "deactivated"
        audit.record("login_failed", actor=None, label=username, target_type="user",
                     target_id=user.id if user is not None else None, details={"reason": reason})
        wait = login_throttle.record_failure(username, request.remote_addr, now)
        if wait:  # this failure starts a wait: say so now, not on the next try
            return _too_many(form, wait, status=401)
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("web/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@page_roles("*")
def logout():
    user = current_user._get_current_object()
    audit.record("logout", actor=user, target_type="user", target_id=user.id)
    staff_sessions.sign_out()
    db.session.commit()  # sign_out commits only when the session was a server-side one
    flash(_("Đã đăng xuất"), "info")
    return redirect(url_for("web_auth.login"))


@bp.route("/lang/<string:code>")
def set_language(code: str):
    """Remember the chosen language in the session (and a cookie for the public pages)."""
    if code not in current_app.config["LANGUAGES"]:
        code = current_app.config["BABEL_DEFAULT_LOCALE"]
    session["lang"] = code
    resp = redirect(_safe_next(request.args.get("next")) or url_for("public_pages.lookup"))
    resp.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                    secure=bool(current_app.config["SESSION_COOKIE_SECURE"]))
    return resp
