"""A chip sale over a card channel already open, for callers that hold one (tests, benchmarks): the one sale
core and driver loop, with the channel as the card source. Nothing of the flow lives here."""
from __future__ import annotations

from terminal.emv.outcome import Outcome
from terminal.txn.cards import ChipReader
from terminal.txn.engine import Engine
from terminal.txn.records import SaleResult


def chip_sale(engine: Engine, kind: str, amount: int, channel, *, pinpad=None, on_online=None,
              emv: object | None = None, operator=None) -> tuple[SaleResult, Outcome | None]:
    """`emv` overrides the kernel's terminal data built from the TOML parameters, as a provisioning bundle
    would; `on_online` runs when the 0200 leaves (a test pulls the card there)."""
    driver = engine.driver
    driver.emv = emv
    result = driver.sale(kind, amount, ChipReader(lambda: channel), pinpad=pinpad, operator=operator,
                         on_request_sent=on_online)
    return result, driver.last_core.outcome
