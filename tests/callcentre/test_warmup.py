"""gunicorn's post_worker_init: the app's warm-up runs, then the long-lived heap is frozen."""

from __future__ import annotations

import gc
import logging
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

from callcentre import geo
from callcentre.services.intake_sql import pg_intake_statement

GUNICORN_CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


@pytest.fixture()
def unfrozen() -> None:
    yield
    gc.unfreeze()  # the rest of the test run keeps the collector as it was


def test_post_worker_init_warms_the_app_and_freezes_the_heap(session_app, unfrozen) -> None:
    geo.communes.cache_clear()
    pg_intake_statement.cache_clear()
    hook = runpy.run_path(str(GUNICORN_CONF))["post_worker_init"]
    hook(SimpleNamespace(wsgi=session_app, log=logging.getLogger("gunicorn.test")))
    assert geo.communes.cache_info().currsize == 1  # the ward list is built
    assert pg_intake_statement.cache_info().currsize == 1  # the intake statement is built
    assert gc.get_freeze_count() > 10_000  # the app's modules, mappers and caches


def test_a_failing_warm_up_never_keeps_a_worker_from_serving(session_app, unfrozen, caplog) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    app = SimpleNamespace(extensions={"warm_up": broken})
    hook = runpy.run_path(str(GUNICORN_CONF))["post_worker_init"]
    hook(SimpleNamespace(wsgi=app, log=logging.getLogger("gunicorn.test")))
    assert "warm-up failed" in caplog.text
    assert gc.get_freeze_count() > 0
