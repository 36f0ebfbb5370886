"""Terminal parameters from TOML (cli-contract.md 'Config'), with one clear error per missing or bad key.

Unknown tables and keys are errors too: a typo such as `timout_s` silently falling back to a default is how a
terminal ends up reversing every sale after 10 s on a slow link.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """Exit code 2 at the command line."""


@dataclass(frozen=True)
class TerminalConfig:
    id: str = "TERM0001"
    merchant_id: str = "MERCHANT0000001"
    currency: str = "156"
    country: str = "156"


@dataclass(frozen=True)
class HostConfig:
    address: str = "127.0.0.1:5000"
    timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    tls_ca_file: str = ""


@dataclass(frozen=True)
class KeysConfig:
    mac_key: bytes = field(default=bytes.fromhex("00112233445566778899AABBCCDDEEFF"), repr=False)
    # Seals the card data an offline advice must keep until the host has it (AES-GCM). Demo value: a real
    # terminal takes it from its provisioning bundle.
    data_key: bytes = field(default=bytes.fromhex("000102030405060708090A0B0C0D0E0F"
                                                  "101112131415161718191A1B1C1D1E1F"), repr=False)
    # Double-length TDES key for online PIN blocks (ISO 9564 format 0). Demo value; on real hardware the PIN
    # pad holds it and the terminal never sees it.
    pin_key: bytes = field(default=bytes.fromhex("0123456789ABCDEFFEDCBA9876543210"), repr=False)


@dataclass(frozen=True)
class SafConfig:
    max_attempts: int = 1000  # attempts that reached the host; refused connects do not count
    expiry_h: float = 72.0   # then 'needs attention', never a silent drop


@dataclass(frozen=True)
class LimitsConfig:
    floor_limit: int = 0
    max_amount: int = 100_000_000


@dataclass(frozen=True)
class Config:
    terminal: TerminalConfig = TerminalConfig()
    host: HostConfig = HostConfig()
    keys: KeysConfig = KeysConfig()
    limits: LimitsConfig = LimitsConfig()
    saf: SafConfig = SafConfig()
    keypad: dict = field(default_factory=dict)  # validated by terminal.keypad.settings, which owns its meaning
    source: str = "built-in demo parameters"


def _digits(n: int) -> Any:
    def check(v: Any) -> str:
        if not isinstance(v, str) or len(v) != n or not v.isdigit():
            raise ValueError(f"expected a string of {n} digits")
        return v
    return check


def _text(n: int) -> Any:
    def check(v: Any) -> str:
        if not isinstance(v, str) or not 0 < len(v) <= n or not v.isascii() or not v.isprintable():
            raise ValueError(f"expected printable ASCII text of 1 to {n} characters")
        return v
    return check


def _number(lo: float, hi: float) -> Any:
    def check(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
            raise ValueError(f"expected a number from {lo:g} to {hi:g}")
        return float(v)
    return check


def _minor_units(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 999_999_999_999:
        raise ValueError("expected a whole number of minor units, 0 to 999999999999")
    return v


def _address(v: Any) -> str:
    from terminal.link.client import Endpoint
    if not isinstance(v, str):
        raise ValueError("expected \"HOST:PORT\"")
    Endpoint.parse(v)
    return v


def _aes_key(size: int) -> Any:
    def check(v: Any) -> bytes:
        try:
            key = bytes.fromhex(v)
        except (TypeError, ValueError):
            raise ValueError(f"expected {2 * size} hex digits (a {size}-byte key)") from None
        if len(key) != size:
            raise ValueError(f"expected {size} bytes, got {len(key)}")
        return key
    return check


def _count(lo: int, hi: int) -> Any:
    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise ValueError(f"expected a whole number from {lo} to {hi}")
        return v
    return check


def _path(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError("expected a file path")
    return v


SCHEMA: dict[str, tuple[type, dict[str, Any]]] = {
    "terminal": (TerminalConfig, {"id": _text(8), "merchant_id": _text(15), "currency": _digits(3),
                                  "country": _digits(3)}),
    "host": (HostConfig, {"address": _address, "timeout_s": _number(1, 300), "connect_timeout_s": _number(0.5, 120),
                          "tls_ca_file": _path}),
    "keys": (KeysConfig, {"mac_key": _aes_key(16), "data_key": _aes_key(32), "pin_key": _aes_key(16)}),
    "saf": (SafConfig, {"max_attempts": _count(1, 10_000), "expiry_h": _number(0.01, 24 * 365)}),
    "limits": (LimitsConfig, {"floor_limit": _minor_units, "max_amount": _minor_units}),
}
REQUIRED = {"terminal": {"id", "merchant_id", "currency"}, "host": {"address"}, "keys": {"mac_key"}}


def keypad_settings(cfg: Config):
    """The keypad's settings from the same parameters ([keypad] table, max amount, currency)."""
    from terminal.keypad.errors import KeypadSettingsError
    from terminal.keypad.settings import settings_from_config
    try:
        return settings_from_config({"keypad": cfg.keypad, "limits": {"max_amount": cfg.limits.max_amount},
                                     "terminal": {"currency": cfg.terminal.currency}})
    except KeypadSettingsError as e:
        raise ConfigError(f"config {cfg.source}: {e}") from None


def parse(data: dict[str, Any], source: str) -> Config:
    unknown = set(data) - set(SCHEMA) - {"keypad"}
    if unknown:
        raise ConfigError(f"config {source}: unknown table [{sorted(unknown)[0]}]")
    sections: dict[str, Any] = {}
    for name, (cls, checks) in SCHEMA.items():
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise ConfigError(f"config {source}: {name} must be a table [{name}]")
        missing = REQUIRED.get(name, set()) - set(table)
        if missing:
            raise ConfigError(f"config {source}: [{name}] {sorted(missing)[0]} is missing")
        values = {}
        for key, raw in table.items():
            if key not in checks:
                raise ConfigError(f"config {source}: [{name}] {key} is not a known key")
            try:
                values[key] = checks[key](raw)
            except ValueError as e:
                shown = "(hidden)" if name == "keys" else repr(raw)
                raise ConfigError(f"config {source}: [{name}] {key} = {shown}: {e}") from None
        sections[name] = cls(**values)
    if sections["limits"].floor_limit > sections["limits"].max_amount:
        raise ConfigError(f"config {source}: [limits] floor_limit is above max_amount")
    keypad = data.get("keypad", {})
    if not isinstance(keypad, dict):
        raise ConfigError(f"config {source}: keypad must be a table [keypad]")
    return Config(**sections, keypad=keypad, source=source)


def load(path: str | Path | None) -> Config:
    if path is None:
        return Config()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"config {p}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config {p}: not UTF-8 text") from None
    import tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config {p}: not valid TOML: {e}") from None
    return parse(data, str(p))
