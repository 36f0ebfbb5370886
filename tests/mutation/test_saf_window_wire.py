"""What a reversal and an advice carry on the wire when store-and-forward delivers them (txn/saf.py's
message_for, as the window sends it): the original's identity and amounts, the terminal's, the card data of
an advice and nothing of a reversal's card, and the repeat's MTI after an attempt."""
from __future__ import annotations

from tests.mutation.test_saf_window_drain import CHIP, win  # noqa: F401 - the fixture

ICC = bytes.fromhex("9F2608A1B2C3D4E5F607189F270140")


def queued(win, attempts_used: int):
    """A chip sale of 12.34 left in doubt (its reversal queued, its RRN known) and an offline advice of 3.00."""
    row = win.journal.begin(kind="purchase", proc_code="000000", amount=1234, currency="156",
                            local_time=win.clock.now().local, transmitted="1201092959", entry_mode="051",
                            masked_pan="476173******0010", psn="01")
    win.driver.recover()
    win.journal.db.conn.execute("UPDATE txn SET rrn='000000000777' WHERE id=?", (row.id,))
    advice = win.advice(300)
    for r in (row, advice):
        for _ in range(attempts_used):
            win.journal.saf_record(attempt=(win.entry(r).id, 0.0))
    sent = []
    win.net.on_send = lambda m: sent.append((m.mti, dict(m.fields)))
    win.driver.drain(force=True)
    return row, advice, sent


def reversal_fields(win, row):
    return {3: "000000", 4: "000000001234", 7: "1201093000", 11: f"{win.entry(row).stan:06d}",
            12: "173000", 13: "1201",            # the original's local time (UTC+8), not the reversal's
            22: "051", 37: "000000000777", 39: "68", 41: "TERM0001", 42: "MERCHANT0000001", 49: "156",
            60: "000001", 90: f"0200{row.stan:06d}1201092959" + "0" * 22}


def advice_fields(advice):
    return {2: "4761739001010010", 3: "000000", 4: "000000000300", 7: "1201093000", 11: f"{advice.stan:06d}",
            12: "173000", 13: "1201", 14: "3112", 22: "051", 23: "001", 25: "00", 39: "Y1", 41: "TERM0001",
            42: "MERCHANT0000001", 49: "156", 55: ICC, 60: "000001"}


def test_a_first_reversal_and_advice_carry_the_original_and_the_terminal(win):
    row, advice, sent = queued(win, attempts_used=0)
    assert sent == [("0400", reversal_fields(win, row)), ("0220", advice_fields(advice))]


def test_after_an_attempt_the_same_messages_go_as_repeats(win):
    row, advice, sent = queued(win, attempts_used=1)
    assert sent == [("0401", reversal_fields(win, row)), ("0221", advice_fields(advice))]


def test_a_reversals_acknowledgement_leaves_the_originals_rrn_alone_even_if_the_host_sends_its_own(win):
    from terminal.iso8583 import encode
    from terminal.store.states import TxnState
    [row] = win.reversals(1)
    win.journal.db.conn.execute("UPDATE txn SET rrn='000000000777' WHERE id=?", (row.id,))
    mac = win.driver.cfg.keys.mac_key
    win.net.rewrite = lambda request, rmti, fields: [encode(rmti, {**fields, 37: "999999999999"}, mac)]
    win.driver.drain(force=True)
    assert win.state(row) is TxnState.REVERSED
    assert win.journal.txn(row.id).rrn == "000000000777"   # the RRN names the sale; the 0410's is not kept


def test_a_link_whose_address_is_empty_notes_no_carrier(win):
    [row] = win.reversals(1)
    assert win.net.address == ""
    win.driver.drain(force=True)
    assert win.journal.carried(row.id) == []
