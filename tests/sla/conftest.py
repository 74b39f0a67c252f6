"""The live-worker fixture (tests/sla/live_worker.py) for the SLA tests."""

from tests.sla.live_worker import start_worker  # noqa: F401 - a fixture, found by name
