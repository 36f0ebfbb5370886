"""The journal's words (its states and kinds, stored in English as the on-disk format) as an operator reads
them: `_(STATE_WORDS[row.state])` in a listing. JSON and the journal keep the stored words."""
from __future__ import annotations

from terminal.i18n.text import N_

# The English is the stored word itself: an English listing reads as it always has.
STATE_WORDS = {
    "sending": N_("sending"), "not_sent": N_("not_sent"), "approved": N_("approved"), "declined": N_("declined"),
    "reversal_pending": N_("reversal_pending"), "reversed": N_("reversed"), "advice_pending": N_("advice_pending"),
    "offline_approved": N_("offline_approved"), "voided": N_("voided"), "needs_attention": N_("needs_attention"),
    "cancelled": N_("cancelled"),
}


def state_word(state: str) -> str:
    from terminal.i18n.text import _
    return _(STATE_WORDS.get(str(state), str(state)))
