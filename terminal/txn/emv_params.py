"""The EMV kernel's terminal data from the TOML parameters: country, currency, the floor limit per AID, and the
CA public keys of [emv] (ca_keys = production | test | both, extra_ca_keys).

A provisioning bundle may replace the whole of it (AIDs, action codes, CA keys); this is the default built
from [terminal], [limits] and [emv].
"""
from __future__ import annotations

from dataclasses import replace

from terminal.config import Config, KeysConfig, is_loopback
from terminal.emv.capk import KeyStore, store_for
from terminal.emv.config import EmvTerminalData


def ca_key_set(cfg: Config) -> str:
    """[emv] ca_keys, or its default: 'production', except for the demo (built-in parameters, the demo keys,
    the demo MAC key, or a host simulator on this machine), where the emulated cards' test keys are the ones that sign."""
    emv = getattr(cfg, "emv", None)
    chosen = getattr(emv, "ca_keys", "") if emv is not None else ""
    if chosen:
        return chosen
    demo = (cfg.source == Config().source or cfg.keys.mac_key == KeysConfig().mac_key
            or is_loopback(cfg.host.address))
    return "test" if demo else "production"


def emv_config(cfg: Config, contactless: bool) -> EmvTerminalData:
    """The kernel's data. An installed bundle (cfg.bundle) brings its own AID list, each AID with its own floor
    limit, action codes and contactless limits, and CA keys on top of the [emv] ca_keys set; without one, every
    default AID takes [limits] floor_limit."""
    base = EmvTerminalData()
    bundle = getattr(cfg, "bundle", None)
    if bundle is not None and bundle.aids is not None:
        aids = bundle.aids
    else:
        aids = tuple(replace(a, floor_limit=cfg.limits.floor_limit) for a in base.aids)
    extra = getattr(getattr(cfg, "emv", None), "extra_ca_keys", "")
    ca_keys = store_for(ca_key_set(cfg), extra)
    if bundle is not None and bundle.ca_keys:
        ca_keys = KeyStore([*ca_keys.keys(), *bundle.ca_keys])   # the bundle's key wins for the same RID/index
    return replace(base, country_code=cfg.terminal.country, currency_code=cfg.terminal.currency, aids=aids,
                   contactless_interface=contactless, ca_keys=ca_keys)
