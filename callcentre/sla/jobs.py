"""RQ jobs of the SLA engine (they run inside the app context: see callcentre/core/jobs.py)."""

from __future__ import annotations

from callcentre.sla.clocks import recompute_calendar


def recompute_calendar_job(calendar_id: int) -> int:
    """A holiday or exception changed: move every open deadline on that calendar."""
    return recompute_calendar(calendar_id)
