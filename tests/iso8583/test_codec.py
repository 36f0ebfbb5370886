"""The 0200 on the wire, byte for byte, and its MAC, against values worked out without the code under test.

How the expected values were worked out:
- The message bytes are written out field by field below from host-interface.md's encoding table (ASCII MTI,
  8-byte binary bitmap, fixed n fields zero-padded, LLVAR with 2 ASCII digits).
- The bitmap was set by hand: fields 3,4,7 -> byte 1 = 0x20|0x10|0x02 = 0x32; 11,12,13 -> 0x38; 22 -> 0x04;
  25 -> 0x80; 35 -> 0x20; 41,42 -> 0xC0; 49 -> 0x80; 60,64 -> 0x10|0x01 = 0x11.
- The MAC comes from `_cmac`, an implementation of NIST SP 800-38B written here from the standard (subkeys by
  doubling in GF(2^128), last-block padding) on a bare AES block cipher; it is first checked against the
  standard's own example vectors (SP 800-38B appendix D.1, AES-128), so it does not share the production
  path's CMAC code.
"""
from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from terminal.iso8583 import MacError, MessageError, decode, encode
from terminal.iso8583.builders import PURCHASE, Original, Terminal, request_0200, reversal_0400, settlement_0500

KEY = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
TERM = Terminal("TERM0001", "MERCHANT0000001", "156")
ORIG = Original(PURCHASE, 1234, 42, dt.datetime(2026, 11, 25, 10, 30, 15), "051", 7, "1125093015", "001")
NOW = dt.datetime(2026, 11, 25, 9, 30, 16, tzinfo=dt.timezone.utc)
TRACK2 = "4761739001010010=31122010000000000"


def _aes(key: bytes, block: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def _dbl(b: bytes) -> bytes:
    n = int.from_bytes(b, "big") << 1
    if n >> 128:
        n = (n & ((1 << 128) - 1)) ^ 0x87
    return n.to_bytes(16, "big")


def _cmac(key: bytes, msg: bytes) -> bytes:
    k1 = _dbl(_aes(key, bytes(16)))
    k2 = _dbl(k1)
    blocks = [msg[i:i + 16] for i in range(0, len(msg), 16)] or [b""]
    last = blocks[-1]
    last = bytes(a ^ b for a, b in zip(last, k1)) if len(last) == 16 else \
        bytes(a ^ b for a, b in zip(last + b"\x80" + bytes(15 - len(last)), k2))
    x = bytes(16)
    for blk in blocks[:-1] + [last]:
        x = _aes(key, bytes(a ^ b for a, b in zip(x, blk)))
    return x


def test_independent_cmac_matches_nist_sp800_38b_examples():
    k = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
    assert _cmac(k, b"").hex() == "bb1d6929e95937287fa37d129b756746"
    assert _cmac(k, bytes.fromhex("6bc1bee22e409f96e93d7e117393172a")).hex() == "070a16b46b4d4144f79bdd9dd04a287c"


def test_0200_exact_bytes_and_mac():
    wire = encode("0200", request_0200(TERM, ORIG, NOW, track2=TRACK2), KEY)
    body = (b"0200" + bytes.fromhex("32380480 20C08011".replace(" ", ""))
            + b"000000" + b"000000001234" + b"1125093016" + b"000042" + b"103015" + b"1125" + b"051" + b"00"
            + b"34" + TRACK2.encode() + b"TERM0001" + b"MERCHANT0000001" + b"156" + b"000007")
    assert wire == body + _cmac(KEY, body)[:8]


def test_0200_with_field55_sets_psn_and_lllvar():
    icc = bytes.fromhex("9F2608A1B2C3D4E5F60718" "9F2701" "80")
    wire = encode("0200", request_0200(TERM, ORIG, NOW, track2=TRACK2, icc=icc), KEY)
    msg = decode(wire, KEY)
    assert msg.fields[23] == "001" and msg.fields[55] == icc
    assert b"015" + icc in wire  # LLLVAR: 3 ASCII digits counting bytes


def test_secondary_bitmap_moves_mac_to_128():
    fields = reversal_0400(TERM, ORIG, NOW, stan=43, reason="68", rrn="000000000001")
    wire = encode("0400", fields, KEY)
    assert wire[4] & 0x80  # bit 1: secondary bitmap present
    assert wire[4 + 8 + 7] & 0x01  # bit 128 set in the secondary bitmap
    msg = decode(wire, KEY)
    assert msg.fields[90] == "0200" + "000042" + "1125093015" + "0" * 22
    assert msg.fields[11] == "000043" and msg.fields[12] == "103015"  # new STAN, the original's local time


def test_settlement_fields():
    msg = decode(encode("0500", settlement_0500(TERM, NOW, stan=9, batch=7, credits=(1, 500), debits=(3, 3702)),
                        KEY), KEY)
    assert (msg.fields[74], msg.fields[76], msg.fields[86], msg.fields[88]) == (
        "0000000001", "0000000003", "0000000000000500", "0000000000003702")


def test_0800_carries_no_mac():
    from terminal.iso8583.builders import network_0800
    wire = encode("0800", network_0800(TERM, NOW, stan=1), None)
    assert not wire[4 + 7] & 0x01 and decode(wire, None).fields[70] == "001"


def test_wrong_mac_key_is_rejected():
    wire = encode("0200", request_0200(TERM, ORIG, NOW, track2=TRACK2), KEY)
    with pytest.raises(MacError, match="field 64: MAC does not verify"):
        decode(wire, bytes(16))


def test_flipped_bit_anywhere_is_rejected():
    wire = bytearray(encode("0200", request_0200(TERM, ORIG, NOW, track2=TRACK2), KEY))
    wire[30] ^= 0x01
    with pytest.raises(MessageError):
        decode(bytes(wire), KEY)


def test_missing_mac_is_rejected():
    import iso8583
    from terminal.iso8583.dialect import SPEC
    raw, _ = iso8583.encode({"t": "0210", "11": "000001", "39": "00", "41": "TERM0001"}, SPEC)
    with pytest.raises(MacError, match="no MAC"):
        decode(bytes(raw), KEY)


@pytest.mark.parametrize("fields, fault", [
    ({3: "00000A"}, "field 3 (processing code): not numeric"),
    ({4: "1" * 13}, "field 4 (amount): 13 characters, at most 12"),
    ({41: "TERMINAL9"}, "field 41 (terminal id): 9 characters, at most 8"),
    ({35: "4761=31X"}, "field 35 (track 2): only digits and '=' allowed"),
    ({45: "x"}, "field 45: not a field the terminal may set"),
    ({64: b"12345678"}, "field 64: not a field the terminal may set"),
])
def test_encode_names_the_bad_field(fields, fault):
    with pytest.raises(MessageError) as e:
        encode("0200", fields, KEY)
    assert fault in str(e.value)


def test_decode_rejects_fields_outside_the_dialect():
    import iso8583
    from terminal.iso8583.dialect import SPEC
    raw, _ = iso8583.encode({"t": "0210", "11": "000001", "45": "AB"}, SPEC)
    with pytest.raises(MessageError, match="field 45: not part of the dialect"):
        decode(bytes(raw), KEY)


def test_decode_names_field_and_position_of_a_short_message():
    wire = encode("0200", request_0200(TERM, ORIG, NOW, track2=TRACK2), KEY)
    with pytest.raises(MessageError, match=r"field \d+ at byte \d+"):
        decode(wire[:40], KEY)


def test_tertiary_bitmap_is_refused_by_name():
    """Found by hypothesis: bit 65 set (a tertiary bitmap) made pyiso8583 raise KeyError('131')."""
    raw = b"0210" + bytes([0x80]) + bytes(7) + bytes([0x80]) + bytes(7) + b"\x00" * 8
    with pytest.raises(MessageError, match="field 65 at byte 12: a tertiary bitmap is not part of the dialect"):
        decode(raw, KEY)


def test_mti_altered_to_an_unmaced_type_is_refused():
    """Found by hypothesis: a 0200 whose MTI was changed to 0800 (which carries no MAC) was accepted."""
    wire = encode("0200", request_0200(TERM, ORIG, NOW, track2=TRACK2), KEY)
    with pytest.raises(MacError, match="0800: carries a MAC field"):
        decode(b"08" + wire[2:], KEY)
