"""ATR diagnostics: what each byte of an Answer-to-Reset means (ISO/IEC 7816-3 section 8, PC/SC part 3).

Decoding into fields is drivers/pcsc/atr.py (the driver needs it too, and drivers import nothing above them);
this module turns the decoded fields into the lines a technician reads in `posterm readers` and the reader
report, and into a JSON-friendly dict.
"""
from __future__ import annotations

from drivers.pcsc.atr import Atr, AtrError, decode_atr

__all__ = ["Atr", "AtrError", "atr_summary", "decode_atr", "describe_atr"]

# ISO 7816-3 Table 7 (Fi, f max in MHz) and Table 8 (Di), indexed by the nibbles of TA1.
FI_TABLE = {0: (372, 4), 1: (372, 5), 2: (558, 6), 3: (744, 8), 4: (1116, 12), 5: (1488, 16), 6: (1860, 20),
            9: (512, 5), 10: (768, 7.5), 11: (1024, 10), 12: (1536, 15), 13: (2048, 20)}
DI_TABLE = {1: 1, 2: 2, 3: 4, 4: 8, 5: 16, 6: 32, 7: 64, 8: 12, 9: 20}
PCSC_CONTACTLESS_PREFIX = bytes.fromhex("804F0CA000000306")  # category 80, AID tag 4F, length 12, PC/SC RID
PCSC_STANDARDS = {0x01: "ISO 14443 A part 1", 0x02: "ISO 14443 A part 2", 0x03: "ISO 14443 A part 3",
                  0x05: "ISO 14443 B part 1", 0x06: "ISO 14443 B part 2", 0x07: "ISO 14443 B part 3",
                  0x09: "ISO 15693 part 1", 0x0B: "ISO 15693 part 3", 0x11: "FeliCa"}


def _hex(data: bytes) -> str:
    return " ".join(f"{b:02X}" for b in data)


def _ta1(value: int) -> str:
    fi, fmax = FI_TABLE.get(value >> 4, (None, None))
    di = DI_TABLE.get(value & 0x0F)
    if fi is None or di is None:
        return "Fi/Di reserved for future use"
    return f"Fi={fi} Di={di} (f max {fmax:g} MHz, {fi // di if fi % di == 0 else round(fi / di, 1)} clocks per bit)"


def _interface_meaning(name: str, value: int, protocol_before: int | None) -> str:
    """The meaning of one interface byte; TAi/TBi/TCi for i >= 3 depend on the protocol of TD(i-1)."""
    kind = name[1]
    if name == "TA1":
        return _ta1(value)
    if name in ("TB1", "TB2"):
        return "programming voltage (deprecated, ignored)"
    if name == "TC1":
        return "extra guard time N=255: minimum character time" if value == 0xFF else f"extra guard time N={value} etu"
    if name == "TA2":
        mode = "can change to negotiable mode" if not value & 0x80 else "cannot change mode"
        etu = ", etu implicit" if value & 0x10 else ""
        return f"specific mode, T={value & 0x0F} ({mode}{etu})"
    if name == "TC2":
        return f"T=0 work waiting integer WI={value}"
    if kind == "D":
        return f"protocol T={value & 0x0F}" + (f", more interface bytes follow (Y={value >> 4:X})" if value >> 4 else "")
    if protocol_before == 1 and kind == "A":
        return f"T=1 IFSC={value} bytes"
    if protocol_before == 1 and kind == "B":
        return f"T=1 BWI={value >> 4} CWI={value & 0x0F}"
    if protocol_before == 1 and kind == "C":
        return "T=1 error detection: " + ("CRC" if value & 0x01 else "LRC")
    if protocol_before == 15 and kind == "A":
        stops = {0: "not supported", 1: "state L", 2: "state H", 3: "no preference"}[value >> 6]
        classes = "".join(c for c, bit in (("A", 1), ("B", 2), ("C", 4)) if value & bit)
        return f"clock stop {stops}, classes {classes or 'none'}"
    return f"for T={protocol_before}" if protocol_before is not None else "reserved"


def _historical(historical: bytes) -> list[str]:
    if not historical:
        return ["historical bytes: none"]
    printable = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in historical)
    lines = [f"historical bytes ({len(historical)}): {_hex(historical)}  '{printable}'"]
    category = historical[0]
    if historical.startswith(PCSC_CONTACTLESS_PREFIX) and len(historical) >= 11:
        standard = historical[8]
        lines.append(
            f"  PC/SC contactless: {PCSC_STANDARDS.get(standard, f'standard {standard:02X}')}, "
            f"card name {historical[9:11].hex().upper()}"
        )
    elif category == 0x00:
        lines.append("  category 00: COMPACT-TLV objects, then a 3-byte status indicator")
    elif category == 0x80:
        lines.append("  category 80: COMPACT-TLV objects")
    elif category == 0x10:
        lines.append("  category 10: DIR data reference")
    else:
        lines.append(f"  category {category:02X}: proprietary")
    return lines


def describe_atr(raw: bytes) -> list[str]:
    """One line per field; an undecodable ATR gives one line saying why (never an exception)."""
    try:
        atr = decode_atr(raw)
    except AtrError as exc:
        return [f"ATR {_hex(bytes(raw))}: not decodable: {exc}"]
    lines = [f"ATR {_hex(atr.raw)}"]
    lines.append(f"TS {atr.raw[0]:02X}: {atr.convention} convention")
    lines.append(f"T0 {atr.raw[1]:02X}: {len(atr.historical)} historical bytes")
    protocol_before: int | None = None
    for name, value in atr.interface.items():
        lines.append(f"{name} {value:02X}: {_interface_meaning(name, value, protocol_before)}")
        if name.startswith("TD"):
            protocol_before = value & 0x0F
    offered = ", ".join(f"T={p}" for p in atr.protocols)
    lines.append(f"protocols offered: {offered} (default T={atr.default_protocol})")
    if atr.contactless:
        lines.append("interface: contactless (ATR synthesised by a PC/SC reader, PC/SC part 3)")
    lines.extend(_historical(atr.historical))
    if atr.tck is None:
        lines.append("TCK: absent (only T=0 offered)")
    else:
        lines.append(f"TCK {atr.tck:02X}: {'correct' if atr.tck_ok else 'WRONG: the XOR of T0..TCK is not 00'}")
    return lines


def atr_summary(raw: bytes) -> dict:
    """The decoded ATR as plain data for --json output."""
    try:
        atr = decode_atr(raw)
    except AtrError as exc:
        return {"atr": bytes(raw).hex().upper(), "error": str(exc)}
    return {
        "atr": atr.raw.hex().upper(),
        "convention": atr.convention,
        "interface_bytes": {name: f"{value:02X}" for name, value in atr.interface.items()},
        "protocols": [f"T={p}" for p in atr.protocols],
        "contactless": atr.contactless,
        "historical_bytes": atr.historical.hex().upper(),
        "tck_ok": atr.tck_ok,
    }
