"""The Open311 blueprint, in a module of its own so the view modules and the package's
``register_open311`` both import it without importing each other."""

from __future__ import annotations

from flask import Blueprint, current_app

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")


def public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]
