"""Named points in a transaction where a crash is most dangerous, so tests can crash exactly there.

In production `reached` does nothing. The crash test sets POSTERM_CRASH_AT=<point> and the real process
SIGKILLs itself at that point (no cleanup, no atexit, no flush: as a power cut would). The deterministic
simulation replaces `hook` to raise instead, and restarts the engine from the journal.
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


def _sigkill_if_asked(point: str) -> None:
    if os.environ.get("POSTERM_CRASH_AT") == point:
        os.kill(os.getpid(), signal.SIGKILL)


hook: Callable[[str], None] = _sigkill_if_asked


def reached(point: str) -> None:
    hook(point)
