"""The customer/merchant receipt, as text lines. Masked PAN only; never track data."""
from __future__ import annotations

from terminal.config import Config
from terminal.i18n import width as cols
from terminal.i18n.money import format_amount
from terminal.i18n.text import N_, _
from terminal.txn.records import SaleResult

ENTRY_WORDS = {"051": N_("CHIP"), "052": N_("CHIP"), "071": N_("CONTACTLESS"), "072": N_("CONTACTLESS"),
               "901": N_("SWIPE"), "902": N_("SWIPE"), "801": N_("SWIPE (FALLBACK)"), "802": N_("SWIPE (FALLBACK)"),
               "011": N_("KEYED"), "012": N_("KEYED")}
KIND_WORDS = {"SALE": N_("SALE"), "REFUND": N_("REFUND"), "VOID": N_("VOID")}
TXN_KIND_WORDS = {"purchase": N_("purchase"), "refund": N_("refund"), "void": N_("void")}   # journal kinds
WIDTH = 32


def _row(left: str, right: str) -> str:
    """A label at the left edge and its value at the right, in display columns (a Chinese character is 2)."""
    return cols.row(_(left), right, WIDTH)


def receipt(cfg: Config, r: SaleResult, when: str, kind: str = "SALE") -> list[str]:
    """The slip in the operator's language (terminal/i18n): labels through `_()`, columns counted for CJK."""
    header = [cols.center(line, WIDTH) for line in getattr(getattr(cfg, "merchant", None), "receipt_header", ())]
    lines = ["=" * WIDTH, *header, _row(N_("MERCHANT"), cfg.terminal.merchant_id.strip()), _row(N_("TERMINAL"), cfg.terminal.id),
             _row(N_("DATE/TIME"), when), "-" * WIDTH, cols.center(_(KIND_WORDS.get(kind, kind)), WIDTH),
             _row(N_("CARD"), r.masked_pan), _row(N_("ENTRY"), _(ENTRY_WORDS.get(r.entry_mode, r.entry_mode))),
             _row(N_("AMOUNT"), format_amount(r.amount, r.currency))]
    if r.auth_code:
        lines.append(_row(N_("AUTH CODE"), r.auth_code))
    if r.rrn:
        lines.append(_row(N_("RRN"), r.rrn))
    if r.stan is not None:
        lines.append(_row(N_("STAN"), f"{r.stan:06d}"))
    message = _(r.message)
    lines += ["-" * WIDTH, *(cols.center(line, WIDTH) for line in cols.wrap(message, WIDTH)), "=" * WIDTH]
    return lines
