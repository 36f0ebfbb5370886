"""Pipelined store-and-forward: up to `[saf] window` reversals and advices outstanding on one connection.

Over a link with a long round trip the serial drain (saf.py) spends nearly all its time waiting: one message,
one round trip, one commit. Here a window of messages leaves together and the answers are matched by terminal
id and STAN (fields 41 and 11, as jPOS's QMUX keys them), in whatever order the host sends them. The rules of
the serial drain hold, message for message:

- **Write ahead.** The attempts of every message about to leave are committed, in one commit with the outcomes
  of the answers that came in since the last one, before any of them is sent. A crash anywhere makes the next
  try of each a repeat (0401/0221) with the same STAN, which the host answers idempotently.
- **Order.** Reversals first, then advices, and an advice enters the window only once every reversal before it
  is acknowledged: nothing overtakes a reversal. An entry also waits while an entry of the same transaction,
  or of the transaction it refers to (a void's original), is outstanding: a transaction's reversal is answered
  before anything that depends on it leaves. Every pending reversal is still cleared before the next 0200 or
  0500, because the sale core drains before sending (core.ClearReversals) and this drain ends only when the
  window is empty.
- **A lost answer** (the host answered others of this drain, not this one, within the timeout) is repeated at
  once as 0401/0221 with the same STAN; lost again, or lost with no answer at all (the host is not there), it
  stays pending with its backoff, the connection is closed and nothing more leaves this drain. A connection that fails under
  the window (reset, bad MAC, a frame not of our dialect) ends the drain: everything outstanding stays pending
  and is repeated next time.
- **No silent drop**: an unmatched answer (a duplicate, or one for a request of an earlier connection) is
  ignored; the request it might belong to is still waiting for its own.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

from terminal.config import Config
from terminal.iso8583 import MacError, MessageError, decode
from terminal.link import LinkError, ResponseTimeout
from terminal.store import Journal, SafRow, TxnRow
from terminal.store.journal import SafOutcome
from terminal.store.states import TxnState
from terminal.txn.clock import Clock
from terminal.txn.crashpoints import CrashPoints
from terminal.txn.exchange import Answered, Request, address_of, read_answer
from terminal.txn.saf import BACKOFF_BASE_S, BACKOFF_MAX_S, DrainReport, acknowledged, buildable, pending_in_order


@dataclass
class _Flight:
    entry: SafRow
    txn: TxnRow
    request: Request
    deadline: float
    repeat: bool  # already a repeat of this drain: lost again, it waits for the next drain


class _Window:
    def __init__(self, cfg: Config, journal: Journal, link, clock: Clock, force: bool, crash: CrashPoints,
                 progress) -> None:
        self.cfg, self.journal, self.link, self.clock = cfg, journal, link, clock
        self.force, self.crash, self.progress = force, crash, progress
        self.report = DrainReport()
        self.now = clock.now().epoch
        self.queue: deque[tuple[SafRow, TxnRow, bool]] = deque(
            (entry, txn, False) for entry, txn in pending_in_order(journal))
        self.total = len(self.queue)
        self.sent = 0
        self.flights: dict[tuple[str, str], _Flight] = {}
        self.done: list[SafOutcome] = []    # outcomes committed with the next window's attempts
        self.blocked = False                # nothing more leaves this drain
        self.reversal_open = False          # a reversal is outstanding or failed: no advice may leave
        self.answered = 0                   # answers matched this drain: the host is there, a loss is a loss

    # -- bookkeeping ---------------------------------------------------------------------------------------
    def still_pending(self, entry: SafRow, txn: TxnRow, error: str) -> None:
        r = self.report
        r.pending += 1
        r.reversals_pending += entry.kind == "reversal"
        if entry.kind == "reversal":
            self.reversal_open = True
            self.blocked = True  # nothing new leaves after a reversal that stays pending
            if r.blocking_stan is None:
                r.blocking_stan = txn.stan
        r.error = r.error or error

    def _related(self, txn: TxnRow, batch) -> bool:
        """Does an outstanding (or about to leave) entry belong to this transaction or one it refers to?"""
        mine = _family(txn)
        return any(mine & _family(f.txn) for f in self.flights.values()) or any(mine & _family(b[1]) for b in batch)

    # -- one round: fill the window, then take what answers come -------------------------------------------
    def run(self) -> DrainReport:
        while self.queue or self.flights:
            batch = self.fill()
            if batch and not self.send(batch):
                break
            if self.flights:
                self.receive()
            elif not batch and self.queue:
                break  # blocked: what is left stays pending (counted below)
        for entry, txn, _ in self.queue:
            self.still_pending(entry, txn, "waiting for backoff" if not self.blocked else self.report.error)
        self.journal.saf_record_many(self.done, [])
        return self.report

    def fill(self) -> list[tuple[SafRow, TxnRow, str, bytes, bool]]:
        batch: list[tuple[SafRow, TxnRow, str, bytes, bool]] = []
        while self.queue and not self.blocked and len(self.flights) + len(batch) < self.cfg.saf.window:
            entry, txn, repeat = self.queue[0]
            if entry.kind != "reversal" and (self.reversal_open or any(
                    f.entry.kind == "reversal" for f in self.flights.values()) or any(
                    b[0].kind == "reversal" for b in batch)):
                if self.reversal_open:
                    self.blocked = True  # a reversal failed: nothing overtakes it
                break                    # else: the advices wait for the reversals' answers
            if self._related(txn, batch):
                break
            self.queue.popleft()
            if not self.force and not repeat and entry.next_at > self.now:
                self.still_pending(entry, txn, "waiting for backoff")
                self.blocked = self.blocked or entry.kind == "reversal"
                continue
            built = buildable(self.cfg, entry, txn, self.now, self.clock)
            if isinstance(built, str):
                self.done.append(SafOutcome(entry.id, entry.txn_id, TxnState.NEEDS_ATTENTION,
                                            f"{entry.kind} {built}", "needs_attention"))
                continue
            batch.append((entry, txn, *built, repeat))
        return batch

    def send(self, batch) -> bool:
        """Commit the batch's attempts (with the outcomes so far), then send it. False: the drain ends."""
        if not self.flights:
            try:
                self.link.ensure_connected()  # never under outstanding requests: the address stays the same
            except LinkError as e:
                self.journal.saf_record_many(self.done, [])
                self.done = []
                for entry, txn, *_ in batch:
                    self.journal.saf_note(entry.id, str(e), self.now + self.backoff(entry))
                    self.still_pending(entry, txn, str(e))
                self.blocked = True
                return False
        self.crash.reached("saf_before_attempt")
        carrier = address_of(self.link)
        for entry, _txn, mti, _wire, _r in batch:
            if carrier:
                self.journal.note_carried(entry.txn_id, mti, entry.stan, carrier)
        self.journal.saf_record_many(self.done, [(e.id, self.now + self.backoff(e)) for e, *_ in batch])
        self.done = []
        self.crash.reached("saf_after_attempt")
        for entry, txn, mti, wire, repeat in batch:
            self.sent += 1
            if self.progress is not None:
                self.progress("saf", float(self.sent), float(self.total))
            request = Request(mti, f"{entry.stan:06d}", wire)
            try:
                self.link.send_more(wire)  # connected above; answers to the first ones may be waiting already
            except LinkError as e:
                self.fail_all(f"{mti}: {e}", [(entry, txn)])
                for later in batch[batch.index((entry, txn, mti, wire, repeat)) + 1:]:
                    self.still_pending(later[0], later[1], str(e))
                return False
            self.flights[(self.cfg.terminal.id, request.stan)] = _Flight(
                entry, txn, request, self.clock.monotonic() + self.cfg.host.timeout_s, repeat)
        self.crash.reached("saf_after_send")
        return True

    @staticmethod
    def backoff(entry: SafRow) -> float:
        return min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** entry.attempts)

    def receive(self) -> None:
        now = self.clock.monotonic()
        wait = max(0.0, min(f.deadline for f in self.flights.values()) - now)
        try:
            frames = self.link.receive_any(wait)
        except ResponseTimeout:
            # by the link's own wait, not by reading the clock again: a simulated or manual clock need not
            # move while a real socket waits, and every timeout must settle at least the earliest flight
            self.lost_by(now + wait)
            return
        except LinkError as e:
            self.fail_all(str(e))
            return
        for raw in frames:
            if not self.match(raw):
                return

    def match(self, raw: bytes) -> bool:
        """One answer to its request by terminal id and STAN. False: the connection cannot be trusted."""
        try:
            message = decode(raw, self.cfg.keys.mac_key)
        except (MacError, MessageError) as e:
            self.fail_all(f"answer in the window not to be trusted: {e}")
            return False
        flight = self.flights.pop((str(message.fields.get(41, "")).strip(), str(message.fields.get(11, ""))), None)
        if flight is None:
            return True  # a duplicate or an answer to nothing outstanding: not acted on
        self.answered += 1
        reply = read_answer(flight.request, raw, self.cfg.keys.mac_key)
        if not isinstance(reply, Answered):
            self.lost(flight, reply.why)
            return True
        outcome = acknowledged(flight.entry, flight.request.mti, reply)
        if isinstance(outcome, SafOutcome):
            self.done.append(outcome)
            self.report.delivered += 1
        else:
            self.journal.saf_note(flight.entry.id, outcome)
            self.still_pending(flight.entry, flight.txn, outcome)
        return True

    def lost_by(self, when: float) -> None:
        """Every flight whose deadline is `when` or earlier has lost its answer."""
        for key in [k for k, f in self.flights.items() if f.deadline <= when + 1e-9]:
            f = self.flights.pop(key, None)
            if f is not None:  # a fail_all of an earlier one may have settled it already
                self.lost(f, f"no answer to the {f.request.mti} within {self.cfg.host.timeout_s:g} s")

    def lost(self, f: _Flight, why: str) -> None:
        """An answer lost inside the window, while the host answered others: repeated once at once (0401/0221,
        same STAN), then left pending. With no answer at all the host is not there: pending, as serially."""
        if not f.repeat and self.answered:
            self.queue.appendleft((replace(f.entry, attempts=f.entry.attempts + 1), f.txn, True))
            return
        # lost twice, or nothing answers: the connection is not trusted (as after a serial NoAnswer), and
        # nothing more is tried this drain
        self.fail_all(why, [(f.entry, f.txn)])

    def fail_all(self, why: str, also: list[tuple[SafRow, TxnRow]] = ()) -> None:
        """The connection is gone (or not to be trusted): everything outstanding stays pending, nothing more
        leaves this drain; the next drain repeats them."""
        self.link.close()
        self.report.error = self.report.error or why   # also when nothing was outstanding any more
        for f in list(self.flights.values()):
            self.journal.saf_note(f.entry.id, why)
            self.still_pending(f.entry, f.txn, why)
        for entry, txn in also:
            self.journal.saf_note(entry.id, why)
            self.still_pending(entry, txn, why)
        self.flights.clear()
        self.blocked = True


def _family(txn: TxnRow) -> set[int]:
    return {txn.id} | ({txn.original_id} if txn.original_id is not None else set())


def drain(cfg: Config, journal: Journal, link, clock: Clock, *, force: bool, crash: CrashPoints,
          progress) -> DrainReport:
    return _Window(cfg, journal, link, clock, force, crash, progress).run()
