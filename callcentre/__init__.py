"""The 1022 call-centre web application: ``create_app`` binds everything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from config import Config


def create_app(config: type[Config] | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app. Connects to nothing and migrates nothing: that is the CLI's job."""
    from callcentre.core.log_masking import install_phone_masking

    install_phone_masking()  # no citizen's phone number in any log record of this process
    app = Flask(__name__, instance_path=None)
    from callcentre.http import request_guard

    request_guard.install_converters(app)  # before any route: ids beyond 2**31-1 match nothing
    app.config.from_object(config or Config)
    if overrides:
        app.config.update(overrides)
    Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    assert isinstance(app.json, DefaultJSONProvider)  # Flask's own; the two settings are its
    app.json.ensure_ascii = False  # UTF-8 end to end: "Môi trường", not "M\u00f4i"
    app.json.sort_keys = False
    _prepare_redis_url(app)

    from callcentre import models  # noqa: F401  (registers every mapped class)
    from callcentre.core import after_commit
    from callcentre.core.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    after_commit.init_app(app)  # the only session hooks: run work (SLA timers) after a commit
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    app.config.setdefault("RATELIMIT_STORAGE_URI", _limiter_storage_uri(app.config["REDIS_URL"]))
    limiter.init_app(app)
    _log_rate_limit_outages()

    from callcentre.api import events as live_events
    from callcentre.api import register_api
    from callcentre.cli import register_cli
    from callcentre.core.health import bp as health_bp
    from callcentre.core.metrics import register_metrics
    from callcentre.http import proxy, security
    from callcentre.http.auth import register_auth
    from callcentre.http.errors import register_error_handlers
    from callcentre.messaging import register_messaging
    from callcentre.open311 import register_open311
    from callcentre.services.metrics import table_figures
    from callcentre.web import register_web
    from callcentre.web.public import bp as public_pages_bp

    proxy.init_app(app)  # TRUSTED_PROXIES: the client's address, scheme and host, not the proxy's
    security.init_app(app)  # CSP, frame, cache and cookie protections on every response
    request_guard.init_app(app)  # NUL bytes, deep or oversized JSON: refused before any view
    register_auth(app)
    register_api(app)
    live_events.init_app(app)  # GET /api/v1/events: the live screens' stream (not in the OpenAPI document)
    register_error_handlers(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(public_pages_bp)
    register_metrics(app, database_figures=(table_figures,))  # /metrics, for METRICS_ALLOW/METRICS_TOKEN
    register_cli(app)
    register_open311(app)
    register_messaging(app)  # citizen SMS/Zalo jobs and telephony webhooks
    register_web(app)  # the server-rendered UI
    return app


def _prepare_redis_url(app: Flask) -> None:
    """Without REDIS_URL, point at the embedded server's socket (started on first use)."""
    if not app.config.get("REDIS_URL"):
        socket = Path(app.config["INSTANCE_DIR"]) / "redis.sock"
        app.config["REDIS_URL"] = f"unix://{socket}"
        app.config["REDIS_EMBEDDED"] = True

        @app.before_request
        def _ensure_embedded_redis() -> None:
            if not app.extensions.get("embedded_redis_ready"):
                from callcentre.core.embedded_redis import ensure_embedded_redis

                ensure_embedded_redis(app.config["INSTANCE_DIR"])
                app.extensions["embedded_redis_ready"] = True


def _log_rate_limit_outages() -> None:
    """Flask-Limiter warns once per Redis outage ("falling back to in-memory storage"), but on a
    logger with only a NullHandler: send its warnings where Flask's own log goes (gunicorn's)."""
    from flask.logging import default_handler

    from callcentre.core.extensions import limiter

    if default_handler not in limiter.logger.handlers:
        limiter.logger.addHandler(default_handler)


def _limiter_storage_uri(redis_url: str) -> str:
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    return redis_url


def _select_locale() -> str:
    from flask import request, session

    lang = request.args.get("lang") or session.get("lang") or request.cookies.get("lang")
    if lang in ("vi", "en"):
        return lang
    return request.accept_languages.best_match(["vi", "en"]) or "vi"
