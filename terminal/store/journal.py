"""The journal: one SQLite file, every change one short IMMEDIATE transaction committed (fsynced) before the
caller acts on it (DESIGN.md, "Transaction lifecycle and durability").

`Journal` is a facade: it opens the file once and composes the parts, each one job, over that connection:

    journal.db            the connection: write(), read()                      (db.py)
    journal.transactions  transaction rows: write-ahead, lifecycle-checked moves (transactions.py)
    journal.saf           the store-and-forward queue, offline approvals        (saf.py)
    journal.batches       batch totals and settlement                           (batch.py)
    journal.counters      STAN, 9F41 sequence counter, batch number             (counters.py)
    journal.carriers      which address carried each message                    (carriers.py)
    journal.alerts        alerts: risk rules, key alert, needs attention, faults (alerts.py)
    journal.risk          keyed card hashes the risk rules read                 (risk.py)
    journal.ident         what the journal must be, kept beside it              (identity.py)

Its methods are the journal's long-standing API, each handing straight to a part, so callers written against
one class keep working; new code may use the parts directly.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sqlite3
from pathlib import Path
from typing import Callable

from terminal.store.alerts import Alerts
from terminal.store.batch import Batches
from terminal.store.carriers import Carried, Carriers
from terminal.store.counters import STAN_MAX, TSC_MAX, Counters
from terminal.store import archive, chip_record, search
from terminal.store.chip_record import ChipRecord
from terminal.store import identity as idf
from terminal.store.db import Database, DiskFull
from terminal.store.reserve import Reserve
from terminal.store.risk import RiskCards
from terminal.store.errors import StoreError
from terminal.store.rows import NewTxn, SafOutcome, SafRow, TxnRow, txn_row
from terminal.store.saf import SafQueue
from terminal.store.search import TxnFilter
from terminal.store.states import SafKind, SafState, SettlementState, TxnState
from terminal.store.transactions import Transactions

__all__ = ["Journal", "NewTxn", "TxnRow", "SafRow", "SafOutcome", "TxnState", "SafKind", "SafState",
           "SettlementState", "STAN_MAX", "TSC_MAX"]


class Journal:
    def __init__(self, path: str | os.PathLike, *, terminal_id: str | None = None,
                 utc: Callable[[], dt.datetime] | None = None) -> None:
        """Opens the journal and checks it is the one its data dir must hold (identity.py): refused with
        IdentityError, before anything is written, when it is missing, empty, another terminal's or another
        creation's, or behind its high-water marks. `terminal_id`: the configured [terminal] id, checked
        against the identity's when given (the transacting commands give it). `utc`: the terminal's one clock
        for the journal's timestamps (the driver's `Clock`; the system clock when not given)."""
        path = Path(path)
        self.identity_path = idf.path_beside(path)
        found = idf.read(self.identity_path)
        if found is not None:
            _refuse_before_open(path, found, terminal_id)
        elif path.exists() and path.stat().st_size == 0:
            raise idf.IdentityError(f"journal {path} is empty (0 bytes): it is not started afresh over lost books;"
                                    " restore it, or start a new journal on purpose with `posterm journal new`")
        self.db = Database(path, utc) if utc is not None else Database(path)
        try:
            self.ident = self._check_identity(found, terminal_id)
        except BaseException:
            self.db.close()
            raise
        self._durable = True
        self.db.on_commit = self._follow_marks
        self.reserve = Reserve(path)
        self.reserve.ensure()
        self.counters = Counters(self.db)
        self.alerts = Alerts(self.db)
        self.risk = RiskCards(self.db)
        self.transactions = Transactions(self.db, self.counters, self.alerts, self.risk)
        self.saf = SafQueue(self.db, self.counters, self.transactions)
        self.batches = Batches(self.db, self.counters)
        self.carriers = Carriers(self.db)

    @property
    def path(self) -> Path:
        return self.db.path

    @property
    def _conn(self) -> sqlite3.Connection | None:
        """The live connection (None after a failed commit until the next call reopens), for tests that
        inspect pragmas or age a row by hand."""
        return self.db.conn

    def close(self) -> None:
        """A quiet point: the identity's marks are made durable (if they moved), then the file is closed."""
        if self.db.conn is not None or not self._durable:
            self.sync_identity()
        self.db.close()

    # -- identity -----------------------------------------------------------------------------------------
    def _check_identity(self, found: idf.Identity | None, terminal_id: str | None) -> idf.Identity:
        meta = dict((r[0], r[1]) for r in self.db.read(
            "SELECT key, value FROM meta WHERE key IN ('creation_id', 'terminal_id')"))
        marks = self._marks()
        if found is None:
            if meta.get("creation_id") and (marks.txn_id or marks.stan):
                raise idf.IdentityError(
                    f"journal {self.path}: its identity file {self.identity_path.name} is missing, so nothing says"
                    " this is the right journal for this data dir; restore the file, or start a new journal on"
                    " purpose with `posterm journal new`")
            # First open of this data dir (or a journal from before identities): it becomes this dir's journal.
            ident = idf.Identity(terminal_id or meta.get("terminal_id", ""),
                                 meta.get("creation_id") or idf.new_creation_id(), self.db.now()).with_marks(marks)
            with self.db.write() as conn:
                idf.stamp(conn, ident)
            idf.write(self.identity_path, ident, durable=True)
            return ident
        if not meta.get("creation_id") and found.marks == idf.Marks() and marks == idf.Marks():
            meta["creation_id"] = found.creation_id  # the empty journal is started again under its identity
            with self.db.write() as conn:
                idf.stamp(conn, found)
        if meta.get("creation_id") != found.creation_id:
            theirs = meta.get("terminal_id")
            if not meta.get("creation_id"):
                what = "a journal with no identity of its own (a new or foreign file)"
            elif theirs and found.terminal_id and theirs != found.terminal_id:
                what = f"terminal {theirs}'s journal"
            else:
                what = f"another journal (creation {meta['creation_id']})"
            raise idf.IdentityError(
                f"journal {self.path} is {what}, not terminal {found.terminal_id or '?'}'s journal (creation"
                f" {found.creation_id}) that this data dir holds; nothing was written")
        behind = marks.behind(found.marks)
        if behind:
            raise idf.IdentityError(
                f"journal {self.path} is behind its high-water marks ({behind}): an older copy of the books;"
                " restore the newest file, or start a new journal on purpose with `posterm journal new`")
        ident = found.with_marks(marks)
        if terminal_id and not found.terminal_id:
            ident = dataclasses.replace(ident, terminal_id=terminal_id)
            with self.db.write() as conn:
                idf.stamp(conn, ident)
            idf.write(self.identity_path, ident, durable=True)
        return ident

    def _marks(self) -> idf.Marks:
        conn = self.db.connection()
        try:
            return idf.Marks.of(conn)
        except sqlite3.Error as e:
            raise StoreError(f"journal {self.path}: read failed: {e}") from None

    def _follow_marks(self) -> None:
        """After each commit: the marks it moved go to the identity file, without an fsync (identity.py)."""
        try:
            marks = self._marks()
            if marks != self.ident.marks:
                self.ident = self.ident.with_marks(marks)
                self._durable = False
                idf.write(self.identity_path, self.ident, durable=False)
        except (StoreError, sqlite3.Error):
            self._durable = False  # behind is the safe side; the next quiet point writes it again

    def sync_identity(self) -> None:
        """A quiet point: make the marks durable if anything moved them since the last durable write."""
        if self._durable:
            return
        try:
            if self.db.conn is not None:
                self.ident = self.ident.with_marks(self._marks())
            idf.write(self.identity_path, self.ident, durable=True)
            self._durable = True
        except (StoreError, sqlite3.Error):
            pass  # a full disk: the marks stay behind, which never refuses a good journal

    # -- transactions -------------------------------------------------------------------------------------
    def begin_txn(self, new: NewTxn) -> TxnRow:
        """The write-ahead commit: after this returns, the request may leave the terminal. A row that will be
        sent is written only while the reserve for its outcome is in place (reserve.py)."""
        if TxnState(new.state) is TxnState.SENDING:
            self._need_reserve()
        return self.transactions.begin_txn(new)

    def _need_reserve(self) -> None:
        if not self.reserve.ensure():
            raise DiskFull(f"journal {self.path}: no room for the {self.reserve.path.name} that keeps space to"
                           f" record the outcome, so nothing was sent{self.db.disk_hint() or ' (the disk is full)'}")

    def _outcome(self, write: Callable[[], object]) -> object:
        """An outcome the host may already have acted on: if the disk is full, the reserve is given back and the
        same write is made again on a fresh connection (the failed commit recorded nothing)."""
        try:
            return write()
        except DiskFull:
            if not self.reserve.release():
                raise
            return write()

    def begin(self, *, kind: str, proc_code: str, amount: int, currency: str, local_time: dt.datetime,
              transmitted: str, entry_mode: str, masked_pan: str, psn: str | None = None,
              original_id: int | None = None, state: TxnState | str = TxnState.SENDING,
              reason: str = "request about to be sent", message: str = "", tsc: int | None = None,
              card_hash: str | None = None, risk: tuple = ()) -> TxnRow:
        """begin_txn with keywords (the older spelling)."""
        return self.begin_txn(NewTxn(kind, proc_code, amount, currency, local_time, transmitted, entry_mode,
                                     masked_pan, psn, original_id, TxnState(state), reason, message, tsc,
                                     card_hash, tuple(risk)))

    def set_state(self, txn_id: int, state: TxnState | str, reason: str, *, response_code: str | None = None,
                  auth_code: str | None = None, rrn: str | None = None, message: str | None = None,
                  voids: int | None = None) -> None:
        """`voids`: the original an approved void removes from the batch, marked in the same commit."""
        self._outcome(lambda: self.transactions.set_state(txn_id, state, reason, response_code=response_code,
                                                          auth_code=auth_code, rrn=rrn, message=message,
                                                          voids=voids))

    def note(self, txn_id: int, reason: str) -> None:
        """An event in the row's current state: a fact about it that moves nothing (what a contactless second
        tap delivered to the card, docs/emv.md)."""
        self.transactions.note(txn_id, reason)

    def txn(self, txn_id: int) -> TxnRow:
        """A transaction of the live journal, else of the archive (archive.py)."""
        try:
            return self.transactions.txn(txn_id)
        except StoreError:
            found = archive.find(self.path, txn_id)
            if found is None:
                raise
            return txn_row(found[0])

    def peek_txns(self, txn_id: int | None = None) -> list[TxnRow]:
        """Transaction `txn_id` (else the newest) as the file holds it, read without writing (db.peek)."""
        rows = (self.db.peek("SELECT * FROM txn WHERE id=?", (txn_id,)) if txn_id is not None
                else self.db.peek("SELECT * FROM txn ORDER BY id DESC LIMIT 1"))
        return [txn_row(r) for r in rows]

    def txns(self, limit: int = 50) -> list[TxnRow]:
        return self.transactions.txns(limit)

    def txns_in_state(self, *states: TxnState | str) -> list[TxnRow]:
        return self.transactions.txns_in_state(*states)

    def find(self, f: TxnFilter, limit: int = 50) -> list[tuple[TxnRow, bool]]:
        """The newest `limit` transactions matching `f` (search.py) in the live journal and its archive, newest
        first, each with whether it was archived. Both queries are indexed."""
        try:
            live = [(txn_row(r), False) for r in search.select(self.db.connection(), f, limit)]
        except sqlite3.Error as e:
            raise StoreError(f"journal {self.path}: read failed: {e}") from None
        old = [(txn_row(r), True) for r in archive.select(self.path, f, limit)]
        if search.by_time(f):  # the order of search.order
            return sorted(live + old, key=lambda found: (found[0].local_time, found[0].id), reverse=True)[:limit]
        return sorted(live + old, key=lambda found: found[0].id, reverse=True)[:limit]

    def events(self, txn_id: int) -> list[tuple[str, TxnState, str]]:
        events = self.transactions.events(txn_id)
        if not events:
            found = archive.find(self.path, txn_id)
            if found is not None:
                return [(at, TxnState(state), reason) for at, state, reason in found[1]]
        return events

    # -- what a chip or tap slip prints (chip_record.py) ---------------------------------------------------
    def keep_chip(self, txn_id: int, record: ChipRecord) -> None:
        """The chip's slip lines of a transaction, in a commit that does not wait for the disk."""
        with self.db.write(fsync=False) as conn:
            chip_record.keep(conn, txn_id, record)

    def chip(self, txn_id: int) -> ChipRecord | None:
        """The chip's slip lines of a transaction (live journal, else the archive); None for a swipe or an older
        row."""
        try:
            found = chip_record.read(self.db.connection(), txn_id)
        except sqlite3.Error as e:
            raise StoreError(f"journal {self.path}: read failed: {e}") from None
        return found if found is not None else archive.find_chip(self.path, txn_id)

    def archive_settled(self, keep_days: int, now: dt.datetime | None = None) -> int:
        """Move settled batches older than keep_days to the append-only archive (archive.py). A failure leaves
        everything in the journal, where it was: it never fails the settlement that called it."""
        try:
            return archive.move_settled(self.db, keep_days, now)
        except StoreError:
            return 0

    # -- offline approvals (a row and its advice in one commit) ----------------------------------------
    def begin_offline(self, *, kind: str, proc_code: str, amount: int, currency: str, local_time: dt.datetime,
                      entry_mode: str, masked_pan: str, psn: str | None, chip_code: str,
                      seal: Callable[[int], bytes], message: str, tsc: int | None = None,
                      card_hash: str | None = None, risk: tuple = ()) -> TxnRow:
        """An offline approval and its advice, in ONE commit (SafQueue.begin_offline)."""
        new = NewTxn(kind, proc_code, amount, currency, local_time, "", entry_mode, masked_pan, psn,
                     state=TxnState.ADVICE_PENDING, message=message, tsc=tsc, card_hash=card_hash, risk=tuple(risk))
        return self.saf.begin_offline(new, chip_code, seal)

    def to_offline(self, txn_id: int, chip_code: str, seal: Callable[[int], bytes], message: str) -> TxnRow:
        """A not_sent chip sale approved offline by the card (Y3), its advice queued (SafQueue.to_offline)."""
        return self._outcome(lambda: self.saf.to_offline(txn_id, chip_code, seal, message))

    # -- store-and-forward --------------------------------------------------------------------------------
    def queue(self, txn_id: int, kind: SafKind | str, reason_code: str, state: TxnState | str, reason: str,
              sealed: bytes | None = None, message: str | None = None) -> SafRow:
        return self._outcome(lambda: self.saf.queue(txn_id, kind, reason_code, state, reason, sealed, message))

    def saf_entry(self, saf_id: int) -> SafRow:
        return self.saf.entry(saf_id)

    def saf_pending_with_txn(self) -> list[tuple[SafRow, TxnRow]]:
        return self.saf.pending_with_txn()

    def saf_pending(self) -> list[SafRow]:
        return self.saf.pending()

    def saf_all(self) -> list[SafRow]:
        return self.saf.all()

    def saf_record(self, done: SafOutcome | None = None, attempt: tuple[int, float] | None = None) -> None:
        self._outcome(lambda: self.saf.record(done, attempt))

    def saf_record_many(self, done: list[SafOutcome], attempts: list[tuple[int, float]]) -> None:
        """The outcomes of a window's answers and the attempts of its next messages, in one commit."""
        self._outcome(lambda: self.saf.record_many(done, attempts))

    def saf_attempt(self, saf_id: int, next_at: float) -> None:
        self._outcome(lambda: self.saf.attempt(saf_id, next_at))

    def saf_note(self, saf_id: int, error: str, next_at: float | None = None) -> None:
        self._outcome(lambda: self.saf.note(saf_id, error, next_at))

    def saf_done(self, entry: SafRow, txn_state: TxnState | str, reason: str, *,
                 state: SafState | str = SafState.DELIVERED) -> None:
        self._outcome(lambda: self.saf.done(entry, txn_state, reason, state=state))

    # -- batch and settlement -----------------------------------------------------------------------------
    def current_batch(self) -> int:
        return self.batches.current()

    def batch_totals(self, batch: int) -> tuple[tuple[int, int], tuple[int, int]]:
        return self.batches.totals(batch)

    def batch_txns(self, batch: int) -> list[TxnRow]:
        return self.batches.txns(batch)

    def begin_settlement(self, batch: int, credits: tuple[int, int], debits: tuple[int, int]) -> tuple[int, int]:
        self._need_reserve()
        return self.batches.begin_settlement(batch, credits, debits)

    def end_settlement(self, sid: int, state: SettlementState | str, response_code: str | None,
                       reason: str) -> None:
        self._outcome(lambda: self.batches.end_settlement(sid, state, response_code, reason))
        if SettlementState(state) is SettlementState.CLOSED:
            self.sync_identity()  # a quiet point: the new batch number is made durable
            try:
                self.risk.erase_old(self.db.now())   # and card hashes past every risk window go (store/risk.py)
            except StoreError:
                pass   # they go with the next sale's commit instead

    def settlements(self) -> list[dict]:
        return self.batches.settlements()

    # -- counters -----------------------------------------------------------------------------------------
    def next_stan(self) -> int:
        """A STAN for a request that has no row of its own (sign-on, settlement)."""
        return self.counters.next_stan()

    def next_tsc(self) -> int:
        """The next 9F41 transaction sequence counter (1..99999999, then 1): take it once per card
        transaction, before the kernel runs, and pass it on to the row (NewTxn.tsc). No extra fsync."""
        return self.counters.next_tsc()

    # -- which address carried each message ---------------------------------------------------------------
    def note_carried(self, txn_id: int, mti: str, stan: int, address: str) -> None:
        """Rides the next commit (carriers.py): no fsync of its own."""
        self.carriers.note(txn_id, mti, stan, address)

    def carried(self, txn_id: int) -> list[Carried]:
        return self.carriers.for_txn(txn_id)

    # -- alerts -------------------------------------------------------------------------------------------
    def raise_key_alert(self, why: str) -> None:
        """The host refused our MAC (63): the key set needs attention. Kept until someone clears it."""
        self._outcome(lambda: self.alerts.raise_key_alert(why))

    def clear_key_alert(self) -> str | None:
        return self.alerts.clear_key_alert()

    def key_alert(self) -> str | None:
        return self.alerts.key_alert()


def _refuse_before_open(path: Path, found: idf.Identity, terminal_id: str | None) -> None:
    """What can be refused before SQLite touches the file (which would create a missing one)."""
    books = (f"terminal {found.terminal_id or '?'}'s journal (creation {found.creation_id}, last STAN"
             f" {found.stan:06d}, transaction {found.txn_id})")
    if not path.exists() and found.marks == idf.Marks():
        return  # a journal that never held a transaction: nothing is lost by starting it again
    if not path.exists():
        raise idf.IdentityError(f"journal {path} is missing, but the identity file"
                                f" {idf.path_beside(path).name} says {books} lives here: restore it, or start a new journal on"
                                " purpose with `posterm journal new`")
    if path.stat().st_size == 0:
        raise idf.IdentityError(f"journal {path} is empty (0 bytes), but it holds {books}: restore it, or start"
                                " a new journal on purpose with `posterm journal new`")
    if terminal_id and found.terminal_id and terminal_id != found.terminal_id:
        raise idf.IdentityError(f"journal {path} is terminal {found.terminal_id}'s, but this terminal is"
                                f" configured as {terminal_id} ([terminal] id): nothing was written")
