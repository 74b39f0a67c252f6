"""No citizen's phone number in a log: messages, request lines, tracebacks, gunicorn's access log."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from callcentre.core.log_masking import PhoneMaskingFilter, mask_phones, remove_phones
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("text", "masked"), [
    ("GET /operator?phone=0912345678 HTTP/1.1", "GET /operator?phone=091*****78 HTTP/1.1"),
    ("/api/v1/contacts?phone=%2B84912345678&x=1", "/api/v1/contacts?phone=%2B849******78&x=1"),
    ("from +84912345678 to 84987654321", "from +849******78 to 849******21"),
    ("caller 0912 345 678 / 0912.345.678", "caller 091*****78 / 091*****78"),
    ("office 028 3823 4567", "office 028******67"),
    ("ids=0912345678%2C0987654321", "ids=091*****78%2C098*****21"),
    ("+14155552671", "+141******71"),
    # Not phone numbers: left alone.
    ("ticket 1234567890 at 2026-11-23T08:00:00+07:00, lat 10.3600", None),
    ("job 550e8400-e29b-41d4-a716-446655440000 ABCDE12345 09123456789012", None),
])
def test_mask_phones(text: str, masked: str | None) -> None:
    assert mask_phones(text) == (masked if masked is not None else text)


def test_app_log_messages_and_their_arguments_are_masked(app, caplog) -> None:
    # A logger of its own: alembic's fileConfig (migration tests) disables loggers that existed then.
    with caplog.at_level(logging.INFO):
        logging.getLogger("tests.log_masking").error("database error: %s",
                                                     "duplicate key [parameters: ('+84912345678', 'An')]")
        logging.getLogger("tests.log_masking.console").info("console message %s to %s", 7, "+84987654321")
    assert "912345678" not in caplog.text and "987654321" not in caplog.text
    assert "[parameters: ('+849******78', 'An')]" in caplog.text and "to +849******21" in caplog.text
    assert [r.getMessage() for r in caplog.records][1] == "console message 7 to +849******21"


def test_tracebacks_are_masked(app, caplog) -> None:
    try:
        raise ValueError("no contact for 0912345678")
    except ValueError:
        logging.getLogger("callcentre.test").exception("lookup failed")
    assert "ValueError: no contact for 091*****78" in caplog.text and "0912345678" not in caplog.text


def test_the_filter_masks_like_the_factory() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "phone=%s", ("0912345678",), None)
    assert PhoneMaskingFilter().filter(record) and record.getMessage() == "phone=091*****78"


def test_werkzeug_request_lines_are_masked(app, caplog, monkeypatch) -> None:
    monkeypatch.setattr(logging.getLogger("werkzeug"), "disabled", False)  # alembic's fileConfig may have run
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        urllib.request.urlopen(f"http://127.0.0.1:{server.port}/login?phone=0912345678", timeout=10).read()
        thread.join(10)
    server.server_close()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/login?phone=091*****78" in line for line in lines), lines
    assert "0912345678" not in caplog.text


def test_gunicorn_access_log_is_masked(services, tmp_path) -> None:
    """The real gunicorn, with the project's gunicorn.conf.py, serving the app."""
    port, access_log = free_port(), tmp_path / "access.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "FLASK_"))}
    env.update(GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1", GUNICORN_ACCESSLOG=str(access_log),
               DATABASE_URL=services.database_url, REDIS_URL=services.redis_url, INSTANCE_DIR=str(tmp_path),
               SECRET_KEY="test-secret")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login?phone=0912345678&next=/operator%3Fphone"
                                       "%3D%2B84987654321", timeout=5).read()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        deadline = time.monotonic() + 10
        while "GET /login" not in (text := access_log.read_text() if access_log.exists() else ""):
            assert time.monotonic() < deadline, text
            time.sleep(0.1)
    finally:
        proc.terminate()
        _, errors = proc.communicate(timeout=30)
    assert "phone=091*****78" in text and "%2B849******21" in text, text
    assert "912345678" not in text and "987654321" not in text
    assert b"912345678" not in errors


def test_remove_phones_replaces_whole_numbers_and_leaves_other_digits() -> None:
    text = "Gọi 0912 345 678 hoặc +84 28 3823 4567, phiếu 2024, mã 12345"
    assert remove_phones(text, "[x]") == "Gọi [x] hoặc [x], phiếu 2024, mã 12345"
