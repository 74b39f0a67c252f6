"""Open311 GeoReport v2 under ``/open311/v2``: services, requests, tokens, updates.

A plain Flask blueprint (not flask-smorest): the spec fixes the wire shapes
(XML by default, JSON too; form-encoded POSTs; errors as ``{code, description}``
lists), so the views render them directly.
"""

from __future__ import annotations

from flask import Flask


def register_open311(app: Flask) -> None:
    """Blueprints, CSRF exemption (API-key callers carry no session cookie) and the CLI."""
    from callcentre.core.extensions import csrf
    from callcentre.open311 import intake, views  # noqa: F401  (routes)
    from callcentre.open311.blueprint import bp
    from callcentre.open311.cli import apikeys
    from callcentre.open311.media import bp as media_bp

    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.register_blueprint(media_bp)
    app.cli.add_command(apikeys)
