"""Serial magstripe readers (MSR605/MSR206 ESC protocol, plain ASCII-track readers) via pyserial.

Bytes in, raw track strings and status out; no business rules. pyserial is imported only when a port is
opened. See docs/serial_msr.md.
"""
from drivers.serial_msr.ascii_framer import AsciiFramer
from drivers.serial_msr.errors import (
    NoSwipeError, PortUnavailableError, ReaderCommandError, ReaderDisconnectedError, ReaderSpecError,
)
from drivers.serial_msr.esc_framer import EscFramer
from drivers.serial_msr.events import (
    BadSwipe, BadSwipeKind, Event, GarbageSkipped, Reply, Swipe, SwipeResult, TrackRead, TrackState,
)
from drivers.serial_msr.port import SerialMsrReader, read_swipe
from drivers.serial_msr.spec import ReaderSpec, parse_reader_spec
from drivers.serial_msr.track_check import TrackValidator, check_track_structure, lrc_char

__all__ = [
    "AsciiFramer", "EscFramer", "BadSwipe", "BadSwipeKind", "Event", "GarbageSkipped", "Reply", "Swipe",
    "SwipeResult", "TrackRead", "TrackState", "SerialMsrReader", "read_swipe", "ReaderSpec", "parse_reader_spec",
    "TrackValidator", "check_track_structure", "lrc_char", "NoSwipeError", "PortUnavailableError",
    "ReaderCommandError", "ReaderDisconnectedError", "ReaderSpecError",
]
