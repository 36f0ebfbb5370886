"""The transaction engine for callers that already hold the card data: a void (it names its original),
settlement's pre-flight, the soak and simulation tests, the benchmarks. It is the same core and the same driver
loop as every sale (terminal/txn/loop.py), with nobody at the keypad: there is no second flow here.

Constructing an Engine writes nothing; crash recovery is the explicit `recover()`.
"""
from __future__ import annotations

from terminal.config import Config
from terminal.link.client import HostLink
from terminal.store import Journal, TxnRow
from terminal.txn import saf
from terminal.txn.cards import KnownCard
from terminal.txn.clock import SYSTEM, Clock
from terminal.txn.core import KINDS
from terminal.txn.crashpoints import NONE, CrashPoints
from terminal.txn.loop import Driver, record_offline_approval
from terminal.txn.records import CardInput, SaleResult
from terminal.txn.verdict import Verdict

__all__ = ["Engine", "KINDS"]


class Engine:
    def __init__(self, cfg: Config, journal: Journal, link: HostLink, *, clock: Clock = SYSTEM,
                 crash: CrashPoints = NONE) -> None:
        self.driver = Driver(cfg, journal, link, clock=clock, crash=crash)

    @classmethod
    def of(cls, driver: Driver) -> "Engine":
        """The facade over a driver already running (the simulation settles the day its terminal made)."""
        engine = cls.__new__(cls)
        engine.driver = driver
        return engine

    # The driver owns them; a test may swap the link or the parameters between sales.
    cfg = property(lambda self: self.driver.cfg, lambda self, v: setattr(self.driver, "cfg", v))
    link = property(lambda self: self.driver.link, lambda self, v: setattr(self.driver, "link", v))
    journal = property(lambda self: self.driver.journal)
    clock = property(lambda self: self.driver.clock)
    crash = property(lambda self: self.driver.crash)

    def recover(self) -> list[int]:
        return self.driver.recover()

    def drain_saf(self, force: bool = False) -> saf.DrainReport:
        return self.driver.drain(force=force)

    def sale(self, kind: str, amount: int, card: CardInput, *, original: TxnRow | None = None) -> SaleResult:
        return self.driver.sale(kind, amount, KnownCard(card), original=original)

    def authorise(self, kind: str, amount: int, card: CardInput, *, original: TxnRow | None = None
                  ) -> tuple[TxnRow, Verdict]:
        """One online request through the sale core; the row as it ended and the core's verdict. A sale that the
        core never decided (the duplicate guard's "charge again?" refused with nobody at the keypad) has no
        verdict: that is an error naming what stopped it, not a row without one."""
        result = self.sale(kind, amount, card, original=original)
        verdict = self.driver.last_core.verdict
        if result.id is None or verdict is None:
            raise RuntimeError(f"{kind} of {amount}: the core reached no verdict ({result.outcome}: {result.message})")
        return self.journal.txn(result.id), verdict

    def approve_offline(self, kind: str, amount: int, card: CardInput, chip_code: str) -> TxnRow:
        """A chip's offline approval (Y1/Y3) journaled with its sealed advice, as the core records one."""
        if card.pan is None or card.expiry is None or card.icc is None:
            raise ValueError("an offline approval needs the chip's PAN, expiry and ICC data")
        if card.entry_mode not in ("051", "052", "071", "072"):
            raise ValueError(f"entry mode {card.entry_mode}: only a chip may approve offline")
        return record_offline_approval(self.journal, self.cfg, kind=kind, proc_code=KINDS[kind], amount=amount,
                                       local_time=self.clock.now().local, card=card, chip_code=chip_code,
                                       message="APPROVED (OFFLINE)", tsc=None)
