"""A Slip as the lines of paper: 32 columns (58 mm) or 48 (80 mm), in the operator's language.

Labels go through `_()`. In Chinese the slip is Chinese, labels as a UnionPay 签购单 names its fields (商户名称,
凭证号, 参考号 ...), like the settlement slip and every Chinese screen: nothing English reaches a Chinese
operator (tests/i18n/test_untranslated.py). Amounts and dates take the language's
form (terminal/i18n/money.py, dates.py: 'CNY 12.34' and 2026-12-01 in English, '¥12.34' and 2026/12/01 in
Chinese); ids and the masked PAN are the same in every language. The EMV data names (AID, TC, ARQC, TVR, TSI)
are the tags' own names and are printed as they are on every slip.
"""
from __future__ import annotations

from terminal.i18n.dates import format_datetime
from terminal.i18n.money import format_amount
from terminal.i18n.text import _
from terminal.receipt.layout import center, pair, rule, wrap
from terminal.receipt.slip import Slip

ENTRY = {"05": "INSERTED", "07": "TAPPED", "90": "SWIPED", "80": "FALLBACK SWIPED", "01": "KEYED IN"}


def amount_text(minor: int, currency: str, negative: bool = False) -> str:
    """The amount in the language's form ('CNY 12.34', '¥12.34'; 'KRW 1000'), with a minus before the digits
    for money going back to the card ('CNY -8.80', '¥-8.80')."""
    text = format_amount(minor, currency)
    if not negative:
        return text
    at = next(i for i, ch in enumerate(text) if ch.isdigit())
    return text[:at] + "-" + text[at:]


def _kind_word(slip: Slip) -> str:
    if slip.kind == "refund":
        return _("REFUND")
    if slip.kind == "void":
        return _("VOID")
    return _("SALE (OFFLINE)") if slip.offline else _("SALE")


def _brand_word(brand: str) -> str:
    """The scheme's name as the settlement slip writes it too: 银联 in Chinese, the Latin names as they are."""
    return _("UNIONPAY") if brand == "UNIONPAY" else brand


def _entry_word(entry_mode: str) -> str:
    words = {"INSERTED": _("INSERTED"), "TAPPED": _("TAPPED"), "SWIPED": _("SWIPED"),
             "FALLBACK SWIPED": _("FALLBACK SWIPED"), "KEYED IN": _("KEYED IN")}
    english = ENTRY.get(entry_mode[:2])
    return words[english] if english else entry_mode


def _cvm_lines(slip: Slip, columns: int) -> list[str]:
    lines: list[str] = []
    if slip.cvm in ("pin", "pin_signature"):
        lines += wrap(_("PIN VERIFIED"), columns)
    if slip.cvm == "no_cvm":
        lines += wrap(_("NO CVM REQUIRED"), columns)
    if slip.cvm in ("signature", "pin_signature") and slip.copy == "merchant":
        lines += wrap(_("CARDHOLDER SIGNATURE"), columns) + ["", "", rule(columns, "_")]
        if slip.kind == "purchase":
            lines += wrap(_("I CONFIRM THE ABOVE TRANSACTION AND AGREE TO ITS CHARGE TO MY CARD ACCOUNT"), columns)
    return lines


def render(slip: Slip, columns: int = 32) -> list[str]:
    """The slip's lines, none wider than `columns` (a wide character counted as 2), no trailing spaces."""
    if columns not in (32, 48):
        raise ValueError(f"slip width {columns}: expected 32 (58 mm) or 48 (80 mm) columns")
    lines = [center(_("POS SALES SLIP"), columns),
             center(_("MERCHANT COPY") if slip.copy == "merchant" else _("CARDHOLDER COPY"), columns)]
    if slip.reprint:
        lines.append(center(_("REPRINT"), columns))
    lines.append(rule(columns, "="))
    lines += [center(line, columns) for line in slip.header]
    lines += pair(_("MERCHANT NAME"), slip.merchant_name, columns)
    if slip.merchant_address:
        lines += wrap(slip.merchant_address, columns)
    lines += pair(_("MERCHANT NO."), slip.merchant_id, columns)
    lines += pair(_("TERMINAL NO."), slip.terminal_id, columns)
    lines.append(rule(columns))
    rows = [(_("CARD NO."), slip.masked_pan), (_("CARD TYPE/ISSUER"), _brand_word(slip.brand)),
            (_("ENTRY MODE"), _entry_word(slip.entry_mode)), (_("TRANS TYPE"), _kind_word(slip)),
            (_("BATCH NO."), f"{slip.batch:06d}"), (_("VOUCHER NO."), f"{slip.voucher:06d}")]
    if slip.original_voucher is not None:
        rows.append((_("ORIG. VOUCHER NO."), f"{slip.original_voucher:06d}"))
    rows += [(_("AUTH NO."), slip.auth_code), (_("REF NO."), slip.rrn),
             (_("TXN TIME"), format_datetime(slip.local_time))]
    for label, value in rows:
        if value:
            lines += pair(label, value, columns)
    lines.append(rule(columns))
    lines += pair(_("TOTAL"), amount_text(slip.amount, slip.currency, slip.kind != "purchase"), columns)
    lines.append(rule(columns))
    chip = slip.chip
    if chip is not None:
        for label, value in (("AID", chip.aid), (_("APP LABEL"), chip.label),
                             (chip.cryptogram_type or "AC", chip.cryptogram), ("TVR", chip.tvr), ("TSI", chip.tsi)):
            if value:
                lines += pair(label, value, columns)
        lines.append(rule(columns))
    cvm = _cvm_lines(slip, columns)
    if cvm:
        lines += cvm + [rule(columns, "=")]
    else:
        lines[-1] = rule(columns, "=")
    return [line.rstrip() for line in lines]
