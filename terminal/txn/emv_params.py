"""The EMV kernel's terminal data from the TOML parameters: country, currency and the floor limit per AID.

A provisioning bundle may replace the whole of it (AIDs, action codes, CA keys); this is the default built
from [terminal] and [limits].
"""
from __future__ import annotations

from dataclasses import replace

from terminal.config import Config
from terminal.emv.config import EmvTerminalData


def emv_config(cfg: Config, contactless: bool) -> EmvTerminalData:
    base = EmvTerminalData()
    aids = tuple(replace(a, floor_limit=cfg.limits.floor_limit) for a in base.aids)
    return replace(base, country_code=cfg.terminal.country, currency_code=cfg.terminal.currency, aids=aids,
                   contactless_interface=contactless)
