"""Every state word the journal writes, as enums.

They are StrEnums because the words are the on-disk format (the `state` columns hold them as text, and
`posterm txn show` prints them) and because callers outside the store compare rows with plain strings
(`row.state == "approved"`): a StrEnum member equals its value, so those comparisons keep working while the
store itself can no longer misspell a state.
"""
from __future__ import annotations

import enum


class TxnState(enum.StrEnum):
    """Where a transaction stands (txn.state, txn_event.state). The allowed moves: lifecycle.TRANSITIONS."""

    SENDING = "sending"                    # write-ahead committed; the request may be on the wire
    NOT_SENT = "not_sent"                  # nothing left the terminal
    APPROVED = "approved"
    DECLINED = "declined"
    REVERSAL_PENDING = "reversal_pending"  # a 0400 is queued in saf
    REVERSED = "reversed"
    ADVICE_PENDING = "advice_pending"      # approved offline by the chip, the 0220 is queued in saf
    OFFLINE_APPROVED = "offline_approved"  # ... and the host has acknowledged the advice
    VOIDED = "voided"                      # removed from the batch by an approved void
    NEEDS_ATTENTION = "needs_attention"    # store-and-forward gave up: someone must settle it with the acquirer
    CANCELLED = "cancelled"


class SafKind(enum.StrEnum):
    """What a store-and-forward entry carries to the host."""

    REVERSAL = "reversal"  # 0400/0401, with a STAN of its own
    ADVICE = "advice"      # 0220/0221, with its transaction's STAN


class SafState(enum.StrEnum):
    """Where a store-and-forward entry stands (saf.state)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    NEEDS_ATTENTION = "needs_attention"


class SettlementState(enum.StrEnum):
    """Where a 0500 stands (settlement.state)."""

    SENDING = "sending"
    CLOSED = "closed"                  # in balance: the next batch is open
    OUT_OF_BALANCE = "out_of_balance"  # the batch upload follows
    FAILED = "failed"

