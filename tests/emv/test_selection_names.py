"""Kernel fixes found against recorded real cards: the application's name from its FCI when the directory
entry has none (Book 1 12.2.4, 12.4), the preferred name only in a code table the terminal supports, the
language preference (5F2D), and the application version number (9F09) of each AID's own scheme."""
from drivers.emvspec.ber_tlv import encode, parse
from terminal.emv.config import EmvTerminalData
from terminal.emv.selection import display_name, supported_code_tables


def test_amex_card_gets_amex_version_and_its_fci_name(emv_sale):
    result = emv_sale("amex", host=None, pin="1234")
    out = result.final
    # 9F09 0001 = the card's 9F08: TVR byte 2 b8 'different application versions' stays clear (Book 3 10.4.1);
    # byte 1 b8: no offline data authentication on this card
    assert out.tvr.hex().upper() == "8000008000"
    # the PSE entry carries no 50: the name comes from the FCI, 9F12 because 9F11 = 01 is supported (9F40)
    assert out.application_label == "AMEX CRÉDIT" and out.language_preference == "fren"
    assert EmvTerminalData().aid_config(bytes.fromhex("A00000002501")).app_version == b"\x00\x01"


def test_preferred_name_needs_a_supported_code_table():
    objs = parse(encode(0x50, b"LABEL") + encode(0x9F11, b"\x02") + encode(0x9F12, b"PREFERRED"))
    assert supported_code_tables(bytes.fromhex("6000F0A001")) == {1}
    assert display_name(objs, {1}) == "LABEL"            # table 2 not supported: the label
    assert display_name(objs, {1, 2}) == "PREFERRED"
    assert display_name([], {1}) == ""
