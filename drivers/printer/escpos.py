"""An ESC/POS thermal receipt printer over serial or USB, through python-escpos: lines in, paper out, typed errors.

What goes to the printer for each copy: ESC @ (initialise), the lines, a feed and GS V (cut). Lines of ASCII
go through python-escpos's text(); a line with Chinese is sent in the printer's Chinese character mode (FS &,
the line in GB18030, FS .), which is how the Chinese thermal printers this terminal meets print 汉字, each two
columns wide, matching the slip's column count (terminal/receipt/layout.py).

Paper status: before printing and after the last cut the printer is asked DLE EOT 4 (real-time paper sensor
status). A printer that answers 'paper end' raises PaperOut; one that does not answer within the port timeout
is taken at its word that nothing is wrong (many USB printers never answer), and the print goes ahead.
A port or device that cannot be opened or written raises PrinterError naming it.

Nothing here knows a sale: the caller decides what a failure means (for a sale: nothing; docs/decisions.md).
"""
from __future__ import annotations

from collections.abc import Sequence

from drivers.printer.errors import PaperOut, PrinterError
from drivers.printer.spec import PrinterSpec, parse_printer_spec

FS_CHINESE_ON = b"\x1c\x26"    # FS &: select Chinese (Kanji) character mode
FS_CHINESE_OFF = b"\x1c\x2e"   # FS .: cancel it
PAPER_END = 0                  # python-escpos paper_status(): 0 no paper, 1 near end, 2 adequate
STATUS_TIMEOUT_S = 0.5


class EscposPrinter:
    """One printer, opened for one print job (a slip's copies) and closed after it: a printer that was switched
    off and on between two sales is found again at the next one."""

    def __init__(self, spec: PrinterSpec | str) -> None:
        self.spec = parse_printer_spec(spec) if isinstance(spec, str) else spec
        self.name = (f"serial:{self.spec.device}" if self.spec.kind == "serial"
                     else f"usb:{self.spec.vendor:04x}:{self.spec.product:04x}")
        self._device = None

    # ---- the job ------------------------------------------------------------------------------------------------
    def print_copies(self, copies: Sequence[Sequence[str]]) -> None:
        """Each copy initialised, printed and cut. Raises PaperOut (checked before the first copy and after the
        last cut) or PrinterError; the caller may print the same copies again."""
        self._open()
        try:
            self._check_paper("before printing")
            for lines in copies:
                self._raw(b"\x1b\x40")                   # ESC @
                for line in lines:
                    self._line(line)
                self._call("cut", lambda d: d.cut())      # feed, then GS V
            self._check_paper("after printing: the slip may be incomplete")
        finally:
            self.close()

    def paper_ok(self) -> bool | None:
        """True: paper present; False: paper end; None: the printer did not answer DLE EOT 4."""
        self._open()
        try:
            return self._paper()
        finally:
            self.close()

    # ---- the device ---------------------------------------------------------------------------------------------
    def _open(self) -> None:
        try:
            from escpos import printer as models
            from escpos.exceptions import Error as EscposError
        except ImportError as e:  # pragma: no cover - a broken install
            raise PrinterError(f"printer {self.name}: python-escpos is not installed ({e})") from None
        try:
            if self.spec.kind == "serial":
                device = models.Serial(devfile=self.spec.device, baudrate=self.spec.baudrate,
                                       timeout=STATUS_TIMEOUT_S, dsrdtr=False)
                device.open()
            else:
                device = models.Usb(self.spec.vendor, self.spec.product, timeout=int(STATUS_TIMEOUT_S * 1000))
                device.open()
        except (EscposError, OSError, ValueError, RuntimeError) as e:
            raise PrinterError(f"printer {self.name}: cannot open it ({_first_line(e)})") from None
        if getattr(device, "device", None) is None:
            raise PrinterError(f"printer {self.name}: cannot open it (no such device)")
        self._device = device

    def close(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            try:
                device.close()
            except Exception:  # closing a port whose cable is gone: nothing left to do, the job already failed
                pass

    def _call(self, what: str, action) -> object:
        try:
            return action(self._device)
        except PrinterError:
            raise
        except Exception as e:  # pyserial, pyusb and escpos each raise their own kinds for a pulled cable
            raise PrinterError(f"printer {self.name}: {what} failed ({_first_line(e)})") from None

    def _raw(self, data: bytes) -> None:
        self._call("writing", lambda d: d._raw(data))

    def _line(self, line: str) -> None:
        if line.isascii():
            self._call("writing", lambda d: d.text(line + "\n"))
        else:
            self._raw(FS_CHINESE_ON + line.encode("gb18030", errors="replace") + b"\n" + FS_CHINESE_OFF)

    def _paper(self) -> bool | None:
        def ask(d) -> bytes:
            d._raw(b"\x10\x04\x04")                      # DLE EOT 4: paper sensor status
            # one status byte: a serial port returns it as soon as it arrives (not after the whole timeout)
            return d.device.read(1) if self.spec.kind == "serial" else d._read()
        answer = self._call("asking the paper status", ask)
        if not answer:
            return None
        return (answer[0] & 0x60) != 0x60                 # bits 5-6: paper end sensor

    def _check_paper(self, when: str) -> None:
        if self._paper() is False:
            raise PaperOut(f"printer {self.name}: out of paper ({when})")


def _first_line(e: BaseException) -> str:
    """The library's message on one line (python-escpos puts the OS error on a second one)."""
    text = " ".join(part.strip() for part in str(e).splitlines() if part.strip())
    return text or type(e).__name__
