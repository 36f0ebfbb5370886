"""`posterm fw readers [--watch] [--json]`: the PC/SC readers, what they say about themselves, and a live
monitor of card insertions and removals (like pcsc_scan).

- attributes (SCardGetAttrib) and PC/SC part 10 features (SCardControl GET_FEATURE_REQUEST): reader_report.py.
- the known-ATR description from pcsc-tools' smartcard_list.txt, when that file is installed (read here; its
  format: an ATR line, hex bytes with '..' for any byte or a regular expression, then tab-indented lines
  describing it).
- firmware through a family's documented escape command: FIRMWARE_ESCAPES names the families whose vendor
  manual documents one; the command is sent only to a reader whose name says it is of that family.
- --watch polls the reader states (pyscard's monitor threads die silently when pcscd restarts, pcsc-notes.md)
  and prints one event per change, with the ATR decoded.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

from firmware_tools.atr import atr_summary, describe_atr

SMARTCARD_LISTS = (Path("/usr/share/pcsc/smartcard_list.txt"), Path.home() / ".cache/smartcard_list.txt",
                   Path("/usr/share/pcsc-tools/smartcard_list.txt"))
# Families whose vendor manual documents a firmware-version command (name pattern, how it is sent, the bytes).
# 'apdu': a pseudo-APDU sent to the reader with a card or in direct mode; 'escape': SCardControl with
# SCARD_CTL_CODE(3500) (the CCID driver's escape, allowed for these readers in libccid's Info.plist).
FIRMWARE_ESCAPES = (
    ("ACS ACR122", "apdu", bytes.fromhex("FF00480000"), "ACR122U API manual: Get Firmware Version, answered in ASCII"),
    ("ACS ACR125", "escape", bytes.fromhex("E000001800"), "ACR1251/1252/1255U manuals: Get Firmware Version"),
)
IOCTL_CCID_ESCAPE = 3500


def load_smartcard_list(paths=SMARTCARD_LISTS) -> list[tuple[re.Pattern, list[str]]] | None:
    """The (ATR pattern, description lines) of the first smartcard_list.txt found; None when none is."""
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        entries: list[tuple[re.Pattern, list[str]]] = []
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            if line.startswith("\t"):
                if entries:
                    entries[-1][1].append(line.strip())
                continue
            pattern = line.strip().replace(" ", "").replace("..", "[0-9A-F]{2}")
            try:
                entries.append((re.compile(pattern + "$", re.IGNORECASE), []))
            except re.error:
                continue
        return entries
    return None


def describe_known(atr: bytes, known) -> list[str]:
    if known is None:
        return ["(smartcard_list.txt not installed: apt-get install pcsc-tools)"]
    text = bytes(atr).hex().upper()
    for pattern, lines in known:
        if pattern.match(text):
            return lines
    return ["(ATR not in smartcard_list.txt)"]


def firmware_escape(name: str):
    for prefix, how, command, source in FIRMWARE_ESCAPES:
        if name.startswith(prefix):
            return how, command, source
    return None


def read_firmware(ctx: int, name: str) -> str | None:
    """The firmware string through the family's documented command; None when the family has none."""
    found = firmware_escape(name)
    if found is None:
        return None
    how, command, _source = found
    from drivers.pcsc.context import scard
    sc = scard()
    code, card, _ = sc.SCardConnect(ctx, name, sc.SCARD_SHARE_DIRECT, 0)
    if code != 0:
        return f"not read ({sc.SCardGetErrorMessage(code).strip()})"
    try:
        if how == "escape":
            code, answer = sc.SCardControl(card, sc.SCARD_CTL_CODE(IOCTL_CCID_ESCAPE), list(command))
        else:
            code, answer = sc.SCardTransmit(card, sc.SCARD_PCI_RAW, list(command))
        if code != 0:
            return f"not read ({sc.SCardGetErrorMessage(code).strip()})"
        return bytes(answer).decode("ascii", "replace").strip("\x00 ")
    finally:
        sc.SCardDisconnect(card, sc.SCARD_LEAVE_CARD)


def reader_inventory() -> list[dict]:
    from drivers.pcsc.context import Context
    from firmware_tools.reader_report import report_readers
    known = load_smartcard_list()
    out = []
    reports = report_readers()
    with Context() as ctx:
        for r in reports:
            entry = r.as_dict()
            escape = firmware_escape(r.name)
            entry["firmware_escape"] = escape[2] if escape else None
            entry["firmware"] = read_firmware(ctx, r.name) if escape else None
            if r.atr:
                entry["atr_decoded"] = atr_summary(r.atr)
                entry["known_card"] = describe_known(r.atr, known)
            out.append(entry)
    return out


def inventory_lines(entries: list[dict]) -> list[str]:
    if not entries:
        return ["no PC/SC reader found"]
    lines = []
    for e in entries:
        lines.append(f"reader: {e['name']}")
        for key, value in {**e["attributes"], **e["properties"]}.items():
            lines.append(f"  {key}: {value}")
        lines.append(f"  PC/SC part 10 features: {', '.join(e['features']) or 'none'}")
        if e["firmware_escape"]:
            lines.append(f"  firmware: {e['firmware']} (escape: {e['firmware_escape']})")
        else:
            lines.append("  firmware escape: none documented for this family (known: "
                         + ", ".join(p for p, *_ in FIRMWARE_ESCAPES) + ")")
        lines += [f"  note: {n}" for n in e["notes"]]
        if e["atr"]:
            lines += [f"  {line}" for line in describe_atr(bytes.fromhex(e["atr"]))]
            lines += [f"  known card: {line}" for line in e["known_card"]]
        else:
            lines.append("  card: none")
    return lines


def watch(emit, interval_s: float = 0.2, events: int | None = None, clock=time.monotonic) -> int:
    """Print reader and card changes until interrupted (or `events` of them): emit(dict, lines)."""
    from drivers.errors import ReaderError
    from drivers.pcsc.readers import reader_statuses
    known = load_smartcard_list()
    seen: dict[str, bytes | None] = {}
    count, start, first = 0, clock(), True
    while events is None or count < events:
        try:
            now = {s.name: (s.atr if s.card_present else None) for s in reader_statuses()}
            fault = None
        except ReaderError as e:
            now, fault = {}, str(e)
        changes = []
        for name in sorted(set(seen) | set(now)):
            before, after = seen.get(name, "absent"), now.get(name, "absent")
            if before == after and not first:
                continue
            if after == "absent":
                changes.append({"event": "reader_removed", "reader": name})
            elif after is None:
                changes.append({"event": "reader" if name not in seen else "card_removed", "reader": name})
            else:
                changes.append({"event": "card_inserted", "reader": name, "atr": after.hex().upper(),
                                "atr_decoded": atr_summary(after), "known_card": describe_known(after, known)})
        if fault and first:
            changes.append({"event": "error", "message": fault})
        first = False
        seen = now
        for change in changes:
            change["t_s"] = round(clock() - start, 3)
            lines = [f"{change['t_s']:8.3f}  {change['event']}  {change.get('reader', change.get('message', ''))}"]
            if "atr" in change:
                lines += [f"          {line}" for line in describe_atr(bytes.fromhex(change["atr"]))]
                lines += [f"          known card: {line}" for line in change["known_card"]]
            emit(change, lines)
            if change["event"] in ("card_inserted", "card_removed"):
                count += 1
        time.sleep(interval_s)
    return 0
