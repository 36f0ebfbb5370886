"""ATR decoding (ISO 7816-3) and its human-readable explanation."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.emulated.testcards import T0_ATR, T1_ATR, with_tck
from drivers.emulated.vpcd_client import CONTACTLESS_ATR
from drivers.pcsc.atr import AtrError, decode_atr, protocol_name
from firmware_tools.atr import atr_summary, describe_atr


def test_t0_only_atr_has_no_tck():
    atr = decode_atr(T0_ATR)
    assert (atr.convention, atr.interface, atr.protocols, atr.historical, atr.tck, atr.tck_ok) == (
        "direct", {}, (0,), b"\x14\x50", None, None)
    assert protocol_name(T0_ATR) == "T=0"


def test_t1_atr_with_ta1_and_correct_tck():
    atr = decode_atr(T1_ATR)
    assert atr.interface == {"TA1": 0x96, "TD1": 0x01}
    assert (atr.protocols, atr.historical, atr.tck, atr.tck_ok) == ((1,), b"TEST", 0x15, True)
    assert protocol_name(T1_ATR) == "T=1"


def test_typical_emv_card_atr_offering_t0_then_t1():
    # TS 3B, T0 E9 (TB1 TC1 TD1, 9 historical), TB1 00, TC1 FF, TD1 81 (TD2, T=1), TD2 31 (TA3 TB3, T=1),
    # TA3 FE (IFSC 254), TB3 45 (BWI 4, CWI 5), historical bytes, TCK
    raw = with_tck(bytes.fromhex("3BE900FF8131FE45") + bytes.fromhex("4A434F503234315441"))
    atr = decode_atr(raw)
    assert atr.interface == {"TB1": 0x00, "TC1": 0xFF, "TD1": 0x81, "TD2": 0x31, "TA3": 0xFE, "TB3": 0x45}
    assert atr.protocols == (1,)
    assert atr.tck_ok is True
    lines = describe_atr(raw)
    assert "TA3 FE: T=1 IFSC=254 bytes" in lines
    assert "TB3 45: T=1 BWI=4 CWI=5" in lines
    assert "TC1 FF: extra guard time N=255: minimum character time" in lines


def test_contact_atr_offering_t0_first_and_t1():
    raw = with_tck(bytes.fromhex("3B9211" "80" "01") + b"\x01\x02")  # TA1, TD1 (T=0), TD2 (T=1)
    atr = decode_atr(raw)
    assert atr.protocols == (0, 1) and atr.default_protocol == 0
    assert not atr.contactless  # TA1 present: a real contact card, not the PC/SC contactless form
    assert protocol_name(raw) == "T=0"


def test_pcsc_contactless_atr_is_recognised_and_explained():
    atr = decode_atr(CONTACTLESS_ATR)
    assert atr.contactless and atr.tck_ok
    assert protocol_name(CONTACTLESS_ATR) == "contactless"
    lines = describe_atr(CONTACTLESS_ATR)
    assert "interface: contactless (ATR synthesised by a PC/SC reader, PC/SC part 3)" in lines
    assert "  PC/SC contactless: ISO 14443 A part 3, card name 0003" in lines
    assert lines[-1] == "TCK 68: correct"


def test_wrong_tck_is_reported_not_raised():
    raw = CONTACTLESS_ATR[:-1] + b"\x00"
    atr = decode_atr(raw)
    assert atr.tck == 0 and atr.tck_ok is False
    assert describe_atr(raw)[-1] == "TCK 00: WRONG: the XOR of T0..TCK is not 00"
    assert atr_summary(raw)["tck_ok"] is False


def test_ta1_is_explained_with_fi_and_di():
    assert "TA1 96: Fi=512 Di=32 (f max 5 MHz, 16 clocks per bit)" in describe_atr(T1_ATR)
    assert "TA1 11: Fi=372 Di=1 (f max 5 MHz, 372 clocks per bit)" in describe_atr(with_tck(bytes.fromhex("3B9011" + "01")))


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"", "ATR is empty"),
        (bytes.fromhex("3A00"), "TS=3A, expected 3B \\(direct\\) or 3F \\(inverse convention\\)"),
        (bytes.fromhex("3B"), "T0 expected at byte 1"),
        (bytes.fromhex("3B9011"), "TD1 expected at byte 3"),
        (bytes.fromhex("3B0514"), "T0 announces 5 historical bytes, only 1 follow"),
        (bytes.fromhex("3B8001"), "TCK expected at byte 3"),
        (bytes.fromhex("3B001234"), "2 byte\\(s\\) after the historical bytes"),
        (bytes.fromhex("3B0F") + bytes(32), "at most 33 allowed"),
    ],
)
def test_malformed_atr_raises_one_clear_error(raw, message):
    with pytest.raises(AtrError, match=message):
        decode_atr(raw)
    assert "not decodable" in describe_atr(raw)[0]
    assert "error" in atr_summary(raw)


def test_summary_is_plain_data():
    assert atr_summary(T1_ATR) == {
        "atr": T1_ATR.hex().upper(), "convention": "direct", "interface_bytes": {"TA1": "96", "TD1": "01"},
        "protocols": ["T=1"], "contactless": False, "historical_bytes": "54455354", "tck_ok": True,
    }


@given(st.binary(max_size=40))
def test_any_bytes_decode_or_raise_atr_error(raw):
    try:
        atr = decode_atr(raw)
    except AtrError:
        return
    assert atr.raw == raw and atr.protocols
    assert describe_atr(raw)[0].startswith("ATR ")
