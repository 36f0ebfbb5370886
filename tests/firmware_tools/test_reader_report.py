"""The reader report: part 10 answers parsed exactly, and a real pcscd reader that reports nothing."""
from __future__ import annotations

from drivers.emulated.testcards import T1_ATR, TransportTestCard
from firmware_tools.reader_report import format_report, parse_features, parse_tlv_properties, report_readers


def test_feature_list_is_parsed_from_part_10_tlv():
    # VERIFY_PIN_DIRECT at 0x42330006, GET_TLV_PROPERTIES at 0x42330012, then a truncated entry (ignored)
    answer = bytes.fromhex("06044233000612044233001213")
    assert parse_features(answer) == {0x06: 0x42330006, 0x12: 0x42330012}


def test_tlv_properties_give_firmware_and_usb_ids():
    answer = bytes.fromhex("0B02E608" "0C023434" "0805") + b"1.10\x00"  # wIdVendor, wIdProduct, sFirmwareID
    assert parse_tlv_properties(answer) == {
        "usb_vendor_id": "0x08E6", "usb_product_id": "0x3434", "firmware_id": "1.10",
    }


def test_report_of_vpcd_readers_degrades_gracefully(pcsc_stack):
    pcsc_stack.serve(TransportTestCard("T=1"))
    reports = report_readers()
    assert [(r.name, r.card_present, r.atr) for r in reports] == [
        ("Virtual PCD 00 00", True, T1_ATR), ("Virtual PCD 00 01", False, None)]
    assert reports[0].attributes == {} and reports[0].features == []
    assert reports[0].notes == ["reader reports no vendor, version or serial attributes",
                                "reader reports no PC/SC part 10 features"]
    text = format_report(reports)
    assert "reader: Virtual PCD 00 00" in text and "  TCK 15: correct" in text and "  card: none" in text
