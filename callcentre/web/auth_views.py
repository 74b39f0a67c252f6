"""Sign in, sign out, language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from callcentre.core.extensions import db, limiter
from callcentre.models import User
from callcentre.web.forms import LoginForm
from callcentre.web.helpers import home_endpoint, html_errors, page_roles

bp = Blueprint("web_auth", __name__)
html_errors(bp)


def _safe_next(target: str | None) -> str | None:
    """Only local paths: never an open redirect to another site."""
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC"], methods=["POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for(home_endpoint(current_user)))
    form = LoginForm(next=request.args.get("next"))
    status = 200
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        if user is not None and user.active and user.check_password(form.password.data):
            login_user(user)
            session.permanent = False
            return redirect(_safe_next(form.next.data) or url_for(home_endpoint(user)))
        form.password.errors.append(_("Sai tên đăng nhập hoặc mật khẩu"))
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("web/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@page_roles("*")
def logout():
    logout_user()
    flash(_("Đã đăng xuất"), "info")
    return redirect(url_for("web_auth.login"))


@bp.route("/lang/<string:code>")
def set_language(code: str):
    """Remember the chosen language in the session (and a cookie for the public pages)."""
    if code not in current_app.config["LANGUAGES"]:
        code = current_app.config["BABEL_DEFAULT_LOCALE"]
    session["lang"] = code
    resp = redirect(_safe_next(request.args.get("next")) or url_for("public_pages.lookup"))
    resp.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax")
    return resp
