"""The issuer's chip side of the host simulator (terminal/hostsim/issuer_emv.py): ARQC check and the ARPC
answer. Expected ARPC: recomputed here step by step from Book 2 A1.4.1, A1.3.1 and 8.2.1 with the primitives
that test_crypto.py checks against published vectors."""
import pytest

from drivers.emvspec import crypto
from drivers.emvspec.ber_tlv import encode, parse
from drivers.emvspec.errors import EmvError
from terminal.hostsim.issuer_emv import IssuerKeyError, issuer_master_key, make_issuer_response, verify_arqc


@pytest.fixture
def arqc_sale(emv_sale):
    return emv_sale("visa", host=None).first     # stops before the host: only the 0200's field 55 matters


def test_verify_arqc(arqc_sale):
    assert verify_arqc(arqc_sale.field55_request, arqc_sale.pan, arqc_sale.psn)


def test_tampered_amount_fails(arqc_sale):
    objs = parse(arqc_sale.field55_request)
    blob = b"".join(encode(o.tag, bytes.fromhex("000000099999") if o.tag == 0x9F02 else o.value) for o in objs)
    assert not verify_arqc(blob, arqc_sale.pan, arqc_sale.psn)


def test_unknown_pan_and_garbage_are_false():
    assert not verify_arqc(b"\x9f\x26\x08" + bytes(8) + b"\x9f\x36\x02\x00\x01", "4111111111111111", "000")
    assert not verify_arqc(b"\x9f\x26\xff", "4761739001010010", "001")
    with pytest.raises(IssuerKeyError):
        issuer_master_key("4111111111111111")


def test_issuer_response_arpc(arqc_sale):
    values = {o.tag: o.value for o in parse(arqc_sale.field55_request)}
    sk = crypto.derive_session_key(
        crypto.derive_icc_master_key(issuer_master_key(arqc_sale.pan), arqc_sale.pan, "01"),
        values[0x9F36] + bytes(6))
    for approve, arc in ((True, b"00"), (False, b"05")):
        (tag91,) = parse(make_issuer_response(arqc_sale.field55_request, arqc_sale.pan, arqc_sale.psn, approve))
        assert tag91.tag == 0x91
        assert tag91.value == crypto.tdes_encrypt(sk, bytes(a ^ b for a, b in zip(values[0x9F26], arc + bytes(6)))) + arc


def test_issuer_response_scripts(arqc_sale):
    blob = make_issuer_response(arqc_sale.field55_request, arqc_sale.pan, arqc_sale.psn, True,
                                scripts_before=[bytes.fromhex("8424000000")], scripts_after=[bytes.fromhex("841E000000")])
    assert [o.tag for o in parse(blob)] == [0x91, 0x71, 0x72]
    assert [c.tag for c in parse(blob)[1].children()] == [0x9F18, 0x86]


def test_issuer_response_without_cryptogram():
    with pytest.raises(EmvError, match="9F26"):
        make_issuer_response(b"\x9f\x36\x02\x00\x01", "4761739001010010", "001", True)
