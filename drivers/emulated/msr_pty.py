"""A serial magstripe reader on a pty, for tests and the demo: speaks the MSR605 ESC protocol or plays a
plain ASCII-track reader, and can misbehave on purpose.

It never writes before the client has opened the port (bytes written to the master earlier are lost: pyserial
flushes input on open). It waits for the client's first bytes instead: in msr605 mode the reset/read commands,
in ascii mode the ENQ (0x05) the driver sends after opening ('wake'). Each read request (ESC r, or ENQ) is
answered with the next scenario from the script; when the script runs out the last one repeats.

Scenarios (`kind` or `kind:card`, card from drivers/emulated/msr_tracks.py):
  good              a clean swipe of both tracks
  bad-status        msr605: status '1' (read error), no tracks; ascii: `%E?;E?`
  bad-swipe         msr605: status '9' (invalid card swipe)
  refuse            msr605: a bare <ESC>'4' (invalid command)
  unreadable-track  track 1 marked unreadable, track 2 good
  garbage           noise bytes, then a clean swipe
  split             a clean swipe written a few bytes at a time
  incomplete        the first half of a swipe, then silence (the port stays open)
  pull              the first half of a swipe, then the master is closed: the cable is pulled

Run `python -m drivers.emulated.msr_pty --protocol ascii --swipe visa`: prints the device path and serves
until interrupted.
"""
from __future__ import annotations

import argparse
import os
import select
import signal
import sys
import threading
import time
import tty
from typing import Iterable

from drivers.emulated.msr_args import PROTOCOLS, SCENARIOS, add_arguments
from drivers.emulated.msr_tracks import test_card
from drivers.serial_msr.esc_protocol import ESC, encode_block
from drivers.serial_msr.track_check import lrc_char

ENQ = 0x05
NOISE = b"\x00\xffNOISE\x7f\x1bq\x1bs\x1b\x07"  # includes a false block start the framer must skip
SPLIT_CHUNK = 3
_IDLE_S = 0.01  # back-off while no client has the port open (the master then reads EIO)


class MsrPtyEmulator:
    def __init__(self, protocol: str = "ascii", scenarios: Iterable[str] = ("good",), *, card: str = "visa",
                 lrc: bool = False, stx: bool = False) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol {protocol!r}: expected one of {', '.join(PROTOCOLS)}")
        self.protocol = protocol
        self.script = [self._check_scenario(s, card) for s in scenarios] or [("good", card)]
        self.lrc, self.stx = lrc, stx
        self.served = 0            # read requests answered so far
        self.pulled = threading.Event()
        self._stop = threading.Event()
        self._master = -1
        self._thread: threading.Thread | None = None
        self.slave_path = ""

    @staticmethod
    def _check_scenario(text: str, default_card: str) -> tuple[str, str]:
        kind, _, card = text.partition(":")
        if kind not in SCENARIOS:
            raise ValueError(f"scenario {kind!r}: expected one of {', '.join(SCENARIOS)}")
        test_card(card or default_card)  # fail now, not inside the thread
        return kind, card or default_card

    def start(self) -> str:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no CR/LF translation, whatever the client does before configuring
        self.slave_path = os.ttyname(slave)
        os.close(slave)    # from now on a master read gives EIO until a client opens the slave
        self._master = master
        self._thread = threading.Thread(target=self._serve, name="msr-pty", daemon=True)
        self._thread.start()
        return self.slave_path

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._close_master()

    def __enter__(self) -> "MsrPtyEmulator":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the serving thread ---------------------------------------------------------------------------------
    def _serve(self) -> None:
        pending = b""
        while not self._stop.is_set() and self._master >= 0:
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(self._master, 1024)
            except OSError:  # EIO: no client has the slave open right now
                time.sleep(_IDLE_S)
                continue
            pending = self._handle(pending + data)

    def _handle(self, data: bytes) -> bytes:
        """Answer every complete request in data; return an unfinished tail (a lone ESC)."""
        if self.protocol == "ascii":
            for _ in range(data.count(ENQ)):
                self._answer_read()
            return b""
        i = 0
        while i < len(data):
            if data[i] != ESC:
                i += 1
                continue
            if i + 1 >= len(data):
                return data[i:]
            self._answer_command(data[i + 1])
            i += 2
        return b""

    def _answer_command(self, code: int) -> None:
        if code == ord("r"):
            self._answer_read()
        elif code == ord("e"):
            self._write(b"\x1by")
        elif code in (0x86, 0x87):
            self._write(b"\x1b0")
        elif code != ord("a"):  # reset has no answer
            self._write(b"\x1b4")

    def _answer_read(self) -> None:
        kind, card = self.script[min(self.served, len(self.script) - 1)]
        self.served += 1
        good = self._swipe_bytes(card, error_track=None)
        if kind == "good":
            self._write(good)
        elif kind == "garbage":
            self._write(NOISE + good)
        elif kind == "split":
            for i in range(0, len(good), SPLIT_CHUNK):
                self._write(good[i:i + SPLIT_CHUNK])
        elif kind == "incomplete":
            self._write(good[:len(good) // 2])
        elif kind == "pull":
            self._write(good[:len(good) // 2])
            self._close_master()
            self.pulled.set()
        elif kind == "unreadable-track":
            self._write(self._swipe_bytes(card, error_track=1))
        else:
            self._write(self._fault_bytes(kind))

    def _swipe_bytes(self, card_name: str, error_track: int | None) -> bytes:
        card = test_card(card_name)
        t1, t2 = card.track1(), card.track2()
        if self.protocol == "msr605":
            errors = frozenset({error_track}) if error_track else frozenset()
            return encode_block({1: t1.encode(), 2: t2.encode()}, "0", errors)
        if self.lrc:
            t1, t2 = t1 + lrc_char(1, t1), t2 + lrc_char(2, t2)
        if error_track == 1:
            t1 = "%E?"
        return self._ascii_line(t1 + t2)

    def _fault_bytes(self, kind: str) -> bytes:
        if self.protocol == "ascii":
            return self._ascii_line("%E?;E?")
        if kind == "refuse":
            return b"\x1b4"
        return encode_block({}, "9" if kind == "bad-swipe" else "1")

    def _ascii_line(self, text: str) -> bytes:
        return (b"\x02" + text.encode() + b"\x03\r\n") if self.stx else (text.encode() + b"\r")

    def _write(self, data: bytes) -> None:
        if self._master >= 0:
            try:
                os.write(self._master, data)
            except OSError:
                pass  # the client went away mid-answer: like a reader talking to an unplugged cable

    def _close_master(self) -> None:
        master, self._master = self._master, -1
        if master >= 0:
            os.close(master)


def serve_from_args(args: argparse.Namespace) -> int:
    """Foreground emulator: print the device path, serve until SIGINT/SIGTERM. Exit 2 on a bad argument."""
    try:
        emulator = MsrPtyEmulator(args.protocol, args.scenario or ["good"], card=args.swipe, lrc=args.lrc,
                                  stx=args.stx)
    except ValueError as exc:
        print(f"msr-emulator: {exc}", file=sys.stderr)
        return 2
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with emulator as emu:
        print(emu.slave_path, flush=True)
        try:
            while not done.wait(0.2) and not emu.pulled.is_set():
                pass
        except KeyboardInterrupt:
            pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drivers.emulated.msr_pty", description=__doc__.split("\n")[0])
    add_arguments(parser)
    return serve_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
