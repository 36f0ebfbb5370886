"""Deliberately broken terminals, to show the simulation catches what it must (tests/sim/test_broken_cores.py).

Each is a `Driver` subclass handed to the simulation through its one seam for this (`World(driver_class=...)`):
nothing is patched in place, and the production Driver is untouched while they run.
"""
from __future__ import annotations

from terminal.iso8583 import decode
from terminal.iso8583 import MessageError
from terminal.store.rows import SafOutcome
from terminal.store.states import TxnState
from terminal.txn.loop import Driver


class DropsReversalAfterThirdAttempt(Driver):
    """The break: a reversal tried three times is taken as done (the sale marked reversed) without the host
    ever acknowledging it, so a customer the host did charge is told they were not."""

    def drain(self, *, force: bool = False):
        for entry in self.journal.saf_pending():
            if entry.kind == "reversal" and entry.attempts >= 3:
                self.journal.saf_record(done=SafOutcome(entry.id, entry.txn_id, TxnState.REVERSED,
                                                        "given up after 3 attempts"))
        return super().drain(force=force)


class LateApprovalOverridesReversal(Driver):
    """The break: a 0210 approval that arrives after its sale timed out (on a later exchange) is applied to
    that sale, whatever happened since: the sale goes back to approved and its reversal is forgotten. It
    writes around the journal's lifecycle check, as a core that ignored the table would."""

    def __init__(self, cfg, journal, link, **kw) -> None:
        super().__init__(cfg, journal, _LateApprovalTap(link, journal, cfg.keys.mac_key), **kw)


class _LateApprovalTap:
    def __init__(self, inner, journal, mac_key: bytes) -> None:
        self.inner, self.journal, self.mac_key = inner, journal, mac_key
        self.awaited = None

    def ensure_connected(self) -> None:
        self.inner.ensure_connected()

    def close(self) -> None:
        self.inner.close()

    def send(self, wire: bytes) -> None:
        self.awaited = decode(wire, self.mac_key).fields.get(11)
        self.inner.send(wire)

    def receive(self, timeout_s: float, idle=None) -> bytes:
        raw = self.inner.receive(timeout_s, idle)
        try:
            m = decode(raw, self.mac_key)
        except MessageError:
            return raw
        if m.mti == "0210" and m.fields.get(39) == "00" and m.fields.get(11) != self.awaited:
            stan = int(str(m.fields[11]))
            with self.journal.db.write() as conn:
                for (txn_id,) in conn.execute("SELECT id FROM txn WHERE stan=? AND state IN "
                                              "('reversal_pending', 'reversed')", (stan,)).fetchall():
                    conn.execute("UPDATE txn SET state='approved' WHERE id=?", (txn_id,))
                    conn.execute("INSERT INTO txn_event(txn_id, at, state, reason) VALUES(?, '', 'approved',"
                                 " 'late approval')", (txn_id,))
                    conn.execute("UPDATE saf SET state='delivered' WHERE txn_id=? AND state='pending'", (txn_id,))
        return raw
