"""The ESC/POS driver against a printer on a real pty (drivers/emulated/printer_pty.py): the bytes a thermal
printer receives, the paper status it answers (DLE EOT 4), and a port that is gone. No mock: the driver opens
the pty's slave end as a serial port through python-escpos and pyserial, as it opens /dev/ttyUSB0."""
from __future__ import annotations


import pytest

from drivers.emulated.printer_pty import PrinterPtyEmulator
from drivers.printer.errors import PaperOut, PrinterError, PrinterSpecError
from drivers.printer.escpos import EscposPrinter
from drivers.printer.spec import PrinterSpec, parse_printer_spec

GS_V_CUT = b"\x1dV\x00"


def test_each_copy_is_initialised_printed_and_cut():
    with PrinterPtyEmulator() as emu:
        EscposPrinter(f"serial:{emu.slave_path}?baudrate=19200").print_copies(
            [["POS SALES SLIP", "MERCHANT COPY"], ["POS SALES SLIP", "CARDHOLDER COPY"]])
        data = emu.settled()
    assert data.startswith(b"\x10\x04\x04\x1b@")          # paper status asked first, then ESC @
    assert data.endswith(GS_V_CUT + b"\x10\x04\x04")       # the last cut, then the paper asked again
    jobs = emu.jobs()
    assert len(jobs) == 2 and all(job.endswith(GS_V_CUT) for job in jobs)
    assert b"MERCHANT COPY\n" in jobs[0] and b"CARDHOLDER COPY\n" in jobs[1]


def test_chinese_goes_in_the_printers_chinese_mode_as_gb18030():
    with PrinterPtyEmulator() as emu:
        EscposPrinter(f"serial:{emu.slave_path}").print_copies([["签购单", "金额   ¥12.34"]])
        data = emu.settled()
    assert b"\x1c&" + "签购单".encode("gb18030") + b"\n\x1c." in data
    assert b"\x1c&" + "金额   ¥12.34".encode("gb18030") + b"\n\x1c." in data


def test_paper_out_is_refused_before_a_byte_of_the_slip():
    with PrinterPtyEmulator(paper=False) as emu:
        with pytest.raises(PaperOut, match=r"printer serial:/dev/pts/\d+: out of paper \(before printing\)"):
            EscposPrinter(f"serial:{emu.slave_path}").print_copies([["POS SALES SLIP"]])
        assert b"POS SALES SLIP" not in emu.settled() and emu.status_requests == 1


def test_a_printer_that_never_answers_the_status_still_prints():
    with PrinterPtyEmulator(answers_status=False) as emu:
        EscposPrinter(f"serial:{emu.slave_path}").print_copies([["POS SALES SLIP"]])
        assert b"POS SALES SLIP" in emu.settled()


def test_a_printer_gone_is_one_line_naming_it():
    emu = PrinterPtyEmulator()
    path = emu.start()
    emu.unplug()
    with pytest.raises(PrinterError, match=rf"printer serial:{path}: cannot open it"):
        EscposPrinter(f"serial:{path}").print_copies([["x"]])


@pytest.mark.parametrize("spec, expected", [
    ("serial:/dev/ttyUSB0", PrinterSpec("serial", device="/dev/ttyUSB0", baudrate=19200)),
    ("serial:/dev/ttyS1?baudrate=9600", PrinterSpec("serial", device="/dev/ttyS1", baudrate=9600)),
    ("usb:0416:5011", PrinterSpec("usb", vendor=0x0416, product=0x5011)),
])
def test_specs(spec, expected):
    assert parse_printer_spec(spec) == expected


@pytest.mark.parametrize("spec, says", [
    ("serial:", "no device path"), ("serial:/dev/x?baud=9600", "unknown option 'baud'"),
    ("serial:/dev/x?baudrate=1234", "baudrate '1234': expected one of"), ("usb:416:5011", "vendor id '416'"),
    ("lpt:1", 'expected "serial:'),
])
def test_bad_specs_say_what_is_wrong(spec, says):
    with pytest.raises(PrinterSpecError, match=says.replace("(", r"\(")):
        parse_printer_spec(spec)
