"""Processing restrictions, EMV Book 3 section 10.4: application version, Application Usage Control, effective
and expiration dates. Only sets TVR bits; terminal action analysis decides what they mean."""
from __future__ import annotations

from datetime import date

from terminal.emv.context import KernelContext

PURCHASE_TYPES = (0x00, 0x09)          # goods/services, cashback
REFUND_TYPE = 0x20


def bcd_date(value: bytes) -> date | None:
    """YYMMDD in BCD; None when the digits do not make a date."""
    try:
        digits = value.hex()
        return date(2000 + int(digits[0:2]), int(digits[2:4]), int(digits[4:6]))
    except (ValueError, IndexError):
        return None


def check_restrictions(ctx: KernelContext) -> None:
    card = ctx.card
    card_version = card.get(0x9F08)
    if card_version is not None and card_version != ctx.aid.app_version:
        ctx.tvr.set("different_versions")

    auc = card.get(0x9F07)
    if auc is not None and len(auc) >= 2:
        if not auc[0] & 0x01:                                  # b1: valid at terminals other than ATMs
            ctx.tvr.set("service_not_allowed")
        issuer_country = card.get(0x5F28)
        if issuer_country is not None and ctx.txn.transaction_type in PURCHASE_TYPES:
            domestic = issuer_country.hex().lstrip("0") == ctx.config.country_code.lstrip("0")
            goods, services = (0x20, 0x08) if domestic else (0x10, 0x04)   # byte 1 b6/b4 or b5/b3
            if not auc[0] & (goods | services):
                ctx.tvr.set("service_not_allowed")

    today = ctx.txn.today
    effective = card.get(0x5F25)
    if effective is not None:
        start = bcd_date(effective)
        if start is None or today < start:
            ctx.tvr.set("application_not_yet_effective")
    expiry = bcd_date(card[0x5F24])
    if expiry is None or today > expiry:
        ctx.tvr.set("expired_application")
