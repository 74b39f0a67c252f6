"""Fault tests: a real worker process, and the failures it must survive.

Each test breaks only what it owns: its own worker process, a redis-server it started, or the
PostgreSQL backends of its own worker's connections (found by their ``application_name``).
"""

from tests.integrations.conftest import fake_twilio  # noqa: F401 - fixtures, found by name
from tests.sla.live_worker import start_worker  # noqa: F401
