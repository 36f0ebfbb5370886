"""Keypad settings, with the defaults of DESIGN.md, read from the TOML config's tables."""
from __future__ import annotations

import dataclasses

from collections.abc import Mapping
from dataclasses import dataclass, field

from terminal.keypad.amount import Currency, currency_of
from terminal.keypad.errors import KeypadSettingsError

PIN_MIN_DIGITS = 4
PIN_MAX_DIGITS = 12
MAX_AMOUNT_LIMIT = 10**12 - 1  # ISO 8583 field 4 holds 12 digits


@dataclass(frozen=True)
class KeypadSettings:
    max_amount: int = 100_000_000  # minor units ([limits] max_amount)
    currency: Currency = field(default_factory=lambda: currency_of("156"))  # [terminal] currency
    confirm_timeout_s: float = 5.0  # silence that dismisses a cancel confirmation ([keypad])
    bounce_s: float = 0.060  # same key again within this is contact bounce ([keypad] bounce_ms)
    result_timeout_s: float = 60.0  # a result screen goes back to READY after this ([keypad] result_timeout_s)

    def __post_init__(self) -> None:
        if not (isinstance(self.max_amount, int) and 0 < self.max_amount <= MAX_AMOUNT_LIMIT):
            raise KeypadSettingsError(f"[limits] max_amount = {self.max_amount!r}: expected 1-{MAX_AMOUNT_LIMIT}")
        if not (0.5 <= self.confirm_timeout_s <= 120):
            raise KeypadSettingsError(
                f"[keypad] confirm_timeout_s = {self.confirm_timeout_s!r}: expected 0.5 to 120 seconds"
            )
        if not (0 <= self.bounce_s <= 0.5):
            raise KeypadSettingsError(f"[keypad] bounce_ms = {self.bounce_s * 1000:g}: expected 0 to 500 ms")


def _number(table: Mapping[str, object], name: str, where: str, default: float) -> float:
    value = table.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise KeypadSettingsError(f"[{where}] {name} = {value!r}: expected a number")
    return float(value)


def settings_from_config(config: Mapping[str, object]) -> KeypadSettings:
    """KeypadSettings from a parsed TOML config ([keypad], [limits] max_amount, [terminal] currency); what is
    absent keeps its default."""
    keypad = config.get("keypad", {}) or {}
    limits = config.get("limits", {}) or {}
    terminal = config.get("terminal", {}) or {}
    if not all(isinstance(t, Mapping) for t in (keypad, limits, terminal)):
        raise KeypadSettingsError("[keypad], [limits] and [terminal] must be tables")
    defaults = KeypadSettings()
    max_amount = limits.get("max_amount", defaults.max_amount)
    if isinstance(max_amount, bool) or not isinstance(max_amount, int):
        raise KeypadSettingsError(f"[limits] max_amount = {max_amount!r}: expected an integer (minor units)")
    currency = terminal.get("currency", defaults.currency.numeric)
    return KeypadSettings(
        max_amount=max_amount,
        currency=currency_of(str(currency)),
        confirm_timeout_s=_number(keypad, "confirm_timeout_s", "keypad", defaults.confirm_timeout_s),
        bounce_s=_number(keypad, "bounce_ms", "keypad", defaults.bounce_s * 1000) / 1000,
        result_timeout_s=_number(keypad, "result_timeout_s", "keypad", defaults.result_timeout_s),
    )


def for_tty(settings: KeypadSettings) -> KeypadSettings:
    """A terminal's keyboard is debounced by its own controller, and a tty hands over keys only when the process
    reads them: under load two real presses of the same key arrive in one read, microseconds apart. Contact
    bounce filtering belongs to raw keypads (evdev carries the kernel's own timestamps), so it is off here:
    dropping the second '0' of an amount would be the very mistake the keypad exists to prevent."""
    return dataclasses.replace(settings, bounce_s=0.0)
