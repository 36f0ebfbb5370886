"""`--reader serial:DEVICE?options` parsing: defaults, each option, and the one error each mistake gives."""
from __future__ import annotations

import pytest

from drivers.errors import ReaderError
from drivers.serial_msr import ReaderSpec, ReaderSpecError, parse_reader_spec


def test_defaults():
    assert parse_reader_spec("serial:/dev/ttyUSB0") == ReaderSpec("/dev/ttyUSB0", "ascii", 9600, 0.5, True)


def test_every_option():
    spec = parse_reader_spec("serial:/dev/ttyUSB0?protocol=msr605&baud=19200&gap=0.25&wake=off")
    assert spec == ReaderSpec("/dev/ttyUSB0", "msr605", 19200, 0.25, False)


@pytest.mark.parametrize("alias", ["msr206", "ESC", "msr605"])
def test_protocol_aliases(alias):
    assert parse_reader_spec(f"/dev/ttyS0?protocol={alias}").protocol == "msr605"


@pytest.mark.parametrize("spec, message", [
    ("serial:", "no device path"),
    ("serial:?baud=9600", "no device path"),
    ("serial:/dev/ttyUSB0?protocol=idtech", "protocol 'idtech': expected one of"),
    ("serial:/dev/ttyUSB0?baud=9601", "baud '9601': expected one of"),
    ("serial:/dev/ttyUSB0?baud=fast", "baud 'fast'"),
    ("serial:/dev/ttyUSB0?gap=0", "gap '0': expected seconds"),
    ("serial:/dev/ttyUSB0?wake=maybe", "wake 'maybe'"),
    ("serial:/dev/ttyUSB0?parity=E", "option 'parity': expected one of protocol, baud, gap, wake"),
])
def test_each_mistake_is_named(spec, message):
    with pytest.raises(ReaderSpecError, match=message) as err:
        parse_reader_spec(spec)
    assert not isinstance(err.value, ReaderError)  # a usage error (exit 2), not a device fault (exit 4)
