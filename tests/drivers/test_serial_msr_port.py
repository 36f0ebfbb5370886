"""The serial driver through real pyserial against the pty reader emulator (no mocks): both protocols, every
fault the emulator can play, and the port-level failures."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from drivers.emulated.msr_args import CARD_NAMES
from drivers.emulated.msr_tracks import TEST_CARDS, test_card
from drivers.errors import NoCardError, SerialReaderError
from drivers.serial_msr import (
    BadSwipeKind, NoSwipeError, PortUnavailableError, ReaderCommandError, ReaderDisconnectedError,
    SerialMsrReader, TrackState, lrc_char, read_swipe,
)

VISA = test_card("visa")
PROTOCOLS = ["ascii", "msr605"]
# Generous: only reached when something is wrong, or on a badly loaded machine. No test waits for it.
TIMEOUT_S = 10.0


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("scenario", ["good", "garbage", "split"])
def test_a_whole_swipe_arrives_with_both_tracks(msr_emulator, protocol, scenario):
    emu = msr_emulator(protocol, [scenario])
    # 'split' writes a few bytes at a time: a long gap keeps a starved emulator thread from looking incomplete.
    result = read_swipe(emu.slave_path, protocol, TIMEOUT_S, gap_s=5.0)
    assert result.ok and result.device == emu.slave_path
    assert (result.text(1), result.text(2)) == (VISA.track1(), VISA.track2())
    assert result.state(3) is TrackState.EMPTY
    assert result.garbage_bytes == (14 if scenario == "garbage" else 0)


def test_ascii_reader_with_lrc_and_stx_framing(msr_emulator):
    emu = msr_emulator("ascii", ["good"], lrc=True, stx=True)
    result = read_swipe(emu.slave_path, "ascii", TIMEOUT_S)
    t1, t2 = VISA.track1(), VISA.track2()
    assert (result.text(1), result.text(2)) == (t1 + lrc_char(1, t1), t2 + lrc_char(2, t2))


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_one_track_unreadable_is_reported_for_that_track(msr_emulator, protocol):
    emu = msr_emulator(protocol, ["unreadable-track"])
    result = read_swipe(emu.slave_path, protocol, TIMEOUT_S)
    assert result.ok
    assert (result.state(1), result.state(2)) == (TrackState.UNREADABLE, TrackState.OK)
    assert result.text(1) is None and result.text(2) == VISA.track2()


@pytest.mark.parametrize("scenario, reason", [("bad-status", "reader status '1': read/write error"),
                                              ("bad-swipe", "reader status '9': invalid card swipe")])
def test_msr605_error_status_is_a_swipe_fault(msr_emulator, scenario, reason):
    emu = msr_emulator("msr605", [scenario])
    result = read_swipe(emu.slave_path, "msr605", TIMEOUT_S)
    assert (result.ok, result.fault, result.reason) == (False, BadSwipeKind.STATUS, reason)


def test_ascii_reader_error_tokens_are_an_unreadable_swipe(msr_emulator):
    emu = msr_emulator("ascii", ["bad-status"])
    result = read_swipe(emu.slave_path, "ascii", TIMEOUT_S)
    assert (result.fault, result.reason) == (BadSwipeKind.UNREADABLE, "no track could be read")


def test_msr605_refused_command_raises(msr_emulator):
    emu = msr_emulator("msr605", ["refuse"])
    with pytest.raises(ReaderCommandError, match=r"refused with <ESC>'4' \(invalid command\)") as err:
        read_swipe(emu.slave_path, "msr605", TIMEOUT_S)
    assert emu.slave_path in str(err.value)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_swipe_that_stops_arriving_is_incomplete_after_the_gap(msr_emulator, protocol):
    emu = msr_emulator(protocol, ["incomplete"])
    result = read_swipe(emu.slave_path, protocol, TIMEOUT_S, gap_s=0.2)
    assert result.fault is BadSwipeKind.INCOMPLETE and result.reason.startswith("incomplete swipe")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_swipe_still_open_at_the_deadline_is_incomplete(msr_emulator, protocol):
    emu = msr_emulator(protocol, ["incomplete"])
    result = read_swipe(emu.slave_path, protocol, 0.5, gap_s=60.0)
    assert result.fault is BadSwipeKind.INCOMPLETE


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_cable_pulled_mid_swipe_names_the_port(msr_emulator, protocol):
    emu = msr_emulator(protocol, ["pull"])
    with pytest.raises(ReaderDisconnectedError) as err:
        read_swipe(emu.slave_path, protocol, TIMEOUT_S, gap_s=5.0)
    assert emu.slave_path in str(err.value) and "went away" in str(err.value)
    assert isinstance(err.value, SerialReaderError)


@pytest.mark.parametrize("protocol, doing", [("msr605", "clearing its input"), ("ascii", "writing")])
def test_reader_unplugged_between_swipes_names_the_port(protocol, doing):
    # A real pty whose master (the reader's end) is closed while the port is open: the next read must
    # fail on its first I/O (tcflush/tcdrain/write give EIO, some as termios.error), as a typed error.
    master, slave = os.openpty()
    path = os.ttyname(slave)
    with SerialMsrReader(path, protocol) as reader:
        os.close(slave)
        os.close(master)
        with pytest.raises(ReaderDisconnectedError, match=f"serial reader {path}: the reader went away while "
                                                          f"{doing}"):
            reader.read_swipe(TIMEOUT_S)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_one_open_reader_reads_a_script_of_swipes_in_order(msr_emulator, protocol):
    emu = msr_emulator(protocol, ["good:magstripe", "unreadable-track", "garbage:mastercard", "good"])
    with SerialMsrReader(emu.slave_path, protocol) as reader:
        results = [reader.read_swipe(TIMEOUT_S) for _ in range(4)]
    assert [r.text(2) for r in results] == [test_card("magstripe").track2(), VISA.track2(),
                                            test_card("mastercard").track2(), VISA.track2()]
    assert results[1].state(1) is TrackState.UNREADABLE


def test_msr605_communication_test(msr_emulator):
    emu = msr_emulator("msr605")
    with SerialMsrReader(emu.slave_path, "msr605") as reader:
        reader.test_link()
        assert reader.read_swipe(TIMEOUT_S).ok  # the link test left nothing behind to confuse the read


def test_silent_reader_times_out_as_no_card(tmp_path):
    # A pty nobody answers on: the deadline, not a hang. (A real pty, no emulator behind it.)
    master, slave = os.openpty()
    try:
        with pytest.raises(NoSwipeError, match=r"no swipe within 0.3 s") as err:
            read_swipe(os.ttyname(slave), "ascii", 0.3)
        assert isinstance(err.value, NoCardError)
    finally:
        os.close(slave)
        os.close(master)


def test_missing_port_is_a_port_error_naming_it(tmp_path):
    device = str(tmp_path / "ttyUSB9")
    with pytest.raises(PortUnavailableError, match=f"serial reader {device}: cannot open the port"):
        read_swipe(device, "ascii", 1.0)


def test_emulator_as_a_subprocess_prints_the_device_path():
    proc = subprocess.Popen([sys.executable, "-m", "drivers.emulated.msr_pty", "--protocol", "ascii",
                             "--swipe", "visa"], stdout=subprocess.PIPE, text=True)
    try:
        path = proc.stdout.readline().strip()
        assert path.startswith("/dev/pts/")
        assert read_swipe(path, "ascii", TIMEOUT_S).text(2) == VISA.track2()
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


def test_posterm_msr_emulator_command_rejects_an_unknown_scenario():
    run = subprocess.run([sys.executable, "-m", "terminal.cli.main", "msr-emulator", "--scenario", "melt"],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 2 and "scenario 'melt': expected one of good," in run.stderr


def test_card_names_of_the_argument_table_match_the_test_cards():
    assert set(CARD_NAMES) == set(TEST_CARDS)


def test_posterm_help_does_not_load_pyserial():
    code = ("import sys, terminal.cli.main as m; m.build_parser(); import drivers.serial_msr; "
            "print('serial' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert run.stdout.strip() == "False", run.stderr
