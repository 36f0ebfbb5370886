"""Settlement: close the batch with the host (0500), reconciling by batch upload (0320) when out of balance.

Everything in store-and-forward goes first: a pending reversal must reach the host before the 0500, and a
pending advice is a sale the host's totals do not have yet. If any is left, the batch is not closed.
"""
from __future__ import annotations

from dataclasses import dataclass

from terminal.i18n.text import N_
from terminal.iso8583 import encode
from terminal.iso8583.builders import batch_upload_0320, settlement_0500
from terminal.store import StoreError
from terminal.txn import saf
from terminal.txn.engine import Engine
from terminal.txn.exchange import Answered, Request, exchange
from terminal.txn.loop import host_wait_ticker


@dataclass
class SettleResult:
    batch: int
    outcome: str        # closed, out_of_balance, not_sent, failed
    message: str
    credits: tuple[int, int]
    debits: tuple[int, int]
    uploaded: int = 0
    response_code: str | None = None   # the host's last answer (field 39 of the 0510/0330); None: no answer

    @property
    def exit_code(self) -> int:
        return 0 if self.outcome == "closed" else 3


def _exchange(engine: Engine, mti: str, fields: dict) -> tuple[str | None, str]:
    """(response code or None, error). Any link or message fault leaves the batch open, to try again."""
    cfg, progress = engine.cfg, engine.driver.progress
    if progress is not None:   # display only, while the 0500/0320 is out
        progress("settle", 0.0, 0.0)
    idle = host_wait_ticker(progress, engine.clock, cfg.host.timeout_s)
    reply = exchange(engine.link, Request(mti, fields[11], encode(mti, fields, cfg.keys.mac_key)), cfg.keys.mac_key,
                     cfg.host.timeout_s, idle=idle)
    if not isinstance(reply, Answered):
        engine.link.close()
        return None, reply.why
    engine.crash.reached("settle_after_response")
    return str(reply.message.fields.get(39)), ""


def settle(engine: Engine) -> SettleResult:
    j = engine.journal
    batch = j.current_batch()
    drained = engine.drain_saf(force=True)
    credits, debits = j.batch_totals(batch)   # after the drain: an advice the host declined counts nowhere
    if drained.pending:
        why = N_("NOT SETTLED: {n} message(s) still to reach the host ({error}); try again", n=drained.pending,
                 error=drained.error)
        return SettleResult(batch, "not_sent", why, credits, debits)
    engine.crash.reached("settle_before_write_ahead")
    try:
        sid, stan = j.begin_settlement(batch, credits, debits)
    except StoreError as e:
        raise e.restated("nothing sent, the batch stays open") from None
    try:
        return _close(engine, batch, credits, debits, sid, stan)
    except StoreError as e:
        raise e.restated("the host may have closed the batch but that is not recorded: settle again "
                         "(the batch closes once)") from None


def _close(engine: Engine, batch: int, credits: tuple[int, int], debits: tuple[int, int], sid: int,
           stan: str) -> SettleResult:
    """The 0500 (and batch upload) of a settlement whose row is written."""
    j = engine.journal
    term = saf.terminal_of(engine.cfg)
    code, error = _exchange(engine, "0500", settlement_0500(term, engine.clock.now().utc, stan=stan,
                                                            batch=batch, credits=credits, debits=debits))
    uploaded = 0
    if code == "95":
        for txn in j.batch_txns(batch):
            fields = batch_upload_0320(term, saf.original_of(txn), engine.clock.now().utc,
                                       stan=j.next_stan(), rrn=txn.rrn or "", auth_code=txn.auth_code or "",
                                       response_code=txn.response_code or "00")
            up_code, error = _exchange(engine, "0320", fields)
            if up_code not in ("00", "94"):
                j.end_settlement(sid, "failed", up_code, f"batch upload stopped: {error or up_code}")
                return SettleResult(batch, "failed", N_("NOT SETTLED: batch upload failed; try again"), credits,
                                    debits, uploaded, up_code)
            uploaded += 1
        stan = j.next_stan()
        code, error = _exchange(engine, "0500", settlement_0500(term, engine.clock.now().utc, stan=stan,
                                                                batch=batch, credits=credits, debits=debits,
                                                                after_upload=True))
        if code == "95":
            j.end_settlement(sid, "out_of_balance", code, "still out of balance after batch upload")
            return SettleResult(batch, "out_of_balance", N_("OUT OF BALANCE after batch upload: call the acquirer"),
                                credits, debits, uploaded, code)
    if code == "00":
        j.end_settlement(sid, "closed", code, "batch closed" + (f" after uploading {uploaded}" if uploaded else ""))
        # the live journal keeps only recent batches; "recent" by the terminal's one clock
        j.archive_settled(engine.cfg.journal.keep_days, now=engine.clock.now().utc)
        return SettleResult(batch, "closed", N_("BATCH {batch} CLOSED", batch=f"{batch:06d}"), credits, debits,
                            uploaded, code)
    j.end_settlement(sid, "failed", code, error or f"host answered {code}")
    return SettleResult(batch, "failed", N_("NOT SETTLED: {why}; try again",
                            why=error or N_("host answered {code}", code=code)),
                        credits, debits, uploaded, code)
