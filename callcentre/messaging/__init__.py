"""Telephony and citizen notifications: SMS/Zalo out, Twilio and Zalo webhooks in.

``register_messaging(app)`` (called from ``create_app``) installs the notification outbox
(outbox.py: a committed event's notification is queued by the worker's dispatcher) and
registers the webhooks.
Providers live in ``integrations/``; this package is the application side.
"""

from __future__ import annotations

from flask import Flask

from callcentre.messaging.templates import seed_message_templates

__all__ = ["register_messaging", "seed_message_templates"]


def register_messaging(app: Flask) -> None:
    from callcentre.core.extensions import csrf
    from callcentre.messaging import outbox  # noqa: F401 - installs the flush hook that writes the outbox rows
    from callcentre.messaging.repair import repair_command
    from callcentre.messaging.webhooks import bp

    csrf.exempt(bp)  # providers sign their requests; they carry no session cookie to forge
    app.register_blueprint(bp)
    app.cli.add_command(repair_command)
