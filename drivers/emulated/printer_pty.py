"""An ESC/POS receipt printer on a pty, for tests and the demo: the client opens the slave end as its serial
port (`[printer] spec = "serial:/dev/pts/N"`); this end keeps every byte the client wrote and answers the
real-time status requests a printer answers.

  DLE EOT 1 (printer status)      0x16: online
  DLE EOT 4 (paper sensor status) 0x12: paper present; 0x72: paper end (after `paper_out()`)

`received` is the raw byte stream (ESC @, text, FS & ... FS ., GS V); `jobs()` splits it at each ESC @ into the
copies printed, for a test to read. `unplug()` closes the master: the port then fails as a pulled cable does.
"""
from __future__ import annotations

import os
import select
import threading
import tty

DLE_EOT = b"\x10\x04"
PAPER_PRESENT, PAPER_END, ONLINE = 0x12, 0x72, 0x16
ESC_INIT = b"\x1b\x40"
_IDLE_S = 0.01


class PrinterPtyEmulator:
    def __init__(self, *, paper: bool = True, answers_status: bool = True) -> None:
        self.paper = paper
        self.answers_status = answers_status
        self.received = bytearray()
        self.status_requests = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._master = -1
        self._thread: threading.Thread | None = None
        self.slave_path = ""

    def start(self) -> str:
        master, slave = os.openpty()
        tty.setraw(slave)
        self.slave_path = os.ttyname(slave)
        os.close(slave)
        self._master = master
        self._thread = threading.Thread(target=self._serve, name="printer-pty", daemon=True)
        self._thread.start()
        return self.slave_path

    def paper_out(self) -> None:
        self.paper = False

    def paper_in(self) -> None:
        self.paper = True

    def unplug(self) -> None:
        """The cable is pulled: the master closes, the slave's next open or write fails."""
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self._master >= 0:
            os.close(self._master)
            self._master = -1

    def __enter__(self) -> "PrinterPtyEmulator":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def data(self) -> bytes:
        with self._lock:
            return bytes(self.received)

    def settled(self, quiet_s: float = 0.15, timeout_s: float = 10.0) -> bytes:
        """The bytes once nothing new has arrived for `quiet_s` (the pty delivers on this end's own thread)."""
        import time
        deadline = time.monotonic() + timeout_s
        before, quiet_since = self.data(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.02)
            now = self.data()
            if now != before:
                before, quiet_since = now, time.monotonic()
            elif time.monotonic() - quiet_since >= quiet_s:
                break
        return before

    def jobs(self) -> list[bytes]:
        """The copies printed, once the bytes have settled: the bytes after each ESC @, in order (status requests
        taken out)."""
        data = self.settled()
        for n in (b"\x01", b"\x02", b"\x03", b"\x04"):
            data = data.replace(DLE_EOT + n, b"")
        return [part for part in data.split(ESC_INIT)[1:]]

    def _serve(self) -> None:
        pending = b""
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
            except (OSError, ValueError):
                return
            if not ready:
                continue
            try:
                chunk = os.read(self._master, 4096)
            except OSError:          # no client has the slave open (EIO): wait for one
                self._stop.wait(_IDLE_S)
                continue
            if not chunk:
                continue
            with self._lock:
                self.received += chunk
            pending = (pending + chunk)[-8:]
            while DLE_EOT in pending:
                at = pending.index(DLE_EOT)
                if len(pending) < at + 3:
                    break
                n, pending = pending[at + 2], pending[at + 3:]
                self.status_requests += 1
                if self.answers_status:
                    answer = ONLINE if n == 1 else (PAPER_PRESENT if self.paper else PAPER_END)
                    os.write(self._master, bytes([answer]))
