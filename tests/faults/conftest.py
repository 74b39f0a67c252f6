"""Fault tests: real processes (worker, web server) and the failures they must survive.

Each test breaks only what it owns: its own processes, a redis-server it started, or the
PostgreSQL backends of its own processes' connections (found by their ``application_name``).
"""

from tests.integrations.conftest import fake_twilio  # noqa: F401 - fixtures, found by name
from tests.sla.live_worker import start_worker  # noqa: F401
