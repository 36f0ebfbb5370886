"""CA public keys (Book 2 11.2.2): checksum = SHA-1(RID || index || modulus || exponent)."""
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


def test_production_keys_verify_and_stay_apart_from_test_keys():
    keys = capk.production_keys()                 # each published checksum verified at load
    assert {(k.scheme, f"{k.index:02X}", str(k.expiry)) for k in keys} == {
        ("Visa", "08", "2024-12-31"), ("Visa", "09", "2028-12-31"),
        ("Mastercard", "05", "2024-12-31"), ("Mastercard", "06", "2028-12-31")}
    visa09 = next(k for k in keys if k.index == 0x09)
    assert visa09.checksum.hex().upper() == "1FF80A40173F52D7D27E0F26A146A1C8CCB29046"
    production = capk.store_for("production")
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
