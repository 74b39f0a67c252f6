"""Process hooks for gunicorn (gunicorn.conf.py): warm up before traffic, start clean after a fork.

A fresh gunicorn worker's first intake took about 140 ms (mapper configuration, phone metadata,
the ward list, the intake statement), so every worker start or recycle (``max_requests``) handed
one citizen a slow answer. gunicorn calls ``app.extensions["warm_up"]`` once (in the master with
``preload_app``, else in each worker), then ``gc.freeze()`` so that full collections stop walking
the ~190,000 objects that live as long as the process (they paused a worker for about 90 ms).
``app.extensions["after_fork"]`` runs in each forked worker.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.orm import configure_mappers

log = logging.getLogger(__name__)


def warm_up(app: Flask) -> None:
    """Touch the per-process caches that need no database or Redis."""
    from callcentre.formats.geo import commune_exists
    from callcentre.formats.phone import to_e164
    from callcentre.schemas.ticket import TicketCreate
    from callcentre.services.intake_sql import pg_intake_statement

    with app.app_context():
        configure_mappers()
        to_e164("0912345678")  # loads phonenumbers' VN metadata
        commune_exists("0")  # builds the ward list
        TicketCreate().load({"channel": "app", "category": "X", "description": "x",
                             "contact": {"phone": "0912345678"}})
        pg_intake_statement()
    log.info("worker warmed up")


def after_fork(app: Flask) -> None:
    """In a worker forked from a preloaded master: its own database pools and Redis client.

    The master never connects (create_app and warm_up touch no server), so there is nothing to
    close; ``close=False`` leaves any inherited socket to the master, as SQLAlchemy advises.
    """
    from callcentre.core.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
    app.extensions.pop("callcentre_redis", None)
