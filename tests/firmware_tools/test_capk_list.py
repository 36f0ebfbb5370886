"""`posterm fw capk list`: what the terminal trusts, with each checksum re-checked and each expiry judged (a real
`posterm` process)."""
from __future__ import annotations

import hashlib
import json


def _config(tmp_path, **emv: str) -> str:
    cfg = tmp_path / "t.toml"
    emv_table = "".join(f'{k} = "{v}"\n' for k, v in emv.items())
    cfg.write_text('[terminal]\nid = "TERM0001"\nmerchant_id = "MERCHANT0000001"\ncurrency = "978"\n'
                   '[host]\naddress = "acquirer.example:5000"\n[keys]\nmac_key = "' + "A1" * 16 + '"\n'
                   + (f"[emv]\n{emv_table}" if emv_table else ""))
    cfg.chmod(0o600)
    return str(cfg)


def _lab_key(index: str, checksum: str | None = None) -> dict:
    entry = {"scheme": "Lab", "rid": "A000000999", "index": index, "exponent": "03", "modulus": "C1" * 64,
             "expiry": "2030-12-31"}
    entry["checksum"] = checksum or hashlib.sha1(bytes.fromhex("A000000999" + index + "C1" * 64 + "03")).hexdigest()
    return entry


def test_production_by_default_for_a_real_host(posterm, tmp_path):
    r = posterm("--config", _config(tmp_path), "fw", "capk", "list", "--json")
    assert r.code == 0, r.err
    report = r.json
    assert report["ca_keys"] == "production" and report["errors"] == []
    rows = {(k["rid"], k["index"]): k for k in report["keys"]}
    assert {rid for rid, _ in rows} == {"A000000003", "A000000004", "A000000025", "A000000152", "A000000065",
                                         "A000000333"}
    assert all(k["checksum_ok"] and k["source"] == "production" for k in report["keys"])
    assert ("A000000003", "92") not in rows                     # no scheme test key in production
    assert rows[("A000000003", "09")]["bits"] == 1984 and rows[("A000000003", "09")]["expiry"] == "2028-12-31"
    assert rows[("A000000025", "0E")]["expired"] is True        # kept, so a card naming it reads 'expired'

    text = posterm("--config", _config(tmp_path), "fw", "capk", "list")
    assert text.code == 0
    line = next(ln for ln in text.out.splitlines() if ln.startswith("A000000025  0E"))
    assert "American Express" in line and "2017-12-31 (expired)" in line and " ok " in line


def test_an_extra_file_with_a_bad_checksum_is_shown_key_by_key_and_exits_1(posterm, tmp_path):
    extra = tmp_path / "lab.json"
    extra.write_text(json.dumps({"keys": [_lab_key("01"), _lab_key("02", checksum="00" * 20)]}))
    r = posterm("--config", _config(tmp_path, ca_keys="test", extra_ca_keys=str(extra)), "fw", "capk", "list",
                "--json")
    assert r.code == 1
    rows = {(k["rid"], k["index"]): k for k in r.json["keys"]}
    assert rows[("A000000999", "01")]["checksum_ok"] is True
    assert rows[("A000000999", "02")]["checksum_ok"] is False
    assert rows[("A000000999", "02")]["source"] == str(extra)
    assert rows[("A000000003", "92")]["source"] == "scheme test"
    assert rows[("A000000003", "E1")]["source"] == "posterm test"
    assert not any(k["source"] == "production" for k in r.json["keys"])

    text = posterm("--config", _config(tmp_path, ca_keys="test", extra_ca_keys=str(extra)), "fw", "capk", "list")
    assert text.code == 1
    assert any(ln.startswith("A000000999  02") and "MISMATCH" in ln for ln in text.out.splitlines())


def test_an_unreadable_extra_file_is_named(posterm, tmp_path):
    extra = tmp_path / "broken.json"
    extra.write_text("{not json")
    r = posterm("--config", _config(tmp_path, extra_ca_keys=str(extra)), "fw", "capk", "list")
    assert r.code == 1
    assert f"error: {extra}: cannot read CA keys" in r.out
