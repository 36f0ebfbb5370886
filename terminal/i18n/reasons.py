"""A device's reason, as the operator reads it: the driver's exact words in English, a short phrase in Chinese.

Drivers explain a failure for an engineer ("reader 'ACS ACR39U 00 00': the card was removed during GENERATE
AC (no valid response)"); that text stays in the journal, the log and the English screen unchanged. A
Chinese-speaking operator gets the kind of failure it is, in Chinese, since the driver's detail means nothing
to them. A reason of no kind listed here is shown as the driver wrote it, in every language.
"""
from __future__ import annotations

from dataclasses import dataclass

from terminal.i18n.text import SOURCE_LANGUAGE, N_, translate

# (words in the driver's reason, the operator's phrase): the first match wins.
KINDS = (
    ("removed", N_("the card was removed")),
    ("no card inserted", N_("no card was presented in time")),
    ("no swipe within", N_("no card was swiped in time")),
    ("in use by another", N_("the card reader is busy")),
    ("went away", N_("the card reader is not available")),
    ("no PC/SC reader", N_("the card reader is not available")),
    ("not found", N_("the card reader is not available")),
)


@dataclass(frozen=True)
class CardReason:
    detail: str   # the driver's own words
    kind: str     # the operator's phrase (a msgid)

    def shown(self, lang: str) -> str:
        return self.detail if lang == SOURCE_LANGUAGE else translate(self.kind, lang)

    def __str__(self) -> str:
        return self.detail


def card_reason(detail: str) -> CardReason | str:
    for words, kind in KINDS:
        if words in detail:
            return CardReason(detail, kind)
    return detail
