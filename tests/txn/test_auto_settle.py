"""Settlement at a set time (`[settlement] auto_at`), driven by the terminal's one clock: a ManualClock set to
23:29 in Beijing, moved second by second, against the real host simulator and a real journal file. It fires once
at 23:30, after the pending reversal has reached the host, retries with backoff after the host refuses, shows
that on the READY screen, and settles again only at the next day's 23:30 (or at a restart that missed it)."""
from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from dataclasses import replace

from terminal.config import Config, SettlementConfig
from terminal.hostsim.rules import Rule
from terminal.iso8583 import decode
from terminal.keypad.screen import Screen
from terminal.link.client import Endpoint, HostLink
from terminal.store import Journal
from terminal.receipt.settlement import render, slip_for
from terminal.txn.auto_settle import AutoSettle, slot_of
from terminal.txn.clock import Instant, ManualClock
from terminal.txn.end_of_day import EndOfDay
from terminal.txn.engine import Engine
from terminal.txn.records import CardInput
from tests.fixtures.host import MAC_KEY

SWIPE = CardInput("901", "476173******0010", track2="4761739001010010=30121010000000000")
START = dt.datetime(2026, 11, 30, 15, 29, 0, tzinfo=dt.timezone.utc)   # 23:29:00 in Beijing
READY = Screen("READY", "", "Key in the amount")


def _terminal(host, tmp_path, clock: ManualClock):
    cfg = Config()
    cfg = replace(cfg, host=replace(cfg.host, address=f"127.0.0.1:{host.port}", timeout_s=1.0),
                  settlement=SettlementConfig(auto_at="23:30", retry_s=60))
    journal = Journal(tmp_path / "j.sqlite3", utc=lambda: clock.now().utc)
    return Engine(cfg, journal, HostLink(Endpoint("127.0.0.1", host.port)), clock=clock)


def _end_of_day(engine: Engine, shown: list, slips: list) -> EndOfDay:
    cfg = engine.cfg.settlement
    return EndOfDay(AutoSettle.from_config(cfg.auto_at, cfg.retry_s), engine, paused=nullcontext,
                    show=shown.append,
                    show_slip=lambda result, when: slips.append(render(slip_for(result, engine.journal, engine.cfg,
                                                                                when))))


def _mtis(host) -> list[str]:
    return [decode(raw, MAC_KEY).mti for raw in host.received]


def _run_until(eod: EndOfDay, clock: ManualClock, local_end: dt.datetime) -> list[str]:
    """Poll once a second until the local time `local_end`; the local times at which a settlement ran."""
    fired = []
    while clock.now().local < local_end:
        clock.advance(1)
        if eod.poll():
            fired.append(f"{clock.now().local:%H:%M:%S}")
    return fired


def test_fires_once_at_the_time_after_the_reversal_and_retries_after_a_host_failure(host_sim, tmp_path):
    clock = ManualClock(START, utc_offset_h=8)
    e = _terminal(host_sim, tmp_path, clock)
    e.authorise("purchase", 1000, SWIPE)
    host_sim.rules += [Rule(mti="0200", silent=True, times=1), Rule(mti="0400", drop=True, times=1)]
    e.authorise("purchase", 2000, SWIPE)                   # no answer; its reversal is not answered either
    assert [r.state for r in e.journal.txns()] == ["reversal_pending", "approved"]
    host_sim.rules.append(Rule(mti="0500", code="96", times=1))
    shown, slips = [], []
    eod = _end_of_day(e, shown, slips)
    assert eod.ready_screen(READY) == READY
    base = len(host_sim.received)

    assert _run_until(eod, clock, dt.datetime(2026, 11, 30, 23, 30, 0)) == ["23:30:00"]
    assert _mtis(host_sim)[base:] == ["0401", "0500"]         # the reversal first, then the 0500 (refused: 96)
    assert e.journal.txns()[0].state == "reversed" and e.journal.current_batch() == 1
    assert eod.ready_screen(READY) == Screen("READY", "NOT SETTLED, retry 23:31:00", "Key in the amount")
    assert shown[-1] == Screen("SETTLEMENT", "BATCH 000001", "sending to the host...") and slips == []

    assert _run_until(eod, clock, dt.datetime(2026, 11, 30, 23, 59, 59)) == ["23:31:00"]
    assert _mtis(host_sim)[base:] == ["0401", "0500", "0500"]
    assert e.journal.current_batch() == 2 and eod.ready_screen(READY) == READY
    [slip] = slips
    assert slip[5] == "BATCH                     000001" and slip[6] == "DATE/TIME    2026-11-30 23:31:00"
    assert "SALES               1  CNY 10.00" in slip and "BATCH 000001 CLOSED" in slip

    # nothing more that night or the next day, until the next 23:30 (after a sale of the new day)
    assert _run_until(eod, clock, dt.datetime(2026, 12, 1, 12, 0, 0)) == []
    e.authorise("purchase", 700, SWIPE)
    assert _run_until(eod, clock, dt.datetime(2026, 12, 1, 23, 30, 30)) == ["23:30:00"]
    assert _mtis(host_sim)[base:] == ["0401", "0500", "0500", "0200", "0500"] and e.journal.current_batch() == 3
    e.journal.close()


def test_backoff_doubles_while_the_host_keeps_refusing_and_a_restart_keeps_the_schedule(host_sim, tmp_path):
    clock = ManualClock(START, utc_offset_h=8)
    e = _terminal(host_sim, tmp_path, clock)
    e.authorise("purchase", 1000, SWIPE)
    host_sim.rules.append(Rule(mti="0500", code="96", times=3))
    eod = _end_of_day(e, [], [])
    fired = _run_until(eod, clock, dt.datetime(2026, 11, 30, 23, 40, 0))
    assert fired == ["23:30:00", "23:31:00", "23:33:00", "23:37:00"]   # after 60, 120, 240 s
    assert e.journal.current_batch() == 2
    # a restart at 23:45 after a sale at 23:40: what is open is newer than the slot, so nothing is sent
    e.authorise("purchase", 500, SWIPE)
    again = _end_of_day(e, [], [])
    assert _run_until(again, clock, dt.datetime(2026, 11, 30, 23, 45, 0)) == []
    assert _mtis(host_sim).count("0500") == 4
    e.journal.close()


def test_a_terminal_that_was_off_at_the_time_settles_when_it_starts_and_an_empty_batch_is_not_sent():
    morning = Instant(5.0, dt.datetime(2026, 12, 1, 0, 15, tzinfo=dt.timezone.utc), dt.datetime(2026, 12, 1, 8, 15))
    assert slot_of(morning.local, dt.time(23, 30)) == dt.datetime(2026, 11, 30, 23, 30)
    assert AutoSettle.from_config("23:30", 60).due(morning, lambda: dt.datetime(2026, 11, 30, 14, 5))
    assert not AutoSettle.from_config("23:30", 60).due(morning, lambda: dt.datetime(2026, 11, 30, 23, 30))
    empty = AutoSettle.from_config("23:30", 60)
    asked = []
    assert not empty.due(morning, lambda: asked.append(1))
    assert not empty.due(morning, lambda: asked.append(1)) and asked == [1]   # asked once per slot
