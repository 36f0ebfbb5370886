"""The customer/merchant receipt, as text lines. Masked PAN only; never track data."""
from __future__ import annotations

from terminal.config import Config
from terminal.i18n.money import format_amount
from terminal.txn.records import SaleResult

ENTRY_WORDS = {"051": "CHIP", "052": "CHIP", "071": "CONTACTLESS", "072": "CONTACTLESS", "901": "SWIPE",
               "902": "SWIPE", "801": "SWIPE (FALLBACK)", "802": "SWIPE (FALLBACK)", "011": "KEYED", "012": "KEYED"}
WIDTH = 32


def _row(left: str, right: str) -> str:
    return left + right.rjust(WIDTH - len(left))


def receipt(cfg: Config, r: SaleResult, when: str, kind: str = "SALE") -> list[str]:
    lines = ["=" * WIDTH, _row("MERCHANT", cfg.terminal.merchant_id.strip()), _row("TERMINAL", cfg.terminal.id),
             _row("DATE", when), "-" * WIDTH, kind.center(WIDTH),
             _row("CARD", r.masked_pan), _row("ENTRY", ENTRY_WORDS.get(r.entry_mode, r.entry_mode)),
             _row("AMOUNT", format_amount(r.amount, r.currency))]
    if r.auth_code:
        lines.append(_row("AUTH CODE", r.auth_code))
    if r.rrn:
        lines.append(_row("RRN", r.rrn))
    if r.stan is not None:
        lines.append(_row("STAN", f"{r.stan:06d}"))
    lines += ["-" * WIDTH, r.message[:WIDTH].center(WIDTH) if len(r.message) <= WIDTH else r.message, "=" * WIDTH]
    return lines
