"""The rows the driver loop writes for a chip (terminal/txn/loop.py: WriteAhead, RecordOfflineApproval, GoOffline)
and the advices sealed with them, read back from the journal and off the wire once the host has them: the card's
PSN and sequence counter, the terminal's local time, what was transmitted, and the advice's PAN, expiry, PSN and
field 55 (sealed, never track 2)."""
from __future__ import annotations

import datetime as dt

from drivers.emulated.inprocess import InProcessChannel
from drivers.emulated.vcard import load_profile
from terminal.store.states import TxnState
from terminal.txn.cards import ChipReader
from tests.mutation.test_loop_journal_faults import offline_terminal, tap, unreachable_permissive
from tests.mutation.test_sale_records import swipe

LOCAL = dt.datetime(2026, 12, 1, 17, 30)     # 09:30 UTC on a terminal at UTC+8


def fields_of(row):
    return (row.kind, row.proc_code, row.amount, row.currency, row.local_time, row.transmitted, row.entry_mode,
            row.masked_pan, row.psn, row.tsc, row.state, row.response_code, row.message, row.original_id)


def test_an_online_tap_writes_ahead_the_cards_psn_counter_and_the_time_sent(terminal):
    swiped = terminal.driver.sale("purchase", 100, swipe())   # row 1 has no chip lines: the tap's are its own
    at = terminal.clock.now()
    virtual = load_profile("contactless")
    result = terminal.driver.sale("purchase", 1236, ChipReader(lambda: InProcessChannel(virtual,
                                                                                        protocol="contactless")))
    row = terminal.journal.txn(result.id)
    assert fields_of(row) == ("purchase", "000000", 1236, "156", at.local, at.utc.strftime("%m%d%H%M%S"), "071",
                              "476173******0119",
                              "001", 1, TxnState.APPROVED, "00", "APPROVED", None)
    chip = terminal.journal.chip(row.id)                  # the slip's chip lines, kept with the row
    assert chip is not None and (chip.contactless, chip.aid) == (True, "A0000000031010")
    assert terminal.journal.chip(swiped.id) is None


def test_an_offline_approval_and_its_advice(terminal):
    seen: list = []
    terminal.host.on_request = seen.append
    offline_terminal(terminal)
    result = terminal.driver.sale("purchase", 500, tap())
    row = terminal.journal.txn(result.id)
    assert fields_of(row) == ("purchase", "000000", 500, "156", LOCAL, "", "071", "476173******0127", "001", 1,
                              TxnState.ADVICE_PENDING, "Y1", "APPROVED (OFFLINE)", None)
    terminal.driver.drain(force=True)
    [advice] = seen
    f = advice.fields
    assert (advice.mti, f[2], f[14], f[22], f[23], f[39], f[11], f[4]) == (
        "0220", "4761739001010127", "3012", "071", "001", "Y1", f"{row.stan:06d}", "000000000500")
    assert bytes(f[55])[:2] == b"\x9f\x26" and 35 not in f and 52 not in f


def test_an_approval_when_the_host_is_unreachable_becomes_an_advice_of_the_same_row(terminal):
    seen: list = []
    terminal.host.on_request = seen.append
    card, pinpad = unreachable_permissive(terminal)
    result = terminal.driver.sale("purchase", 1234, card, pinpad=pinpad)
    row = terminal.journal.txn(result.id)
    assert (result.outcome, result.message) == ("offline_approved", "APPROVED (OFFLINE, HOST UNREACHABLE)")
    assert (row.state, row.response_code, row.entry_mode, row.psn, row.tsc) == (
        TxnState.ADVICE_PENDING, "Y3", "051", "001", 1)
    terminal.net.down = False
    terminal.driver.drain(force=True)
    [advice] = seen
    f = advice.fields
    assert (advice.mti, f[2], f[14], f[23], f[39], f[11]) == ("0220", "4761739001010010", "3012", "001", "Y3",
                                                              f"{row.stan:06d}")
    assert bytes(f[55])[:2] == b"\x9f\x26" and 35 not in f and 52 not in f


def test_a_void_row_names_the_sale_it_voids(terminal):
    from terminal.txn.engine import Engine
    from terminal.txn.records import CardInput
    sale = terminal.driver.sale("purchase", 500, swipe())
    original = terminal.journal.txn(sale.id)
    void = Engine.of(terminal.driver).sale("void", 500, CardInput("901", original.masked_pan), original=original)
    row = terminal.journal.txn(void.id)
    assert (row.kind, row.original_id, row.state) == ("void", sale.id, TxnState.APPROVED)
