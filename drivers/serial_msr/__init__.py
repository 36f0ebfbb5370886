"""Serial magstripe readers (MSR605/MSR206 ESC protocol, plain ASCII-track readers) via pyserial.

Bytes in, raw track strings and status out; no business rules. pyserial is imported only when a port is
opened, and the names below are loaded on first use, so importing one submodule (as the `posterm` command
table does) stays cheap. See docs/serial_msr.md.
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "drivers.serial_msr.ascii_framer": ("AsciiFramer",),
    "drivers.serial_msr.esc_framer": ("EscFramer",),
    "drivers.serial_msr.errors": ("NoSwipeError", "PortUnavailableError", "ReaderCommandError",
                                  "ReaderDisconnectedError", "ReaderSpecError"),
    "drivers.serial_msr.events": ("BadSwipe", "BadSwipeKind", "Event", "GarbageSkipped", "Reply", "Swipe",
                                  "SwipeResult", "TrackRead", "TrackState"),
    "drivers.serial_msr.port": ("SerialMsrReader", "read_swipe"),
    "drivers.serial_msr.spec": ("ReaderSpec", "parse_reader_spec"),
    "drivers.serial_msr.track_check": ("TrackValidator", "check_track_structure", "lrc_char"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'drivers.serial_msr' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
