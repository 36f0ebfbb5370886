"""The issuer's chip side for the host simulator: check the ARQC in a 0200's field 55 and answer with tag 91
(ARPC + ARC, EMV Book 2 8.2.1 method 1) and optional issuer scripts (71/72), for the 0210's field 55.

Keys: the same per-card derivation as the virtual cards (drivers.emvspec.crypto: option A master key, common
session key on the ATC), with each test issuer master key (IMK-AC) looked up by PAN in the card profiles' test
data. TEST KEYS ONLY: a real issuer keeps its IMKs in an HSM."""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable

from drivers.emvspec import crypto
from drivers.emvspec.ber_tlv import encode, parse
from drivers.emvspec.errors import EmvError, TlvError

ARC_APPROVED, ARC_DECLINED = b"00", b"05"


class IssuerKeyError(EmvError):
    """No issuer master key for this PAN (not one of the test cards)."""


@lru_cache(maxsize=1)
def _profile_keys() -> dict[str, bytes]:
    from drivers.emulated.vcard import card_image, profile_names  # test data lives with the virtual cards
    return {card_image(n).pan: card_image(n).imk_ac for n in profile_names()}


def issuer_master_key(pan: str) -> bytes:
    key = _profile_keys().get(pan)
    if key is None:
        raise IssuerKeyError(f"no issuer master key for PAN {pan[:6]}...{pan[-4:]}")
    return key


def _values(field55: bytes) -> dict[int, bytes]:
    return {obj.tag: obj.value for obj in parse(field55)}


def _session_key(values: dict[int, bytes], pan: str, psn: str) -> bytes:
    atc = values.get(0x9F36)
    if atc is None or len(atc) != 2:
        raise EmvError("field 55: ATC (9F36) missing")
    return crypto.ac_session_key(issuer_master_key(pan), pan, _psn_digits(psn), atc)


def _psn_digits(psn: str) -> str:
    """Field 23 is n3 ('001'); the key derivation uses the two digits of tag 5F34."""
    return (psn or "00")[-2:].rjust(2, "0")


def verify_arqc(field55: bytes, pan: str, psn: str) -> bool:
    """True when 9F26 in field 55 is the card's cryptogram over the field's own data (Book 2 8.1.1 data set).
    False for a wrong cryptogram, a PAN without test key, or a malformed field 55."""
    try:
        values = _values(field55)
        arqc = values.get(0x9F26)
        if arqc is None:
            return False
        return crypto.retail_mac(_session_key(values, pan, psn), crypto.ac_input(values)) == arqc
    except (EmvError, TlvError, ValueError):
        return False


def make_issuer_response(field55: bytes, pan: str, psn: str, approve: bool,
                         scripts_before: Iterable[bytes] = (), scripts_after: Iterable[bytes] = (),
                         script_id: bytes = b"\x00\x00\x00\x01") -> bytes:
    """Field 55 of the 0210: 91 = ARPC || ARC ('00' approve, '05' decline), then script templates 71 (run before
    the second GENERATE AC) and 72 (after), each command a raw APDU. Raises EmvError when field 55 has no
    ARQC/ATC or the PAN has no test key."""
    values = _values(field55)
    arqc = values.get(0x9F26)
    if arqc is None or len(arqc) != 8:
        raise EmvError("field 55: Application Cryptogram (9F26) missing")
    arc = ARC_APPROVED if approve else ARC_DECLINED
    out = encode(0x91, crypto.arpc_method1(_session_key(values, pan, psn), arqc, arc) + arc)
    for tag, commands in ((0x71, list(scripts_before)), (0x72, list(scripts_after))):
        if commands:
            out += encode(tag, encode(0x9F18, script_id) + b"".join(encode(0x86, c) for c in commands))
    return out


# Issuer scripts a host rule can ask for (terminal/hostsim/rules.py `script=NAME`): (template, command header)
SCRIPTS = {"block": (0x72, bytes.fromhex("841E0000")),        # APPLICATION BLOCK, after the final cryptogram
           "pin_unblock": (0x71, bytes.fromhex("84240000"))}  # PIN CHANGE/UNBLOCK: reset the PIN try counter


def script_command(field55: bytes, pan: str, psn: str, header: bytes, data: bytes = b"") -> bytes:
    """One issuer script command with its MAC (drivers.emvspec.crypto.script_mac) over the header, the ATC and
    ARQC of the 0200's field 55, and the data."""
    values = _values(field55)
    full = header + bytes([len(data) + 4])
    mac = crypto.script_mac(_session_key(values, pan, psn), full, values[0x9F36], values.get(0x9F26, b""), data)
    return full + data + mac


def named_scripts(field55: bytes, pan: str, psn: str, names) -> tuple[list[bytes], list[bytes]]:
    """The commands of the named scripts, split into templates 71 and 72."""
    before: list[bytes] = []
    after: list[bytes] = []
    for name in names:
        template, header = SCRIPTS[name]
        (before if template == 0x71 else after).append(script_command(field55, pan, psn, header))
    return before, after
