"""The last corners of a sale's loop (terminal/txn/loop.py _Run._perform and result): an earlier reversal is
retried at once before a sale even while its backoff runs, its failure is named in the refused sale's row, a
swiped card cancelled at the checkpoint keeps its PAN and entry mode in the result, and an effect the driver
does not know is refused by name."""
from __future__ import annotations

import dataclasses

import pytest

from terminal.config import Config, keypad_settings
from terminal.keypad.fsm import KeypadFSM
from terminal.keypad.settings import for_tty
from terminal.txn import core as c
from terminal.txn.background import SafWorker
from terminal.txn.cards import ChipReader
from terminal.txn.emv_params import emv_config
from terminal.txn.loop import Driver
from terminal.txn.operator import KeypadOperator
from terminal.txn.loop import _Run
from tests.mutation.test_loop_journal_faults import offline_terminal, tap
from tests.mutation.test_loop_results import Keypad
from tests.mutation.test_sale_records import swipe
from terminal.txn.records import SaleResult


def quick_host(terminal, timeout_s=1.0):
    """A host timeout shorter than the SAF's first backoff (5 s): a reversal that failed is still in backoff."""
    cfg = terminal.driver.cfg
    terminal.driver.cfg = dataclasses.replace(cfg, host=dataclasses.replace(cfg.host, timeout_s=timeout_s))


def test_an_earlier_reversal_in_backoff_is_sent_before_the_next_sale_which_then_goes(terminal):
    quick_host(terminal)
    terminal.net.faults.response_lost = 1.0
    lost = terminal.driver.sale("purchase", 700, swipe())
    assert lost.outcome == "reversal_pending"
    terminal.net.faults.response_lost = 0.0
    assert terminal.driver.drain().reversals_pending == 1     # its backoff still runs: not due yet
    result = terminal.driver.sale("purchase", 800, swipe())
    assert result.outcome == "approved"
    assert terminal.journal.txn(lost.id).state.value == "reversed"
    assert [mti for mti, _ in terminal.host.received][-2:] == ["0401", "0200"]   # the repeat, then the sale


def test_a_sale_stopped_by_an_earlier_reversal_names_why_that_reversal_failed(terminal):
    terminal.net.faults.response_lost = 1.0
    lost = terminal.driver.sale("purchase", 700, swipe())
    result = terminal.driver.sale("purchase", 800, swipe())
    assert result.message == f"NOT SENT: reversal of STAN {lost.stan:06d} still waiting for the host"
    reason = terminal.journal.events(result.id)[-1][2]
    assert reason == (f"an earlier reversal of STAN {lost.stan:06d} is still pending (sim: no response within 30 s): "
                      "nothing sent")


class CancelsAtCheckpoint(Keypad):
    interactive = True

    def settle(self) -> bool:
        return True


def test_a_swiped_sale_cancelled_at_the_checkpoint_keeps_the_cards_pan_and_entry_mode(terminal):
    result = terminal.driver.sale("purchase", 900, swipe(), operator=CancelsAtCheckpoint())
    assert result == SaleResult(None, None, "cancelled", None, None, None, 900, "156", "476173******0010", "901",
                                "CANCELLED: nothing sent")
    assert terminal.host.received == []


class Bogus(c.Effect if isinstance(getattr(c, "Effect", None), type) else object):
    pass


def test_an_effect_the_driver_cannot_perform_is_refused_by_its_name(terminal):
    core = c.SaleCore(terminal.driver.cfg, "purchase", 100)
    run = _Run(terminal.driver, core, swipe(), Keypad(), None, None)
    with pytest.raises(c.SequenceError) as err:
        run._perform(Bogus())
    assert str(err.value) == "driver: no way to perform Bogus"


class Addressed:
    """The simulated network behind a link that knows its addresses, as the failover link and a TCP link do."""

    def __init__(self, link, **addresses) -> None:
        self._link = link
        self.__dict__.update(addresses)

    def __getattr__(self, name):
        return getattr(self._link, name)


def test_the_journal_notes_the_address_the_request_left_on_that_of_the_last_send_first(terminal):
    terminal.driver.link = Addressed(terminal.driver.link, last_address="10.0.0.2:5000", address="10.0.0.1:5000")
    result = terminal.driver.sale("purchase", 1234, swipe())
    assert [(k.mti, k.stan, k.address) for k in terminal.journal.carried(result.id)] == [
        ("0200", result.stan, "10.0.0.2:5000")]


def test_a_link_with_one_address_is_noted_by_that_address(terminal):
    terminal.driver.link = Addressed(terminal.driver.link, address="10.0.0.1:5000")
    result = terminal.driver.sale("purchase", 1234, swipe())
    assert [(k.mti, k.stan, k.address) for k in terminal.journal.carried(result.id)] == [
        ("0200", result.stan, "10.0.0.1:5000")]


def test_a_reversal_sent_at_once_takes_an_advice_in_backoff_along(terminal):
    quick_host(terminal)
    offline_terminal(terminal)
    advised = terminal.driver.sale("purchase", 500, tap())
    assert advised.outcome == "offline_approved"

    def lose(m):   # the advice's first answer (sent before the sale) and the sale's answer are lost
        terminal.net.faults.response_lost = 1.0 if m.mti in ("0220", "0200") else 0.0
    terminal.host.on_request = lose
    result = terminal.driver.sale("purchase", 700, swipe())
    assert (result.outcome, result.message) == ("reversed", "NO RESPONSE: transaction reversed, customer not charged")
    # the advice's retry is 5 s away and only ~3 s passed: the reversal's drain still takes it along
    assert [mti for mti, _ in terminal.host.received] == ["0220", "0200", "0400", "0221"]
    assert terminal.journal.txn(advised.id).rrn == "000000000004"     # the host's answer to the repeat, recorded
    assert terminal.journal.saf_pending() == []


class Keys:
    """The keypad's keys, typed when the test says (`type`); none pending is a quiet keypad, never an end."""

    def __init__(self) -> None:
        self.pending: list[str] = []

    def read(self, timeout):
        return self.pending.pop(0) if self.pending else None

    def close(self) -> None:
        pass


class CancelsWhileTheHostWorks(KeypadOperator):
    """CANCEL, ENTER (confirmed) typed the moment the request leaves: the keypad reads them during the wait."""

    def notify(self, event) -> None:
        super().notify(event)
        if type(event).__name__ == "RequestSent":
            self.keys.pending += ["CANCEL", "ENTER"]


def test_a_cancel_confirmed_while_the_host_declined_is_not_taken_again_at_the_second_tap(terminal):
    """The cancel reached the core while the host worked; the host declined, so there is nothing to reverse and
    the issuer update still gets its second tap: the keypad does not report that old cancel again there."""
    from tests.mutation.test_loop_card_again import DELIVERED, Customer
    emv = emv_config(terminal.driver.cfg, True)
    terminal.driver = Driver(terminal.driver.cfg, terminal.journal, terminal.net, clock=terminal.clock,
                             emv=dataclasses.replace(emv, aids=tuple(dataclasses.replace(a, issuer_update=True)
                                                                     for a in emv.aids)))
    keypad = CancelsWhileTheHostWorks(KeypadFSM.for_sale(for_tty(keypad_settings(terminal.driver.cfg)), 1300),
                                      Keys(), terminal.clock.monotonic)
    customer = Customer(comes_back=True)
    result = terminal.driver.sale("purchase", 1300, ChipReader(customer.tap), operator=keypad)
    assert customer.taps == 2                                  # the card was asked for again and came
    assert (result.outcome, result.message) == ("declined", "DECLINED: insufficient funds")
    assert [why for _, _, why in terminal.journal.events(result.id)] == [
        "request about to be sent", "host declined: 51 insufficient funds", DELIVERED]
    assert [mti for mti, _ in terminal.host.received] == ["0200"]


class Watched(SafWorker):
    def join(self, timeout=None) -> None:
        self.waited = timeout
        super().join(timeout)


def test_stopping_the_saf_worker_waits_a_bounded_time_for_it(tmp_path):
    """A worker wedged in a host exchange must not keep the terminal from exiting: stop() waits at most the
    host timeout and a margin (the thread is a daemon)."""
    worker = Watched(Config(), tmp_path / "j.sqlite3", interval_s=60.0)
    worker.start()
    worker.stop()
    assert not worker.is_alive()
    assert worker.waited == Config().host.timeout_s + 5


def test_an_unable_online_approval_seals_the_cards_psn_with_its_advice(terminal):
    from terminal.txn.sealing import unseal
    from tests.mutation.test_loop_journal_faults import unreachable_permissive
    card, pinpad = unreachable_permissive(terminal)
    result = terminal.driver.sale("purchase", 1234, card, pinpad=pinpad)
    assert (result.outcome, result.message) == ("offline_approved", "APPROVED (OFFLINE, HOST UNREACHABLE)")
    row = terminal.journal.txn(result.id)
    [entry] = terminal.journal.saf_pending()
    sealed = unseal(terminal.driver.cfg.keys.data_key, row.id, entry.sealed)
    assert (entry.kind, sealed.pan, sealed.expiry, sealed.psn) == ("advice", "4761739001010010", "3012", row.psn)
    assert row.psn == "001"
