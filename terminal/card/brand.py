"""The card brand (scheme) a PAN belongs to, from its issuer identification number: what a settlement slip counts
by, and what a merchant's statement from the acquirer lists separately.

Read from the first digits that the masked PAN keeps (first 6), so a brand never needs more card data than
the journal holds. Ranges are the schemes' published IIN ranges; a co-branded range (UnionPay/Discover in 622)
goes to the scheme that issues most of it in the terminal's market (UnionPay).
"""
from __future__ import annotations

# (first digits low, high, brand): the longest prefixes first, so a narrow range wins over a wide one.
_RANGES: tuple[tuple[str, str, str], ...] = (
    ("2221", "2720", "MASTERCARD"),
    ("3528", "3589", "JCB"),
    ("6011", "6011", "DISCOVER"),
    ("300", "305", "DINERS"),
    ("644", "649", "DISCOVER"),
    ("34", "34", "AMEX"),
    ("37", "37", "AMEX"),
    ("36", "36", "DINERS"),
    ("38", "39", "DINERS"),
    ("51", "55", "MASTERCARD"),
    ("62", "62", "UNIONPAY"),
    ("81", "81", "UNIONPAY"),
    ("65", "65", "DISCOVER"),
    ("4", "4", "VISA"),
)
OTHER = "OTHER"


def brand_of(pan: str) -> str:
    """'VISA', 'MASTERCARD', 'UNIONPAY', 'AMEX', 'JCB', 'DISCOVER', 'DINERS', or 'OTHER'. `pan` may be masked
    (its first digits are what count)."""
    for low, high, brand in _RANGES:
        head = pan[:len(low)]
        if len(head) == len(low) and head.isdigit() and low <= head <= high:
            return brand
    return OTHER


# A chip or a tap names its scheme by the AID's RID (its first 5 bytes, the registered application provider):
# on a co-badged card (a UnionPay application on a 4-prefixed PAN, say) that is the scheme the sale ran on.
RIDS = {
    "A000000003": "VISA",
    "A000000004": "MASTERCARD",
    "A000000025": "AMEX",
    "A000000065": "JCB",
    "A000000152": "DISCOVER",
    "A000000333": "UNIONPAY",
}


def brand(masked_pan: str, aid_hex: str | None = None) -> str:
    """The scheme of the chip's AID when its RID is listed, else the PAN's (brand_of)."""
    return (RIDS.get(aid_hex[:10].upper()) if aid_hex else None) or brand_of(masked_pan)
