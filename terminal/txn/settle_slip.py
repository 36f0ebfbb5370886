"""The settlement slip: what `posterm settle` (and the automatic settlement of `posterm run`) prints when a batch
is closed, or fails to close: the counts and amounts by kind and by card brand, the host's answer, the batch
number, the date and time, and when the money reaches the merchant.

That last line is the point of the slip. "The card was swiped and the money never arrived" is, more often than
any fault, a batch that was never settled, or settled after the acquirer's cut-off: the slip says in words
whether this batch's money is on its way, and when it arrives (`[merchant] settlement_note`, e.g. T+1).

Two parts, so the layout can change without touching the figures: `slip_of` builds the content (a value:
numbers and words, nothing laid out), `render` lays it out in columns for 58 mm paper (32 columns) or 80 mm
(48). Labels go through `_()`; widths are counted in display columns (terminal/i18n/width.py), so Chinese
labels line up.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from terminal.card.brand import brand_of
from terminal.i18n.dates import format_datetime
from terminal.i18n.money import format_amount
from terminal.i18n.text import _
from terminal.i18n.width import center, rjust, row, wrap
from terminal.iso8583.response_codes import lookup
from terminal.config import Config
from terminal.store import Journal, TxnRow
from terminal.txn.settle import SettleResult

BRAND_ORDER = ("UNIONPAY", "VISA", "MASTERCARD", "AMEX", "JCB", "DISCOVER", "DINERS", "OTHER")


@dataclass(frozen=True)
class Count:
    label: str       # already translated
    count: int
    amount: int      # minor units


@dataclass(frozen=True)
class SettlementSlip:
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
            when: dt.datetime, settlement_note: str) -> SettlementSlip:
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
    return SettlementSlip(merchant_id.strip(), terminal_id, result.batch, when, currency, kinds,
                          sum(r.amount for r in sales) - sum(r.amount for r in refunds), brands, keys, closed, answer,
                          _(result.message), result.uploaded, money)


def slip_for(result: SettleResult, journal: Journal, cfg: Config, when: dt.datetime) -> SettlementSlip:
    """The slip of a settlement just made on `journal` with parameters `cfg`."""
    return slip_of(result, journal.batches.slip_rows(result.batch), merchant_id=cfg.terminal.merchant_id,
                   terminal_id=cfg.terminal.id, currency=cfg.terminal.currency, when=when,
                   settlement_note=cfg.merchant.settlement_note)


def _table(title: str, counts: tuple[Count, ...], currency: str, width: int) -> list[str]:
    head = row(title, f"{rjust(_('COUNT'), 5)} {rjust(_('AMOUNT'), 10)}", width)
    return [head] + [row(c.label, f"{c.count:>5} {rjust(format_amount(c.amount, currency), 10)}", width)
                     for c in counts]


def render(slip: SettlementSlip, width: int = 32) -> list[str]:
    """The slip as lines of at most `width` display columns."""
    title = _("SETTLEMENT")
    lines = ["=" * width, center(title, width).rstrip(),
             row(_("MERCHANT ID"), slip.merchant_id, width), row(_("TERMINAL ID"), slip.terminal_id, width),
             row(_("BATCH"), f"{slip.batch:06d}", width),
             row(_("DATE/TIME"), format_datetime(slip.when), width), "-" * width]
    lines += _table(_("BY KIND"), slip.kinds, slip.currency, width)
    lines.append(row(_("NET"), format_amount(slip.net, slip.currency), width))
    lines.append("-" * width)
    lines += _table(_("BY CARD"), slip.brands, slip.currency, width) if slip.brands else [_("no card sales")]
    lines.append("-" * width)
    lines += wrap(_("HOST: {answer}").format(answer=slip.host_answer), width)
    if slip.uploaded:
        lines.append(_("batch upload: {n} transaction(s)").format(n=slip.uploaded))
    lines += wrap(slip.outcome_line, width)
    lines += wrap(slip.money_line, width)
    lines.append("=" * width)
    return lines
