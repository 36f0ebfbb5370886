"""Rules that make the simulator answer a chosen response code, answer late, or not at all.

A rule matches on the request's MTI and/or amount (minor units); the first match wins. Written on the
command line as `key=value` pairs joined by ':', e.g. `amount=5100:code=51`, `mti=0200:delay=40`,
`amount=777:silent`, `mti=0400:close:times=2`, `amount=1500:script=block` (a chip answer that also carries
the issuer script named: `block` APPLICATION BLOCK in template 72, `pin_unblock` PIN UNBLOCK in 71).
"""
from __future__ import annotations

from dataclasses import dataclass


SCRIPT_NAMES = ("block", "pin_unblock")    # terminal/hostsim/issuer_emv.py SCRIPTS


class RuleError(ValueError):
    pass


@dataclass
class Rule:
    mti: str | None = None
    amount: int | None = None
    code: str | None = None      # answer this field 39 instead of deciding
    delay_s: float = 0.0         # process at once, answer after this long (a late response)
    silent: bool = False         # process, never answer, keep the connection
    close: bool = False          # process, then close the connection without answering
    bad_mac: bool = False        # answer with a corrupted MAC
    drop: bool = False           # do not even process: as if the request was lost on the way
    times: int | None = None     # apply this many times, then stop matching
    scripts: tuple[str, ...] = ()  # issuer scripts (issuer_emv.SCRIPTS) added to a chip answer's field 55

    def matches(self, mti: str, amount: int | None) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.mti is not None and self.mti != mti:
            return False
        return self.amount is None or self.amount == amount

    def used(self) -> None:
        if self.times is not None:
            self.times -= 1


def parse_rule(text: str) -> Rule:
    rule = Rule()
    for part in text.split(":"):
        key, sep, value = part.partition("=")
        try:
            if key == "mti" and len(value) == 4 and value.isdigit():
                rule.mti = value
            elif key == "amount":
                rule.amount = int(value)
            elif key == "code" and len(value) == 2:
                rule.code = value
            elif key == "delay":
                rule.delay_s = float(value)
            elif key == "script" and value in SCRIPT_NAMES:
                rule.scripts += (value,)
            elif key == "times":
                rule.times = int(value)
            elif key in ("silent", "close", "bad_mac", "drop") and not sep:
                setattr(rule, key, True)
            else:
                raise ValueError
        except ValueError:
            raise RuleError(f"host rule {text!r}: cannot read {part!r} (see terminal/hostsim/rules.py)") from None
    return rule


def first_match(rules: list[Rule], mti: str, amount: int | None) -> Rule | None:
    for rule in rules:
        if rule.matches(mti, amount):
            rule.used()
            return rule
    return None
