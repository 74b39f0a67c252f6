"""Does a shared `transitions` Machine matter? Per-request Machine vs the shared one.

    .venv/bin/python bench/workflow_machine.py [--n 2000]

Pure CPU, in-process (no server or database needed): both ways run the same
check of an `accept` and a guarded `approve_extension` on fresh TicketFacts.
The per-request variant builds the Machine from the TRIGGERS table each time,
as a view that wrote `Machine(model=ticket, ...)` would. Prints µs per check
and the ratio; the decision in workflows/definition.py rests on it.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workflows import definition as d  # noqa: E402


def facts(status: str, role: str) -> d.TicketFacts:
    return d.TicketFacts(status=status, role=role, own_department=True, now=datetime.now(UTC),
                         pending_extension=True)


def shared(n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        d.check("accept", facts("assigned", "department_officer"))
        d.check("approve_extension", facts("in_progress", "supervisor"))
    return (time.perf_counter() - t0) / (2 * n)


def per_request(n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        machine = d._build_machine()
        for trigger, f in (("accept", facts("assigned", "department_officer")),
                           ("approve_extension", facts("in_progress", "supervisor"))):
            if d.role_allows(d.BY_NAME[trigger], f) is None:
                machine.events[trigger].trigger(f)
    return (time.perf_counter() - t0) / (2 * n)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=2000)
    n = p.parse_args().n
    shared(200), per_request(50)  # warm-up
    a, b = shared(n), per_request(max(1, n // 10))
    print(f"shared Machine:      {a * 1e6:8.1f} µs per check")
    print(f"Machine per request: {b * 1e6:8.1f} µs per check")
    print(f"ratio per-request / shared: {b / a:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
