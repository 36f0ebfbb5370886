"""The tag dictionary (EMV Book 3 Annex A1): name and format of each data element the kernel reads or writes.
Spec as data: the DOL filler takes padding rules from `fmt`, field 55 takes its list from here, logs take names.

Formats: b (binary), n (BCD numeric, left-padded), cn (compressed numeric, right-padded with F), an, ans.
`sensitive` marks elements that must never be logged or sent in field 55 (host-interface.md)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TagInfo:
    name: str
    fmt: str
    sensitive: bool = False


# Lengths the kernel relies on (Book 3 Annex A): a card object outside them is refused with its name.
LENGTHS: dict[int, tuple[int, int]] = {
    0x5A: (1, 10), 0x5F24: (3, 3), 0x5F25: (3, 3), 0x5F28: (2, 2), 0x5F34: (1, 1), 0x82: (2, 2),
    0x8F: (1, 1), 0x9F07: (2, 2), 0x9F08: (2, 2), 0x9F0D: (5, 5), 0x9F0E: (5, 5), 0x9F0F: (5, 5),
    0x9F13: (2, 2), 0x9F14: (1, 1), 0x9F17: (1, 1), 0x9F23: (1, 1), 0x9F26: (8, 8), 0x9F27: (1, 1),
    0x9F36: (2, 2), 0x9F42: (2, 2), 0x9F4C: (2, 8), 0x57: (1, 19), 0x9F10: (0, 32), 0x8E: (8, 252),
}


def check_value(tag: int, value: bytes) -> str | None:
    """None when the value's length and format are acceptable (Book 3 Annex A, 4.3 data formats), else what is
    wrong: n is BCD digits only, cn is digits then F padding, tag 57 is digits, one D separator and F padding."""
    bounds = LENGTHS.get(tag)
    if bounds is not None and not bounds[0] <= len(value) <= bounds[1]:
        expected = str(bounds[0]) if bounds[0] == bounds[1] else f"{bounds[0]}-{bounds[1]}"
        return f"tag {name(tag)}: {len(value)} bytes, expected {expected}"
    fmt = info(tag).fmt
    digits = value.hex().upper()
    if fmt == "n" and tag in TAGS and not digits.isdigit() and digits:
        return f"tag {name(tag)}: not BCD digits"
    if fmt == "cn" and not digits.rstrip("F").isdigit() and digits:
        return f"tag {name(tag)}: not compressed numeric"
    if tag == 0x57:
        pan, sep, rest = digits.partition("D")
        if not (pan.isdigit() and sep and rest.rstrip("F").isdigit()):
            return f"tag {name(tag)}: not PAN 'D' expiry/service code digits"
    return None


TAGS: dict[int, TagInfo] = {
    0x42: TagInfo("Issuer Identification Number", "n"),
    0x4F: TagInfo("Application Identifier (ADF Name)", "b"),
    0x50: TagInfo("Application Label", "ans"),
    0x56: TagInfo("Track 1 Data", "ans", sensitive=True),
    0x57: TagInfo("Track 2 Equivalent Data", "b", sensitive=True),
    0x5A: TagInfo("Application PAN", "cn", sensitive=True),
    0x5F20: TagInfo("Cardholder Name", "ans", sensitive=True),
    0x5F24: TagInfo("Application Expiration Date", "n", sensitive=True),
    0x5F25: TagInfo("Application Effective Date", "n"),
    0x5F28: TagInfo("Issuer Country Code", "n"),
    0x5F2A: TagInfo("Transaction Currency Code", "n"),
    0x5F2D: TagInfo("Language Preference", "an"),
    0x5F30: TagInfo("Service Code", "n"),
    0x5F34: TagInfo("PAN Sequence Number", "n"),
    0x5F36: TagInfo("Transaction Currency Exponent", "n"),
    0x61: TagInfo("Application Template", "b"),
    0x6F: TagInfo("FCI Template", "b"),
    0x70: TagInfo("READ RECORD Response Message Template", "b"),
    0x71: TagInfo("Issuer Script Template 1", "b"),
    0x72: TagInfo("Issuer Script Template 2", "b"),
    0x77: TagInfo("Response Message Template Format 2", "b"),
    0x80: TagInfo("Response Message Template Format 1", "b"),
    0x82: TagInfo("Application Interchange Profile", "b"),
    0x84: TagInfo("Dedicated File (DF) Name", "b"),
    0x86: TagInfo("Issuer Script Command", "b"),
    0x87: TagInfo("Application Priority Indicator", "b"),
    0x88: TagInfo("Short File Identifier (SFI)", "b"),
    0x89: TagInfo("Authorisation Code", "an"),
    0x8A: TagInfo("Authorisation Response Code", "an"),
    0x8C: TagInfo("CDOL1", "b"),
    0x8D: TagInfo("CDOL2", "b"),
    0x8E: TagInfo("CVM List", "b"),
    0x8F: TagInfo("Certification Authority Public Key Index", "b"),
    0x90: TagInfo("Issuer Public Key Certificate", "b"),
    0x91: TagInfo("Issuer Authentication Data", "b"),
    0x92: TagInfo("Issuer Public Key Remainder", "b"),
    0x93: TagInfo("Signed Static Application Data", "b"),
    0x94: TagInfo("Application File Locator", "b"),
    0x95: TagInfo("Terminal Verification Results", "b"),
    0x97: TagInfo("TDOL", "b"),
    0x99: TagInfo("Transaction PIN Data", "b", sensitive=True),
    0x9A: TagInfo("Transaction Date", "n"),
    0x9B: TagInfo("Transaction Status Information", "b"),
    0x9C: TagInfo("Transaction Type", "n"),
    0x9D: TagInfo("Directory Definition File Name", "b"),
    0x9F01: TagInfo("Acquirer Identifier", "n"),
    0x9F02: TagInfo("Amount, Authorised (Numeric)", "n"),
    0x9F03: TagInfo("Amount, Other (Numeric)", "n"),
    0x9F06: TagInfo("Application Identifier (AID) - terminal", "b"),
    0x9F07: TagInfo("Application Usage Control", "b"),
    0x9F08: TagInfo("Application Version Number (card)", "b"),
    0x9F09: TagInfo("Application Version Number (terminal)", "b"),
    0x9F0B: TagInfo("Cardholder Name Extended", "ans", sensitive=True),
    0x9F0D: TagInfo("Issuer Action Code - Default", "b"),
    0x9F0E: TagInfo("Issuer Action Code - Denial", "b"),
    0x9F0F: TagInfo("Issuer Action Code - Online", "b"),
    0x9F10: TagInfo("Issuer Application Data", "b"),
    0x9F11: TagInfo("Issuer Code Table Index", "n"),
    0x9F12: TagInfo("Application Preferred Name", "ans"),
    0x9F13: TagInfo("Last Online ATC Register", "b"),
    0x9F14: TagInfo("Lower Consecutive Offline Limit", "b"),
    0x9F15: TagInfo("Merchant Category Code", "n"),
    0x9F17: TagInfo("PIN Try Counter", "b"),
    0x9F1A: TagInfo("Terminal Country Code", "n"),
    0x9F1B: TagInfo("Terminal Floor Limit", "b"),
    0x9F1E: TagInfo("Interface Device Serial Number", "an"),
    0x9F1F: TagInfo("Track 1 Discretionary Data", "ans", sensitive=True),
    0x9F20: TagInfo("Track 2 Discretionary Data", "cn", sensitive=True),
    0x9F21: TagInfo("Transaction Time", "n"),
    0x9F23: TagInfo("Upper Consecutive Offline Limit", "b"),
    0x9F26: TagInfo("Application Cryptogram", "b"),
    0x9F27: TagInfo("Cryptogram Information Data", "b"),
    0x9F2D: TagInfo("ICC PIN Encipherment Public Key Certificate", "b"),
    0x9F2E: TagInfo("ICC PIN Encipherment Public Key Exponent", "b"),
    0x9F2F: TagInfo("ICC PIN Encipherment Public Key Remainder", "b"),
    0x9F32: TagInfo("Issuer Public Key Exponent", "b"),
    0x9F33: TagInfo("Terminal Capabilities", "b"),
    0x9F34: TagInfo("CVM Results", "b"),
    0x9F35: TagInfo("Terminal Type", "n"),
    0x9F36: TagInfo("Application Transaction Counter", "b"),
    0x9F37: TagInfo("Unpredictable Number", "b"),
    0x9F38: TagInfo("PDOL", "b"),
    0x9F39: TagInfo("POS Entry Mode", "n"),
    0x9F40: TagInfo("Additional Terminal Capabilities", "b"),
    0x9F41: TagInfo("Transaction Sequence Counter", "n"),
    0x9F42: TagInfo("Application Currency Code", "n"),
    0x9F44: TagInfo("Application Currency Exponent", "n"),
    0x9F45: TagInfo("Data Authentication Code", "b"),
    0x9F46: TagInfo("ICC Public Key Certificate", "b"),
    0x9F47: TagInfo("ICC Public Key Exponent", "b"),
    0x9F48: TagInfo("ICC Public Key Remainder", "b"),
    0x9F49: TagInfo("DDOL", "b"),
    0x9F4A: TagInfo("Static Data Authentication Tag List", "b"),
    0x9F4B: TagInfo("Signed Dynamic Application Data", "b"),
    0x9F4C: TagInfo("ICC Dynamic Number", "b"),
    0x9F4E: TagInfo("Merchant Name and Location", "ans"),
    0x9F5B: TagInfo("Issuer Script Results", "b"),
    0x9F66: TagInfo("Terminal Transaction Qualifiers", "b"),
    0x9F69: TagInfo("Card Authentication Related Data", "b"),
    0x9F6C: TagInfo("Card Transaction Qualifiers", "b"),
    0x9F29: TagInfo("Extended Selection", "b"),
    0x9F2A: TagInfo("Kernel Identifier", "b"),
    0x9F6E: TagInfo("Form Factor Indicator / Third Party Data", "b"),
    0xA5: TagInfo("FCI Proprietary Template", "b"),
    0xBF0C: TagInfo("FCI Issuer Discretionary Data", "b"),
}

# Never in field 55 (shared/host-interface.md), never in a log.
FORBIDDEN_IN_FIELD55 = frozenset({0x56, 0x57, 0x5A, 0x5F20, 0x5F24, 0x99, 0x9F0B, 0x9F1F, 0x9F20})


def info(tag: int) -> TagInfo:
    return TAGS.get(tag, TagInfo(f"unknown tag {tag:X}", "b"))


def fmt(tag: int) -> str:
    """The tag's format, for the DOL filler (drivers.emvspec.dol.build_dol_data)."""
    return info(tag).fmt


def name(tag: int) -> str:
    return f"{tag:02X} ({info(tag).name})"
