"""Named points in a transaction where a crash is most dangerous, so tests can crash exactly there.

A `CrashPoints` object is handed to whatever does the I/O (the driver loop, the store-and-forward drain). In
production it does nothing. `from_env()` reads POSTERM_CRASH_AT=<point>: the real process then SIGKILLs
itself at that point (no cleanup, no atexit, no flush: as a power cut would). The deterministic simulation
passes its own `CrashPoints(on_reach)` that raises instead, and restarts from the journal. No module global:
two terminals in one test process never share a crash plan.

POSTERM_PAUSE_AT=<point>:<path> makes the real process stop at that point instead: it creates `<path>.reached`
and waits until `<path>.go` exists. A fault-injection test switches a fault on (libfiu's fiu-ctrl) while the
process waits there, so the fault meets exactly the commit that follows the point, with no race against the
process's own speed.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Callable

POINTS = (
    "before_write_ahead",  # the sale decided to go online, its row not yet written
    "after_write_ahead",   # row committed, request not yet sent
    "after_send",          # request on the wire, response not read
    "after_response",      # response read, outcome not yet journaled
    "saf_before_attempt",  # SAF message built, its attempt not yet counted
    "saf_after_attempt",   # SAF attempt counted, message not yet sent
    "saf_after_send",      # SAF message on the wire, acknowledgement not read
    "before_offline_record",  # the card approved offline, its advice not yet journaled
    "settle_before_write_ahead",  # totals taken, the 0500's row not yet written
    "settle_after_response",  # the host answered the 0500/0320, the settlement not yet journaled
)
PAUSE_LIMIT_S = 60.0


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


def _pause_at(wanted: str, path: str) -> Callable[[str], None]:
    def maybe_pause(point: str) -> None:
        if point != wanted:
            return
        Path(path + ".reached").touch()
        deadline = time.monotonic() + PAUSE_LIMIT_S
        while not os.path.exists(path + ".go") and time.monotonic() < deadline:
            time.sleep(0.001)
    return maybe_pause


def from_env() -> CrashPoints:
    wanted = os.environ.get("POSTERM_CRASH_AT")
    if wanted and wanted not in POINTS:
        raise ValueError(f"POSTERM_CRASH_AT={wanted!r}: expected one of {', '.join(POINTS)}")
    if wanted:
        return CrashPoints(_sigkill_at(wanted))
    pause = os.environ.get("POSTERM_PAUSE_AT")
    if pause:
        point, _, path = pause.partition(":")
        if point not in POINTS or not path:
            raise ValueError(f"POSTERM_PAUSE_AT={pause!r}: expected POINT:PATH, POINT one of {', '.join(POINTS)}")
        return CrashPoints(_pause_at(point, path))
    return CrashPoints()


NONE = CrashPoints()
