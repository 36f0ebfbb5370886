"""The slip (签购单) as data: everything a sale, refund or void slip prints, built from the journal only (the row,
its chip lines, the original a void names) and the merchant's parameters, so the slip printed at the sale and
a reprint a week later are the same slip, with REPRINT / 重打印 the one difference.

Never card data beyond the masked PAN (first 6, last 4): the journal keeps nothing more, and a slip is paper
anyone may pick up.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from terminal.card.brand import brand
from terminal.config import Config
from terminal.store import Journal, StoreError, TxnRow, TxnState
from terminal.store.chip_record import ChipRecord

COPIES = ("merchant", "customer")
# A slip is paper for money that moved: approved (online or offline), or approved and later voided (the sale's
# own slip is still the sale's record).
SLIP_STATES = (TxnState.APPROVED, TxnState.OFFLINE_APPROVED, TxnState.ADVICE_PENDING, TxnState.VOIDED)


class NoSlip(Exception):
    """This transaction has no slip: nothing was charged or credited. The message says what happened."""


@dataclass(frozen=True)
class Slip:
    kind: str                    # purchase, refund, void
    copy: str                    # merchant, customer
    reprint: bool
    header: tuple[str, ...]      # [merchant] receipt_header (or a parameter bundle's): lines atop the slip
    merchant_name: str
    merchant_address: str
    merchant_id: str             # 商户编号, field 42
    terminal_id: str             # 终端编号, field 41
    masked_pan: str
    brand: str                   # VISA, UNIONPAY, ... (terminal/card/brand.py)
    entry_mode: str              # field 22
    batch: int
    voucher: int                 # 凭证号: the STAN, which the terminal never repeats within a batch
    auth_code: str
    rrn: str
    local_time: dt.datetime      # the sale's own instant (fields 12/13), not the printing time
    amount: int                  # minor units
    currency: str                # ISO 4217 numeric
    offline: bool                # approved by the chip without the host
    original_voucher: int | None  # a void's (or refund's) original transaction, by its voucher number
    cvm: str                     # pin, pin_signature, signature, no_cvm (what the slip asks of the cardholder)
    chip: ChipRecord | None


def cvm_of(kind: str, entry_mode: str, chip: ChipRecord | None) -> str:
    """What the slip asks for. A purchase follows the card's CVM; a swipe or key entry asks for a signature; a
    refund or void is a credit to the card, signed for on paper. A CVM the card failed, or none recorded, asks
    for a signature: the host approved, and a signature is the terminal's remaining proof of the cardholder."""
    if kind != "purchase" or chip is None:
        return "signature"
    method = chip.cvm
    if "pin" in method:
        return "pin_signature" if "signature" in method else "pin"
    if method in ("no_cvm", "cdcvm"):
        return "no_cvm"
    return "signature"


def slip_of(journal: Journal, cfg: Config, txn_id: int, *, copy: str = "merchant", reprint: bool = False) -> Slip:
    """The slip of transaction `txn_id` from the journal. Raises StoreError when there is no such transaction and
    NoSlip when it has no slip (declined, reversed, not sent, cancelled, in doubt)."""
    if copy not in COPIES:
        raise ValueError(f"copy {copy!r}: expected merchant or customer")
    row = journal.txn(txn_id)
    if row.state not in SLIP_STATES:
        raise NoSlip(f"transaction {row.id} is {row.state.value}: no slip, nothing was charged or credited"
                     f" ({row.message or row.state.value})")
    chip = journal.chip(row.id)
    return Slip(
        kind=row.kind, copy=copy, reprint=reprint, header=tuple(cfg.merchant.receipt_header), merchant_name=cfg.merchant.name,
        merchant_address=cfg.merchant.address, merchant_id=cfg.terminal.merchant_id.strip(),
        terminal_id=cfg.terminal.id, masked_pan=row.masked_pan,
        brand=brand(row.masked_pan, chip.aid if chip else None), entry_mode=row.entry_mode, batch=row.batch,
        voucher=row.stan, auth_code=row.auth_code or "", rrn=row.rrn or "", local_time=row.local_time,
        amount=row.amount, currency=row.currency,
        offline=row.state in (TxnState.OFFLINE_APPROVED, TxnState.ADVICE_PENDING),
        original_voucher=_original_voucher(journal, row), cvm=cvm_of(row.kind, row.entry_mode, chip), chip=chip)


def _original_voucher(journal: Journal, row: TxnRow) -> int | None:
    if row.original_id is None:
        return None
    try:
        return journal.txn(row.original_id).stan
    except StoreError:
        return None
