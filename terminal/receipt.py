"""The customer/merchant receipt, as text lines. Masked PAN only; never track data."""
from __future__ import annotations

from terminal.config import Config
from terminal.txn.records import SaleResult

# ISO 4217: numeric code -> (alphabetic code, minor unit digits), for the currencies a demo terminal meets.
CURRENCIES = {"156": ("CNY", 2), "840": ("USD", 2), "978": ("EUR", 2), "826": ("GBP", 2), "392": ("JPY", 0),
              "356": ("INR", 2), "036": ("AUD", 2), "124": ("CAD", 2), "344": ("HKD", 2), "702": ("SGD", 2)}
ENTRY_WORDS = {"051": "CHIP", "052": "CHIP", "071": "CONTACTLESS", "072": "CONTACTLESS", "901": "SWIPE",
               "902": "SWIPE", "801": "SWIPE (FALLBACK)", "802": "SWIPE (FALLBACK)", "011": "KEYED", "012": "KEYED"}
WIDTH = 32


def format_amount(minor: int, currency: str) -> str:
    code, digits = CURRENCIES.get(currency, (currency, 2))
    if digits == 0:
        return f"{code} {minor}"
    return f"{code} {minor // 10 ** digits}.{minor % 10 ** digits:0{digits}d}"


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
