"""Offline data authentication (Book 2 sections 5 and 6). Certificates are signed by the virtual card's issuer
side (drivers/emulated/vcard/certificates.py) from the test keys; the expected recovered keys are the test key
file's own moduli, an independent source. Each tampering must fail with the check Book 2 names."""
import json
from datetime import date

import pytest

from drivers.emulated.vcard import certificates as sign
from drivers.emulated.vcard.profile import KEYS_FILE
from terminal.emv import capk, oda
from terminal.emv.errors import OdaError

KEYS = json.loads(KEYS_FILE.read_text())
CA = sign.KeyPair.from_json(KEYS["ca"]["A000000003"])
ISSUER = sign.KeyPair.from_json(KEYS["issuer"]["visa"])
ICC = sign.KeyPair.from_json(KEYS["icc"]["visa"])
CA_PUBLIC = capk.default_test_store().get(bytes.fromhex("A000000003"), 0xE1)
PAN = "4761739001010010"
TODAY = date(2025, 6, 1)
STATIC = b"static data to be authenticated"


def issuer_key():
    cert, rem = sign.issuer_certificate(CA, ISSUER, PAN[:6], "1235")
    return oda.issuer_public_key(cert, rem, ISSUER.exponent, CA_PUBLIC, PAN, TODAY), cert, rem


def test_issuer_key_recovered_with_remainder():
    key, cert, rem = issuer_key()
    # 1152-bit issuer key, 1408-bit CA key: Nca - 36 = 140 bytes inside the certificate, 4 in tag 92
    assert len(cert) == 176 and len(rem) == 144 - 140
    assert key.modulus == bytes.fromhex(KEYS["issuer"]["visa"]["modulus"])


def test_icc_key_recovered():
    issuer, _, _ = issuer_key()
    cert, rem = sign.icc_certificate(ISSUER, ICC, PAN, "1235", STATIC)
    key = oda.icc_public_key(cert, rem, ICC.exponent, issuer, PAN, STATIC, TODAY)
    assert key.modulus == bytes.fromhex(KEYS["icc"]["visa"]["modulus"])


def test_icc_certificate_over_other_static_data_fails_hash():
    issuer, _, _ = issuer_key()
    cert, rem = sign.icc_certificate(ISSUER, ICC, PAN, "1235", STATIC)
    with pytest.raises(OdaError, match="ICC public key certificate: hash result does not match"):
        oda.icc_public_key(cert, rem, ICC.exponent, issuer, PAN, STATIC + b"!", TODAY)


def test_icc_certificate_for_other_pan_fails():
    issuer, _, _ = issuer_key()
    cert, rem = sign.icc_certificate(ISSUER, ICC, "4761739001010028", "1235", STATIC)
    with pytest.raises(OdaError, match="PAN does not match"):
        oda.icc_public_key(cert, rem, ICC.exponent, issuer, PAN, STATIC, TODAY)


def test_expired_issuer_certificate():
    cert, rem = sign.issuer_certificate(CA, ISSUER, PAN[:6], "0524")   # May 2024
    with pytest.raises(OdaError, match="certificate expired"):
        oda.issuer_public_key(cert, rem, ISSUER.exponent, CA_PUBLIC, PAN, TODAY)


def test_issuer_id_must_match_pan():
    cert, rem = sign.issuer_certificate(CA, ISSUER, "541333", "1235")
    with pytest.raises(OdaError, match="issuer identifier"):
        oda.issuer_public_key(cert, rem, ISSUER.exponent, CA_PUBLIC, PAN, TODAY)


def test_wrong_ca_key_gives_bad_trailer_or_header():
    cert, rem = sign.issuer_certificate(CA, ISSUER, PAN[:6], "1235")
    other = capk.default_test_store().get(bytes.fromhex("A000000004"), 0xE1)
    with pytest.raises(OdaError, match="trailer|header"):
        oda.issuer_public_key(cert, rem, ISSUER.exponent, other, PAN, TODAY)


def test_certificate_of_wrong_length():
    with pytest.raises(OdaError, match="175 bytes, the key modulus has 176"):
        oda.recover(bytes(175), CA_PUBLIC, "issuer public key certificate")


def test_sda_returns_data_authentication_code():
    issuer, _, _ = issuer_key()
    ssad = sign.signed_static_data(ISSUER, b"\xda\xc1", STATIC)
    assert oda.verify_sda(ssad, issuer, STATIC) == b"\xda\xc1"
    with pytest.raises(OdaError, match="signed static application data: hash"):
        oda.verify_sda(ssad, issuer, STATIC[:-1])


def test_dda_signature():
    icc = oda.PublicKey(ICC.modulus, ICC.exponent)
    dynamic = b"\x08" + bytes(range(8))
    sdad = sign.signed_dynamic_data(ICC, dynamic, b"\x11\x22\x33\x44")
    assert oda.verify_dynamic_signature(sdad, icc, b"\x11\x22\x33\x44") == dynamic
    with pytest.raises(OdaError, match="signed dynamic application data: hash"):
        oda.verify_dynamic_signature(sdad, icc, b"\x11\x22\x33\x45")


def test_cda_checks_cid_and_transaction_hash():
    import hashlib
    icc = oda.PublicKey(ICC.modulus, ICC.exponent)
    tx = b"pdol+cdol1+response objects"
    dynamic = b"\x02\xab\xcd" + b"\x80" + bytes(range(8)) + hashlib.sha1(tx).digest()
    sdad = sign.signed_dynamic_data(ICC, dynamic, b"\x01\x02\x03\x04")
    result = oda.verify_cda(sdad, icc, b"\x01\x02\x03\x04", 0x80, tx)
    assert (result.dynamic_number, result.cid, result.cryptogram) == (b"\xab\xcd", 0x80, bytes(range(8)))
    with pytest.raises(OdaError, match="signed CID 80 differs"):
        oda.verify_cda(sdad, icc, b"\x01\x02\x03\x04", 0x40, tx)
    with pytest.raises(OdaError, match="transaction data hash code"):
        oda.verify_cda(sdad, icc, b"\x01\x02\x03\x04", 0x80, tx + b"x")
