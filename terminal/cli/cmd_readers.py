"""`posterm readers`: the PC/SC readers (with their card's ATR) and the serial ports this machine has.

A missing pcscd does not hide the serial ports: both are listed as far as they can be, the PC/SC fault goes
to stderr in one line, and the exit code is 4 (device error). pyscard and pyserial are imported only here.
"""
from __future__ import annotations

import argparse

from terminal.cli.common import EXIT_DEVICE, EXIT_OK, emit, fail
from terminal.cli.options import add_common


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("readers", help="PC/SC readers (with card ATR) and serial ports found")
    add_common(p)
    p.add_argument("--details", action="store_true",
                   help="also decode each ATR and show what each reader reports (vendor, firmware, features)")
    p.set_defaults(run=run)


def _card_line(atr: bytes) -> str:
    from drivers.pcsc.atr import AtrError, protocol_name

    try:
        kind = protocol_name(atr)
    except AtrError:
        kind = "undecodable ATR"
    return f"card ATR {atr.hex().upper()} ({kind})"


def pcsc_readers(details: bool) -> tuple[list[dict], list[str]]:
    """(JSON entries, text lines) for the PC/SC readers; raises ReaderError when pcscd cannot be reached."""
    if details:
        from firmware_tools.atr import atr_summary, describe_atr
        from firmware_tools.reader_report import report_readers

        reports = report_readers()
        entries = [{**r.as_dict(), "atr_decoded": atr_summary(r.atr) if r.atr else None} for r in reports]
        lines = []
        for r in reports:
            lines.append(f"  {r.name}: {_card_line(r.atr) if r.atr else 'no card'}")
            lines.extend(f"      {k}: {v}" for k, v in {**r.attributes, **r.properties}.items())
            if r.features:
                lines.append(f"      features: {', '.join(r.features)}")
            lines.extend(f"      note: {note}" for note in r.notes)
            if r.atr:
                lines.extend(f"      {line}" for line in describe_atr(r.atr)[1:])
        return entries, lines
    from drivers.pcsc import reader_statuses

    statuses = reader_statuses()
    entries = [{"name": s.name, "card_present": s.card_present, "atr": s.atr.hex().upper() if s.atr else None}
               for s in statuses]
    lines = [f"  {s.name}: {_card_line(s.atr) if s.atr else 'no card'}" for s in statuses]
    return entries, lines


def serial_ports() -> list[dict]:
    try:
        from serial.tools import list_ports
    except ImportError:
        return []
    return [{"device": p.device, "description": p.description, "hwid": p.hwid}
            for p in sorted(list_ports.comports(), key=lambda p: p.device)]


def run(args: argparse.Namespace) -> int:
    from drivers.errors import ReaderError

    pcsc_error = None
    try:
        readers, reader_lines = pcsc_readers(args.details)
    except ReaderError as exc:
        pcsc_error, readers, reader_lines = str(exc), [], []
    ports = serial_ports()
    lines = ["PC/SC readers:"]
    lines += reader_lines or [f"  ({'unavailable' if pcsc_error else 'none'})"]
    lines.append("Serial ports:")
    lines += [f"  {p['device']}: {p['description']}" for p in ports] or ["  (none)"]
    emit(args, {"pcsc_readers": readers, "pcsc_error": pcsc_error, "serial_ports": ports}, lines)
    if pcsc_error:
        fail(pcsc_error)
        return EXIT_DEVICE
    return EXIT_OK
