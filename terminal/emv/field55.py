"""Field 55 (ICC system related data) of the host dialect (shared/host-interface.md): the BER-TLV list the
issuer needs to verify the cryptogram and judge the risk. Never carries 56, 57, 5A, 5F20, 5F24, 99, 9F0B, 9F1F,
9F20 (card data goes in fields 35/2/14 or not at all), at most 255 bytes (LLLVAR b..255)."""
from __future__ import annotations

from typing import Mapping

from drivers.emvspec.ber_tlv import encode
from terminal.emv.errors import EmvError
from terminal.emv.tags import FORBIDDEN_IN_FIELD55

# For the 0200: the cryptogram and everything it was computed over (Book 2 8.1.1), plus context the issuer uses.
REQUEST_TAGS = (0x9F26, 0x9F27, 0x9F10, 0x9F37, 0x9F36, 0x95, 0x9A, 0x9C, 0x9F02, 0x5F2A, 0x82, 0x9F1A,
                0x9F03, 0x9F33, 0x9F34, 0x9F35, 0x9F1E, 0x84, 0x9F09, 0x9F41, 0x5F34, 0x9B,
                0x9F66, 0x9F6C, 0x9F6E)       # contactless: TTQ, CTQ, form factor (Book C-3)
# For advices (0220), reversals and batch upload: the final cryptogram, and what the issuer scripts did.
ADVICE_TAGS = REQUEST_TAGS + (0x8A, 0x9F5B)

MAX_LENGTH = 255


def build(values: Mapping[int, bytes], tag_list: tuple[int, ...] = REQUEST_TAGS) -> bytes:
    out = b"".join(encode(tag, values[tag]) for tag in tag_list if values.get(tag))
    if len(out) > MAX_LENGTH:
        raise EmvError(f"field 55 would be {len(out)} bytes, the dialect allows {MAX_LENGTH}")
    return out


def check(blob: bytes) -> None:
    """Raise when a field 55 carries a tag the dialect forbids (used by tests and by the lead's builder)."""
    from drivers.emvspec.ber_tlv import parse
    for obj in parse(blob):
        if obj.tag in FORBIDDEN_IN_FIELD55:
            raise EmvError(f"field 55 must not carry tag {obj.tag:02X}")
