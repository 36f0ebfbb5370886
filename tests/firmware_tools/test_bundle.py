"""Signed bundles: what apply refuses (tamper, another key, another terminal, expired, downgrade, replay)."""
from __future__ import annotations

import base64
import datetime as dt
import json
import re

import pytest

from firmware_tools.bundle import BundleError, Installed, build, keygen, verify
from terminal.config import Config

BASE = Config()   # the config file's parameters a bundle installs over


@pytest.fixture
def signer(tmp_path):
    (tmp_path / "p.toml").write_text('[limits]\nfloor_limit = 5000\n')
    private, public = keygen(tmp_path / "tms")
    return tmp_path, private, public.read_text().strip()


def test_refusals(signer):
    tmp, key, pub = signer
    store = Installed(tmp / "data")
    v1, v2 = build(tmp / "p.toml", key, 1), build(tmp / "p.toml", key, 2)
    assert verify(v2, pub)["params"] == {"limits": {"floor_limit": 5000}}

    doc = json.loads(v2)
    payload = json.loads(base64.b64decode(doc["payload"]))
    payload["params"]["limits"]["floor_limit"] = 999999
    doc["payload"] = base64.b64encode(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).decode()
    with pytest.raises(BundleError, match="tampered"):
        store.apply(json.dumps(doc).encode(), pub, BASE, batch_open=False)
    _other_key, other_pub = keygen(tmp / "other")
    with pytest.raises(BundleError, match="signature does not verify"):
        store.apply(v2, other_pub.read_text(), BASE, batch_open=False)
    with pytest.raises(BundleError, match="for terminal TERM0002"):
        store.apply(build(tmp / "p.toml", key, 3, terminal_id="TERM0002"), pub, BASE, batch_open=False)
    with pytest.raises(BundleError, match="expired"):
        store.apply(build(tmp / "p.toml", key, 3, expires="2026-01-01"), pub, BASE, batch_open=False,
                    today=dt.date(2026, 6, 1))
    with pytest.raises(BundleError, match="bundle format None"):
        store.apply(b"{}", pub, BASE, batch_open=False)
    assert store.state()["current"] is None   # nothing of the refused bundles was installed

    store.apply(v2, pub, BASE, batch_open=False)
    for old in (v1, v2):   # a downgrade, and a replay of the installed bundle
        with pytest.raises(BundleError, match="not above the installed version 2"):
            store.apply(old, pub, BASE, batch_open=False)
    store.apply(build(tmp / "p.toml", key, 3), pub, BASE, batch_open=False)
    assert store.rollback(BASE, batch_open=False) == 2 and store.current() == json.loads(v2)
    with pytest.raises(BundleError, match="no previous"):
        store.rollback(BASE, batch_open=False)


@pytest.mark.parametrize("params, why", [
    ("[receipt]\nheader = 'x'\n", "[receipt] is not something a bundle can set"),
    ("[terminal]\ncurrency = '84'\n", "[terminal] currency = '84': expected a string of 3 digits"),
    ("[emv]\nextra_ca_keys = 'x.json'\n", "[emv] extra_ca_keys is not a key a bundle can set"),
    ("[[aid]]\nlabel = 'X'\n", "[[aid]] number 1: aid is missing"),
    ("[[aid]]\naid = 'A0000000031010'\ntac_online = '00'\n", "tac_online = '00': expected 5 bytes, got 1"),
    ("[[aid]]\naid = 'A0000000031010'\ncolour = 'red'\n", "[[aid]] number 1: colour is not a known key"),
    ("[[aid]]\naid = 'A0000000031010'\nissuer_update = 1\n", "issuer_update = 1: expected true or false"),
    ("[[ca_key]]\nrid = 'A000000999'\nindex = '01'\nmodulus = 'C1C1'\nexponent = '03'\nchecksum = '00'\n",
     "A000000999/01: checksum does not match"),
    ("[limits]\nfloor_limit = 9\nmax_amount = 8\n", "floor_limit is above max_amount"),
])
def test_build_refuses_what_a_terminal_could_not_run_on(signer, params, why):
    tmp, key, _pub = signer
    (tmp / "bad.toml").write_text(params)
    with pytest.raises(BundleError, match=re.escape(why)):
        build(tmp / "bad.toml", key, 1)


def test_effective_config_takes_the_bundles_aids_with_the_limits_floor(signer):
    from firmware_tools.bundle_params import effective
    tmp, key, pub = signer
    (tmp / "aids.toml").write_text("[limits]\nfloor_limit = 4000\n[[aid]]\naid = 'A0000000041010'\n"
                                   "app_version = '0002'\n[[aid]]\naid = 'A0000000031010'\nfloor_limit = 100\n"
                                   "issuer_update = true\n")
    cfg = effective(BASE, verify(build(tmp / "aids.toml", key, 7), pub), b"")
    assert [(a.aid.hex().upper(), a.floor_limit) for a in cfg.bundle.aids] == [
        ("A0000000041010", 4000), ("A0000000031010", 100)]
    assert [a.issuer_update for a in cfg.bundle.aids] == [False, True]     # Book C-3 second tap, per AID
    assert cfg.limits.floor_limit == 4000 and cfg.bundle.version == 7 and cfg.keys == BASE.keys
