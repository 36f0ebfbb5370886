"""Named points in a transaction where a crash is most dangerous, so tests can crash exactly there.

A `CrashPoints` object is handed to whatever does the I/O (the driver loop, the store-and-forward drain). In
production it does nothing. `from_env()` reads POSTERM_CRASH_AT=<point>: the real process then SIGKILLs
itself at that point (no cleanup, no atexit, no flush: as a power cut would). The deterministic simulation
passes its own `CrashPoints(on_reach)` that raises instead, and restarts from the journal. No module global:
two terminals in one test process never share a crash plan.
"""
from __future__ import annotations

import os
import signal
from typing import Callable

POINTS = (
    "after_write_ahead",   # row committed, request not yet sent
    "after_send",          # request on the wire, response not read
    "after_response",      # response read, outcome not yet journaled
    "saf_after_attempt",   # SAF attempt counted, message not yet sent
    "saf_after_send",      # SAF message on the wire, acknowledgement not read
)


class CrashPoints:
    def __init__(self, on_reach: Callable[[str], None] | None = None) -> None:
        self._on_reach = on_reach

    def reached(self, point: str) -> None:
        if self._on_reach is not None:
            self._on_reach(point)


def _sigkill_at(wanted: str) -> Callable[[str], None]:
    def maybe_kill(point: str) -> None:
        if point == wanted:
            os.kill(os.getpid(), signal.SIGKILL)
    return maybe_kill


def from_env() -> CrashPoints:
    wanted = os.environ.get("POSTERM_CRASH_AT")
    if wanted and wanted not in POINTS:
        raise ValueError(f"POSTERM_CRASH_AT={wanted!r}: expected one of {', '.join(POINTS)}")
    return CrashPoints(_sigkill_at(wanted) if wanted else None)


NONE = CrashPoints()
