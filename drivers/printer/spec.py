"""`[printer] spec` -> PrinterSpec: `serial:DEVICE[?baudrate=N]` (a USB-serial or RS-232 printer, or a pty) or
`usb:VID:PID` (a USB printer class device, 4 hex digits each, as lsusb shows them)."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from drivers.printer.errors import PrinterSpecError

BAUDRATES = (9600, 19200, 38400, 57600, 115200)
FORMS = '"serial:/dev/ttyUSB0?baudrate=19200" or "usb:VID:PID" (e.g. usb:0416:5011)'


@dataclass(frozen=True)
class PrinterSpec:
    kind: str                 # serial, usb
    device: str = ""          # serial: the device path
    baudrate: int = 19200     # serial
    vendor: int = 0           # usb
    product: int = 0          # usb


def _hex4(text: str, what: str, spec: str) -> int:
    if len(text) != 4 or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise PrinterSpecError(f"printer spec {spec!r}: {what} {text!r}: expected 4 hex digits")
    return int(text, 16)


def parse_printer_spec(spec: str) -> PrinterSpec:
    """'' is no printer: the caller never asks. Anything else must be one of FORMS."""
    kind, sep, rest = spec.partition(":")
    if kind == "serial" and sep:
        device, _, query = rest.partition("?")
        if not device:
            raise PrinterSpecError(f"printer spec {spec!r}: no device path (expected {FORMS})")
        baudrate = 19200
        for key, value in parse_qsl(query, keep_blank_values=True):
            if key != "baudrate":
                raise PrinterSpecError(f"printer spec {spec!r}: unknown option {key!r} (known: baudrate)")
            if not value.isdigit() or int(value) not in BAUDRATES:
                raise PrinterSpecError(f"printer spec {spec!r}: baudrate {value!r}: expected one of "
                                       f"{', '.join(map(str, BAUDRATES))}")
            baudrate = int(value)
        return PrinterSpec("serial", device=device, baudrate=baudrate)
    if kind == "usb" and sep:
        vid, _, pid = rest.partition(":")
        return PrinterSpec("usb", vendor=_hex4(vid, "vendor id", spec), product=_hex4(pid, "product id", spec))
    raise PrinterSpecError(f"printer spec {spec!r}: expected {FORMS}")
