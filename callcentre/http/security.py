"""Browser-facing protections on every response, and the session cookie's flags.

- A Content-Security-Policy with no inline script (``script-src 'self'``: every script is a file
  under ``static/``); inline ``style=`` attributes remain in a few templates, hence styles'
  ``'unsafe-inline'``. No page may be framed (``frame-ancestors 'none'`` and X-Frame-Options).
- ``Referrer-Policy: same-origin``: a lookup URL (``/t/<receipt code>``) never leaks to another
  site, while same-origin form posts keep the Referer that Flask-WTF checks over HTTPS.
- ``Cache-Control: no-store`` on everything that can carry personal data, which is simply
  everything but static files and the QR images (they encode only the public lookup URL).
- HSTS and ``Secure`` cookies exactly when ``PUBLIC_BASE_URL`` is https.
"""

from __future__ import annotations

from flask import Flask, Response, request

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",  # Swagger UI draws its icons from data: URIs
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000"
# Responses a shared cache or the browser may keep: nothing personal in them.
CACHEABLE_ENDPOINTS = frozenset({"public.qr_png", "public.qr_svg"})


def is_cacheable(endpoint: str | None) -> bool:
    return endpoint is not None and (endpoint in CACHEABLE_ENDPOINTS or endpoint.rsplit(".", 1)[-1] == "static")


def init_app(app: Flask) -> None:
    https = app.config["PUBLIC_BASE_URL"].startswith("https://")
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = https

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if https:
            headers.setdefault("Strict-Transport-Security", HSTS)
        if not is_cacheable(request.endpoint):
            if "no-store" not in headers.get("Cache-Control", ""):  # a view's "private, no-store" stays
                headers["Cache-Control"] = "no-store"
            headers.pop("Expires", None)
        return response
