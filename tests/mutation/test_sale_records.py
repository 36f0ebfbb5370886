"""What a sale leaves behind, read back: the host's auth code and RRN in the row and the result, the result's
JSON and exit code, the operator's line, the key alert, and the pending-reversal count a drain reports."""
from __future__ import annotations

import pytest

from drivers.emulated.msr_tracks import test_card
from terminal.card.chip_first import SwipedTracks
from terminal.store.states import TxnState
from terminal.txn.cards import SwipeReader
from terminal.txn.engine import Engine
from terminal.txn.explain import explain
from terminal.txn.records import CardInput

CARD = test_card("magstripe")


def swipe():
    return SwipeReader(lambda: SwipedTracks(CARD.track1(), CARD.track2()))


def test_an_approval_keeps_the_hosts_auth_code_and_rrn(terminal):
    result = terminal.driver.sale("purchase", 1234, swipe())
    row = terminal.journal.txn(result.id)
    charge = terminal.host.charges[-1]
    assert (result.outcome, result.response_code, result.exit_code) == ("approved", "00", 0)
    assert result.rrn == row.rrn == charge.rrn and len(row.rrn) == 12
    assert result.auth_code == row.auth_code == f"{int(charge.rrn) % 1_000_000:06d}"
    assert (row.state, row.response_code, row.amount, row.entry_mode) == (TxnState.APPROVED, "00", 1234, "901")
    assert result.masked_pan == row.masked_pan == "476173******0010"
    assert result.to_json() == {"id": row.id, "stan": row.stan, "outcome": "approved", "response_code": "00",
                                "auth_code": row.auth_code, "rrn": row.rrn, "amount": 1234, "currency": "156",
                                "masked_pan": "476173******0010", "entry_mode": "901", "message": result.message}
    assert explain(row, terminal.journal) == "approved, settles with batch 000001"


def test_a_decline_keeps_the_code_and_says_why(terminal):
    result = terminal.driver.sale("purchase", 1300, swipe())   # the simulated issuer declines multiples of 13
    row = terminal.journal.txn(result.id)
    assert (result.outcome, result.response_code, result.exit_code, row.state) == ("declined", "51", 1,
                                                                                   TxnState.DECLINED)
    assert row.auth_code in (None, "") and row.rrn == terminal.host.charges[-1].rrn
    assert explain(row, terminal.journal).startswith("declined by the host: 51 ")


def test_a_refund_and_a_void_are_explained_as_such(terminal):
    sale = terminal.driver.sale("purchase", 500, swipe())
    refund = terminal.driver.sale("refund", 200, swipe())
    original = terminal.journal.txn(sale.id)
    void = Engine.of(terminal.driver).sale("void", 500, CardInput("901", original.masked_pan), original=original)
    assert explain(terminal.journal.txn(refund.id), terminal.journal) == "refund approved, settles with batch 000001"
    assert explain(terminal.journal.txn(void.id), terminal.journal) == "void approved, settles with batch 000001"
    voided = terminal.journal.txn(sale.id)
    assert voided.state is TxnState.VOIDED
    assert explain(voided, terminal.journal).endswith("removed from the batch, customer not charged")


def test_host_answer_63_raises_the_key_alert_naming_the_stan(terminal):
    terminal.host.force["0200"] = "63"
    result = terminal.driver.sale("purchase", 1234, swipe())
    assert result.outcome == "declined"
    assert terminal.journal.key_alert().endswith(f" host answered 63 (security violation) to STAN {result.stan:06d}")


def test_no_key_alert_for_another_decline(terminal):
    terminal.driver.sale("purchase", 1300, swipe())
    assert terminal.journal.key_alert() is None


def test_a_timeout_is_reversed_and_explained(terminal):
    terminal.net.faults.response_lost = 1.0
    result = terminal.driver.sale("purchase", 1234, swipe())
    assert (result.outcome, result.exit_code) == ("reversal_pending", 3)
    row = terminal.journal.txn(result.id)
    line = explain(row, terminal.journal)
    assert line.startswith("in doubt, reversal pending since ") and ", 1 attempt(s); last error: sim: no response within" in line
    assert line.endswith(": the customer is not charged once the host has it")
    terminal.net.faults.response_lost = 0.0
    terminal.driver.drain(force=True)
    row = terminal.journal.txn(result.id)
    assert row.state is TxnState.REVERSED
    assert explain(row, terminal.journal).startswith("reversed, customer not charged (")
    assert [m for m, _ in terminal.host.received] == ["0200", "0400", "0401"]


def test_a_drain_counts_every_pending_reversal_and_names_the_first(terminal):
    terminal.net.faults.response_lost = 1.0
    first = terminal.driver.sale("purchase", 1234, swipe())
    terminal.net.down = True
    second = terminal.driver.sale("purchase", 2345, swipe())   # blocked: nothing sent
    assert second.outcome == "not_sent"
    assert second.message == f"NOT SENT: reversal of STAN {first.stan:06d} still waiting for the host"
    # a second reversal, queued by a restart's recovery of a row left in doubt
    terminal.net.down = False
    row = terminal.journal.begin(kind="purchase", proc_code="000000", amount=99, currency="156",
                                 local_time=terminal.clock.now().local, transmitted="1201093000", entry_mode="901",
                                 masked_pan="476173******0010", psn=None, original_id=None, tsc=None)
    assert terminal.driver.recover() == [row.id]
    report = terminal.driver.drain(force=True)
    assert (report.reversals_pending, report.pending, report.blocking_stan) == (2, 2, first.stan)
    assert report.delivered == 0 and report.error


def test_offline_approval_takes_every_chip_entry_mode_and_nothing_else(terminal):
    engine = Engine.of(terminal.driver)
    chip = dict(masked_pan="476173******0010", pan="4761739001010010", expiry="3112", psn="01",
                icc=bytes.fromhex("9F2608A1B2C3D4E5F607189F270140"))
    for mode in ("051", "052", "071", "072"):
        row = engine.approve_offline("purchase", 100, CardInput(entry_mode=mode, **chip), "Y1")
        assert (row.state, row.entry_mode) == (TxnState.ADVICE_PENDING, mode)
        assert explain(row, terminal.journal) == "approved offline by the chip; the host is told by an advice"
    with pytest.raises(ValueError, match="entry mode 901: only a chip may approve offline"):
        engine.approve_offline("purchase", 100, CardInput(entry_mode="901", **chip), "Y1")
    with pytest.raises(ValueError, match="needs the chip's PAN, expiry and ICC data"):
        engine.approve_offline("purchase", 100, CardInput(entry_mode="051", masked_pan="476173******0010"), "Y1")
    terminal.driver.drain(force=True)
    assert [mti for mti, _ in terminal.host.received] == ["0220"] * 4
