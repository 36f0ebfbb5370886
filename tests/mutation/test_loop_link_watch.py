"""The READY screen's link line and its idle echo (terminal/txn/link_watch.py), on the real FailoverLink over the
simulation's two addresses in front of the one SimHost, with the terminal's real journal and ManualClock: what
the operator reads ('link: online · nothing to send'), when the 0800/301 goes and what it carries, what a
journal that cannot give a STAN or a count does to the line."""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import random
import sqlite3
import time
from collections import Counter

import pytest

from terminal.link.failover import FailoverLink, LinkStatus
from terminal.txn.exchange import Answered
from terminal.txn.link_watch import LinkWatch, echo_request, send_echo
from tests.sim.addresses import ADDRESSES, SimAddress
from tests.sim.network import NetFaults, SimNetwork


class Acquirer:
    """The primary and the backup address, fault-free; `down(primary, backup)` takes either away."""

    def __init__(self, terminal) -> None:
        cfg, clock = terminal.driver.cfg, terminal.clock
        self.nets = [SimNetwork(random.Random(n), NetFaults(), terminal.host, clock, cfg.keys.mac_key, Counter(), [])
                     for n in (1, 2)]
        self.link = FailoverLink.over([SimAddress(net, a, cfg.host.timeout_s) for net, a in zip(self.nets, ADDRESSES)],
                                      10.0, clock=clock.monotonic, wall=lambda: clock.now().utc)

    def down(self, primary: bool, backup: bool) -> None:
        self.nets[0].down, self.nets[1].down = primary, backup


@pytest.fixture
def seen(terminal):
    """Every request the host got, decoded (the host verified its MAC where the dialect has one)."""
    got: list = []
    terminal.host.on_request = got.append
    return got


@pytest.fixture
def acquirer(terminal):
    return Acquirer(terminal)


def watch_on(terminal, link, **host) -> LinkWatch:
    cfg = terminal.driver.cfg
    if host:
        cfg = dataclasses.replace(cfg, host=dataclasses.replace(cfg.host, **host))
    return LinkWatch(cfg, terminal.journal, link, terminal.clock)


def whole_second(clock) -> None:
    """Move the clock to its next whole second, so the idle arithmetic below is exact."""
    clock.advance(math.ceil(clock.monotonic()) - clock.monotonic())


def echoes(seen) -> list[str]:
    return [m.fields[11] for m in seen if m.mti == "0800"]


def pending_reversal(terminal) -> None:
    """A row a crash left in doubt, recovered: one reversal waits for the host (no simulated time passes)."""
    terminal.journal.begin(kind="purchase", proc_code="000000", amount=10, currency="156",
                           local_time=terminal.clock.now().local, transmitted="1201093000", entry_mode="901",
                           masked_pan="476173******0010", psn=None, original_id=None, tsc=None)
    terminal.driver.recover()


@pytest.fixture
def shanghai():
    """The process's local time zone is the terminal's (the line shows the wall clock of the shop)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


# ---- the echo itself -----------------------------------------------------------------------------------------
def test_the_echo_is_an_0800_301_with_the_next_stan_and_the_clocks_utc(terminal, seen, acquirer):
    cfg = terminal.driver.cfg
    request = echo_request(cfg, 42, dt.datetime(2026, 12, 1, 9, 30, 5, tzinfo=dt.timezone.utc))
    assert (request.mti, request.stan) == ("0800", "000042")
    reply = send_echo(cfg, terminal.journal, acquirer.link, terminal.clock, 5.0)
    assert isinstance(reply, Answered)
    assert (reply.message.mti, reply.message.fields[39], reply.message.fields[11]) == ("0810", "00", "000001")
    [echo] = seen
    assert echo.mti == "0800"
    assert {n: str(v) for n, v in echo.fields.items()} == {7: "1201093000", 11: "000001", 41: "TERM0001",
                                                           70: "301"}


def test_a_lost_echo_answer_waits_five_seconds_at_most_or_the_hosts_shorter_timeout(terminal, acquirer):
    for net in acquirer.nets:
        net.faults.response_lost = 1.0
    for timeout_s, waited in ((30.0, 5.0), (2.0, 2.0)):
        whole_second(terminal.clock)
        start = terminal.clock.monotonic()
        assert watch_on(terminal, acquirer.link, timeout_s=timeout_s).poll() is True
        assert terminal.clock.monotonic() - start == waited


# ---- when the echo goes --------------------------------------------------------------------------------------
def test_the_first_poll_echoes_then_none_until_the_link_was_idle_a_whole_interval(terminal, seen, acquirer):
    watch = watch_on(terminal, acquirer.link)
    assert watch.poll() is True
    assert echoes(seen) == ["000001"]
    assert watch.poll() is False                  # nothing changed: no echo, the same backlog
    whole_second(terminal.clock)
    watch.touched()                               # a sale used the link just now: no echo for a while
    assert watch.poll() is True and echoes(seen) == ["000001"]   # (the backlog is counted again)
    terminal.clock.advance(59.0)
    assert watch.poll() is False and echoes(seen) == ["000001"]
    terminal.clock.advance(1.0)                   # idle exactly echo_interval_s
    assert watch.poll() is True                   # the echo may have changed the line, even with the same backlog
    assert echoes(seen) == ["000001", "000002"]
    assert watch.poll() is False and echoes(seen) == ["000001", "000002"]


def test_an_interval_of_one_second_echoes_after_one_idle_second(terminal, seen, acquirer):
    watch = watch_on(terminal, acquirer.link, echo_interval_s=1.0)
    watch.poll()
    whole_second(terminal.clock)
    watch.touched()
    terminal.clock.advance(1.0)
    watch.poll()
    assert echoes(seen) == ["000001", "000002"]


def test_an_interval_of_zero_never_echoes(terminal, seen, acquirer):
    watch = watch_on(terminal, acquirer.link, echo_interval_s=0.0)
    assert watch.poll() is True                   # the first backlog count is news
    terminal.clock.advance(3600.0)
    watch.poll()
    assert seen == []
    assert watch.line() == "link: checking the link · nothing to send"


def test_an_echo_without_a_stan_is_skipped_and_not_retried_at_once(terminal, seen, acquirer):
    class NoStan:
        def before(self):
            e = sqlite3.OperationalError("disk I/O error")
            e.sqlite_errorcode = sqlite3.SQLITE_IOERR
            raise e

        def after(self):
            pass

    watch = watch_on(terminal, acquirer.link)
    assert watch.poll() is True
    terminal.journal.db.commit_faults = NoStan()
    terminal.clock.advance(60.0)
    assert watch.poll() is True                   # the echo was due: its turn counts as a change
    assert watch.poll() is False                  # and it is not tried again on the next turn
    terminal.journal.db.commit_faults = None
    assert echoes(seen) == ["000001"]


# ---- the backlog ---------------------------------------------------------------------------------------------
def test_the_backlog_is_counted_again_after_a_second_or_after_a_sale(terminal, acquirer):
    watch = watch_on(terminal, acquirer.link, echo_interval_s=0.0)
    whole_second(terminal.clock)
    watch.poll()
    pending_reversal(terminal)
    assert watch.poll() is False                  # counted less than a second ago
    assert watch.line() == "link: checking the link · nothing to send"
    terminal.clock.advance(1.0)
    assert watch.poll() is True
    assert watch.line() == "link: checking the link · 1 to send"
    pending_reversal(terminal)
    watch.touched()                               # a sale just ended: count again now
    assert watch.poll() is True
    assert watch.line() == "link: checking the link · 2 to send"


def test_a_journal_that_cannot_count_keeps_the_last_count_or_none(terminal, acquirer, tmp_path):
    pending_reversal(terminal)
    path = terminal.journal.db.path
    watch = watch_on(terminal, acquirer.link, echo_interval_s=0.0)
    unreadable = watch_on(terminal, acquirer.link, echo_interval_s=0.0)
    assert watch.poll() is True and watch.line() == "link: checking the link · 1 to send"
    terminal.journal.db.close()
    path.rename(tmp_path / "away.sqlite3")
    path.mkdir()                                  # the journal's name is now a directory: it cannot be opened
    try:
        terminal.clock.advance(1.0)
        assert watch.poll() is False              # the count it had stands
        assert watch.line() == "link: checking the link · 1 to send"
        assert unreadable.poll() is True          # never counted: nothing to show but zero
        assert unreadable.line() == "link: checking the link · nothing to send"
    finally:
        path.rmdir()
        (tmp_path / "away.sqlite3").rename(path)


# ---- the link's state --------------------------------------------------------------------------------------
def test_the_line_follows_the_link_online_on_backup_offline_since(terminal, acquirer, shanghai):
    watch = watch_on(terminal, acquirer.link)
    assert watch.line() == "link: checking the link · nothing to send"      # nothing tried yet
    watch.poll()
    assert watch.line() == "link: online · nothing to send"
    acquirer.down(primary=True, backup=False)
    acquirer.link.close()
    terminal.clock.advance(60.0)
    watch.poll()
    assert watch.line() == "link: on backup · nothing to send"
    acquirer.down(primary=True, backup=True)
    acquirer.link.close()
    terminal.clock.advance(60.0)
    went = terminal.clock.now().utc.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%H:%M")
    watch.poll()
    assert watch.line() == f"link: offline since {went} · nothing to send"
    assert went == "17:32"


def test_a_link_that_tells_no_state_is_being_checked(terminal):
    assert watch_on(terminal, terminal.net).line() == "link: checking the link · nothing to send"


def test_offline_with_no_time_shows_a_question_mark(terminal):
    class OfflineNoTime:   # a stand-in: the real FailoverLink always knows since when it is offline
        def status(self):
            return LinkStatus("offline")
    assert watch_on(terminal, OfflineNoTime()).line() == "link: offline since ? · nothing to send"
