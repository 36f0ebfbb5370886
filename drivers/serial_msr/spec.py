"""`serial:DEVICE?protocol=msr605&baud=9600&gap=0.5` -> ReaderSpec. Spec as data: every option is a row of
_OPTIONS with its parser, so an unknown or malformed option is named in the error."""
from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import parse_qsl

from drivers.serial_msr.errors import ReaderSpecError

PROTOCOLS = {"ascii": "ascii", "msr605": "msr605", "msr206": "msr605", "esc": "msr605"}
BAUDS = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
DEFAULT_GAP_S = 0.5


@dataclass(frozen=True)
class ReaderSpec:
    device: str
    protocol: str = "ascii"      # 'ascii' or 'msr605'
    baud: int = 9600
    gap_s: float = DEFAULT_GAP_S  # silence after which a started swipe is declared incomplete
    wake: bool = True            # ascii: send ENQ after opening (see docs/serial_msr.md)


def _protocol(value: str) -> dict:
    if value.lower() not in PROTOCOLS:
        raise ReaderSpecError(f"protocol {value!r}: expected one of {', '.join(sorted(PROTOCOLS))}")
    return {"protocol": PROTOCOLS[value.lower()]}


def _baud(value: str) -> dict:
    if not value.isdigit() or int(value) not in BAUDS:
        raise ReaderSpecError(f"baud {value!r}: expected one of {', '.join(map(str, BAUDS))}")
    return {"baud": int(value)}


def _gap(value: str) -> dict:
    try:
        gap = float(value)
    except ValueError:
        gap = -1.0
    if not 0.01 <= gap <= 60:
        raise ReaderSpecError(f"gap {value!r}: expected seconds between 0.01 and 60")
    return {"gap_s": gap}


def _wake(value: str) -> dict:
    if value.lower() not in ("0", "1", "yes", "no", "on", "off"):
        raise ReaderSpecError(f"wake {value!r}: expected on or off")
    return {"wake": value.lower() in ("1", "yes", "on")}


_OPTIONS = {"protocol": _protocol, "baud": _baud, "gap": _gap, "wake": _wake}


def parse_reader_spec(spec: str) -> ReaderSpec:
    """Accepts `serial:DEVICE[?key=value&...]` (and the same without the `serial:` prefix)."""
    text = spec[len("serial:"):] if spec.startswith("serial:") else spec
    device, _, query = text.partition("?")
    if not device:
        raise ReaderSpecError(f"reader spec {spec!r}: no device path (expected serial:/dev/ttyUSB0)")
    result = ReaderSpec(device)
    for key, value in parse_qsl(query, keep_blank_values=True, strict_parsing=False):
        option = _OPTIONS.get(key)
        if option is None:
            raise ReaderSpecError(f"reader spec option {key!r}: expected one of {', '.join(_OPTIONS)}")
        result = replace(result, **option(value))
    return result
