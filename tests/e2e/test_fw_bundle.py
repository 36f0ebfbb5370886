"""Signed parameter bundles end to end, with real `posterm` processes, the host simulator on a real socket and
real SIGKILLs: sales run on the installed bundle (AIDs, floor limits, CA keys, host, MAC key as a TR-31 block,
currency, terminal id), a change of the batch's identity waits for `posterm settle`, and apply and the promotion
after settlement are all or nothing across a SIGKILL at each step."""
from __future__ import annotations

import itertools
import json
import signal
from pathlib import Path

import pytest

from firmware_tools.bundle_keys import wrap_for_tests
from terminal.emv.capk import POSTERM_TEST_FILE
from terminal.hostsim.server import start
from terminal.iso8583 import decode
from tests.fixtures.host import MAC_KEY, host_address, terminal_config

KBPK = bytes.fromhex("8F" * 16)
BUNDLE_MAC_KEY = bytes.fromhex("5C" * 16)
STEPS = ("after_bundle_write", "before_state_rename", "after_state_rename")


def _with_kbpk(cfg: str, *extra: str) -> str:
    path = Path(cfg)
    path.write_text(path.read_text().replace("[keys]\n", f'[keys]\nkbpk = "{KBPK.hex().upper()}"\n') + "".join(extra))
    return cfg


class Tms:
    """A terminal management system: signs PARAMS.toml into numbered bundles."""

    def __init__(self, posterm, tmp_path: Path) -> None:
        self.posterm, self.dir = posterm, tmp_path
        assert posterm("fw", "bundle", "keygen", str(tmp_path / "tms")).code == 0
        self.pub = str(tmp_path / "tms.pub")

    def bundle(self, version: int, params: str) -> str:
        (self.dir / f"p{version}.toml").write_text(params)
        out = str(self.dir / f"b{version}")
        r = self.posterm("fw", "bundle", "build", str(self.dir / f"p{version}.toml"), "--sign-key",
                         str(self.dir / "tms.key"), "--version", str(version), "-o", out)
        assert r.code == 0, r.err
        return out


def _ca_key_table() -> str:
    """The emulated Visa card's CA (posterm test CA, A000000003/E1) as a bundle's [[ca_key]]."""
    key = next(k for k in json.loads(POSTERM_TEST_FILE.read_text())["keys"] if k["rid"] == "A000000003")
    return "[[ca_key]]\n" + "".join(f'{n} = "{key[n]}"\n' for n in ("rid", "index", "modulus", "exponent",
                                                                       "checksum"))


def test_a_chip_sale_runs_on_the_bundles_aid_list_floor_limit_and_ca_keys(posterm, host_sim, tmp_path):
    cfg = _with_kbpk(terminal_config(tmp_path, host_sim), '[emv]\nca_keys = "production"\n')
    before = posterm("sale", "12.34", "--reader", "emulated:visa", "--config", cfg, "--json")
    assert before.code == 0 and before.json["outcome"] == "approved"      # floor limit 0: online
    assert int(before.json["tvr"][:2], 16) & 0x08                         # no production CA signs it: DDA failed
    assert len(host_sim.received) == 1

    tms = Tms(posterm, tmp_path)
    b1 = tms.bundle(1, '[[aid]]\naid = "A0000000031010"\nlabel = "VISA"\nfloor_limit = 5000\n' + _ca_key_table())
    applied = posterm("fw", "bundle", "apply", b1, "--trust", tms.pub, "--config", cfg, "--json")
    assert applied.code == 0 and applied.json == {"installed": 1, "pending": False, "changes": []}
    after = posterm("sale", "12.35", "--reader", "emulated:visa", "--config", cfg, "--json")
    assert after.code == 0, after.err
    assert (after.json["outcome"], after.json["response_code"], after.json["tvr"]) == (
        "offline_approved", "Y1", "0000000000")                          # ODA passed, under the AID's floor
    assert len(host_sim.received) == 1                                    # nothing went to the host
    listed = posterm("fw", "capk", "list", "--config", cfg, "--json").json["keys"]
    assert [(k["rid"], k["index"], k["checksum_ok"]) for k in listed if k["source"] == "bundle version 1"] == [
        ("A000000003", "E1", True)]


def test_host_address_mac_key_block_and_currency_come_from_the_bundle(posterm, host_sim, tmp_path):
    other, thread = start(BUNDLE_MAC_KEY)             # the acquirer the bundle moves the terminal to
    try:
        cfg = _with_kbpk(terminal_config(tmp_path, host_sim), '[provisioning]\ntrust_key = "{pub}"\n')
        tms = Tms(posterm, tmp_path)
        Path(cfg).write_text(Path(cfg).read_text().replace("{pub}", Path(tms.pub).read_text().strip()))
        block = wrap_for_tests("mac_key", BUNDLE_MAC_KEY, KBPK)
        b1 = tms.bundle(1, f'[terminal]\ncurrency = "840"\n[host]\naddress = "{host_address(other)}"\n'
                           f'[keys]\nmac_key = "{block}"\n')
        applied = posterm("fw", "bundle", "apply", b1, "--config", cfg)      # the trust key from the config
        assert applied.code == 0, applied.err
        r = posterm("sale", "--reader", "emulated-swipe:magstripe", "7.00", "--config", cfg, "--json")
        assert r.code == 0 and r.json["currency"] == "840", r.err
        assert host_sim.received == []
        [raw] = other.received
        request = decode(raw, BUNDLE_MAC_KEY)           # MACed with the key the block carried
        assert request.mti == "0200" and request.fields[49] == "840"
        with pytest.raises(Exception):
            decode(raw, MAC_KEY)
        data = posterm.data_dir
        for path in data.rglob("*"):                    # the clear key is written nowhere: block and KCV only
            if path.is_file():
                content = path.read_bytes()
                assert BUNDLE_MAC_KEY not in content and BUNDLE_MAC_KEY.hex().encode() not in content.lower(), path
        kcv = json.loads((data / "bundles" / "v1.kcv.json").read_text())
        from drivers.emvspec.crypto import key_check_value
        assert kcv == {"mac_key": key_check_value(BUNDLE_MAC_KEY)}
        health = posterm("config", "check", "--config", cfg)
        assert f"mac_key KCV {key_check_value(BUNDLE_MAC_KEY)}" in health.out
    finally:
        other.shutdown()
        other.server_close()
        thread.join(5)


def test_key_blocks_are_refused_unless_they_verify_and_declare_the_right_use(posterm, host_sim, tmp_path):
    cfg = _with_kbpk(terminal_config(tmp_path, host_sim))
    tms = Tms(posterm, tmp_path)
    cases = {
        "Key block MAC doesn't match": wrap_for_tests("mac_key", BUNDLE_MAC_KEY, bytes.fromhex("11" * 16)),
        "a mac_key must be M6": wrap_for_tests("pin_key", bytes.fromhex("0123456789ABCDEFFEDCBA9876543210"), KBPK),
    }
    for version, (why, block) in enumerate(cases.items(), start=1):
        r = posterm("fw", "bundle", "apply", tms.bundle(version, f'[keys]\nmac_key = "{block}"\n'), "--trust",
                    tms.pub, "--config", cfg)
        assert r.code == 2 and why in r.err and r.err.count("\n") == 1, r.err
    no_kbpk = terminal_config(tmp_path, host_sim, name="plain.toml")
    r = posterm("fw", "bundle", "apply", tms.bundle(3, f'[keys]\nmac_key = "{cases["a mac_key must be M6"]}"\n'),
                "--trust", tms.pub, "--config", no_kbpk)
    assert r.code == 2 and "[keys] kbpk (the key-block protection key) is not configured" in r.err
    assert not (posterm.data_dir / "bundles" / "state.json").exists()    # nothing was installed
    r = posterm("fw", "bundle", "apply", tms.bundle(4, "[limits]\nfloor_limit = 1\n"), "--config", cfg)
    assert r.code == 2 and "no trusted key: give --trust PUB or set [provisioning] trust_key" in r.err


_AMOUNTS = itertools.count(501)


def _sale(posterm, cfg: str) -> dict:
    """A swipe approved; each with its own amount (the same card and amount again is the duplicate-charge
    guard's to refuse)."""
    amount = f"{next(_AMOUNTS) / 100:.2f}"
    r = posterm("sale", "--reader", "emulated-swipe:magstripe", amount, "--config", cfg, "--json")
    assert r.code == 0, r.err
    return r.json


def test_a_new_terminal_id_and_currency_wait_for_settlement(posterm, host_sim, tmp_path):
    cfg = _with_kbpk(terminal_config(tmp_path, host_sim))
    tms = Tms(posterm, tmp_path)
    assert posterm("fw", "bundle", "apply", tms.bundle(1, "[limits]\nfloor_limit = 1\n"), "--trust", tms.pub,
                   "--config", cfg).code == 0
    _sale(posterm, cfg)                                                  # the open batch holds a sale
    b2 = tms.bundle(2, '[terminal]\nid = "TERM0002"\ncurrency = "840"\n[limits]\nfloor_limit = 700\n')
    r = posterm("fw", "bundle", "apply", b2, "--trust", tms.pub, "--config", cfg, "--json")
    assert r.code == 0 and r.json["pending"] is True, r.err
    assert r.json["changes"] == ["[terminal] id TERM0001 -> TERM0002", "[terminal] currency 156 -> 840"]
    health = posterm("health", "--config", cfg, "--json").json
    config_check = next(c for c in health["checks"] if c["name"] == "config")
    assert (config_check["bundle_version"], config_check["bundle_pending"]) == (1, 2)
    assert "version 2 waits for the batch to settle" in config_check["message"]
    _sale(posterm, cfg)
    waiting = decode(host_sim.received[-1], MAC_KEY)
    assert (waiting.fields[41], waiting.fields[49]) == ("TERM0001", "156")   # the whole bundle waits

    settled = posterm("settle", "--config", cfg, "--json")
    assert settled.code == 0 and settled.json["outcome"] == "closed", settled.err
    assert settled.json["bundle_promoted"]["version"] == 2
    closing = decode(host_sim.received[-1], MAC_KEY)
    assert closing.mti == "0500" and closing.fields[41] == "TERM0001"    # the batch closed as it was opened
    third = _sale(posterm, cfg)
    after = decode(host_sim.received[-1], MAC_KEY)
    assert (after.fields[41], after.fields[49], third["currency"]) == ("TERM0002", "840", "840")
    assert int(after.fields[11]) > int(waiting.fields[11])              # the new journal continues the STAN
    assert list(posterm.data_dir.glob("journal.sqlite3.*.old"))         # the old terminal's books kept aside
    back = posterm("fw", "bundle", "rollback", "--config", cfg)
    assert back.code == 2 and "would change the terminal id TERM0002 -> TERM0001" in back.err


def test_a_change_that_does_not_touch_the_batch_applies_at_once(posterm, host_sim, tmp_path):
    cfg = _with_kbpk(terminal_config(tmp_path, host_sim))
    _sale(posterm, cfg)
    tms = Tms(posterm, tmp_path)
    r = posterm("fw", "bundle", "apply", tms.bundle(1, "[limits]\nmax_amount = 1000\n"), "--trust", tms.pub,
                "--config", cfg, "--json")
    assert r.json == {"installed": 1, "pending": False, "changes": []}
    over = posterm("sale", "--reader", "emulated-swipe:magstripe", "10.01", "--config", cfg)
    assert over.code == 2 and "10.01" in over.err                        # the bundle's max amount, at once


@pytest.mark.parametrize("step", STEPS)
def test_sigkill_during_apply_leaves_the_old_or_the_new_bundle(posterm, tmp_path, step):
    tms = Tms(posterm, tmp_path)
    b1, b2 = (tms.bundle(n, f"[limits]\nfloor_limit = {n * 1000}\n") for n in (1, 2))
    assert posterm("fw", "bundle", "apply", b1, "--trust", tms.pub).code == 0
    killed = posterm("fw", "bundle", "apply", b2, "--trust", tms.pub, env={"POSTERM_BUNDLE_CRASH": step})
    assert killed.code == -signal.SIGKILL
    state = json.loads((posterm.data_dir / "bundles" / "state.json").read_text())
    committed = step == "after_state_rename"
    assert state == ({"current": 2, "previous": 1, "pending": None} if committed
                     else {"current": 1, "previous": None, "pending": None})
    again = posterm("fw", "bundle", "apply", b2, "--trust", tms.pub)
    assert (again.code == 0) != committed   # not yet installed: installs now; installed: refused as a replay
    assert posterm("fw", "bundle", "rollback").code == 0
    assert json.loads((posterm.data_dir / "bundles" / "state.json").read_text())["current"] == 1


@pytest.mark.parametrize("step", ("after_new_journal", "before_state_rename", "after_state_rename"))
def test_sigkill_while_settle_promotes_a_new_terminal_id(posterm, host_sim, tmp_path, step):
    """The batch closed; the bundle that waited for it starts a new journal for TERM0002 and becomes current.
    Killed at each step, the next sale still runs as TERM0002 on a journal of TERM0002."""
    cfg = _with_kbpk(terminal_config(tmp_path, host_sim))
    _sale(posterm, cfg)
    tms = Tms(posterm, tmp_path)
    r = posterm("fw", "bundle", "apply", tms.bundle(1, '[terminal]\nid = "TERM0002"\n'), "--trust", tms.pub,
                "--config", cfg, "--json")
    assert r.json["pending"] is True
    killed = posterm("settle", "--config", cfg, env={"POSTERM_BUNDLE_CRASH": step})
    assert killed.code == -signal.SIGKILL
    assert decode(host_sim.received[-1], MAC_KEY).mti == "0500"          # the batch itself closed
    sale = _sale(posterm, cfg)
    request = decode(host_sim.received[-1], MAC_KEY)
    assert request.mti == "0200" and request.fields[41] == "TERM0002", sale
    state = json.loads((posterm.data_dir / "bundles" / "state.json").read_text())
    assert state == {"current": 1, "previous": None, "pending": None}


def test_a_promotion_killed_before_its_commit_is_finished_by_the_next_start(posterm, host_sim, tmp_path):
    """The batch closed but the bundle waiting for it was not made current (a kill before the commit; or
    `posterm run`'s own settlement): the next posterm to start finds the open batch empty and promotes it."""
    cfg = _with_kbpk(terminal_config(tmp_path, host_sim))
    _sale(posterm, cfg)
    tms = Tms(posterm, tmp_path)
    assert posterm("fw", "bundle", "apply", tms.bundle(1, '[terminal]\ncurrency = "840"\n'), "--trust", tms.pub,
                   "--config", cfg, "--json").json["pending"] is True
    killed = posterm("settle", "--config", cfg, env={"POSTERM_BUNDLE_CRASH": "before_state_rename"})
    assert killed.code == -signal.SIGKILL
    assert json.loads((posterm.data_dir / "bundles" / "state.json").read_text())["pending"] == 1
    assert _sale(posterm, cfg)["currency"] == "840"
    assert decode(host_sim.received[-1], MAC_KEY).fields[49] == "840"
    assert json.loads((posterm.data_dir / "bundles" / "state.json").read_text()) == {
        "current": 1, "previous": None, "pending": None}


def test_a_pending_bundle_stays_pending_while_the_batch_holds_sales(posterm, host_sim, tmp_path):
    cfg = _with_kbpk(terminal_config(tmp_path, host_sim))
    _sale(posterm, cfg)
    tms = Tms(posterm, tmp_path)
    posterm("fw", "bundle", "apply", tms.bundle(1, '[terminal]\ncurrency = "840"\n'), "--trust", tms.pub,
            "--config", cfg)
    for _ in range(2):                                                 # each start looks, and leaves it
        assert _sale(posterm, cfg)["currency"] == "156"
    assert json.loads((posterm.data_dir / "bundles" / "state.json").read_text())["pending"] == 1


def test_the_receipt_header_comes_from_the_bundle(posterm, host_sim, tmp_path):
    cfg = _with_kbpk(terminal_config(tmp_path, host_sim))
    tms = Tms(posterm, tmp_path)
    b1 = tms.bundle(1, '[merchant]\nreceipt_header = ["PEARL TEA HOUSE", "上海南京路 88 号"]\n')
    assert posterm("fw", "bundle", "apply", b1, "--trust", tms.pub, "--config", cfg).code == 0
    r = posterm("sale", "--reader", "emulated-swipe:magstripe", "3.21", "--config", cfg)
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    top = lines.index("=" * 32)
    assert [ln.strip() for ln in lines[top + 1:top + 3]] == ["PEARL TEA HOUSE", "上海南京路 88 号"]
    (tmp_path / "wide.toml").write_text('[merchant]\nreceipt_header = ["' + "宽" * 17 + '"]\n')
    refused = posterm("fw", "bundle", "build", str(tmp_path / "wide.toml"), "--sign-key", str(tmp_path / "tms.key"),
                      "--version", "2", "-o", str(tmp_path / "wide"))
    assert refused.code == 2 and "34 columns wide: a receipt line holds 32" in refused.err   # before signing


def test_an_unreadable_installed_bundle_is_one_line_exit_2(posterm, host_sim, tmp_path):
    cfg = _with_kbpk(terminal_config(tmp_path, host_sim))
    tms = Tms(posterm, tmp_path)
    assert posterm("fw", "bundle", "apply", tms.bundle(1, "[limits]\nfloor_limit = 1\n"), "--trust", tms.pub,
                   "--config", cfg).code == 0
    (posterm.data_dir / "bundles" / "v1.json").write_text("{half a fi")
    r = posterm("sale", "--reader", "emulated-swipe:magstripe", "4.44", "--config", cfg)
    assert r.code == 2 and r.err.count("\n") == 1 and "unreadable" in r.err and "Traceback" not in r.err
    assert host_sim.received == []                                      # nothing sent on unknown parameters
