"""What the chip decides without the host, read back: an offline approval's row, advice and wire (the 0220
carries the chip's final data with its Y1), an offline decline's row and reason, a card on the terminal
exception file declined by the kernel, and the card's keyed hash kept for the risk rules in each case."""
from __future__ import annotations

from terminal.store.states import SafKind, TxnState
from tests.mutation.core_world import VISA_PAN, Chip, configure, keypad, recent_ids, wire

LISTED = "card on the terminal exception file (PAN prefix 476173): declined at the terminal, nothing sent"


def chip_sale(terminal, profile: str, amount: int = 1234, **kw):
    card = Chip(profile, terminal.driver.cfg)
    return terminal.driver.sale("purchase", amount, card.reader, pinpad=card.pinpad, **kw)


def test_an_offline_approval_is_recorded_with_its_counter_hash_and_advice_and_the_0220_carries_y1(terminal):
    configure(terminal, limits={"floor_limit": 5000})
    sent = wire(terminal)
    counter = terminal.journal.next_tsc()
    result = chip_sale(terminal, "visa")
    row = terminal.journal.txn(result.id)
    assert (result.outcome, result.exit_code, result.message) == ("offline_approved", 0, "APPROVED (OFFLINE)")
    assert (row.state, row.response_code, row.message, row.entry_mode, row.psn) == (
        TxnState.ADVICE_PENDING, "Y1", "APPROVED (OFFLINE)", "051", "001")
    assert row.tsc == counter + 1
    assert terminal.journal.events(row.id) == [(row.created_at, TxnState.ADVICE_PENDING,
                                                "approved offline by the chip (Y1); advice queued")]
    assert recent_ids(terminal, VISA_PAN) == [row.id]
    [advice] = terminal.journal.saf_pending()
    assert (advice.kind, advice.reason_code, advice.stan) == (SafKind.ADVICE, "Y1", row.stan)
    assert sent == []
    terminal.driver.drain(force=True)
    [m] = sent
    assert (m.mti, m.fields[39], m.fields[22], m.fields[2], m.fields[11]) == ("0220", "Y1", "051", VISA_PAN,
                                                                            f"{row.stan:06d}")
    icc = bytes(m.fields[55])
    assert bytes.fromhex("9F270140") in icc            # the chip's TC ...
    assert icc.endswith(bytes.fromhex("8A025931"))     # ... and its authorisation response code Y1 (8A)
    assert terminal.journal.txn(row.id).state is TxnState.OFFLINE_APPROVED


def test_a_risk_question_answered_yes_is_journaled_with_the_offline_approval(terminal):
    configure(terminal, limits={"floor_limit": 5000})
    first = chip_sale(terminal, "visa")
    second = chip_sale(terminal, "visa", operator=keypad(terminal, 1234, [(0.5, "ENTER")]))
    assert (second.outcome, second.message) == ("offline_approved", "APPROVED (OFFLINE)")
    [alert] = terminal.journal.alerts.all()
    assert (alert.kind, alert.rule, alert.decision, alert.txn_id, alert.stan) == (
        "risk", "duplicate_charge", "confirmed by the operator", second.id, second.stan)
    assert alert.text == f"same card and amount approved at 17:30 as STAN {first.stan:06d}"
    assert recent_ids(terminal, VISA_PAN) == [first.id, second.id]


def test_an_offline_decline_is_recorded_with_the_chips_reason_and_the_cards_hash(terminal):
    sent = wire(terminal)
    counter = terminal.journal.next_tsc()
    result = chip_sale(terminal, "expired")
    row = terminal.journal.txn(result.id)
    assert (result.outcome, result.exit_code, result.message) == ("declined", 1, "DECLINED BY CARD")
    assert (row.state, row.message, row.masked_pan, row.psn, row.tsc, row.transmitted) == (
        TxnState.DECLINED, "DECLINED BY CARD", "476173******0028", "001", counter + 1, "")
    assert terminal.journal.events(row.id)[-1][1:] == (
        TxnState.DECLINED, "declined offline by the chip (Z1): card declined offline (AAC)")
    assert recent_ids(terminal, "4761739001010028") == [row.id]
    assert terminal.journal.alerts.all() == [] and terminal.journal.saf_all() == [] and sent == []


def test_a_card_the_kernel_finds_on_the_exception_file_is_declined_offline_naming_the_list(terminal):
    configure(terminal, risk={"exception_prefixes": ("476173",)})
    result = chip_sale(terminal, "expired")
    row = terminal.journal.txn(result.id)
    assert (result.outcome, row.state, row.message) == ("declined", TxnState.DECLINED, "DECLINED BY CARD")
    assert terminal.journal.events(row.id)[-1][2] == (
        f"declined offline by the chip (Z1): card declined offline (AAC); {LISTED}"
        " (TVR: card appears on terminal exception file)")
    [alert] = terminal.journal.alerts.all()
    assert (alert.rule, alert.decision, alert.txn_id, alert.text) == ("exception_file", "declined", row.id, LISTED)


def test_a_listed_card_the_chip_would_approve_is_declined_by_the_rules_before_anything_is_recorded(terminal):
    configure(terminal, limits={"floor_limit": 5000}, risk={"exception_prefixes": ("476173",)})
    sent = wire(terminal)
    result = chip_sale(terminal, "visa")
    row = terminal.journal.txn(result.id)
    assert (result.outcome, result.exit_code, result.message) == ("declined", 1, "DECLINED: card on exception file")
    assert (row.state, row.message, row.kind, row.proc_code, row.amount) == (
        TxnState.DECLINED, "DECLINED: card on exception file", "purchase", "000000", 1234)
    assert (row.entry_mode, row.masked_pan, row.psn, row.tsc) == ("051", "476173******0010", "001", 1)
    assert row.local_time == terminal.clock.now().local.replace(tzinfo=None)
    assert terminal.journal.events(row.id)[-1][2] == (
        f"risk exception_file: {LISTED} (TVR: card appears on terminal exception file) (declined); nothing sent")
    [alert] = terminal.journal.alerts.all()
    assert (alert.rule, alert.decision, alert.txn_id) == ("exception_file", "declined", row.id)
    assert recent_ids(terminal, VISA_PAN) == [row.id]
    assert terminal.journal.saf_all() == [] and sent == []


def test_an_offline_approval_the_rules_refuse_is_recorded_from_the_chips_own_data(terminal):
    """The same card and amount again, nobody at the keypad to say 'charge it again': the chip would approve
    offline, the rules stop it first; the row takes entry mode, masked PAN and PSN from the chip's outcome."""
    configure(terminal, limits={"floor_limit": 5000})
    first = chip_sale(terminal, "qvsdc-offline")
    second = chip_sale(terminal, "qvsdc-offline")
    row = terminal.journal.txn(second.id)
    line = "NOT CHARGED AGAIN: same card, same amount already approved"
    assert (first.outcome, second.outcome, second.exit_code, second.message) == ("offline_approved", "declined", 1,
                                                                                  line)
    assert (row.state, row.message, row.entry_mode, row.masked_pan, row.psn, row.tsc) == (
        TxnState.DECLINED, line, "071", "476173******0127", "001", 2)
    detail = f"same card and amount approved at 17:30 as STAN {first.stan:06d}"
    assert terminal.journal.events(row.id)[-1][2] == f"risk duplicate_charge: {detail} (refused by the operator)" \
                                                    "; nothing sent"
    [alert] = terminal.journal.alerts.all()
    assert (alert.rule, alert.decision, alert.txn_id, alert.text) == ("duplicate_charge", "refused by the operator",
                                                                      row.id, detail)
    assert recent_ids(terminal, "4761739001010127") == [first.id, second.id]
    assert [s.txn_id for s in terminal.journal.saf_pending()] == [first.id]
