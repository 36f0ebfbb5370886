"""APDUs and BER-TLV in words, for `posterm fw trace show` and `posterm fw card info`.

Tag names come from the kernel's dictionary (terminal/emv/tags.py). Sensitive values are never printed in
clear here: the PAN is shown first 6 / last 4, track data, names and PIN blocks only as their length.
"""
from __future__ import annotations

from drivers.emvspec import ber_tlv
from drivers.emvspec.errors import TlvError
from terminal.emv import tags

INS_NAMES = {0xA4: "SELECT", 0xB2: "READ RECORD", 0xA8: "GET PROCESSING OPTIONS", 0xAE: "GENERATE AC",
             0x88: "INTERNAL AUTHENTICATE", 0x82: "EXTERNAL AUTHENTICATE", 0x84: "GET CHALLENGE",
             0x20: "VERIFY", 0xCA: "GET DATA", 0xC0: "GET RESPONSE", 0x1E: "APPLICATION BLOCK",
             0x18: "APPLICATION UNBLOCK", 0x16: "CARD BLOCK", 0x24: "PIN CHANGE/UNBLOCK", 0xDA: "PUT DATA",
             0xDC: "UPDATE RECORD"}
SW_MEANINGS = {0x9000: "OK", 0x6283: "selected file invalidated (application blocked)",
               0x6300: "authentication failed", 0x6700: "wrong length", 0x6981: "command incompatible with file",
               0x6982: "security status not satisfied", 0x6983: "authentication method blocked",
               0x6984: "referenced data invalidated", 0x6985: "conditions of use not satisfied",
               0x6A81: "function not supported", 0x6A82: "file or application not found",
               0x6A83: "record not found", 0x6A88: "referenced data not found", 0x6D00: "instruction not supported",
               0x6E00: "class not supported", 0x6F00: "no precise diagnosis"}
# Shown as their length only; 5A is shown masked (first 6, last 4).
NEVER_SHOWN = frozenset({0x57, 0x56, 0x9F6B, 0x5F20, 0x9F1F, 0x9F20})
ASCII_FORMATS = ("a", "an", "ans")


def sw_text(sw: int) -> str:
    if sw >> 8 == 0x61:
        return f"{sw & 0xFF} more bytes available"
    if sw >> 8 == 0x6C:
        return f"wrong Le, exact length {sw & 0xFF}"
    if sw >> 8 == 0x63 and sw & 0xF0 == 0xC0:
        return f"verification failed, {sw & 0x0F} tries left"
    return SW_MEANINGS.get(sw, "unknown status")


def masked_pan(value: bytes) -> str:
    digits = value.hex().upper().rstrip("F")
    if len(digits) < 12:
        return "*" * len(digits)
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def value_text(tag: int, value: bytes) -> str:
    """One object's value for a person: masked, decoded or hex."""
    if tag == 0x5A:
        return masked_pan(value)
    if tag in NEVER_SHOWN:
        return f"({len(value)} bytes, not shown)"
    fmt = tags.info(tag).fmt
    if fmt in ASCII_FORMATS and all(0x20 <= b < 0x7F for b in value):
        return f"'{value.decode('ascii')}'"
    text = value.hex().upper()
    return text or "(empty)"


def tlv_lines(data: bytes, indent: str = "  ") -> list[str]:
    """Every object of `data`, templates indented; data that is not BER-TLV as hex with the reason."""
    try:
        objects = ber_tlv.parse(data)
    except TlvError as e:
        return [f"{indent}(not BER-TLV: {e}) {bytes(data).hex().upper()}"]
    lines: list[str] = []
    for obj in objects:
        label = tags.name(obj.tag)
        if obj.constructed:
            lines.append(f"{indent}{label}")
            lines.extend(tlv_lines(obj.value, indent + "  "))
        else:
            lines.append(f"{indent}{label}: {value_text(obj.tag, obj.value)}")
    return lines


def command_lines(apdu: bytes) -> list[str]:
    apdu = bytes(apdu)
    if len(apdu) < 4:
        return [f"  C: {apdu.hex().upper()} (shorter than a header)"]
    cla, ins, p1, p2 = apdu[:4]
    head = f"  C: CLA {cla:02X} INS {ins:02X} ({INS_NAMES.get(ins, 'unknown')}) P1 {p1:02X} P2 {p2:02X}"
    data = b""
    if len(apdu) > 5:
        lc = apdu[4]
        data = apdu[5:5 + lc]
        head += f" Lc {lc}"
        if len(apdu) > 5 + lc:
            head += f" Le {apdu[5 + lc]:02X}"
    elif len(apdu) == 5:
        head += f" Le {apdu[4]:02X}"
    lines = [head]
    if ins == 0xB2:
        lines.append(f"     record {p1} of SFI {p2 >> 3}")
    if data:
        if ins == 0x20:
            lines.append(f"     PIN block ({len(data)} bytes, masked)")
        elif ins == 0xA4:
            printable = all(0x20 <= b < 0x7F for b in data)
            lines.append(f"     name {data.hex().upper()}" + (f" '{data.decode('ascii')}'" if printable else ""))
        else:
            lines.append(f"     data {data.hex().upper()}")
    return lines


def _format1(ins: int, value: bytes, indent: str = "    ") -> list[str]:
    """The packed fields of a format 1 (tag 80) answer: GPO is AIP + AFL, GENERATE AC is CID ATC AC IAD."""
    if ins == 0xA8 and len(value) >= 2:
        afl = " ".join(value[i:i + 4].hex().upper() for i in range(2, len(value), 4))
        return [f"{indent}82 (AIP): {value[:2].hex().upper()}", f"{indent}94 (AFL): {afl or '(empty)'}"]
    if ins == 0xAE and len(value) >= 11:
        return [f"{indent}9F27 (Cryptogram Information Data): {value[0]:02X}",
                f"{indent}9F36 (Application Transaction Counter): {value[1:3].hex().upper()}",
                f"{indent}9F26 (Application Cryptogram): {value[3:11].hex().upper()}",
                f"{indent}9F10 (Issuer Application Data): {value[11:].hex().upper() or '(none)'}"]
    return []


def response_lines(response: bytes, ins: int | None = None) -> list[str]:
    response = bytes(response)
    if len(response) < 2:
        return [f"  R: {response.hex().upper()} (no status word)"]
    sw = int.from_bytes(response[-2:], "big")
    lines = [f"  R: SW {sw:04X} ({sw_text(sw)}), {len(response) - 2} data bytes"]
    data = response[:-2]
    if data:
        lines.extend(tlv_lines(data))
        if data[0] == 0x80 and ins is not None:
            try:
                objects = ber_tlv.parse(data)
            except TlvError:
                objects = []
            if objects:
                lines.extend(_format1(ins, objects[0].value))
    return lines
