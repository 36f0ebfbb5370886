"""The serial store-and-forward drain (txn/saf.py) where the window's tests do not reach: the carrier note
of an addressed link, and a host that goes away between the connect and the send."""
from __future__ import annotations

from terminal.store.states import TxnState
from terminal.txn.crashpoints import CrashPoints


def in_doubt(terminal):
    row = terminal.journal.begin(kind="purchase", proc_code="000000", amount=10, currency="156",
                                 local_time=terminal.clock.now().local, transmitted="1201093000", entry_mode="901",
                                 masked_pan="476173******0010")
    terminal.driver.recover()
    return row


def test_each_serial_delivery_notes_the_address_that_carried_it(terminal):
    terminal.net.address = "203.0.113.9:5000"       # as HostLink has one (the simulated network has none)
    row = in_doubt(terminal)
    [entry] = terminal.journal.saf_pending()
    terminal.driver.drain(force=True)
    assert [(c.mti, c.stan, c.address) for c in terminal.journal.carried(row.id)] == [
        ("0400", entry.stan, "203.0.113.9:5000")]
    assert terminal.journal.txn(row.id).state is TxnState.REVERSED


def test_a_host_gone_between_the_connect_and_the_send_leaves_the_entry_pending_saying_why(terminal):
    first, second = in_doubt(terminal), in_doubt(terminal)

    def host_goes(point):
        if point == "saf_before_attempt":            # connected; the outage starts before the message leaves
            terminal.net.down = True
            terminal.net.close()
    terminal.driver.crash = CrashPoints(host_goes)
    report = terminal.driver.drain(force=True)
    assert (report.delivered, report.pending, report.error) == (0, 2, "sim: host unreachable (outage)")
    a, b = terminal.journal.saf_pending()
    assert (a.txn_id, a.last_error) == (first.id, "sim: host unreachable (outage)")
    assert (b.txn_id, b.attempts, b.last_error) == (second.id, 0, "")   # not tried after an unreachable host
    assert terminal.host.received == []


def test_a_link_without_an_address_notes_no_carrier(terminal):
    assert not hasattr(terminal.net, "address")      # the simulated network: no address to name
    row = in_doubt(terminal)
    terminal.driver.drain(force=True)
    assert terminal.journal.txn(row.id).state is TxnState.REVERSED
    assert terminal.journal.carried(row.id) == []
