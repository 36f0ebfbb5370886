"""The serial store-and-forward drain, step by step: backoff, what blocks what, what it reports and shows."""
from __future__ import annotations

from terminal.store.states import TxnState
from tests.mutation.test_sale_records import swipe


def lost_sale(terminal, amount=1234):
    terminal.net.faults.response_lost = 1.0
    result = terminal.driver.sale("purchase", amount, swipe())
    terminal.net.faults.response_lost = 0.0
    return result


def refused_reversal(terminal):
    """A row left in doubt (recovered at start), whose first reversal attempt is cut at once: in backoff now."""
    j = terminal.journal
    row = j.begin(kind="purchase", proc_code="000000", amount=10, currency="156", local_time=terminal.clock.now().local,
                  transmitted="1201093000", entry_mode="901", masked_pan="476173******0010", psn=None,
                  original_id=None, tsc=None)
    terminal.driver.recover()
    terminal.net.faults.reset_before_host = 1.0
    terminal.driver.drain(force=True)
    terminal.net.faults.reset_before_host = 0.0
    return j.txn(row.id)


def test_backoff_holds_an_entry_until_due_and_nothing_overtakes_it(terminal):
    first = refused_reversal(terminal)                # tried once, cut at once: backoff 5 s now
    report = terminal.driver.drain()
    assert (report.delivered, report.pending, report.reversals_pending, report.blocking_stan, report.error) == (
        0, 1, 1, first.stan, "waiting for backoff")
    assert terminal.host.received == []
    terminal.clock.advance(4.0)
    assert terminal.driver.drain().pending == 1
    terminal.clock.advance(1.0)                       # exactly due
    report = terminal.driver.drain()
    assert (report.delivered, report.pending, report.error) == (1, 0, "")
    assert terminal.journal.txn(first.id).state is TxnState.REVERSED
    assert [m for m, _ in terminal.host.received] == ["0401"]


def test_the_drain_shows_its_progress_per_message_then_clears_it(terminal):
    lost_sale(terminal, 100)
    terminal.net.down = True
    terminal.driver.sale("purchase", 200, swipe())    # not sent: blocked by the pending reversal
    terminal.net.down = False
    shown = []
    terminal.driver.progress = lambda what, n, m: shown.append((what, n, m))
    terminal.driver.drain(force=True)
    assert shown == [("saf", 1.0, 1.0), (None, 0.0, 0.0)]


def test_a_reversal_waiting_for_backoff_holds_an_advice_behind_it(terminal):
    from terminal.txn.engine import Engine
    from terminal.txn.records import CardInput
    reversed_ = refused_reversal(terminal)
    Engine.of(terminal.driver).approve_offline(
        "purchase", 300, CardInput("051", "476173******0010", pan="4761739001010010", expiry="3112", psn="01",
                                   icc=bytes.fromhex("9F2608A1B2C3D4E5F607189F270140")), "Y1")
    report = terminal.driver.drain()
    assert (report.pending, report.reversals_pending, report.blocking_stan) == (2, 1, reversed_.stan)
    assert terminal.host.received == []
    terminal.clock.advance(5.0)
    report = terminal.driver.drain()
    assert (report.delivered, report.pending) == (2, 0)
    assert [m for m, _ in terminal.host.received] == ["0401", "0220"]


def test_an_unreachable_host_counts_no_attempt_and_says_why(terminal):
    first = lost_sale(terminal)
    terminal.net.down = True
    report = terminal.driver.drain(force=True)
    assert (report.delivered, report.pending, report.blocking_stan) == (0, 1, first.stan)
    assert report.error == "sim: host unreachable (outage)"
    [entry] = terminal.journal.saf_pending()
    assert (entry.attempts, entry.last_error) == (1, "sim: host unreachable (outage)")
