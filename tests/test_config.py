"""TOML parameters: every missing or malformed key named in one line."""
from __future__ import annotations

import pytest

from terminal.config import ConfigError, load

GOOD = '''
[terminal]
id = "TERM0001"
merchant_id = "MERCHANT0000001"
currency = "156"
country = "156"
[host]
address = "127.0.0.1:5000"
timeout_s = 30
connect_timeout_s = 10
[keys]
mac_key = "00112233445566778899AABBCCDDEEFF"
[limits]
floor_limit = 0
max_amount = 100000000
'''


def write(tmp_path, text):
    p = tmp_path / "c.toml"
    p.write_text(text)
    p.chmod(0o600)   # it holds [keys]
    return p


def test_good_config_loads(tmp_path):
    cfg = load(write(tmp_path, GOOD))
    assert cfg.terminal.id == "TERM0001" and cfg.host.timeout_s == 30 and cfg.keys.mac_key[:2] == b"\x00\x11"


@pytest.mark.parametrize("old, new, fault", [
    ('id = "TERM0001"\n', "", "[terminal] id is missing"),
    ('mac_key = "00112233445566778899AABBCCDDEEFF"', 'mac_key = "0011"', "[keys] mac_key = (hidden): expected 16 bytes, got 2"),
    ('mac_key = "00112233445566778899AABBCCDDEEFF"', 'mac_key = "zz"', "expected 32 hex digits"),
    ('currency = "156"', 'currency = 156', "[terminal] currency = 156: expected a string of 3 digits"),
    ('timeout_s = 30', 'timeout_s = "30"', "[host] timeout_s = '30': expected a number from 1 to 300"),
    ('timeout_s = 30', 'timout_s = 30', "[host] timout_s is not a known key"),
    ('address = "127.0.0.1:5000"', 'address = "localhost"', "[host] address = 'localhost': host address"),
    ('max_amount = 100000000', 'max_amount = -1', "[limits] max_amount = -1: expected a whole number"),
    ('[limits]', '[limitz]', "unknown table [limitz]"),
    ('id = "TERM0001"', 'id = "TERMINAL01"', "[terminal] id = 'TERMINAL01': expected printable ASCII text of 1 to 8"),
])
def test_each_fault_is_named(tmp_path, old, new, fault):
    assert old in GOOD
    with pytest.raises(ConfigError) as e:
        load(write(tmp_path, GOOD.replace(old, new)))
    assert fault in str(e.value) and "c.toml" in str(e.value)


def test_not_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(write(tmp_path, "[terminal\n"))
    with pytest.raises(ConfigError, match="cannot read: No such file"):
        load(tmp_path / "nope.toml")


def test_key_never_echoed(tmp_path):
    with pytest.raises(ConfigError) as e:
        load(write(tmp_path, GOOD.replace('"00112233445566778899AABBCCDDEEFF"', '"00112233445566778899AABBCCDDEE"')))
    assert "00112233" not in str(e.value)


def test_addresses_primary_first_and_the_primary_is_the_address(tmp_path):
    cfg = load(write(tmp_path, GOOD.replace('address = "127.0.0.1:5000"',
                                            'addresses = ["127.0.0.1:5000", "127.0.0.1:5001"]')))
    assert cfg.host.all_addresses == ("127.0.0.1:5000", "127.0.0.1:5001") and cfg.host.address == "127.0.0.1:5000"
    assert load(write(tmp_path, GOOD)).host.all_addresses == ("127.0.0.1:5000",)   # one address stays valid


@pytest.mark.parametrize("addresses, fault", [
    ('address = "127.0.0.1:5000"\naddresses = ["127.0.0.1:5001"]', "[host] give address or addresses, not both"),
    ('addresses = []', "[host] addresses = []: expected a list of \"HOST:PORT\""),
    ('addresses = ["127.0.0.1:5000", "backup"]', "host address 'backup': expected HOST:PORT"),
    ('addresses = ["127.0.0.1:5000", "127.0.0.1:5000"]', "an address is listed twice"),
    ('', "[host] address is missing"),
])
def test_bad_addresses_are_named(tmp_path, addresses, fault):
    with pytest.raises(ConfigError) as e:
        load(write(tmp_path, GOOD.replace('address = "127.0.0.1:5000"', addresses)))
    assert fault in str(e.value)


def test_the_demo_keys_are_refused_when_any_address_is_remote(tmp_path):
    from terminal.config import refuse_demo_keys
    cfg = load(write(tmp_path, GOOD.replace('address = "127.0.0.1:5000"',
                                            'addresses = ["127.0.0.1:5000", "10.1.2.3:5000"]')))
    with pytest.raises(ConfigError, match="refused for host 10.1.2.3:5000"):
        refuse_demo_keys(cfg)
