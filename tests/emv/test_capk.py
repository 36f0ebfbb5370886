"""CA public keys (Book 2 11.2.2): checksum = SHA-1(RID || index || modulus || exponent)."""
import hashlib
import json

import pytest

from drivers.emulated.vcard.profile import KEYS_FILE
from terminal.emv import capk
from terminal.emv.errors import ConfigError


def test_scheme_test_keys_checksums_verify():
    keys = capk.scheme_test_keys()      # load_keys raises ConfigError on any checksum mismatch
    by_scheme = {}
    for key in keys:
        assert key.computed_checksum() == key.checksum
        by_scheme.setdefault(key.scheme, []).append(f"{key.index:02X}")
    assert by_scheme == {"Visa": ["92", "94", "95", "99"], "Mastercard": ["EF", "F1", "F3", "FA"],
                         "American Express": ["C8", "CA"], "UnionPay": ["08", "0A"]}


def test_known_published_checksum_visa_92():
    key = capk.default_test_store().get(bytes.fromhex("A000000003"), 0x92)
    assert key.checksum.hex().upper() == "429C954A3859CEF91295F663C963E582ED6EB253"
    assert len(key.modulus) * 8 == 1408


def test_posterm_test_ca_matches_the_virtual_cards_private_keys():
    private = json.loads(KEYS_FILE.read_text())["ca"]
    for key in capk.posterm_test_keys():
        entry = private[key.rid.hex().upper()]
        assert key.modulus.hex().upper() == entry["modulus"]
        n, d, e = (int(entry[k], 16) for k in ("modulus", "private_exponent", "exponent"))
        assert pow(pow(12345, d, n), e, n) == 12345


def test_bad_checksum_is_refused(tmp_path):
    doc = json.loads((capk.DATA_DIR / "scheme_test_capk.json").read_text())
    doc["keys"][0]["modulus"] = doc["keys"][0]["modulus"][:-2] + "00"
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match="A000000003/92: checksum does not match"):
        capk.load_keys(path)


def test_unreadable_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read CA keys"):
        capk.load_keys(tmp_path / "missing.json")


PRODUCTION = {
    # (scheme, RID, index): (modulus bits, expiry, the checksum the scheme publishes)
    ("Visa", "A000000003", "08"): (1408, "2024-12-31", "20D213126955DE205ADC2FD2822BD22DE21CF9A8"),
    ("Visa", "A000000003", "09"): (1984, "2028-12-31", "1FF80A40173F52D7D27E0F26A146A1C8CCB29046"),
    ("Mastercard", "A000000004", "05"): (1408, "2024-12-31", "EBFA0D5D06D8CE702DA3EAE890701D45E274C845"),
    ("Mastercard", "A000000004", "06"): (1984, "2028-12-31", "F910A1504D5FFB793D94F3B500765E1ABCAD72D9"),
    ("American Express", "A000000025", "0E"): (1152, "2017-12-31", None),
    ("American Express", "A000000025", "0F"): (1408, "2024-12-31", "A73472B3AB557493A9BC2179CC8014053B12BAB4"),
    ("American Express", "A000000025", "10"): (1984, "2029-12-31", "C729CF2FD262394ABC4CC173506502446AA9B9FD"),
    ("Discover/Diners", "A000000152", "04"): (1408, "2024-12-31", "17F971CAF6B708E5B9165331FBA91593D0C0BF66"),
    ("Discover/Diners", "A000000152", "05"): (1984, "2026-12-31", "12BCD407B6E627A750FDF629EE8C2C9CC7BA636A"),
    ("JCB", "A000000065", "11"): (1408, "2024-12-31", None),
    ("JCB", "A000000065", "12"): (1408, "2024-12-31", "874B379B7F607DC1CAF87A19E400B6A9E25163E8"),
    ("JCB", "A000000065", "14"): (1984, "2026-12-31", "C0D15F6CD957E491DB56DCDD1CA87A03EBE06B7B"),
    ("UnionPay", "A000000333", "02"): (1152, "2022-06-01", "03BB335A8549A03B87AB089D006F60852E4B8060"),
    ("UnionPay", "A000000333", "03"): (1408, "2024-12-31", "87F0CD7C0E86F38F89A66F8C47071A8B88586F26"),
    ("UnionPay", "A000000333", "04"): (1984, "2031-12-31", "F527081CF371DD7E1FD4FA414A665036E0F5E6E5"),
}


def test_every_production_key_passes_its_own_checksum():
    """SHA-1(RID || index || modulus || exponent) computed here, key by key, against the checksum the scheme
    publishes (written out above for the keys whose checksum we have seen in more than one public list): one
    wrong hex digit in a 248-byte modulus fails this test."""
    keys = capk.production_keys()                 # load_keys also refuses the file on any mismatch
    seen = {}
    for key in keys:
        rid, index = key.rid.hex().upper(), f"{key.index:02X}"
        digest = hashlib.sha1(key.rid + bytes([key.index]) + key.modulus + key.exponent).hexdigest().upper()
        assert digest == key.checksum.hex().upper(), (rid, index)
        assert key.exponent in (b"\x03", b"\x01\x00\x01") and key.modulus[0] & 0x80, (rid, index)
        assert key.origin, (rid, index)
        seen[(key.scheme, rid, index)] = (len(key.modulus) * 8, str(key.expiry), digest)
    assert set(seen) == set(PRODUCTION)
    for name, (bits, expiry, published) in PRODUCTION.items():
        assert seen[name][:2] == (bits, expiry), name
        assert published is None or seen[name][2] == published, name


def test_a_transcription_error_in_a_production_key_is_refused(tmp_path):
    doc = json.loads(capk.PRODUCTION_FILE.read_text())
    jcb = next(k for k in doc["keys"] if k["rid"] == "A000000065" and k["index"] == "14")
    digit = jcb["modulus"][100]
    jcb["modulus"] = jcb["modulus"][:100] + ("0" if digit != "0" else "1") + jcb["modulus"][101:]
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match="A000000065/14: checksum does not match"):
        capk.load_keys(path)


def test_production_keys_stay_apart_from_test_keys():
    production = capk.store_for("production")
    test_keys = {(k.rid, k.index) for k in [*capk.scheme_test_keys(), *capk.posterm_test_keys()]}
    assert not test_keys & {(k.rid, k.index) for k in production.keys()}
    assert production.get(bytes.fromhex("A000000003"), 0x92) is None          # no test key in production
    assert capk.store_for("test").get(bytes.fromhex("A000000003"), 0x09) is None
    both = capk.store_for("both")
    assert both.get(bytes.fromhex("A000000003"), 0x09) and both.get(bytes.fromhex("A000000003"), 0x92)


def test_expired_keys_are_not_given_out():
    from datetime import date
    store = capk.store_for("production")
    visa = bytes.fromhex("A000000003")
    assert store.get(visa, 0x08, date(2024, 12, 31)) is not None
    assert store.get(visa, 0x08, date(2025, 1, 1)) is None and store.find(visa, 0x08) is not None
    assert store.get(visa, 0x09, date(2026, 12, 1)) is not None


def test_extra_key_file_is_checksum_verified(tmp_path):
    entry = {"scheme": "Lab", "rid": "A000000999", "index": "01", "exponent": "03", "modulus": "C1" * 64}
    import hashlib
    entry["checksum"] = hashlib.sha1(bytes.fromhex("A00000099901" + "C1" * 64 + "03")).hexdigest()
    good = tmp_path / "lab.json"
    good.write_text(json.dumps({"keys": [entry]}))
    assert capk.store_for("production", good).get(bytes.fromhex("A000000999"), 1) is not None
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"keys": [dict(entry, checksum="00" * 20)]}))
    with pytest.raises(ConfigError, match="checksum does not match"):
        capk.store_for("both", bad)
    with pytest.raises(ConfigError, match="expected one of"):
        capk.store_for("live")


def test_emv_table_chooses_the_store(tmp_path):
    from terminal.config import Config, parse
    from terminal.txn.emv_params import ca_key_set, emv_config
    tables = {"terminal": {"id": "TERM0001", "merchant_id": "MERCHANT0000001", "currency": "978"},
              "host": {"address": "acquirer.example:5000"}, "keys": {"mac_key": "A1" * 16}}
    assert ca_key_set(parse(tables, "t.toml")) == "production"          # a real host: production by default
    assert ca_key_set(Config()) == "test"                                 # the demo
    assert ca_key_set(parse(dict(tables, emv={"ca_keys": "both"}), "t.toml")) == "both"
    cfg = emv_config(parse(tables, "t.toml"), contactless=False)
    assert cfg.ca_keys.get(bytes.fromhex("A000000003"), 0xE1) is None   # the emulated cards' test CA is not trusted
    from terminal.config import ConfigError as CfgError
    with pytest.raises(CfgError, match=r"\[emv\] ca_keys"):
        parse(dict(tables, emv={"ca_keys": "live"}), "t.toml")
