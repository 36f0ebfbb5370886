"""The options every command shares, accepted before or after the subcommand, and range-checked number types.

Both the top-level parser and each subcommand declare the common options with `default=SUPPRESS`, so a value
given before the subcommand is not overwritten by the subcommand's default; `fill_defaults` sets what neither
gave. Kept free of heavy imports: `posterm --help` builds every parser.
"""
from __future__ import annotations

import argparse

COMMON_DEFAULTS = {"config": None, "data_dir": None, "host": None, "json": False, "lang": None, "verbose": 0,
                   "log_file": None, "trace_iso": False}
LANGS = ("en", "zh-CN")


def add_common(p: argparse.ArgumentParser) -> None:
    s = argparse.SUPPRESS
    g = p.add_argument_group("common options (before or after the command)")
    g.add_argument("--config", metavar="FILE", default=s,
                   help="TOML terminal parameters; else $POSTERM_CONFIG, $XDG_CONFIG_HOME/posterm/config.toml, "
                        "/etc/posterm/config.toml")
    g.add_argument("--data-dir", metavar="DIR", default=s,
                   help="where the journal lives (default: $XDG_DATA_HOME/posterm, ~/.local/share/posterm)")
    g.add_argument("--host", metavar="HOST:PORT", default=s, help="the acquirer's address; overrides [host] address")
    g.add_argument("--json", action="store_true", default=s,
                   help="print one JSON object as the result, or {\"error\": {...}} on failure")
    g.add_argument("--lang", choices=LANGS, default=s,
                   help="operator and merchant language (default [terminal] language, then LANG)")
    g.add_argument("-v", "--verbose", action="count", default=s,
                   help="log to stderr: -v what the terminal does, -vv debug detail (card data always masked)")
    g.add_argument("--log-file", metavar="FILE", default=s, help="also append the log to FILE (masked)")
    g.add_argument("--trace-iso", action="store_true", default=s,
                   help="log every ISO 8583 message field by field (PAN, track 2, PIN block, keys masked)")


def fill_defaults(args: argparse.Namespace) -> argparse.Namespace:
    for name, value in COMMON_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, value)
    return args


def int_range(lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number from {lo} to {hi}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{text}: expected a whole number from {lo} to {hi}")
        return value
    parse.__name__ = "number"
    return parse


def float_range(lo: float, hi: float):
    def parse(text: str) -> float:
        import math
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and lo <= value <= hi):
            raise argparse.ArgumentTypeError(f"{text!r}: expected a number of seconds from {lo:g} to {hi:g}")
        return value
    parse.__name__ = "number"
    return parse


def txn_id(text: str) -> int:
    return int_range(1, 2**63 - 1)(text)


def pin_digits(text: str) -> str:
    if not (text.isascii() and text.isdigit() and 4 <= len(text) <= 12):
        raise argparse.ArgumentTypeError("expected 4 to 12 digits")
    return text
