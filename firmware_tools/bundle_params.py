"""What a signed parameter bundle may set, checked as strictly as the config file, and the configuration a sale
runs on once it is installed.

PARAMS.toml (the unit a terminal management system signs):

    [terminal]  id, merchant_id, currency, country          the config file's keys, checked by its own rules
    [host]      address, timeout_s, connect_timeout_s, ...
    [limits]    floor_limit, max_amount
    [emv]       ca_keys
    [merchant]  receipt_header, settlement_note
    [risk]      the exception file (exception_prefixes, exception_hashes) and every rule's limits and actions
                (docs/risk.md); not hash_key (it would sit in the clear beside the hashes) nor alert_log (a
                file of this terminal)
    [[aid]]     aid, label, app_version, tac_default, tac_denial, tac_online, floor_limit, cl_transaction_limit,
                cl_floor_limit, cl_cvm_limit, ttq, kernel_id, issuer_update, partial    (the whole AID list)
    [[ca_key]]  rid, index, modulus, exponent, checksum, expiry, scheme  (the key file format; checksum verified)
    [keys]      mac_key, data_key, pin_key: TR-31 key blocks under [keys] kbpk (firmware_tools/bundle_keys.py)

Anything else is refused by name. A bundle's values win over the config file's; `--host` still wins over both
(an explicit command-line choice). A change of terminal id, merchant id, currency or host address would split
the open batch between two identities, so such a bundle waits for settlement (firmware_tools/bundle.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from terminal.checks import whole_number
from terminal.config import SCHEMA, Config, ConfigError, _minor_units
from terminal.emv.capk import CaPublicKey, load_entry
from terminal.emv.config import AidConfig
from terminal.emv.errors import ConfigError as EmvConfigError
from terminal.risk.policy import whole_policy

MERGED_TABLES = ("terminal", "host", "limits", "emv", "merchant", "risk")
BATCH_FIELDS = (("terminal", "id"), ("terminal", "merchant_id"), ("terminal", "currency"), ("host", "address"),
                ("host", "addresses"))
LOCAL_ONLY = {("emv", "extra_ca_keys"),    # a file on this terminal: not something a bundle can name
              ("risk", "alert_log"),
              ("risk", "hash_key")}       # a key in the clear: key blocks are the way (docs/decisions.md)


class ParamsError(ValueError):
    """A bundle's parameters refused: the table, key and why."""


@dataclass(frozen=True)
class BundleParams:
    """The installed bundle's part that is not a config table: its version, AID list and CA keys."""
    version: int
    aids: tuple[AidConfig, ...] | None = None       # None: the bundle leaves the default AID list
    ca_keys: tuple[CaPublicKey, ...] = ()
    key_names: tuple[str, ...] = ()                 # the [keys] it delivered (as key blocks)
    kcv: dict = field(default_factory=dict)


def _hex(size: int | None = None):
    def check(v: Any) -> bytes:
        try:
            raw = bytes.fromhex(v)
        except (TypeError, ValueError):
            raise ValueError("expected hex digits") from None
        if size is not None and len(raw) != size:
            raise ValueError(f"expected {size} bytes, got {len(raw)}")
        if not raw:
            raise ValueError("empty")
        return raw
    return check


def _amount_or_none(v: Any) -> int | None:
    """A contactless limit: minor units by the config's rule, or "none" (not checked)."""
    return None if v == "none" else _minor_units(v)


def _label(v: Any) -> str:
    if not isinstance(v, str) or len(v) > 16 or not v.isascii() or not v.isprintable():
        raise ValueError("expected printable ASCII of at most 16 characters")
    return v


def _flag(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError("expected true or false")
    return v


AID_KEYS = {"aid": _hex(), "label": _label, "partial": _flag, "app_version": _hex(2), "floor_limit": _minor_units,
            "tac_default": _hex(5), "tac_denial": _hex(5), "tac_online": _hex(5),
            "cl_transaction_limit": _amount_or_none, "cl_floor_limit": _amount_or_none,
            "cl_cvm_limit": _amount_or_none, "ttq": _hex(4), "kernel_id": whole_number(0, 255), "issuer_update": _flag}


def _aids(entries: Any, floor_limit: int = 0) -> tuple[AidConfig, ...]:
    """The AID list; an AID without its own floor_limit takes [limits] floor_limit."""
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise ParamsError("[[aid]] must be one or more tables")
    out = []
    for n, entry in enumerate(entries, start=1):
        if "aid" not in entry:
            raise ParamsError(f"[[aid]] number {n}: aid is missing")
        values = {}
        for key, raw in entry.items():
            if key not in AID_KEYS:
                raise ParamsError(f"[[aid]] number {n}: {key} is not a known key (known: {', '.join(AID_KEYS)})")
            try:
                values[key] = AID_KEYS[key](raw)
            except ValueError as e:
                raise ParamsError(f"[[aid]] number {n}: {key} = {raw!r}: {e}") from None
        if not 5 <= len(values["aid"]) <= 16:
            raise ParamsError(f"[[aid]] number {n}: aid must be 5 to 16 bytes")
        values.setdefault("floor_limit", floor_limit)
        out.append(AidConfig(**values))
    return tuple(out)


def _ca_keys(entries: Any) -> tuple[CaPublicKey, ...]:
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ParamsError("[[ca_key]] must be tables")
    try:
        return tuple(load_entry(entry, "bundle [[ca_key]]") for entry in entries)
    except EmvConfigError as e:
        raise ParamsError(str(e)) from None


def check_params(params: Any) -> None:
    """Refuse what a terminal could not run on, before anything is installed (the kbpk-free part: key blocks
    are checked by `bundle_keys` with the terminal's KBPK)."""
    if not isinstance(params, dict):
        raise ParamsError("the parameters must be TOML tables")
    known = set(MERGED_TABLES) | {"aid", "ca_key", "keys"}
    for name in params:
        if name not in known:
            raise ParamsError(f"[{name}] is not something a bundle can set (known: {', '.join(sorted(known))})")
    _merged(Config(), params, "bundle")
    if "aid" in params:
        _aids(params["aid"])
    if "ca_key" in params:
        _ca_keys(params["ca_key"])
    if "keys" in params and not isinstance(params["keys"], dict):
        raise ParamsError("[keys] must be a table of TR-31 key blocks")


def _merged(cfg: Config, params: dict, source: str) -> Config:
    """`cfg` with the bundle's [terminal], [host], [limits], [emv] and [merchant] values, each checked by the
    config's rule."""
    changes = {}
    for name in MERGED_TABLES:
        table = params.get(name)
        if table is None:
            continue
        if not isinstance(table, dict):
            raise ParamsError(f"[{name}] must be a table")
        checks = SCHEMA[name][1]
        values = {}
        for key, raw in table.items():
            if key not in checks or (name, key) in LOCAL_ONLY:
                raise ParamsError(f"[{name}] {key} is not a key a bundle can set")
            try:
                values[key] = checks[key](raw)
            except ValueError as e:
                raise ParamsError(f"{source} [{name}] {key} = {raw!r}: {e}") from None
        changes[name] = replace(getattr(cfg, name), **values)
    merged = replace(cfg, **changes)
    if merged.limits.floor_limit > merged.limits.max_amount:
        raise ParamsError(f"{source}: [limits] floor_limit is above max_amount")
    risk_problem = whole_policy(merged.risk)
    if risk_problem:
        raise ParamsError(f"{source}: [risk] {risk_problem}")
    return merged


def effective(cfg: Config, payload: dict, kbpk: bytes, kcv: dict | None = None) -> Config:
    """The configuration with an installed bundle's parameters: tables merged, key blocks unwrapped (in memory
    only), the AID list and CA keys kept for the kernel (cfg.bundle). `kcv`: the check values recorded at
    install; a key that unwraps to another value (a changed KBPK, a corrupted file) is refused."""
    from firmware_tools.bundle_keys import KeyBlockError, check_value, unwrap_all
    params = payload["params"]
    source = f"bundle version {payload['version']}"
    try:
        merged = _merged(cfg, params, source)
        keys = unwrap_all(params.get("keys", {}), kbpk)
        aids = _aids(params["aid"], merged.limits.floor_limit) if "aid" in params else None
        ca_keys = _ca_keys(params.get("ca_key", []))
    except (ParamsError, KeyBlockError) as e:
        raise ConfigError(f"{source}: {e}") from None
    values = {name: check_value(name, key) for name, key in keys.items()}
    for name, value in values.items():
        if kcv is not None and kcv.get(name) != value:
            raise ConfigError(f"{source}: [keys] {name} unwraps to check value {value}, installed as "
                              f"{kcv.get(name)}: the key-block protection key changed or the bundle file did")
    if keys:
        merged = replace(merged, keys=replace(merged.keys, **keys))
    return replace(merged, bundle=BundleParams(payload["version"], aids, ca_keys, tuple(keys), values))


def batch_changes(old: Config, new: Config) -> list[str]:
    """The batch-identity fields the new configuration changes ('terminal id 'A' -> 'B'', ...)."""
    out = []
    for table, key in BATCH_FIELDS:
        before, after = getattr(getattr(old, table), key), getattr(getattr(new, table), key)
        if before != after:
            out.append(f"[{table}] {key} {before} -> {after}")
    return out
