"""Checks for configuration values that more than one table uses, below every layer that reads a table
(terminal.config for most tables, terminal.risk for [risk]), so each table's checks can share them."""
from __future__ import annotations

from typing import Any, Callable


def whole_number(lo: int, hi: int) -> Callable[[Any], int]:
    """A TOML integer from lo to hi; a boolean is not one (TOML's true would pass isinstance(v, int))."""
    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise ValueError(f"expected a whole number from {lo} to {hi}")
        return v
    return check
