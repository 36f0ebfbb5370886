"""Data Object Lists (EMV Book 3 section 5.4): PDOL, CDOL1, CDOL2, DDOL, TDOL. A DOL is a list of (tag, length);
the terminal answers with the concatenated values, each fitted to the length the card asked for."""
from __future__ import annotations

from typing import Callable, Mapping

from drivers.emvspec.ber_tlv import _read_tag, is_constructed
from drivers.emvspec.errors import DolError, TlvError

FormatOf = Callable[[int], str]
"""A tag's format (Book 3 Annex A: 'n', 'cn', 'b', 'an', 'ans'); the terminal passes its tag dictionary's
(terminal.emv.tags.fmt). The dictionary stays with the kernel: this module only knows the 5.4 padding rules."""


def parse_dol(data: bytes, name: str = "DOL") -> list[tuple[int, int]]:
    """Split a DOL into (tag, length) pairs; raises DolError naming the byte offset of a defect."""
    entries: list[tuple[int, int]] = []
    pos = 0
    while pos < len(data):
        try:
            tag, pos = _read_tag(data, pos, 0)
        except TlvError as err:
            raise DolError(f"{name}: {err}") from None
        if pos >= len(data):
            raise DolError(f"{name}: length of tag {tag:02X} missing at byte {pos}")
        entries.append((tag, data[pos]))
        pos += 1
    return entries


def fit(tag: int, value: bytes | None, length: int, fmt: str) -> bytes:
    """Book 3 5.4: absent or constructed -> zeros; numeric (n) truncated/padded on the left; cn padded with F on
    the right; anything else truncated/padded with 00 on the right. `fmt` is the tag's format."""
    if value is None or is_constructed(tag):
        return bytes(length)
    if len(value) == length:
        return bytes(value)
    if fmt == "n":
        return bytes(value[-length:]) if len(value) > length else bytes(length - len(value)) + bytes(value)
    if len(value) > length:
        return bytes(value[:length])
    pad = b"\xff" if fmt == "cn" else b"\x00"
    return bytes(value) + pad * (length - len(value))


def build_dol_data(dol: list[tuple[int, int]], data: Mapping[int, bytes], fmt_of: FormatOf) -> bytes:
    """The terminal's answer to a DOL: each value fitted to the length the card asked for."""
    return b"".join(fit(tag, data.get(tag), length, fmt_of(tag)) for tag, length in dol)


def split_dol_data(dol: list[tuple[int, int]], blob: bytes) -> dict[int, bytes]:
    """The inverse, for the card side and the issuer: which bytes of a DOL answer belong to which tag."""
    out: dict[int, bytes] = {}
    pos = 0
    for tag, length in dol:
        if pos + length > len(blob):
            raise DolError(f"DOL data too short for tag {tag:02X}: {len(blob)} bytes")
        out[tag] = blob[pos:pos + length]
        pos += length
    return out
