"""The tty key source through a real pty: raw input mode set and restored, bytes decoded into keys."""
from __future__ import annotations

import os
import termios

import pytest

from drivers.keypad.errors import KeyMapError, KeypadDeviceError
from drivers.keypad.keys import QUIT
from drivers.keypad.keymap import tty_map_from
from drivers.keypad.tty import TtyKeySource, decode_tty


@pytest.fixture
def pty_pair():
    master, slave = os.openpty()
    yield master, slave
    os.close(master)
    os.close(slave)


def read_keys(source: TtyKeySource, count: int) -> list[str | None]:
    return [source.read(5.0) for _ in range(count)]


@pytest.mark.parametrize(
    ("data", "names", "tail"),
    [
        (b"12\r", ["1", "2", "ENTER"], b""),
        (b"\r\n\x7f\x08", ["ENTER", "BACKSPACE", "BACKSPACE"], b""),
        (b"\x1bOP\x1b[12~\x1bOR\x1b[14~", ["F1", "F2", "F3", "F4"], b""),
        (b"\x1b[A5", ["5"], b""),  # an arrow key is no keypad key
        (b"9\x1b", ["9"], b"\x1b"),  # a lone ESC waits: it may start a sequence
        (b"\x1b[1", [], b"\x1b[1"),
        (b"\x1bq", ["ESC", "q"], b""),
        (b"\x03", ["CTRL-C"], b""),
    ],
)
def test_decode(data, names, tail):
    assert decode_tty(data) == (names, tail)


def test_a_lone_escape_at_the_end_is_the_escape_key():
    assert decode_tty(b"\x1b", final=True) == (["ESC"], b"")


def test_keys_typed_at_a_real_pty(pty_pair):
    master, slave = pty_pair
    with TtyKeySource(slave) as source:
        os.write(master, b"12\x7f\r\x1bOQq0")
        assert read_keys(source, 5) == ["1", "2", "CLEAR", "ENTER", "F2"]  # 'q' is not mapped: dropped
        assert source.read(5.0) == "0"
        assert source.read(0.05) is None


def test_escape_alone_is_cancel_after_the_escape_wait(pty_pair):
    master, slave = pty_pair
    with TtyKeySource(slave, escape_wait=0.05) as source:
        os.write(master, b"\x1b")
        assert source.read(5.0) == "CANCEL"


def test_ctrl_c_is_quit_not_a_signal(pty_pair):
    master, slave = pty_pair
    with TtyKeySource(slave) as source:
        os.write(master, b"\x03")
        assert source.read(5.0) == QUIT


def test_raw_mode_is_set_and_restored(pty_pair):
    master, slave = pty_pair
    before = termios.tcgetattr(slave)
    assert before[3] & termios.ICANON and before[3] & termios.ECHO
    source = TtyKeySource(slave)
    raw = termios.tcgetattr(slave)
    assert not raw[3] & (termios.ICANON | termios.ECHO | termios.ISIG) and not raw[0] & termios.ICRNL
    assert raw[1] & termios.OPOST  # output still translates newlines
    source.close()
    source.close()  # twice is harmless
    assert termios.tcgetattr(slave) == before


def test_configured_tty_map(pty_pair):
    master, slave = pty_pair
    with TtyKeySource(slave, tty_map_from({"c": "CANCEL", "DELETE": "CLEAR", "ESC": "NONE"})) as source:
        os.write(master, b"c\x1b[3~\x1b7")
        assert read_keys(source, 3) == ["CANCEL", "CLEAR", "7"]


def test_bad_tty_map_entry_names_itself():
    with pytest.raises(KeyMapError, match=r"\[keypad.tty_map\] 'HOME'"):
        tty_map_from({"HOME": "CLEAR"})


def test_not_a_terminal_is_a_device_error(tmp_path):
    with open(tmp_path / "f", "w") as f:
        with pytest.raises(KeypadDeviceError, match="not a terminal"):
            TtyKeySource(f.fileno())
