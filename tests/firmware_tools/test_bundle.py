"""Signed bundles: what apply refuses (tamper, another key, another terminal, expired, downgrade, replay)."""
from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from firmware_tools.bundle import BundleError, Installed, build, keygen, verify


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
        store.apply(json.dumps(doc).encode(), pub, "TERM0001")
    _other_key, other_pub = keygen(tmp / "other")
    with pytest.raises(BundleError, match="signature does not verify"):
        store.apply(v2, other_pub.read_text(), "TERM0001")
    with pytest.raises(BundleError, match="for terminal TERM0002"):
        store.apply(build(tmp / "p.toml", key, 3, terminal_id="TERM0002"), pub, "TERM0001")
    with pytest.raises(BundleError, match="expired"):
        store.apply(build(tmp / "p.toml", key, 3, expires="2026-01-01"), pub, "TERM0001", today=dt.date(2026, 6, 1))
    with pytest.raises(BundleError, match="bundle format None"):
        store.apply(b"{}", pub, "TERM0001")
    assert store.state()["current"] is None   # nothing of the refused bundles was installed

    store.apply(v2, pub, "TERM0001")
    for old in (v1, v2):   # a downgrade, and a replay of the installed bundle
        with pytest.raises(BundleError, match="not above the installed version 2"):
            store.apply(old, pub, "TERM0001")
    store.apply(build(tmp / "p.toml", key, 3), pub, "TERM0001")
    assert store.rollback() == 2 and store.current() == json.loads(v2)
    with pytest.raises(BundleError, match="no previous"):
        store.rollback()
