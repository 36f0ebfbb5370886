"""The evdev key source on recorded struct input_event bytes, through a real FIFO and a real file.

No /dev/input device exists on this machine (nor in CI), so the one thing that needs a real input device node,
the EVIOCGRAB ioctl, is checked with a mocked ioctl on a real file; everything else is real I/O."""
from __future__ import annotations

import os
import threading

import pytest

from drivers.keypad.errors import KeyMapError, KeypadDeviceError, KeySourceExhausted
from drivers.keypad.evdev import (
    EV_KEY,
    EV_MSC,
    EV_SYN,
    EVIOCGRAB,
    INPUT_EVENT,
    EvdevKeySource,
    InputEvent,
    parse_events,
)
from drivers.keypad.keymap import LINUX_KEYCODES as K
from drivers.keypad.keymap import evdev_map_from


def press(code: int, t: int = 100, *, repeat: int = 0) -> bytes:
    """What the kernel writes for one key press: MSC_SCAN, key down, SYN, optional auto-repeats, key up, SYN."""
    out = [
        InputEvent(t, 0, EV_MSC, 4, 0x70000 + code),
        InputEvent(t, 0, EV_KEY, code, 1),
        InputEvent(t, 0, EV_SYN, 0, 0),
    ]
    out += [InputEvent(t, 500_000, EV_KEY, code, 2)] * repeat
    out += [InputEvent(t, 900_000, EV_KEY, code, 0), InputEvent(t, 900_000, EV_SYN, 0, 0)]
    return b"".join(e.pack() for e in out)


RECORDING = b"".join(
    [press(K["KEY_KP1"]), press(K["KEY_2"], repeat=5), press(K["KEY_KPDOT"]), press(K["KEY_BACKSPACE"]),
     press(K["KEY_ESC"]), press(K["KEY_KPENTER"]), press(K["KEY_F2"]), press(K["KEY_NUMERIC_9"])]
)
EXPECTED = ["1", "2", "CLEAR", "CANCEL", "ENTER", "F2", "9"]  # KPDOT is not mapped by default: dropped


def test_input_event_layout_is_the_kernels():
    assert INPUT_EVENT.size == 24  # 64-bit Linux: timeval (2 x long) + u16 + u16 + s32
    raw = INPUT_EVENT.pack(1700000000, 123456, EV_KEY, 30, 1)
    assert raw[16:] == bytes.fromhex("0100" "1e00" "01000000")
    events, rest = parse_events(raw + raw[:10])
    assert events == [InputEvent(1700000000, 123456, EV_KEY, 30, 1)] and rest == raw[:10]


def test_keys_from_a_real_file(tmp_path):
    path = tmp_path / "recording.bin"
    path.write_bytes(RECORDING)
    keys = []
    with EvdevKeySource(str(path), grab=False) as source:
        with pytest.raises(KeySourceExhausted, match="end of input"):
            while True:
                keys.append(source.read(1.0))
    assert keys == EXPECTED


def test_keys_through_a_real_pipe_written_in_uneven_pieces():
    read_end, write_end = os.pipe()  # the write end exists before the reader opens: no early end of input

    def writer():
        for i in range(0, len(RECORDING), 7):  # split records across writes
            os.write(write_end, RECORDING[i : i + 7])
        os.close(write_end)

    try:
        with EvdevKeySource(f"/proc/self/fd/{read_end}", grab=False) as source:
            thread = threading.Thread(target=writer)
            thread.start()
            keys = [source.read(10.0) for _ in EXPECTED]
            thread.join()
            with pytest.raises(KeySourceExhausted):
                source.read(10.0)
    finally:
        os.close(read_end)
    assert keys == EXPECTED


def test_no_key_within_the_timeout_is_none(tmp_path):
    fifo = tmp_path / "event1"
    os.mkfifo(fifo)
    keep_open = os.open(fifo, os.O_RDWR)  # a writer that never writes
    try:
        with EvdevKeySource(str(fifo), grab=False) as source:
            assert source.read(0.05) is None
    finally:
        os.close(keep_open)


def test_configured_key_map(tmp_path):
    path = tmp_path / "rec.bin"
    path.write_bytes(press(K["KEY_KPDOT"]) + press(98) + press(K["KEY_ESC"]) + press(K["KEY_1"]))
    keymap = evdev_map_from({"KEY_KPDOT": "CLEAR", "98": "CANCEL", "KEY_ESC": "NONE"})
    with EvdevKeySource(str(path), keymap, grab=False) as source:
        assert [source.read(1.0) for _ in range(3)] == ["CLEAR", "CANCEL", "1"]


@pytest.mark.parametrize(
    ("table", "message"),
    [({"KEY_NOPE": "ENTER"}, "'KEY_NOPE': expected a Linux key code name"),
     ({"KEY_KP5": "FIVE"}, "'KEY_KP5' = 'FIVE': expected one of 0, 1")],
)
def test_bad_key_map_entries_name_themselves(table, message):
    with pytest.raises(KeyMapError, match=message):
        evdev_map_from(table)


def test_grab_and_release_use_eviocgrab(tmp_path):
    # MOCK: EVIOCGRAB needs a real /dev/input node, and none exists here; the file itself is real.
    path = tmp_path / "rec.bin"
    path.write_bytes(press(K["KEY_5"]))
    calls = []
    with EvdevKeySource(str(path), ioctl=lambda fd, req, arg: calls.append((req, arg))) as source:
        assert source.read(1.0) == "5"
    assert EVIOCGRAB == 0x40044590
    assert calls == [(EVIOCGRAB, 1), (EVIOCGRAB, 0)]


def test_grab_on_something_that_is_not_an_input_device_is_a_device_error(tmp_path):
    path = tmp_path / "rec.bin"
    path.write_bytes(b"")
    with pytest.raises(KeypadDeviceError, match="EVIOCGRAB refused"):
        EvdevKeySource(str(path))  # the real ioctl on a plain file: ENOTTY


def test_missing_device_is_a_device_error(tmp_path):
    with pytest.raises(KeypadDeviceError, match=r"event9: cannot open \(No such file or directory\)"):
        EvdevKeySource(str(tmp_path / "event9"))
