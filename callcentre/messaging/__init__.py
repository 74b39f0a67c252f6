"""Telephony and citizen notifications: SMS/Zalo out, Twilio and Zalo webhooks in.

``register_messaging(app)`` (called from ``create_app``) subscribes the
notification jobs to ``ticket_events_committed`` and registers the webhooks.
Providers live in ``integrations/``; this package is the application side.
"""

from __future__ import annotations

from flask import Flask

from ..after_commit import ticket_events_committed
from .templates import seed_message_templates

__all__ = ["register_messaging", "seed_message_templates"]


def register_messaging(app: Flask) -> None:
    from ..extensions import csrf
    from .outbound import on_ticket_events
    from .repair import repair_command
    from .webhooks import bp

    csrf.exempt(bp)  # providers sign their requests; they carry no session cookie to forge
    app.register_blueprint(bp)
    app.cli.add_command(repair_command)

    # Connected once per process (blinker ignores a receiver connected twice); the
    # sender is the app that committed, so every app instance is served.
    ticket_events_committed.connect(on_ticket_events, weak=False)
