"""The `--keys` script as a key source: "1,2,3,ENTER,WAIT:6,ENTER".

A script runs on its own virtual clock, so what it means never depends on how loaded the machine is: each key
arrives `key_interval` seconds after the one before (a human pace, well above the 60 ms bounce window, so
"1,1" is two presses of 1), and WAIT:SECONDS is that many seconds of silence. Pass `source.clock` as the
keypad's clock. With `realtime=True` the script also sleeps those intervals, for a demo a person watches.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from drivers.keypad.errors import KeyScriptError, KeySourceExhausted
from drivers.keypad.keys import KEYS

MAX_WAIT_S = 3600.0


@dataclass(frozen=True)
class Wait:
    seconds: float


Token = str | Wait


def parse_key_script(text: str) -> list[Token]:
    """Tokens of a `--keys` value. A bad token raises KeyScriptError naming it, its number and its column."""
    tokens: list[Token] = []
    column = 1
    for number, raw in enumerate(text.split(","), start=1):
        token = raw.strip()
        where = f"--keys token {number} (column {column + len(raw) - len(raw.lstrip())})"
        column += len(raw) + 1
        upper = token.upper()
        if upper in KEYS:
            tokens.append(upper)
        elif upper.startswith("WAIT:"):
            tokens.append(Wait(_seconds(token[5:], where, token)))
        else:
            shown = repr(token) if token else "an empty token"
            raise KeyScriptError(
                f"{where}: {shown} is not a key; expected 0-9, CLEAR, CANCEL, ENTER, F1-F4 or WAIT:SECONDS"
            )
    return tokens


def _seconds(text: str, where: str, token: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (0 <= seconds <= MAX_WAIT_S):
        raise KeyScriptError(f"{where}: {token!r} needs a number of seconds from 0 to {MAX_WAIT_S:g}")
    return seconds


class ScriptedKeys:
    """Keys from a parsed script, on a virtual clock (`clock`)."""

    def __init__(
        self,
        tokens: list[Token],
        *,
        key_interval: float = 0.25,
        realtime: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """`clock`: run the script on that (real, monotonic) clock instead of a virtual one: keys come as fast
        as they are read and WAIT:S is S seconds of that clock. This is how `posterm sale --keys` and `posterm
        run --keys` type against a real host, whose answer takes real time."""
        self._tokens = list(tokens)
        self._position = 0
        self._wait_left = 0.0
        self._now = 0.0
        self._key_interval = key_interval
        self._sleep = sleep if realtime else None
        self._real = clock
        self._real_sleep = sleep
        self._wait_until: float | None = None

    @classmethod
    def parse(cls, text: str, **options: object) -> "ScriptedKeys":
        return cls(parse_key_script(text), **options)  # type: ignore[arg-type]

    def clock(self) -> float:
        """Virtual monotonic seconds: advanced only by the script itself (or the real clock it was given)."""
        return self._real() if self._real is not None else self._now

    @property
    def remaining(self) -> int:
        """Tokens not yet delivered (a WAIT in progress counts as one)."""
        return len(self._tokens) - self._position

    def _advance(self, seconds: float) -> None:
        self._now += seconds
        if self._sleep is not None and seconds > 0:
            self._sleep(seconds)

    def peek(self) -> str | None:
        """The next key, without taking it; None when a WAIT comes first or the script has ended."""
        if self._position < len(self._tokens):
            token = self._tokens[self._position]
            return token if isinstance(token, str) else None
        return None

    def _read_real(self, timeout: float | None) -> str | None:
        assert self._real is not None
        while self._position < len(self._tokens):
            token = self._tokens[self._position]
            if isinstance(token, str):
                self._position += 1
                return token
            now = self._real()
            if self._wait_until is None:
                self._wait_until = now + token.seconds
            left = self._wait_until - now
            if left <= 0:
                self._wait_until = None
                self._position += 1
                continue
            step = left if timeout is None else min(left, timeout)
            if step > 0:
                self._real_sleep(step)
            if timeout is not None and self._real() < self._wait_until:
                return None
        raise KeySourceExhausted(f"--keys script ended after {len(self._tokens)} tokens")

    def read(self, timeout: float | None) -> str | None:
        if self._real is not None:
            return self._read_real(timeout)
        while self._position < len(self._tokens):
            token = self._tokens[self._position]
            if isinstance(token, Wait):
                if self._wait_left == 0.0 and token.seconds > 0:
                    self._wait_left = token.seconds
                if self._wait_left <= 0.0:
                    self._position += 1
                    continue
                step = self._wait_left if timeout is None else min(self._wait_left, timeout)
                self._advance(step)
                self._wait_left -= step
                if self._wait_left <= 1e-12:
                    self._wait_left = 0.0
                    self._position += 1
                if timeout is not None:
                    return None  # silence for `step` seconds
                continue
            self._advance(self._key_interval)
            self._position += 1
            return token
        raise KeySourceExhausted(f"--keys script ended after {len(self._tokens)} tokens")

    def close(self) -> None:
        self._position = len(self._tokens)
