"""The EMV kernel's terminal data from the parameters (terminal/txn/emv_params.py): which CA keys a terminal
trusts (the demo: the emulated cards' test keys; a real terminal: the production ones), the floor limit on every
AID, and what an installed provisioning bundle replaces."""
from __future__ import annotations

from dataclasses import replace

import pytest

from firmware_tools.bundle_params import BundleParams
from terminal.config import Config, EmvConfig
from terminal.emv.capk import POSTERM_TEST_FILE, posterm_test_keys, store_for
from terminal.emv.config import EmvTerminalData
from terminal.txn.emv_params import ca_key_set, emv_config

DEMO = Config()


def real_terminal(**changes) -> Config:
    """A terminal with its own parameters file, its own MAC key and an acquirer's host: none of the demo's signs."""
    cfg = replace(DEMO, source="/etc/posterm/posterm.toml", keys=replace(DEMO.keys, mac_key=bytes.fromhex("5A" * 16)),
                  host=replace(DEMO.host, address="10.20.30.40:5000"),
                  terminal=replace(DEMO.terminal, country="344", currency="344"))
    return replace(cfg, **changes)


def test_a_real_terminal_trusts_the_production_keys_and_any_sign_of_the_demo_the_test_keys():
    assert ca_key_set(real_terminal()) == "production"
    assert ca_key_set(DEMO) == "test"
    assert ca_key_set(real_terminal(source=DEMO.source)) == "test"                       # the built-in parameters
    assert ca_key_set(real_terminal(keys=DEMO.keys)) == "test"                           # the demo MAC key
    assert ca_key_set(real_terminal(host=replace(DEMO.host, address="127.0.0.1:6000"))) == "test"  # a host sim
    assert ca_key_set(real_terminal(host=replace(DEMO.host, address="localhost:6000"))) == "test"


@pytest.mark.parametrize("chosen", ["production", "test", "both"])
def test_emv_ca_keys_chosen_in_the_parameters_wins(chosen):
    assert ca_key_set(real_terminal(emv=EmvConfig(ca_keys=chosen))) == chosen
    assert ca_key_set(replace(DEMO, emv=EmvConfig(ca_keys=chosen))) == chosen


def keys_of(data: EmvTerminalData) -> set[tuple[bytes, int, bytes]]:
    return {(k.rid, k.index, k.modulus) for k in data.ca_keys.keys()}


@pytest.mark.parametrize("contactless", [False, True])
def test_the_kernel_gets_the_terminals_country_currency_floor_limit_and_ca_keys(contactless):
    cfg = real_terminal(limits=replace(DEMO.limits, floor_limit=12_345))
    data = emv_config(cfg, contactless)
    base = EmvTerminalData()
    assert (data.country_code, data.currency_code, data.contactless_interface) == ("344", "344", contactless)
    assert [a.aid for a in data.aids] == [a.aid for a in base.aids] and len(base.aids) > 1
    assert {a.floor_limit for a in data.aids} == {12_345}
    assert keys_of(data) == {(k.rid, k.index, k.modulus) for k in store_for("production").keys()}
    assert keys_of(emv_config(DEMO, contactless)) == {(k.rid, k.index, k.modulus) for k in store_for("test").keys()}


def test_extra_ca_keys_are_trusted_beside_the_chosen_set():
    cfg = real_terminal(emv=EmvConfig(extra_ca_keys=str(POSTERM_TEST_FILE)))
    trusted = keys_of(emv_config(cfg, False))
    production = {(k.rid, k.index, k.modulus) for k in store_for("production").keys()}
    extra = {(k.rid, k.index, k.modulus) for k in posterm_test_keys()}
    assert extra - production and trusted == production | extra


def test_a_bundle_brings_its_own_aids_and_ca_keys_and_its_key_wins_for_the_same_rid_and_index():
    production = store_for("production").keys()
    replaced = replace(production[0], modulus=bytes(len(production[0].modulus)))     # a new key, same RID/index
    own_aid = replace(EmvTerminalData().aids[0], floor_limit=777)
    bundle = BundleParams(version=3, aids=(own_aid,), ca_keys=(replaced, *posterm_test_keys()))
    data = emv_config(real_terminal(bundle=bundle, limits=replace(DEMO.limits, floor_limit=12_345)), False)
    assert data.aids == (own_aid,)
    assert data.ca_keys.find(replaced.rid, replaced.index).modulus == replaced.modulus
    assert keys_of(data) == ({(k.rid, k.index, k.modulus) for k in production[1:]}
                             | {(replaced.rid, replaced.index, replaced.modulus)}
                             | {(k.rid, k.index, k.modulus) for k in posterm_test_keys()})
    # a bundle that leaves the AID list keeps the default AIDs, with the terminal's floor limit
    keys_only = emv_config(real_terminal(bundle=BundleParams(version=4), limits=replace(DEMO.limits,
                                                                                         floor_limit=500)), False)
    assert {a.floor_limit for a in keys_only.aids} == {500}
    assert keys_of(keys_only) == {(k.rid, k.index, k.modulus) for k in production}
