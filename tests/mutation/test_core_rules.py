"""The risk rules' findings as the sale core walks them, read back from what the operator is asked, the
journal and the wire: a first attempt still in doubt stops a second charge outright; two findings are asked
in the rules' order, the operator's question first, then the supervisor's PIN; the day's refunds count from
local midnight exactly; a void is never stopped by the card rules; a card listed by its keyed hash is
declined however it is read."""
from __future__ import annotations

from terminal.risk.cardhash import card_hash, derived_key
from terminal.store.states import TxnState
from terminal.txn.engine import Engine
from terminal.txn.records import CardInput
from tests.mutation.core_world import VISA_PAN, Chip, configure, keypad, swipe, wire

TRACK2 = "4761739001010010=301210100000000"


def test_a_first_attempt_in_doubt_stops_the_same_charge_outright(terminal):
    terminal.net.faults.response_lost = 1.0
    first = terminal.driver.sale("purchase", 1234, swipe())
    terminal.net.faults.response_lost = 0.0
    terminal.net.down = True   # its reversal cannot be delivered yet
    sent = wire(terminal)
    terminal.net.down = False
    screens: list = []
    second = terminal.driver.sale("purchase", 1234, swipe(), operator=keypad(terminal, 1234, [(0.5, "ENTER")],
                                                                                screens))
    stan = f"{first.stan:06d}"
    line = f"NOT SENT: first attempt STAN {stan} in doubt, reversal pending"
    row = terminal.journal.txn(second.id)
    assert (second.outcome, second.exit_code, second.message) == ("not_sent", 3, line)
    assert (row.state, row.message) == (TxnState.NOT_SENT, line)
    detail = (f"same card and amount sent at 17:30 as STAN {stan}, outcome unknown and its reversal pending: "
              "not charged again")
    assert terminal.journal.events(row.id)[-1][2] == f"risk duplicate_charge: {detail} (in_doubt); nothing sent"
    [alert] = terminal.journal.alerts.all()
    assert (alert.rule, alert.decision, alert.txn_id, alert.text) == ("duplicate_charge", "in_doubt", row.id, detail)
    assert not any(s.title == "FIRST ATTEMPT IN DOUBT" for s in screens)   # nobody may override it
    assert [m.mti for m in sent if m.mti == "0200"] == []


def test_two_findings_are_asked_in_order_the_operator_first_then_the_supervisor(terminal):
    configure(terminal, risk={"amount_alert": 1000})
    first = terminal.driver.sale("purchase", 1234, swipe())   # nobody to type the supervisor's PIN: refused
    assert first.outcome == "declined"
    configure(terminal, risk={"amount_alert": 0})
    approved = terminal.driver.sale("purchase", 1234, swipe())
    configure(terminal, risk={"amount_alert": 1000})
    sent = wire(terminal)
    screens: list = []
    keys = [(0.5, "ENTER"), (1.0, "1"), (1.1, "2"), (1.2, "3"), (1.3, "4"), (1.4, "ENTER")]   # a wrong PIN
    second = terminal.driver.sale("purchase", 1234, swipe(), operator=keypad(terminal, 1234, keys, screens))
    asked = [(s.title, s.value) for s in screens if s.title in ("SAME CARD, SAME AMOUNT", "SUPERVISOR PIN")]
    assert asked[0] == ("SAME CARD, SAME AMOUNT", f"APPROVED 17:30, STAN {approved.stan:06d}")
    assert asked[-1][0] == "SUPERVISOR PIN"
    row = terminal.journal.txn(second.id)
    assert (second.outcome, row.state) == ("declined", TxnState.DECLINED)
    decisions = [(a.rule, a.decision) for a in terminal.journal.alerts.all() if a.txn_id == row.id]
    assert sorted(decisions) == [("amount_alert", "refused by the supervisor"),
                                 ("duplicate_charge", "confirmed by the operator")]
    assert sent == []


def test_the_days_refunds_count_from_local_midnight_exactly(terminal):
    """Local time is UTC+8: 16:00 UTC is midnight. A refund at 00:00:00 counts for the day; the day's total
    then passes the limit at 17:30:07, whatever the clock's hour, minute and second."""
    configure(terminal, risk={"refund_daily_limit": 1000})
    terminal.clock.advance(6.5 * 3600)
    assert terminal.clock.now().local.strftime("%H:%M:%S") == "00:00:00"
    first = terminal.driver.sale("refund", 800, swipe())
    assert first.outcome == "approved"
    now = terminal.clock.now().local
    terminal.clock.advance((now.replace(hour=17, minute=30, second=7) - now).total_seconds())
    assert terminal.clock.now().local.strftime("%H:%M:%S") == "17:30:07"
    second = terminal.driver.sale("refund", 300, swipe())
    assert second.outcome == "declined"
    [alert] = terminal.journal.alerts.all()
    assert (alert.rule, alert.decision, alert.txn_id) == ("refund_total", "refused by the supervisor", second.id)


def test_a_void_is_never_stopped_by_the_card_rules(terminal):
    sale = terminal.driver.sale("purchase", 500, swipe())
    configure(terminal, risk={"exception_prefixes": ("476173",)})
    original = terminal.journal.txn(sale.id)
    void = Engine.of(terminal.driver).sale("void", 500, CardInput("901", original.masked_pan, track2=TRACK2),
                                           original=original)
    assert void.outcome == "approved" and terminal.journal.txn(sale.id).state is TxnState.VOIDED
    assert terminal.journal.alerts.all() == []


def test_a_card_listed_by_its_keyed_hash_is_declined_swiped_or_inserted(terminal):
    listed = card_hash(VISA_PAN, derived_key(terminal.driver.cfg.keys.data_key))
    configure(terminal, risk={"exception_hashes": frozenset({listed})})
    sent = wire(terminal)
    detail = "card on the terminal exception file (its keyed hash): declined at the terminal, nothing sent"
    swiped = terminal.driver.sale("purchase", 1234, swipe())
    assert (swiped.outcome, swiped.message) == ("declined", "DECLINED: card on exception file")
    assert terminal.journal.events(swiped.id)[-1][2] == f"risk exception_file: {detail} (declined); nothing sent"
    card = Chip("visa", terminal.driver.cfg)
    inserted = terminal.driver.sale("purchase", 1234, card.reader, pinpad=card.pinpad)
    assert (inserted.outcome, inserted.message) == ("declined", "DECLINED: card on exception file")
    assert terminal.journal.events(inserted.id)[-1][2] == (
        f"risk exception_file: {detail} (TVR: card appears on terminal exception file) (declined); nothing sent")
    assert sent == []


def test_split_sales_are_measured_against_the_terminals_floor_limit(terminal):
    """No split_floor_limit of its own: the rule takes [limits] floor_limit (a swiped card: no chip to approve
    offline under it). Two sales of 3000 within the window total 6000, above 5000."""
    configure(terminal, limits={"floor_limit": 5000}, risk={"split_window_min": 10, "split_action": "decline"})
    first = terminal.driver.sale("purchase", 3000, swipe())
    second = terminal.driver.sale("purchase", 3100, swipe())
    assert (first.outcome, second.outcome, second.message) == ("approved", "declined",
                                                               "DECLINED: possible split sale")
    [alert] = terminal.journal.alerts.all()
    assert (alert.rule, alert.decision, alert.txn_id) == ("split_sale", "declined", second.id)
    assert alert.text == ("1 approved sales of this card in the last 10 min and this one total 6100, above the floor"
                          " limit 5000 (minor units)")


def test_card_data_in_hand_is_looked_up_by_the_pan_of_its_track_2(terminal):
    """A known card (a void's, a benchmark's) carries track 2 alone: its PAN is what comes before the separator,
    '=' of a magstripe or 'D' of a chip's track 2 equivalent, and the card's keyed hash is taken of it."""
    listed = card_hash(VISA_PAN, derived_key(terminal.driver.cfg.keys.data_key))
    configure(terminal, risk={"exception_hashes": frozenset({listed})})
    engine = Engine.of(terminal.driver)
    for track2 in (TRACK2, "4761739001010010D30121010000000"):
        result = engine.sale("purchase", 1234, CardInput("901", "476173******0010", track2=track2))
        assert (result.outcome, result.message) == ("declined", "DECLINED: card on exception file"), track2

