"""One online financial request, end to end: write ahead, send, conclude, reverse when in doubt.

The decisions live in verdict.py and saf.py; this module only orders the I/O: journal commit, then the wire,
then the journal again. Two commits (two fsyncs) per approved sale.
"""
from __future__ import annotations

import datetime as dt
import time
from typing import Callable

from terminal.config import Config
from terminal.iso8583 import MacError, MessageError, decode, encode
from terminal.iso8583.builders import PURCHASE, REFUND, VOID, field7, request_0200
from terminal.link import ConnectError, LinkError
from terminal.link.client import HostLink
from terminal.store import Journal, TxnRow
from terminal.txn import crashpoints, saf
from terminal.txn.recovery import recover
from terminal.txn.sealing import AdviceData, seal
from terminal.txn.records import OUTCOME, CardInput, SaleResult
from terminal.txn.verdict import Verdict, from_response, no_response, not_sent

KINDS = {"purchase": PURCHASE, "refund": REFUND, "void": VOID}


class Engine:
    def __init__(self, cfg: Config, journal: Journal, link: HostLink, *,
                 clock: Callable[[], float] = time.time,
                 local_now: Callable[[], dt.datetime] = lambda: dt.datetime.now().replace(microsecond=0)) -> None:
        self.cfg = cfg
        self.journal = journal
        self.link = link
        self.clock = clock
        self.local_now = local_now
        self.recovered = recover(journal)

    def drain_saf(self, force: bool = False) -> saf.DrainReport:
        return saf.drain(self.cfg, self.journal, self.link, self.clock(), force=force)

    def authorise(self, kind: str, amount: int, card: CardInput, *, original: TxnRow | None = None
                  ) -> tuple[TxnRow, Verdict]:
        """Send one 0200 and conclude. Pending reversals go first; if they cannot, this request is not sent.
        A void names its `original` (by RRN on the wire); its approval marks the original voided in the
        same commit."""
        cleared = self.drain_saf(force=True)
        if cleared.reversals_pending:
            verdict = Verdict("not_sent", f"an earlier reversal is still pending ({cleared.error}): nothing sent",
                              "HOST UNREACHABLE: earlier reversal pending, card not charged")
            row = self.journal.begin(kind=kind, proc_code=KINDS[kind], amount=amount,
                                     currency=self.cfg.terminal.currency, local_time=self.local_now(),
                                     transmitted="", entry_mode=card.entry_mode, masked_pan=card.masked_pan,
                                     psn=card.psn, state="not_sent", reason=verdict.reason, message=verdict.message)
            return row, verdict
        now_utc = dt.datetime.now(dt.timezone.utc)
        row = self.journal.begin(kind=kind, proc_code=KINDS[kind], amount=amount, currency=self.cfg.terminal.currency,
                                 local_time=self.local_now(), transmitted=field7(now_utc),
                                 entry_mode=card.entry_mode, masked_pan=card.masked_pan, psn=card.psn,
                                 original_id=original.id if original else None)
        fields = request_0200(saf.terminal_of(self.cfg), saf.original_of(row), now_utc, track2=card.track2,
                              pan=card.pan, expiry=card.expiry, icc=card.icc, pin_block=card.pin_block,
                              original_rrn=original.rrn if original else None)
        verdict = self._exchange(row, encode("0200", fields, self.cfg.keys.mac_key))
        self.conclude(row, verdict)
        return self.journal.txn(row.id), verdict

    def _exchange(self, row: TxnRow, wire: bytes) -> Verdict:
        crashpoints.reached("after_write_ahead")
        try:
            self.link.send(wire)
        except ConnectError as e:
            return not_sent(str(e))
        except LinkError as e:
            return no_response(str(e))
        crashpoints.reached("after_send")
        try:
            raw = self.link.receive(self.cfg.host.timeout_s)
        except LinkError as e:
            return no_response(str(e))
        crashpoints.reached("after_response")
        try:
            response = decode(raw, self.cfg.keys.mac_key)
        except MacError as e:
            self.link.close()
            return no_response(f"response rejected: {e}")
        except MessageError as e:
            self.link.close()
            return no_response(f"response is not ISO 8583 of our dialect: {e}")
        verdict = from_response("0200", row.stan, response)
        if verdict.reversal:
            self.link.close()  # an answer to something else: nothing more on this connection can be trusted
        return verdict

    def conclude(self, row: TxnRow, verdict: Verdict) -> None:
        """Record the verdict; a reversal is queued in the same commit, then tried at once."""
        if verdict.reversal:
            self.reverse(row, verdict.reversal, verdict.reason, verdict.message)
        else:
            if verdict.response_code == "63":
                self.journal.raise_key_alert(f"host answered 63 (security violation) to STAN {row.stan:06d}")
            voids = row.original_id if row.kind == "void" and verdict.state == "approved" else None
            self.journal.set_state(row.id, verdict.state, verdict.reason, response_code=verdict.response_code,
                                   auth_code=verdict.auth_code, rrn=verdict.rrn, message=verdict.message,
                                   voids=voids)

    def approve_offline(self, kind: str, amount: int, card: CardInput, chip_code: str) -> TxnRow:
        """A chip's offline approval (Y1, or Y3 when the host could not be reached): journaled with its advice
        in one commit; the advice carries PAN, expiry and field 55, sealed, and never track 2 or a PIN block."""
        if card.pan is None or card.expiry is None or card.icc is None:
            raise ValueError("an offline approval needs the chip's PAN, expiry and ICC data")
        if card.entry_mode not in ("051", "052", "071", "072"):
            raise ValueError(f"entry mode {card.entry_mode}: only a chip may approve offline")
        advice = AdviceData(card.pan, card.expiry, card.icc, card.psn)
        return self.journal.begin_offline(
            kind=kind, proc_code=KINDS[kind], amount=amount, currency=self.cfg.terminal.currency,
            local_time=self.local_now(), entry_mode=card.entry_mode, masked_pan=card.masked_pan, psn=card.psn,
            chip_code=chip_code, seal=lambda txn_id: seal(self.cfg.keys.data_key, txn_id, advice),
            message="APPROVED (OFFLINE)")

    def reverse(self, row: TxnRow, reason_code: str, why: str, message: str) -> None:
        """Queue a reversal (06 could not complete, 17 cancelled after sending, 68 no response) in the same
        commit as the state change, then try to deliver it at once."""
        self.journal.queue(row.id, "reversal", reason_code, "reversal_pending", why, message=message)
        self.drain_saf(force=True)

    def result(self, row: TxnRow, verdict: Verdict) -> SaleResult:
        row = self.journal.txn(row.id)
        message = row.message or verdict.message
        if row.state == "reversed" and row.message.startswith("NO RESPONSE"):
            message = "NO RESPONSE: transaction reversed, customer not charged"
        return SaleResult(row.id, row.stan, OUTCOME[row.state], row.response_code, row.auth_code, row.rrn,
                          row.amount, row.currency, row.masked_pan, row.entry_mode, message)

