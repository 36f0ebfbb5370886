"""A recorded APDU trace served as a card: a VirtualCard that answers each command with the recorded response.

The terminal's side of a replay differs from the recording (its unpredictable number, dates, amount, PIN
block), so commands are matched by what the terminal does not choose at run time:
- the recorded exchanges are taken in order; a command matches the next one when CLA INS P1 P2 agree and, for
  the commands whose data is the card's choice of file or object (SELECT, READ RECORD, GET DATA, GET RESPONSE),
  the command data agree too. For every other command (GET PROCESSING OPTIONS, GENERATE AC, INTERNAL
  AUTHENTICATE, VERIFY, ...) the data is the terminal's and is not compared.
- a command that does not match the next exchange is looked for further on (the terminal skipped a step); the
  first later match is answered and the replay continues from there. A command found nowhere gets 6F00 (no
  precise diagnosis) and is recorded in `divergences`.
- power-on and reset start again at the first exchange, as a real card's session does.
Parsing the trace file is firmware_tools.trace's (drivers import nothing above them); this takes the pairs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

DATA_COMPARED = frozenset({0xA4, 0xB2, 0xCA, 0xCB, 0xC0})
NOT_IN_TRACE = bytes.fromhex("6F00")


def command_data(apdu: bytes) -> bytes:
    """The data field of a short command APDU (cases 1-4): empty without Lc."""
    if len(apdu) <= 5:
        return b""
    lc = apdu[4]
    return bytes(apdu[5:5 + lc])


def match_key(apdu: bytes) -> tuple:
    apdu = bytes(apdu)
    header = apdu[:4]
    if len(header) == 4 and header[1] in DATA_COMPARED:
        return header, command_data(apdu)
    return header, None


@dataclass
class ReplayCard:
    """`exchanges`: (command, response) in recorded order; `atr`: the ATR the recorded card showed."""

    recorded_atr: bytes
    exchanges: list[tuple[bytes, bytes]]
    position: int = 0
    answered: int = 0
    divergences: list[str] = field(default_factory=list)

    def atr(self) -> bytes:
        return self.recorded_atr

    def reset(self) -> None:
        self.position = 0

    def process(self, apdu: bytes) -> bytes:
        key = match_key(apdu)
        for index in range(self.position, len(self.exchanges)):
            if match_key(self.exchanges[index][0]) == key:
                self.position = index + 1
                self.answered += 1
                return self.exchanges[index][1]
        self.divergences.append(f"{bytes(apdu[:4]).hex().upper()} (after exchange {self.position}): not in the trace")
        return NOT_IN_TRACE
