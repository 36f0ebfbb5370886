"""What the journal hands back and takes in, as frozen dataclasses: rows are values, never live cursors."""
from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from terminal.store.states import SafKind, SafState, TxnState


@dataclass(frozen=True)
class NewTxn:
    """Everything a new transaction row needs from its caller. The journal adds the rest in the same commit:
    id, STAN, batch, timestamps and the first txn_event. `tsc` is the 9F41 value the card was given, if any
    (take it from Journal.next_tsc before the kernel runs)."""

    kind: str               # purchase, refund, void
    proc_code: str
    amount: int             # minor units
    currency: str
    local_time: dt.datetime
    transmitted: str        # field 7 of the first transmission; '' when nothing is sent
    entry_mode: str
    masked_pan: str
    psn: str | None = None
    original_id: int | None = None  # the transaction a void or refund refers to
    state: TxnState = TxnState.SENDING
    reason: str = "request about to be sent"
    message: str = ""
    tsc: int | None = None
    card_hash: str | None = None    # the card's keyed hash (terminal/risk/cardhash.py), never the PAN
    risk: tuple[tuple[str, str, str], ...] = ()   # (rule, decision, detail) of each risk rule that fired


@dataclass(frozen=True)
class TxnRow:
    id: int
    kind: str
    proc_code: str
    amount: int
    currency: str
    stan: int
    local_time: dt.datetime
    transmitted: str
    entry_mode: str
    masked_pan: str
    psn: str | None
    batch: int
    state: TxnState
    response_code: str | None
    auth_code: str | None
    rrn: str | None
    message: str
    original_id: int | None
    created_at: str
    updated_at: str
    tsc: int | None = None


@dataclass(frozen=True)
class SafRow:
    id: int
    txn_id: int
    kind: SafKind
    stan: int
    reason_code: str
    sealed: bytes | None
    attempts: int
    next_at: float
    state: SafState
    last_error: str
    created_at: str


@dataclass(frozen=True)
class SafOutcome:
    """How a delivered (or abandoned) entry ends: the entry's state and its transaction's, in one commit."""

    saf_id: int
    txn_id: int
    txn_state: TxnState | str
    reason: str
    state: SafState | str = SafState.DELIVERED
    rrn: str | None = None  # an advice's acknowledgement carries the host's RRN, needed for batch upload


def txn_row(r: sqlite3.Row | dict) -> TxnRow:
    d = dict(r)
    d["local_time"] = dt.datetime.fromisoformat(d["local_time"])
    d["state"] = TxnState(d["state"])
    return TxnRow(**d)


def saf_row(r: sqlite3.Row | dict) -> SafRow:
    d = dict(r)
    d.pop("updated_at", None)
    d["kind"] = SafKind(d["kind"])
    d["state"] = SafState(d["state"])
    return SafRow(**d)
