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


def test_every_crash_point_of_a_sale_and_its_reversal_is_reached_in_order(terminal):
    from terminal.txn.crashpoints import CrashPoints
    seen: list[str] = []
    terminal.driver.crash = CrashPoints(seen.append)
    lost_sale(terminal)
    assert seen == ["before_write_ahead", "after_write_ahead", "after_send", "after_response",
                    "saf_before_attempt", "saf_after_attempt", "saf_after_send"]
    seen.clear()
    terminal.driver.drain(force=True)
    assert seen == ["saf_before_attempt", "saf_after_attempt", "saf_after_send"]


def test_an_entry_out_of_attempts_needs_attention_and_the_next_one_still_goes(terminal):
    from dataclasses import replace
    cfg = terminal.driver.cfg
    terminal.driver.cfg = replace(cfg, saf=replace(cfg.saf, max_attempts=1))
    first = lost_sale(terminal)                       # its one attempt used by the sale's own drain
    second = refused_reversal(terminal)               # attempt 1 cut: in backoff
    terminal.clock.advance(5.0)
    report = terminal.driver.drain()
    j = terminal.journal
    assert j.txn(first.id).state is TxnState.NEEDS_ATTENTION
    assert j.events(first.id)[-1][2] == "reversal undelivered after 1 attempts"
    assert [e.state for e in j.saf_all()] == ["needs_attention", "needs_attention"]
    assert (report.delivered, report.pending) == (0, 0)
    assert second.state is TxnState.REVERSAL_PENDING


def test_backoff_doubles_with_each_attempt(terminal):
    row = refused_reversal(terminal)
    [entry] = terminal.journal.saf_pending()
    start = terminal.clock.now().epoch
    assert (entry.attempts, entry.next_at) == (1, start + 5.0)
    terminal.clock.advance(5.0)
    terminal.net.faults.reset_before_host = 1.0
    terminal.driver.drain()
    [entry] = terminal.journal.saf_pending()
    assert (entry.attempts, entry.next_at) == (2, start + 5.0 + 10.0)
    assert row.id == entry.txn_id


def test_a_refused_connect_moves_the_next_try_and_leaves_the_rest_untried(terminal):
    first = refused_reversal(terminal)
    second = refused_reversal(terminal)               # its drain cut the first's second attempt: the second untried
    terminal.clock.advance(10.0)
    terminal.net.down = True
    now = terminal.clock.now().epoch
    report = terminal.driver.drain()
    a, b = terminal.journal.saf_pending()
    assert (a.txn_id, a.attempts, a.last_error, a.next_at) == (first.id, 2, "sim: host unreachable (outage)", now + 20.0)
    assert (b.txn_id, b.attempts, b.last_error) == (second.id, 0, "")   # nothing overtakes the first
    assert (report.pending, report.reversals_pending, report.blocking_stan) == (2, 2, first.stan)


def test_an_advice_the_host_refuses_stays_and_the_next_advice_still_goes(terminal):
    from terminal.txn.engine import Engine
    from terminal.txn.records import CardInput
    chip = CardInput("051", "476173******0010", pan="4761739001010010", expiry="3112", psn="01",
                     icc=bytes.fromhex("9F2608A1B2C3D4E5F607189F270140"))
    engine = Engine.of(terminal.driver)
    refused, accepted = (engine.approve_offline("purchase", n, chip, "Y1") for n in (100, 200))
    terminal.host.force["0220"] = "96"
    report = terminal.driver.drain(force=True)
    assert [m for m, _ in terminal.host.received] == ["0220", "0220"]
    assert (report.delivered, report.pending, report.error) == (0, 2, "host answered 96 to the 0220")
    assert [e.last_error for e in terminal.journal.saf_pending()] == ["host answered 96 to the 0220"] * 2
    del terminal.host.force["0220"]
    terminal.driver.drain(force=True)
    assert [terminal.journal.txn(t.id).state for t in (refused, accepted)] == [TxnState.OFFLINE_APPROVED] * 2


def in_doubt(terminal):
    j = terminal.journal
    row = j.begin(kind="purchase", proc_code="000000", amount=10, currency="156", local_time=terminal.clock.now().local,
                  transmitted="1201093000", entry_mode="901", masked_pan="476173******0010", psn=None,
                  original_id=None, tsc=None)
    terminal.driver.recover()
    return row


def test_a_delivery_is_recorded_even_when_the_next_entry_is_given_up(terminal):
    from dataclasses import replace
    cfg = terminal.driver.cfg
    terminal.driver.cfg = replace(cfg, saf=replace(cfg.saf, max_attempts=1))
    first, second = in_doubt(terminal), in_doubt(terminal)
    entry = [e for e in terminal.journal.saf_pending() if e.txn_id == second.id][0]
    terminal.journal.saf_record(attempt=(entry.id, 0.0))          # the second has used its one attempt
    terminal.driver.drain(force=True)
    assert terminal.journal.txn(first.id).state is TxnState.REVERSED
    assert terminal.journal.txn(second.id).state is TxnState.NEEDS_ATTENTION


def test_a_delivery_is_recorded_even_when_the_host_then_goes_away(terminal):
    first, second = in_doubt(terminal), in_doubt(terminal)
    terminal.host.on_request = lambda m: setattr(terminal.net, "down", True)   # unreachable right after the first
    terminal.driver.drain(force=True)
    assert terminal.journal.txn(first.id).state is TxnState.REVERSED
    assert terminal.journal.txn(second.id).state is TxnState.REVERSAL_PENDING


def test_a_reversal_the_host_refuses_holds_everything_behind_it(terminal):
    first, second = in_doubt(terminal), in_doubt(terminal)
    terminal.host.force["0400"] = "96"
    report = terminal.driver.drain(force=True)
    assert [m for m, _ in terminal.host.received] == ["0400"]
    assert (report.pending, report.error) == (2, "host answered 96 to the 0400")


def test_the_reversal_names_the_sales_rrn_and_the_advice_ack_gives_the_advice_its_own(terminal):
    from terminal.txn.engine import Engine
    from terminal.txn.records import CardInput
    seen = []
    terminal.host.on_request = seen.append
    lost = lost_sale(terminal)            # the host approved; the answer was lost: the row has no RRN
    j = terminal.journal
    j.db.conn.execute("UPDATE txn SET rrn='000000000777' WHERE id=?", (lost.id,))   # as if it had one
    sale = terminal.driver.sale("purchase", 500, swipe())                           # clears the reversal first
    assert [m.fields.get(37) for m in seen if m.mti in ("0400", "0401")][-1] == "000000000777"
    assert j.txn(lost.id).rrn == "000000000777"           # a reversal's acknowledgement leaves the RRN alone
    chip = CardInput("051", "476173******0010", pan="4761739001010010", expiry="3112", psn="01",
                     icc=bytes.fromhex("9F2608A1B2C3D4E5F607189F270140"))
    advice = Engine.of(terminal.driver).approve_offline("purchase", 100, chip, "Y1")
    terminal.driver.drain(force=True)
    assert j.txn(advice.id).rrn == terminal.host.charges[-1].rrn and j.txn(advice.id).rrn
    assert j.txn(sale.id).state is TxnState.APPROVED


def test_expiry_is_strictly_after_expiry_h(terminal):
    from dataclasses import replace
    cfg = terminal.driver.cfg
    terminal.driver.cfg = replace(cfg, saf=replace(cfg.saf, expiry_h=1.0))
    terminal.net.down = True
    row = in_doubt(terminal)
    terminal.clock.advance(3600.0)
    terminal.driver.drain(force=True)
    assert terminal.journal.txn(row.id).state is TxnState.REVERSAL_PENDING
    terminal.clock.advance(1.0)
    terminal.driver.drain(force=True)
    assert terminal.journal.txn(row.id).state is TxnState.NEEDS_ATTENTION
    assert terminal.journal.events(row.id)[-1][2] == "reversal undelivered after 1 h"


def test_an_advice_whose_card_data_is_gone_needs_attention(terminal):
    from terminal.txn.engine import Engine
    from terminal.txn.records import CardInput
    chip = CardInput("051", "476173******0010", pan="4761739001010010", expiry="3112", psn="01",
                     icc=bytes.fromhex("9F2608A1B2C3D4E5F607189F270140"))
    advice = Engine.of(terminal.driver).approve_offline("purchase", 100, chip, "Y1")
    terminal.journal.db.conn.execute("UPDATE saf SET sealed=NULL")
    terminal.driver.drain(force=True)
    assert terminal.journal.txn(advice.id).state is TxnState.NEEDS_ATTENTION
    assert terminal.journal.events(advice.id)[-1][2] == (f"advice cannot be built: advice of transaction "
                                                         f"{advice.id} has no card data left")
