"""Settlement against the simulation's host, every way it can end: closed, refused, no answer, out of balance and
batch upload (0320) with its refusals and silences, messages still queued, and a journal that fails around the
0500. Each test reads what the merchant is told (the result's exact line), the settlement row the journal keeps,
and the messages on the wire field by field."""
from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections import Counter
from dataclasses import replace

import pytest

from terminal.config import Config
from terminal.iso8583.builders import field7
from terminal.store import Journal, StoreError
from terminal.store.search import TxnFilter
from terminal.txn.clock import ManualClock
from terminal.txn.crashpoints import CrashPoints
from terminal.txn.engine import Engine
from terminal.txn.loop import Driver
from terminal.txn.records import CardInput
from terminal.txn.settle import SettleResult, settle
from tests.mutation.test_saf_drain import lost_sale, refused_reversal
from tests.mutation.test_sale_records import swipe
from tests.sim.host import SimHost
from tests.sim.network import NetFaults, SimNetwork

TERMINAL = {41: "TERM0001", 42: "MERCHANT0000001"}
CHIP = CardInput("051", "476173******0010", pan="4761739001010010", expiry="3112", psn="01",
                 icc=bytes.fromhex("9F2608A1B2C3D4E5F607189F270140"))


def wire(terminal) -> list:
    """Every request the host gets from here on, whole (the MAC left out: the network checked it)."""
    got: list = []
    terminal.host.on_request = lambda m: got.append((m.mti, {n: v for n, v in m.fields.items() if n != 64}))
    return got


def day(terminal) -> Engine:
    """Two sales, a refund and a chip's offline approval (whose advice settlement itself delivers)."""
    d = terminal.driver
    d.sale("purchase", 1000, swipe())
    d.sale("refund", 300, swipe())
    engine = Engine.of(d)
    engine.approve_offline("purchase", 250, CHIP, "Y1")
    return engine


def settlement_row(terminal, index=-1) -> tuple:
    s = terminal.journal.settlements()[index]
    return (s["batch"], s["stan"], s["credits_count"], s["credits_amount"], s["debits_count"], s["debits_amount"],
            s["state"], s["response_code"], s["reason"])


def settle_0500(stan: int, at: dt.datetime, proc="920000") -> dict:
    return {3: proc, 7: field7(at), 11: f"{stan:06d}", **TERMINAL, 60: "000001", 74: "0000000001",
            76: "0000000002", 86: "0000000000000300", 88: "0000000000001250"}


def respond_never_to(terminal, mti: str) -> None:
    """The host acts on every `mti` but its answer is lost on the way (the terminal waits out its timeout)."""
    def lose(m):
        terminal.net.faults.response_lost = 1.0 if m.mti == mti else 0.0
    terminal.host.on_request = lose


def test_a_balanced_batch_closes_with_one_0500_and_the_journal_records_it(terminal):
    engine = day(terminal)
    got, shown, reached = wire(terminal), [], []
    terminal.driver.progress = lambda what, n, m: shown.append((what, n, m))
    terminal.driver.crash = CrashPoints(lambda point: reached.append((point, terminal.clock.now().utc)))
    result = settle(engine)
    assert result == SettleResult(1, "closed", "BATCH 000001 CLOSED", (1, 300), (2, 1250), 0, "00")
    assert result.exit_code == 0
    # the advice first (the host's totals need it), then the 0500 with the terminal's totals
    assert [mti for mti, _ in got] == ["0220", "0500"]
    assert [point for point, _ in reached][-2:] == ["settle_before_write_ahead", "settle_after_response"]
    built_at = reached[-2][1]
    assert got[1][1] == settle_0500(4, built_at)
    assert settlement_row(terminal) == (1, 4, 1, 300, 2, 1250, "closed", "00", "batch closed")
    assert terminal.journal.current_batch() == 2
    # the display while the 0500 is out: the settle line, then the host's wait, tick by tick, of the timeout
    ticks = shown[shown.index(("settle", 0.0, 0.0)) + 1:]
    assert ticks and {(what, of) for what, _, of in ticks} == {("host", 30.0)}
    waited = [n for _, n, _ in ticks]
    assert 0 < waited[0] <= 0.25 and waited == sorted(set(waited))


def test_a_host_refusal_keeps_the_batch_open_says_the_code_and_the_next_settlement_closes_it(terminal):
    engine = day(terminal)
    terminal.host.force["0500"] = "96"
    result = settle(engine)
    assert result == SettleResult(1, "failed", "NOT SETTLED: host answered 96; try again", (1, 300), (2, 1250),
                                  0, "96")
    assert result.exit_code == 3
    assert settlement_row(terminal) == (1, 4, 1, 300, 2, 1250, "failed", "96", "host answered 96")
    assert terminal.journal.current_batch() == 1
    del terminal.host.force["0500"]
    again = settle(engine)
    assert again == SettleResult(1, "closed", "BATCH 000001 CLOSED", (1, 300), (2, 1250), 0, "00")
    assert [s["state"] for s in terminal.journal.settlements()] == ["failed", "closed"]
    assert terminal.journal.current_batch() == 2


def test_no_answer_to_the_0500_keeps_the_batch_open_and_names_the_timeout(terminal):
    engine = day(terminal)
    respond_never_to(terminal, "0500")
    reached = []
    terminal.driver.crash = CrashPoints(reached.append)
    result = settle(engine)
    assert result == SettleResult(1, "failed", "NOT SETTLED: sim: no response within 30 s; try again",
                                  (1, 300), (2, 1250), 0, None)
    assert settlement_row(terminal) == (1, 4, 1, 300, 2, 1250, "failed", None, "sim: no response within 30 s")
    assert "settle_after_response" not in reached and terminal.journal.current_batch() == 1
    assert not terminal.net.connected


def test_out_of_balance_uploads_every_row_of_the_batch_then_closes(terminal):
    engine = day(terminal)
    got = wire(terminal)
    del terminal.host.charges[0]                       # the host lost the first sale
    first = terminal.journal.txn(1)
    result = settle(engine)
    assert result == SettleResult(1, "closed", "BATCH 000001 CLOSED", (1, 300), (2, 1250), 3, "00")
    assert [mti for mti, _ in got] == ["0220", "0500", "0320", "0320", "0320", "0500"]
    uploads = [fields for mti, fields in got if mti == "0320"]
    common = {**TERMINAL, 13: "1201", 25: "00", 49: "156", 60: "000001"}
    assert [{n: f[n] for n in (3, 4, 11, 12, 22, 37, 38, 39)} for f in uploads] == [
        {3: "000000", 4: "000000001000", 11: "000005", 12: "173000", 22: "901", 37: first.rrn,
         38: first.auth_code, 39: "00"},
        {3: "200000", 4: "000000000300", 11: "000006", 12: "173001", 22: "901", 37: "000000000002",
         38: "000002", 39: "00"},
        {3: "000000", 4: "000000000250", 11: "000007", 12: "173003", 22: "051", 37: "000000000003",
         38: "      ", 39: "Y1"}]                       # an offline approval has no auth code: blank
    assert all({n: f[n] for n in common} == common for f in uploads)
    assert not any({2, 14, 35, 52, 55} & set(f) for f in uploads)   # matched by RRN: no card data (decisions.md)
    again = got[-1][1]
    assert (again[3], again[11], again[60], again[74], again[76], again[86], again[88]) == (
        "960000", "000008", "000001", "0000000001", "0000000002", "0000000000000300", "0000000000001250")
    assert settlement_row(terminal) == (1, 4, 1, 300, 2, 1250, "closed", "00", "batch closed after uploading 3")
    assert terminal.journal.current_batch() == 2


def test_a_batch_still_out_of_balance_after_upload_stays_open_and_says_call_the_acquirer(terminal):
    engine = day(terminal)
    got = wire(terminal)
    terminal.host.force["0500"] = "95"
    result = settle(engine)
    assert result == SettleResult(1, "out_of_balance", "OUT OF BALANCE after batch upload: call the acquirer",
                                  (1, 300), (2, 1250), 3, "95")
    assert result.exit_code == 3
    assert [mti for mti, _ in got] == ["0220", "0500", "0320", "0320", "0320", "0500"]
    assert [f[3] for mti, f in got if mti == "0500"] == ["920000", "960000"]
    assert settlement_row(terminal) == (1, 4, 1, 300, 2, 1250, "out_of_balance", "95",
                                        "still out of balance after batch upload")
    assert terminal.journal.current_batch() == 1


def test_a_refused_upload_stops_at_its_row_and_keeps_the_batch_open(terminal):
    engine = day(terminal)
    got = wire(terminal)
    del terminal.host.charges[0]
    terminal.host.force["0320"] = "30"
    result = settle(engine)
    assert result == SettleResult(1, "failed", "NOT SETTLED: batch upload failed; try again", (1, 300), (2, 1250),
                                  0, "30")
    assert [mti for mti, _ in got] == ["0220", "0500", "0320"]
    assert settlement_row(terminal) == (1, 4, 1, 300, 2, 1250, "failed", "30", "batch upload stopped: 30")
    assert terminal.journal.current_batch() == 1


def test_an_upload_the_host_already_has_94_counts_as_uploaded(terminal):
    engine = day(terminal)
    del terminal.host.charges[0]
    terminal.host.force["0320"] = "94"
    result = settle(engine)
    assert (result.outcome, result.uploaded, result.response_code) == ("closed", 3, "00")


def test_an_upload_without_answer_stops_the_settlement_and_names_the_timeout(terminal):
    engine = day(terminal)
    del terminal.host.charges[0]
    respond_never_to(terminal, "0320")
    result = settle(engine)
    assert result == SettleResult(1, "failed", "NOT SETTLED: batch upload failed; try again", (1, 300), (2, 1250),
                                  0, None)
    assert settlement_row(terminal) == (1, 4, 1, 300, 2, 1250, "failed", None,
                                        "batch upload stopped: sim: no response within 30 s")


def test_a_row_journaled_without_the_hosts_codes_is_uploaded_as_approved_with_blank_references(terminal):
    j = terminal.journal
    row = j.begin(kind="purchase", proc_code="000000", amount=400, currency="156",
                  local_time=terminal.clock.now().local, transmitted="1201093000", entry_mode="901",
                  masked_pan="476173******0010", psn=None, original_id=None, tsc=None)
    j.set_state(row.id, "approved", "approved by a host that sent no references")
    got = wire(terminal)
    terminal.host.force["0500"] = "95"                # out of balance: the row goes up as a 0320
    settle(Engine.of(terminal.driver))
    [upload] = [f for mti, f in got if mti == "0320"]
    assert (upload[37], upload[38], upload[39]) == (" " * 12, " " * 6, "00")


def test_a_message_still_queued_keeps_the_batch_open_and_nothing_is_sent(terminal):
    terminal.driver.sale("purchase", 1000, swipe())
    lost = lost_sale(terminal, 2000)                   # its reversal is pending
    terminal.net.down = True
    reached = []
    terminal.driver.crash = CrashPoints(reached.append)
    result = settle(Engine.of(terminal.driver))
    assert result == SettleResult(1, "not_sent", "NOT SETTLED: 1 message(s) still to reach the host "
                                  "(sim: host unreachable (outage)); try again", (0, 0), (1, 1000))
    assert (result.uploaded, result.response_code, result.exit_code) == (0, None, 3)
    assert terminal.journal.settlements() == [] and "settle_before_write_ahead" not in reached
    assert terminal.journal.txn(lost.id).state.value == "reversal_pending"


def test_settlement_sends_a_reversal_still_in_its_backoff_before_the_0500(terminal):
    terminal.driver.sale("purchase", 1000, swipe())
    refused_reversal(terminal)                         # tried once: its next attempt is not due yet
    got = wire(terminal)
    result = settle(Engine.of(terminal.driver))
    assert (result.outcome, result.debits) == ("closed", (1, 1000))
    assert [mti for mti, _ in got] == ["0401", "0500"]


class _FailingCommits:
    """The journal's commit fault seam: every commit fails as an I/O error does, once armed."""

    def __init__(self) -> None:
        self.armed = False

    def before(self) -> None:
        if self.armed:
            e = sqlite3.OperationalError("disk I/O error")
            e.sqlite_errorcode = sqlite3.SQLITE_IOERR
            raise e

    def after(self) -> None:
        pass


def _fail_commits_from(terminal, point: str) -> _FailingCommits:
    faults = _FailingCommits()
    terminal.journal.db.commit_faults = faults

    def arm(reached: str) -> None:
        if reached == point:
            faults.armed = True
    terminal.driver.crash = CrashPoints(arm)
    return faults


def test_a_journal_that_cannot_write_the_settlement_row_sends_nothing(terminal):
    engine = day(terminal)
    got = wire(terminal)
    faults = _fail_commits_from(terminal, "settle_before_write_ahead")
    with pytest.raises(StoreError) as e:
        settle(engine)
    assert str(e.value).endswith("disk I/O error): nothing sent, the batch stays open")
    assert [mti for mti, _ in got] == ["0220"]
    faults.armed = False
    assert terminal.journal.settlements() == [] and terminal.journal.current_batch() == 1


def test_a_journal_that_cannot_record_the_hosts_answer_says_settle_again_and_the_batch_closes_once(terminal):
    engine = day(terminal)
    faults = _fail_commits_from(terminal, "settle_after_response")
    with pytest.raises(StoreError) as e:
        settle(engine)
    assert str(e.value).endswith("disk I/O error): the host may have closed the batch but that is not recorded: "
                                 "settle again (the batch closes once)")
    faults.armed = False
    terminal.driver.crash = CrashPoints()
    assert settle(engine).outcome == "closed"
    assert [s["state"] for s in terminal.journal.settlements()] == ["sending", "closed"]
    assert terminal.journal.current_batch() == 2


def test_a_closed_batch_moves_to_the_archive_after_keep_days_by_the_terminals_clock(tmp_path):
    """The terminal's one clock decides what is old, not the machine's: this terminal's clock is in 2020."""
    cfg = Config()
    cfg = replace(cfg, journal=replace(cfg.journal, keep_days=1))
    clock = ManualClock(dt.datetime(2020, 3, 2, 9, 30, tzinfo=dt.timezone.utc), utc_offset_h=8.0)
    host = SimHost(lambda: clock.now().utc)
    net = SimNetwork(random.Random(0), NetFaults(), host, clock, cfg.keys.mac_key, Counter(), [])
    journal = Journal(tmp_path / "journal.sqlite3", utc=lambda: clock.now().utc)
    driver = Driver(cfg, journal, net, clock=clock)
    try:
        live = []
        for advance in (0, 3600, 2 * 86400):
            clock.advance(advance)
            driver.sale("purchase", 1000, swipe())
            assert settle(Engine.of(driver)).outcome == "closed"
            live.append([t.id for t in journal.txns()])
        assert live == [[1], [2, 1], [3]]      # a day later, by its clock, batches 1 and 2 are archived
        assert [t.id for t, archived in journal.find(TxnFilter()) if archived] == [2, 1]
    finally:
        journal.close()


def test_the_merchant_reads_each_settlement_line_in_chinese(terminal):
    from terminal.i18n.text import _, language, set_language
    engine = day(terminal)
    terminal.host.force["0500"] = "96"
    refused = settle(engine)
    terminal.host.force["0500"] = "95"
    out_of_balance = settle(engine)
    del terminal.host.force["0500"]
    closed = settle(engine)
    before = language()
    set_language("zh_CN")
    try:
        assert [_(r.message) for r in (refused, out_of_balance, closed)] == [
            "未结算：主机应答 96；请重试", "批上送后仍对账不平：请联系收单机构", "批次 000001 结算成功"]
    finally:
        set_language(before)
