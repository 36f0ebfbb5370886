"""The simulated acquirer: real ISO 8583 and MAC checks, real ARQC checks and ARPCs, and books kept in memory.

Unlike terminal/hostsim (which answers a repeated request with its first answer, as host-interface.md lets a
real host do), this host takes EVERY 0200 as a new charge. A terminal that sent the same sale twice would
therefore charge the customer twice here, and the simulation's invariants would see it: only the terminal's
own discipline (never re-send a 0200; reverse what is in doubt) keeps the books right.

Advices and reversals stay idempotent, as the contract says they are: a 0221 repeat of a known advice is
acknowledged again without a second charge, and a 0401 for an original already reversed is answered 94.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from terminal.hostsim import issuer_emv
from terminal.iso8583 import Message
from terminal.iso8583.builders import field7
from terminal.iso8583.dialect import ECHOED, RESPONSE_MTI

Key = tuple[str, str, str]   # (STAN, MMDD, hhmmss) of the terminal's transaction: fields 11, 13, 12
PURCHASE, REFUND, VOID = "000000", "200000", "020000"


@dataclass
class Charge:
    key: Key
    source: str          # online (0200), advice (0220), upload (0320), void (a 0200 with 020000)
    proc: str
    amount: int
    batch: str
    code: str
    rrn: str
    voids: int | None = None   # for a void: index of the charge it removed
    reversed: bool = False
    voided: bool = False

    @property
    def approved(self) -> bool:
        return self.code in ("00", "Y1", "Y3")

    @property
    def live(self) -> bool:
        """Counts in the customer's statement: approved, neither reversed nor voided (a void itself never)."""
        return self.approved and not self.reversed and not self.voided and self.source != "void"


def key_of(m: Message) -> Key:
    return (str(m.fields.get(11, "")), str(m.fields.get(13, "")), str(m.fields.get(12, "")))


@dataclass
class SimHost:
    utc: Callable[[], dt.datetime]
    charges: list[Charge] = field(default_factory=list)
    received: list[tuple[str, Key]] = field(default_factory=list)   # (MTI, key) of every request, in order
    financial_keys: dict[Key, int] = field(default_factory=dict)     # how many 0200s named each key
    # Called with each request before it is answered (the simulation checks store-and-forward order there).
    on_request: Callable[[Message], None] = lambda m: None
    force: dict[str, str] = field(default_factory=dict)   # MTI -> response code to answer instead (tests)
    _rrn: int = 0

    def handle(self, m: Message) -> tuple[str, dict]:
        """(response MTI, response fields without MAC) for a request whose MAC was verified."""
        self.on_request(m)
        self.received.append((m.mti, key_of(m)))
        fields = {n: m.fields[n] for n in ECHOED if n in m.fields}
        fields[7] = field7(self.utc())
        self._rrn += 1
        rrn = f"{self._rrn:012d}"
        handler = {"0200": self._financial, "0220": self._advice, "0221": self._advice, "0320": self._upload,
                   "0400": self._reversal, "0401": self._reversal, "0500": self._settlement,
                   "0800": lambda m, f, r: "00"}[m.mti]
        fields[39] = handler(m, fields, rrn)
        if m.mti in self.force:
            fields[39] = self.force[m.mti]
        return RESPONSE_MTI[m.mti], fields

    # ---- per message class -----------------------------------------------------------------------------------
    def _financial(self, m: Message, fields: dict, rrn: str) -> str:
        f, key = m.fields, key_of(m)
        self.financial_keys[key] = self.financial_keys.get(key, 0) + 1
        voided = None
        if str(f[3]) == VOID:
            voided = self._find_rrn(str(f.get(37, "")))
            orig = self.charges[voided] if voided is not None else None
            if orig is None:
                code = "25"
            elif not orig.live or orig.proc != PURCHASE or orig.batch != str(f[60]):
                code, voided = "12", None
            else:
                code = "00"
                orig.voided = True
        else:
            code = self._card_check(m)
        fields[37] = rrn
        if code == "00":
            fields[38] = f"{int(rrn) % 1_000_000:06d}"
        if 55 in f:
            fields[55] = issuer_emv.make_issuer_response(bytes(f[55]), _pan(m), str(f.get(23, "000")),
                                                         approve=code == "00")
        self.charges.append(Charge(key, "void" if str(f[3]) == VOID else "online", str(f[3]), int(str(f[4])),
                                   str(f[60]), code, rrn, voids=voided))
        return code

    def _card_check(self, m: Message) -> str:
        f = m.fields
        if 55 in f and not issuer_emv.verify_arqc(bytes(f[55]), _pan(m), str(f.get(23, "000"))):
            return "05"
        return "51" if int(str(f[4])) % 13 == 0 else "00"   # the issuer declines some amounts: insufficient funds

    def _advice(self, m: Message, fields: dict, rrn: str) -> str:
        key = key_of(m)
        fields[37] = rrn
        if not any(c.key == key and c.source == "advice" for c in self.charges):
            self.charges.append(Charge(key, "advice", str(m.fields[3]), int(str(m.fields[4])), str(m.fields[60]),
                                       str(m.fields[39]), rrn))
        return "00"

    def _upload(self, m: Message, fields: dict, rrn: str) -> str:
        f = m.fields
        if self._find_rrn(str(f[37])) is None:
            self.charges.append(Charge(key_of(m), "upload", str(f[3]), int(str(f[4])), str(f[60]), str(f[39]),
                                       str(f[37])))
        return "00"

    def _reversal(self, m: Message, fields: dict, rrn: str) -> str:
        f90 = str(m.fields[90])
        key = (f90[4:10], str(m.fields[13]), str(m.fields[12]))
        named = [c for c in self.charges if c.key == key and c.source in ("online", "void")]
        if not named:
            return "25"
        standing = [c for c in named if c.approved and not c.reversed]
        if not standing:
            return "94" if any(c.reversed for c in named) else "25"
        c = standing[-1]
        c.reversed = True
        if c.voids is not None:
            self.charges[c.voids].voided = False   # reversing a void puts its original back in the batch
        return "00"

    def _settlement(self, m: Message, fields: dict, rrn: str) -> str:
        f = m.fields
        credits, debits = self.totals(str(f[60]))
        return "00" if (credits, debits) == ((int(str(f[74])), int(str(f[86]))), (int(str(f[76])), int(str(f[88])))) \
            else "95"

    # ---- the books -----------------------------------------------------------------------------------------
    def totals(self, batch: str) -> tuple[tuple[int, int], tuple[int, int]]:
        def total(proc: str) -> tuple[int, int]:
            rows = [c.amount for c in self.charges if c.live and c.batch == batch and c.proc == proc]
            return len(rows), sum(rows)
        return total(REFUND), total(PURCHASE)

    def live_by_key(self) -> dict[Key, list[Charge]]:
        out: dict[Key, list[Charge]] = {}
        for c in self.charges:
            if c.live:
                out.setdefault(c.key, []).append(c)
        return out

    def _find_rrn(self, rrn: str) -> int | None:
        for i, c in enumerate(self.charges):
            if c.rrn == rrn and c.source != "void":
                return i
        return None


def _pan(m: Message) -> str:
    return str(m.fields[35]).split("=")[0] if 35 in m.fields else str(m.fields.get(2, ""))
