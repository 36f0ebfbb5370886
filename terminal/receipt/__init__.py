"""Receipts as POS slips (签购单): slip.py builds the slip from the journal, render.py lays it out for 58 or 80 mm
paper, layout.py lines it up in printed columns (terminal/i18n/width.py counts them), output.py sends the
copies to the printer or the screen. See docs/receipts.md."""
from __future__ import annotations

from terminal.i18n.text import N_

# Entry mode (field 22) and journal kind in words, for `txn show` and the logs.
ENTRY_WORDS = {"051": N_("CHIP"), "052": N_("CHIP"), "071": N_("CONTACTLESS"), "072": N_("CONTACTLESS"),
               "901": N_("SWIPE"), "902": N_("SWIPE"), "801": N_("SWIPE (FALLBACK)"), "802": N_("SWIPE (FALLBACK)"),
               "011": N_("KEYED"), "012": N_("KEYED")}
TXN_KIND_WORDS = {"purchase": N_("purchase"), "refund": N_("refund"), "void": N_("void")}   # journal kinds
