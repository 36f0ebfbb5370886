"""The I/O shell around the framers: open a serial port with pyserial, send what the protocol needs, and
collect one swipe against a monotonic deadline.

pyserial is imported inside `open()` only, so `posterm --help` never loads it. Timeouts are built from short
blocking reads plus `in_waiting` and `time.monotonic()`; `inter_byte_timeout` is not used (it is not honoured
on a Linux pty).
"""
from __future__ import annotations

import contextlib
import time
from typing import Any, Iterator

from drivers.serial_msr.ascii_framer import AsciiFramer
from drivers.serial_msr.errors import (
    NoSwipeError, PortUnavailableError, ReaderCommandError, ReaderDisconnectedError, ReaderSpecError,
)
from drivers.serial_msr.esc_framer import EscFramer
from drivers.serial_msr.esc_protocol import (
    CMD_COMM_TEST, CMD_READ_ISO, CMD_RESET, COMMAND_FAULT_STATUSES, status_text,
)
from drivers.serial_msr.events import BadSwipe, BadSwipeKind, Event, GarbageSkipped, Reply, Swipe, SwipeResult
from drivers.serial_msr.spec import DEFAULT_GAP_S, PROTOCOLS
from drivers.serial_msr.track_check import TrackValidator, check_track_structure

POLL_S = 0.05     # longest single blocking read: bounds how late a deadline or gap is noticed
_SWIPE_FAULT_REPLIES = frozenset("19")  # a bare <ESC>1 / <ESC>9 answering a read: the swipe failed
ASCII_WAKE = b"\x05"  # ENQ: plain ASCII readers ignore host bytes; the emulator takes it as 'client is here'


class SerialMsrReader:
    """One open serial magstripe reader. Use as a context manager; `read_swipe` may be called repeatedly."""

    def __init__(self, device: str, protocol: str = "ascii", *, baud: int = 9600, gap_s: float = DEFAULT_GAP_S,
                 wake: bool = True, validate: TrackValidator = check_track_structure) -> None:
        if protocol not in PROTOCOLS:
            raise ReaderSpecError(f"protocol {protocol!r}: expected one of {', '.join(sorted(PROTOCOLS))}")
        self.device = device
        self.protocol = PROTOCOLS[protocol]
        self.baud = baud
        self.gap_s = gap_s
        self.wake = wake
        self._validate = validate
        self._port: Any = None

    def __enter__(self) -> "SerialMsrReader":
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        import serial  # lazily: only when a reader is really opened
        try:
            self._port = serial.Serial(self.device, baudrate=self.baud, timeout=POLL_S, write_timeout=2.0)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise PortUnavailableError(f"serial reader {self.device}: cannot open the port ({_why(exc)})") from None

    def close(self) -> None:
        if self._port is not None:
            try:
                self._port.close()
            except OSError:
                pass  # the device may already be gone; nothing left to release
            self._port = None

    def test_link(self, timeout_s: float = 2.0) -> None:
        """MSR605: communication test (<ESC>e -> <ESC>y). Raises ReaderCommandError on a wrong answer,
        NoSwipeError-free: a silent reader gives ReaderCommandError too. ASCII readers have no such test."""
        if self.protocol != "msr605":
            return
        self._write(CMD_COMM_TEST)
        framer = EscFramer(self._validate)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for event in framer.feed(self._read_some(deadline)):
                if isinstance(event, Reply):
                    if event.code == "y":
                        return
                    raise ReaderCommandError(f"serial reader {self.device}: communication test answered "
                                             f"<ESC>{event.code!r}, expected <ESC>'y'")
        raise ReaderCommandError(f"serial reader {self.device}: no answer to the communication test "
                                 f"within {timeout_s:g} s")

    def read_swipe(self, timeout_s: float) -> SwipeResult:
        """Wait up to timeout_s for one swipe. Returns tracks, or a swipe fault (bad status, unreadable,
        incomplete). Raises NoSwipeError (nothing arrived), ReaderDisconnectedError (cable pulled),
        ReaderCommandError (the reader refused our command)."""
        if self._port is None:
            self.open()
        if self.protocol == "msr605":
            framer: EscFramer | AsciiFramer = EscFramer(self._validate)
            self._discard_input()  # this reader only speaks when asked: anything waiting is stale
            self._write(CMD_RESET + CMD_READ_ISO)
        else:
            framer = AsciiFramer(self._validate)
            if self.wake:
                self._write(ASCII_WAKE)
        return self._collect(framer, time.monotonic() + timeout_s, timeout_s)

    def _collect(self, framer: EscFramer | AsciiFramer, deadline: float, timeout_s: float) -> SwipeResult:
        garbage = 0
        last_rx = time.monotonic()
        while True:
            data = self._read_some(deadline)
            now = time.monotonic()
            events: list[Event] = []
            if data:
                last_rx = now
                events = framer.feed(data)
            if framer.pending() and (now - last_rx >= self.gap_s or now >= deadline):
                events += framer.flush()  # a reader that keeps trickling bytes cannot outlast the deadline
            for event in events:
                if isinstance(event, GarbageSkipped):
                    garbage += event.count
                elif isinstance(event, Swipe):
                    return SwipeResult(self.device, event.tracks, None, "", garbage)
                elif isinstance(event, BadSwipe):
                    if event.status in COMMAND_FAULT_STATUSES:
                        raise ReaderCommandError(f"serial reader {self.device}: read command refused with status "
                                                 f"{event.status!r} ({status_text(event.status)})")
                    return SwipeResult(self.device, event.tracks, event.kind, event.reason, garbage)
                elif isinstance(event, Reply) and event.code in COMMAND_FAULT_STATUSES:
                    raise ReaderCommandError(f"serial reader {self.device}: read command refused with "
                                             f"<ESC>{event.code!r} ({status_text(event.code)})")
                elif isinstance(event, Reply) and event.code in _SWIPE_FAULT_REPLIES:
                    reason = f"reader status {event.code!r}: {status_text(event.code)}"
                    return SwipeResult(self.device, (), BadSwipeKind.STATUS, reason, garbage)
                # any other Reply (a late answer to a test command) carries no swipe: ignored
            if now >= deadline:
                raise NoSwipeError(f"serial reader {self.device}: no swipe within {timeout_s:g} s")

    def _read_some(self, deadline: float) -> bytes:
        """Whatever has arrived, or wait at most POLL_S (never past the deadline) for the first byte."""
        with self._port_errors("reading"):
            waiting = self._port.in_waiting
            if not waiting and deadline - time.monotonic() <= 0:
                return b""
            return self._port.read(waiting or 1)

    def _discard_input(self) -> None:
        with self._port_errors("clearing its input"):
            self._port.reset_input_buffer()

    def _write(self, data: bytes) -> None:
        with self._port_errors("writing"):
            self._port.write(data)
            self._port.flush()

    @contextlib.contextmanager
    def _port_errors(self, doing: str) -> Iterator[None]:
        """pyserial reports a vanished device as SerialException, OSError, or termios.error (from tcdrain or
        tcflush, e.g. when the reader goes away while `flush()` waits for our command to leave): name the port."""
        import termios

        import serial
        try:
            yield
        except (serial.SerialException, OSError, termios.error) as exc:
            raise ReaderDisconnectedError(f"serial reader {self.device}: the reader went away while {doing} "
                                          f"(cable pulled or device closed: {_why(exc)})") from None


def _why(exc: BaseException) -> str:
    return str(exc).strip() or type(exc).__name__


def read_swipe(device: str, protocol: str, timeout_s: float, *, baud: int = 9600, gap_s: float = DEFAULT_GAP_S,
               wake: bool = True, validate: TrackValidator = check_track_structure) -> SwipeResult:
    """Open the port, wait for one swipe, close. See SerialMsrReader.read_swipe for outcomes."""
    with SerialMsrReader(device, protocol, baud=baud, gap_s=gap_s, wake=wake, validate=validate) as reader:
        return reader.read_swipe(timeout_s)
