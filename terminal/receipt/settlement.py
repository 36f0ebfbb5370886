"""The settlement slip: what `posterm settle` (and the automatic settlement of `posterm run`) prints when a batch
is closed, or fails to close: the counts and amounts by kind and by card brand, the host's answer, the batch
number, the date and time, and when the money reaches the merchant.

That last line is the point of the slip. "The card was swiped and the money never arrived" is, more often than
any fault, a batch that was never settled, or settled after the acquirer's cut-off: the slip says in words
whether this batch's money is on its way, and when it arrives (`[merchant] settlement_note`, e.g. T+1).

Two parts, so the layout can change without touching the figures: `slip_of` builds the content (a value:
numbers and words, nothing laid out), `render` lays it out with the receipts' layout (terminal/receipt/
layout.py) for 58 mm paper (32 columns) or 80 mm (48), `[receipt] width`. Labels go through `_()`; columns are
counted as printed, so Chinese labels line up. `deliver` sends it where the sale slips go: the receipt printer
when `[printer] spec` names one, else the screen or stdout.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from terminal.card.brand import brand_of
from terminal.i18n.dates import format_datetime
from terminal.i18n.money import format_amount
from terminal.i18n.text import _
from terminal.i18n.width import rjust
from terminal.iso8583.response_codes import lookup
from terminal.config import Config
from terminal.receipt.layout import center, pair, rule, wrap
from terminal.receipt.output import Delivery
from terminal.store import Journal, TxnRow
from terminal.txn.settle import SettleResult

log = logging.getLogger("terminal.receipt")
BRAND_ORDER = ("UNIONPAY", "VISA", "MASTERCARD", "AMEX", "JCB", "DISCOVER", "DINERS", "OTHER")


@dataclass(frozen=True)
class Count:
    label: str       # already translated
    count: int
    amount: int      # minor units


@dataclass(frozen=True)
class SettlementSlip:
    merchant_name: str         # [merchant] name ('' prints no line)
    merchant_id: str
    terminal_id: str
    batch: int
    when: dt.datetime          # the terminal's local time when the host answered (or gave up)
    currency: str
    kinds: tuple[Count, ...]   # sales, refunds, voids
    net: int                   # what the host pays: sales minus refunds (voided sales count nowhere)
    brands: tuple[Count, ...]  # per card brand: sales and refunds, net amount
    brand_keys: tuple[str, ...]  # the brands' names as data (VISA, UNIONPAY, ...), in the order of `brands`
    closed: bool
    host_answer: str           # '00 approved', or why there was no answer
    outcome_line: str          # BATCH 000001 CLOSED / NOT SETTLED: ...
    uploaded: int
    money_line: str            # when the money arrives, or that it is not on its way


def _brand_word(brand: str) -> str:
    return {"UNIONPAY": _("UNIONPAY"), "OTHER": _("OTHER CARDS")}.get(brand, brand)


def slip_of(result: SettleResult, rows: list[TxnRow], *, merchant_id: str, terminal_id: str, currency: str,
            when: dt.datetime, settlement_note: str, merchant_name: str = "") -> SettlementSlip:
    """The slip's content from the settlement's result and the batch's rows (Batches.slip_rows)."""
    counted = [r for r in rows if r.state != "voided"]
    sales = [r for r in counted if r.kind == "purchase"]
    refunds = [r for r in counted if r.kind == "refund"]
    voided = [r for r in rows if r.state == "voided"]
    kinds = tuple(Count(label, len(group), sum(r.amount for r in group))
                  for label, group in ((_("SALES"), sales), (_("REFUNDS"), refunds), (_("VOIDED"), voided)))
    per_brand: dict[str, list[int]] = {}
    for r in counted:
        entry = per_brand.setdefault(brand_of(r.masked_pan), [0, 0])
        entry[0] += 1
        entry[1] += -r.amount if r.kind == "refund" else r.amount
    keys = tuple(b for b in BRAND_ORDER if b in per_brand)
    brands = tuple(Count(_brand_word(b), *per_brand[b]) for b in keys)
    closed = result.outcome == "closed"
    if result.response_code:
        answer = f"{result.response_code} {_(lookup(result.response_code).meaning)}"
    else:
        answer = _("no answer")
    if closed:
        money = settlement_note or _("funds reach your account as your acquirer's settlement terms say")
    else:
        money = _("this batch's money is not on its way until the batch is settled")
    return SettlementSlip(merchant_name.strip(), merchant_id.strip(), terminal_id, result.batch, when, currency, kinds,
                          sum(r.amount for r in sales) - sum(r.amount for r in refunds), brands, keys, closed, answer,
                          _(result.message), result.uploaded, money)


def slip_for(result: SettleResult, journal: Journal, cfg: Config, when: dt.datetime) -> SettlementSlip:
    """The slip of a settlement just made on `journal` with parameters `cfg`."""
    return slip_of(result, journal.batches.slip_rows(result.batch), merchant_id=cfg.terminal.merchant_id,
                   terminal_id=cfg.terminal.id, currency=cfg.terminal.currency, when=when,
                   settlement_note=cfg.merchant.settlement_note, merchant_name=cfg.merchant.name)


def _table(title: str, counts: tuple[Count, ...], currency: str, columns: int) -> list[str]:
    head = pair(title, f"{rjust(_('COUNT'), 5)} {rjust(_('AMOUNT'), 10)}", columns)
    return head + [line for c in counts
                   for line in pair(c.label, f"{c.count:>5} {rjust(format_amount(c.amount, currency), 10)}", columns)]


def render(slip: SettlementSlip, columns: int = 32) -> list[str]:
    """The slip as lines of at most `columns` printed columns (32 on 58 mm paper, 48 on 80 mm: [receipt]
    width), through the receipts' layout (terminal/receipt/layout.py)."""
    lines = [rule(columns, "="), center(_("SETTLEMENT"), columns)]
    if slip.merchant_name:
        lines += pair(_("MERCHANT NAME"), slip.merchant_name, columns)
    lines += pair(_("MERCHANT ID"), slip.merchant_id, columns) + pair(_("TERMINAL ID"), slip.terminal_id, columns)
    lines += pair(_("BATCH"), f"{slip.batch:06d}", columns) + pair(_("DATE/TIME"), format_datetime(slip.when), columns)
    lines.append(rule(columns))
    lines += _table(_("BY KIND"), slip.kinds, slip.currency, columns)
    lines += pair(_("NET"), format_amount(slip.net, slip.currency), columns)
    lines.append(rule(columns))
    lines += _table(_("BY CARD"), slip.brands, slip.currency, columns) if slip.brands else [_("no card sales")]
    lines.append(rule(columns))
    lines += wrap(_("HOST: {answer}").format(answer=slip.host_answer), columns)
    if slip.uploaded:
        lines += wrap(_("batch upload: {n} transaction(s)").format(n=slip.uploaded), columns)
    lines += wrap(slip.outcome_line, columns)
    lines += wrap(slip.money_line, columns)
    lines.append(rule(columns, "="))
    return lines


def deliver(cfg: Config, slip: SettlementSlip) -> Delivery:
    """The slip to the receipt printer when `[printer] spec` names one, else its lines for the screen/stdout.
    A printer that fails changes nothing of the settlement (the host has closed the batch or not, whatever the
    paper does): the operator is told, and the slip goes to the screen so its figures are not lost."""
    lines = render(slip, cfg.receipt.width)
    if not cfg.printer.spec:
        return Delivery(lines)
    from drivers.printer.errors import PrinterError
    from drivers.printer.escpos import EscposPrinter
    try:
        EscposPrinter(cfg.printer.spec).print_copies([lines])
    except PrinterError as e:
        log.warning("batch %06d: settlement slip not printed: %s", slip.batch, e)
        return Delivery([_("SETTLEMENT SLIP NOT PRINTED ({why}): the settlement stands as below").format(why=e)]
                        + lines, 0, str(e))
    return Delivery([], 1)
