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
