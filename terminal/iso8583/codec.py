"""Encode and decode whole messages of the dialect, with the MAC applied and verified here, once.

Values are plain: text fields as str (unpadded is fine: n fields are zero-padded on the left, an/ans
space-padded on the right, as the page says), b fields as bytes. pyiso8583 does the bitmap and length work;
this module adds what it leaves to the caller: padding, the alphabet of each kind, the MAC, and rejecting
fields outside the dialect.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import iso8583
from iso8583.decoder import DecodeError
from iso8583.encoder import EncodeError

from terminal.iso8583.dialect import FIELDS, MAC_LEN, MAX_MESSAGE, SPEC, UNMACED_MTIS
from terminal.iso8583.errors import MacError, MessageError
from terminal.iso8583.mac import compute_mac, mac_matches

Value = str | bytes
_ZERO_MAC = "00" * MAC_LEN


@dataclass
class Message:
    mti: str
    fields: dict[int, Value]
    raw: bytes = field(default=b"", repr=False)

    def get(self, n: int, default: Value | None = None) -> Value | None:
        return self.fields.get(n, default)

    def text(self, n: int) -> str:
        v = self.fields.get(n)
        if not isinstance(v, str):
            raise MessageError(f"{self.mti} field {n} ({FIELDS[n].name}): missing")
        return v


_Z_CHARS = frozenset("0123456789=")


def _alphabet_fault(kind: str, value: str) -> str | None:
    """Why `value` is not of its kind, or None. pyiso8583 checks lengths; the alphabet is ours to check."""
    if not value.isascii():
        return "not ASCII"
    if kind == "n":
        return None if value.isdigit() else "not numeric"
    if kind == "z":
        return None if _Z_CHARS.issuperset(value) else "only digits and '=' allowed"
    if not value.isprintable():
        return "not printable ASCII"
    if kind == "an" and value.strip() and not value.replace(" ", "").isalnum():
        return "not alphanumeric"
    return None


def _check_text(n: int, value: str) -> str:
    """Validate and pad a text field for sending (n: zeros on the left; an/ans: spaces on the right)."""
    f = FIELDS[n]
    fault = _alphabet_fault(f.kind, value)
    if fault:
        raise MessageError(f"field {n} ({f.name}): {fault}")
    if not f.var and len(value) < f.length:
        value = value.rjust(f.length, "0") if f.kind == "n" else value.ljust(f.length)
    if len(value) > f.length:
        raise MessageError(f"field {n} ({f.name}): {len(value)} characters, at most {f.length}")
    return value


def _mac_field(present: set[int] | dict) -> int:
    return 128 if any(n > 64 for n in present) else 64


def encode(mti: str, fields: dict[int, Value], mac_key: bytes | None) -> bytes:
    """Build the wire bytes. With a MAC key (every MTI but 0800/0810), the MAC field's bit is set, the message
    is encoded with 8 zero bytes there, and those bytes are replaced by the AES-CMAC of everything before."""
    doc: dict[str, str] = {"t": mti}
    for n, v in fields.items():
        if n not in FIELDS or n in (64, 128):
            raise MessageError(f"field {n}: not a field the terminal may set")
        if isinstance(v, (bytes, bytearray)):
            if FIELDS[n].kind != "b":
                raise MessageError(f"field {n} ({FIELDS[n].name}): bytes given for a text field")
            doc[str(n)] = v.hex()
        else:
            doc[str(n)] = _check_text(n, v)
    macs = mti not in UNMACED_MTIS
    if macs:
        if mac_key is None:
            raise MessageError(f"{mti}: a MAC key is required")
        doc[str(_mac_field(fields))] = _ZERO_MAC
    try:
        out, _ = iso8583.encode(doc, SPEC)
    except EncodeError as e:
        raise MessageError(f"{mti}: {e}") from None
    if macs:
        body = bytes(out[:-MAC_LEN])
        out = body + compute_mac(mac_key, body)
    if len(out) > MAX_MESSAGE:
        raise MessageError(f"{mti}: {len(out)} bytes, larger than the {MAX_MESSAGE} the link carries")
    return bytes(out)


def decode(raw: bytes, mac_key: bytes | None, *, verify_mac: bool = True) -> Message:
    """Parse and verify. Raises MessageError (not our dialect) or MacError (missing or wrong MAC).
    verify_mac=False exists for one caller: the host reading a request it refuses with 63, to echo its keys."""
    if len(raw) > MAX_MESSAGE:
        raise MessageError(f"message of {len(raw)} bytes, larger than {MAX_MESSAGE}")
    if len(raw) > 12 and raw[4] & 0x80 and raw[12] & 0x80:
        # bit 65 announces a tertiary bitmap (fields 129-192): pyiso8583 would look for fields the dialect
        # does not have. Refuse it here, by name.
        raise MessageError("field 65 at byte 12: a tertiary bitmap is not part of the dialect")
    try:
        doc, _ = iso8583.decode(raw, SPEC)
    except DecodeError as e:
        raise MessageError(f"field {e.field} at byte {e.pos}: {e.msg}") from None
    mti = doc.pop("t")
    doc.pop("p", None)
    doc.pop("1", None)
    if len(mti) != 4 or not mti.isdigit():
        raise MessageError("MTI is not 4 digits")
    fields: dict[int, Value] = {}
    for key, v in doc.items():
        n = int(key)
        f = FIELDS.get(n)
        if f is None:
            raise MessageError(f"{mti} field {n}: not part of the dialect")
        if f.kind == "b":
            fields[n] = bytes.fromhex(v)
        else:
            fault = _alphabet_fault(f.kind, v)
            if fault:
                raise MessageError(f"{mti} field {n} ({f.name}): {fault}")
            fields[n] = v
    if not verify_mac:
        fields.pop(64, None)
        fields.pop(128, None)
    elif mti in UNMACED_MTIS:
        if 64 in fields or 128 in fields:  # a MAC where none belongs: not ours (or an altered MTI)
            raise MacError(f"{mti}: carries a MAC field, which this message type never has")
    else:
        _verify_mac(mti, raw, fields, mac_key)
    return Message(mti, fields, bytes(raw))


def _verify_mac(mti: str, raw: bytes, fields: dict[int, Value], mac_key: bytes | None) -> None:
    want = _mac_field(fields)
    other = 64 if want == 128 else 128
    if other in fields:
        raise MacError(f"{mti}: MAC in field {other}, expected field {want}")
    mac = fields.pop(want, None)
    if mac is None:
        raise MacError(f"{mti}: no MAC (field {want})")
    if mac_key is None or not mac_matches(mac_key, raw[:-MAC_LEN], mac):
        raise MacError(f"{mti} field {want}: MAC does not verify")
