"""The [risk] parameters: which rules run, their limits, and what each does when it fires.

The same table may come in a signed parameter bundle (params.risk, firmware_tools/bundle.py): the acquirer
then ships the exception file and the hash key with the other parameters. Every key is checked here, so a
typo is refused at `posterm config check` rather than silently turning a rule off.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from terminal.checks import whole_number
from terminal.risk.cardhash import HASH_HEX_DIGITS
from terminal.risk.supervisor import check_format

ACTIONS = ("supervisor", "decline")   # what a rule that fires does: ask the supervisor's PIN, or decline


@dataclass(frozen=True)
class RiskPolicy:
    hash_key: bytes = field(default=b"", repr=False)     # empty: derived from [keys] data_key
    duplicate_window_s: int = 600                        # 0: no duplicate-charge guard
    exception_prefixes: tuple[str, ...] = ()             # PAN prefixes on the exception file (hot card list)
    exception_hashes: frozenset[str] = frozenset()       # keyed hashes of listed PANs (cardhash.card_hash)
    velocity_count: int = 0                              # at most N sales per card ...
    velocity_window_min: int = 60                        # ... in M minutes (0 count: off)
    velocity_action: str = "decline"
    amount_alert: int = 0                                # a sale above this (minor units) fires (0: off)
    amount_action: str = "supervisor"
    refund_daily_limit: int = 0                          # refunds today above this total fire (0: off)
    refund_action: str = "supervisor"
    split_window_min: int = 0                            # approved sales of the card summed over M minutes (0: off)
    split_floor_limit: int = 0                           # against this limit (0: [limits] floor_limit)
    split_action: str = "supervisor"
    supervisor_pin_hash: str = field(default="", repr=False)   # pbkdf2-sha256$... (never the PIN)
    alert_log: str = ""                                  # a file for one JSON line per alert, or "syslog"

    @property
    def longest_window_s(self) -> int:
        """How long a card's hash is of any use: older ones are erased (store/risk.py)."""
        windows = [self.duplicate_window_s]
        if self.velocity_count:
            windows.append(self.velocity_window_min * 60)
        if self.split_window_min:
            windows.append(self.split_window_min * 60)
        return max(windows)

    def asks_supervisor(self) -> list[str]:
        """The rules that are on and would ask for the supervisor's PIN."""
        on = {"velocity_action": self.velocity_count, "amount_action": self.amount_alert,
              "refund_action": self.refund_daily_limit, "split_action": self.split_window_min}
        return [name for name, enabled in on.items() if enabled and getattr(self, name) == "supervisor"]


def _action(v: Any) -> str:
    if v not in ACTIONS:
        raise ValueError(f"expected one of {', '.join(ACTIONS)}")
    return v


def _prefixes(v: Any) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(p, str) and p.isdigit() and 1 <= len(p) <= 19 for p in v):
        raise ValueError("expected a list of PAN prefixes, each 1 to 19 digits, e.g. [\"622202\"]")
    return tuple(v)


def _hashes(v: Any) -> frozenset[str]:
    ok = isinstance(v, list) and all(isinstance(h, str) and len(h) == HASH_HEX_DIGITS and
                                     all(c in "0123456789abcdefABCDEF" for c in h) for h in v)
    if not ok:
        raise ValueError(f"expected a list of keyed card hashes, {HASH_HEX_DIGITS} hex digits each"
                         " (posterm config card-hash makes one)")
    return frozenset(h.lower() for h in v)


def _hash_key(v: Any) -> bytes:
    try:
        key = bytes.fromhex(v)
    except (TypeError, ValueError):
        raise ValueError("expected 64 hex digits (a 32-byte key)") from None
    if len(key) != 32:
        raise ValueError(f"expected 32 bytes, got {len(key)}")
    return key


def _pin_hash(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError("expected text")
    return check_format(v)


def _alert_log(v: Any) -> str:
    if not isinstance(v, str) or not v:
        raise ValueError("expected a file path or \"syslog\"")
    return v


MINOR_MAX = 999_999_999_999
CHECKS: dict[str, Any] = {
    "hash_key": _hash_key,
    "duplicate_window_s": whole_number(0, 7 * 24 * 3600),
    "exception_prefixes": _prefixes,
    "exception_hashes": _hashes,
    "velocity_count": whole_number(0, 10_000),
    "velocity_window_min": whole_number(1, 7 * 24 * 60),
    "velocity_action": _action,
    "amount_alert": whole_number(0, MINOR_MAX),
    "amount_action": _action,
    "refund_daily_limit": whole_number(0, MINOR_MAX),
    "refund_action": _action,
    "split_window_min": whole_number(0, 7 * 24 * 60),
    "split_floor_limit": whole_number(0, MINOR_MAX),
    "split_action": _action,
    "supervisor_pin_hash": _pin_hash,
    "alert_log": _alert_log,
}
SECRET_KEYS = {"hash_key", "supervisor_pin_hash"}   # shown as (hidden) in a config error


def whole_policy(policy: RiskPolicy) -> str | None:
    """What is wrong with the table as a whole, or None: a rule that asks for the supervisor needs a PIN."""
    asking = policy.asks_supervisor()
    if asking and not policy.supervisor_pin_hash:
        return (f"{asking[0]} = \"supervisor\" needs supervisor_pin_hash (posterm config pin-hash makes one),"
                " or set it to \"decline\"")
    return None
