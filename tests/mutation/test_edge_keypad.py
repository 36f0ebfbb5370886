"""The operator's keypad through whole sales (terminal/txn/operator.py KeypadOperator over the real keypad state
machine, on the simulation's fault-free host): what the operator sees and what the keys decide. The PIN typed on
the terminal's keypad (offline plaintext, offline enciphered, online), the application choice, the supervisor's
PIN, the duplicate-charge question, a cancel before and after sending, and `posterm run`'s sale after sale.

Keys come from the `--keys` script source (drivers/keypad/script.py, on its own virtual clock), or are planned
at instants of the terminal's simulated clock (tests/sim/devices.py PlannedKeys), so a key lands exactly while
the card is read or while the host works."""
from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass

import pytest

from drivers.emulated.inprocess import InProcessChannel
from drivers.emulated.vcard import load_profile
from drivers.emvspec.ber_tlv import find, parse
from drivers.keypad.errors import KeySourceExhausted
from drivers.keypad.script import ScriptedKeys
from terminal.config import Config, keypad_settings
from terminal.emv.pin import EmulatedPinPad, Format0TdesKey
from terminal.iso8583 import Message
from terminal.keypad.fsm import KeypadFSM
from terminal.keypad.settings import for_tty
from terminal.keypad.states import State
from terminal.risk.policy import RiskPolicy
from terminal.risk.supervisor import hash_pin
from terminal.store import Journal
from terminal.store.states import TxnState
from terminal.txn.cards import ChipReader
from terminal.txn.chip import chip_sale
from terminal.txn.clock import ManualClock
from terminal.txn.engine import Engine
from terminal.txn.loop import Driver
from terminal.txn.operator import KeypadOperator, NoOperator, read_amount, serve
from tests.mutation.test_sale_records import swipe
from tests.sim.devices import PlannedKeys, PulledCard
from tests.sim.host import SimHost
from tests.sim.network import NetFaults, SimNetwork

SPINS = 20_000
"""More screens than any of these sales shows (the longest, a 61 s WAIT polled every 50 ms, some 1,300): a keypad
loop that polls on without the sale moving fails the test instead of hanging it."""


class Screens(list):
    """What the operator was shown, as the display is given it."""

    def __call__(self, screen) -> None:
        self.append(screen)
        if len(self) > SPINS:
            raise AssertionError("the keypad polls on and on: the sale never moves")

    def seen(self) -> list[tuple[str, str, str]]:
        """Each screen once, as a display draws it: a repeat of the screen already there changes nothing."""
        return [(s.title, s.value, s.message) for s, before in zip(self, [None, *self]) if s != before]


@dataclass
class Till:
    driver: Driver
    host: SimHost
    clock: ManualClock
    cfg: Config
    requests: list[Message]

    @property
    def journal(self) -> Journal:
        return self.driver.journal

    def mtis(self) -> list[str]:
        return [m.mti for m in self.requests]

    def alerts(self) -> list[tuple[str, str]]:
        return [tuple(r) for r in self.journal.db.conn.execute("SELECT rule, decision FROM alert ORDER BY id")]


@pytest.fixture
def till(tmp_path):
    made = []

    def make(cfg: Config | None = None) -> Till:
        cfg = cfg or Config()
        clock = ManualClock(dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc), utc_offset_h=8.0)
        requests: list[Message] = []
        host = SimHost(lambda: clock.now().utc, on_request=requests.append)
        net = SimNetwork(random.Random(0), NetFaults(), host, clock, cfg.keys.mac_key, Counter(), [])
        journal = Journal(tmp_path / f"journal{len(made)}.sqlite3", utc=lambda: clock.now().utc)
        made.append(journal)
        return Till(Driver(cfg, journal, net, clock=clock), host, clock, cfg, requests)
    yield make
    for journal in made:
        journal.close()


def scripted(t: Till, script: str, amount: int | None = None, **options) -> tuple[KeypadOperator, Screens]:
    """The operator as `--keys SCRIPT` types (the script's virtual clock is the keypad's); with an amount the
    keypad starts at the card, else at ENTER AMOUNT."""
    keys = ScriptedKeys.parse(script) if script else ScriptedKeys([])
    settings = for_tty(keypad_settings(t.cfg))
    fsm = KeypadFSM.for_sale(settings, amount) if amount is not None else KeypadFSM(settings,
                                                                                    start=State.AMOUNT_ENTRY)
    screens = Screens()
    return KeypadOperator(fsm, keys, keys.clock, screens, **options), screens


def planned(t: Till, amount: int, plan: list[tuple[float, str]]) -> tuple[KeypadOperator, Screens]:
    """Keys typed at instants (seconds from now) of the terminal's clock, at a keypad waiting for the card."""
    start = t.clock.monotonic()
    keys = PlannedKeys(t.clock, [(start + at, key) for at, key in plan])
    screens = Screens()
    fsm = KeypadFSM.for_sale(for_tty(keypad_settings(t.cfg)), amount)
    return KeypadOperator(fsm, keys, t.clock.monotonic, screens), screens


def chip(profile: str) -> ChipReader:
    return ChipReader(lambda: InProcessChannel(load_profile(profile)))


def icc(request: Message) -> dict[int, bytes]:
    return {tlv.tag: tlv.value for tlv in parse(bytes(request.fields[55]))}


READING = ("READING CARD", "CNY 25.00", "Do not remove the card")
PROCESSING = ("PROCESSING", "CNY 25.00", "Please wait")
APPROVED = ("APPROVED", "CNY 25.00", "APPROVED")


def pin_screens(title: str, digits: int, why: str = "CNY 25.00") -> list[tuple[str, str, str]]:
    return [(title, "*" * n, why) for n in range(digits + 1)]


# ---- the PIN typed on the terminal's keypad ----------------------------------------------------------------------
@pytest.mark.parametrize("profile, typed, cvm_results", [
    ("visa", "1,2,3,4,ENTER", "410302"),          # offline plaintext PIN, verified by the card
    ("mastercard", "4,3,2,1,ENTER", "440302"),    # offline enciphered PIN, verified by the card
])
def test_the_cardholder_types_an_offline_pin_on_the_terminals_keypad(till, profile, typed, cvm_results):
    t = till()
    operator, screens = scripted(t, typed, 2500, hold_ignored=True)
    result = t.driver.sale("purchase", 2500, chip(profile), operator=operator)
    assert (result.outcome, result.message) == ("approved", "APPROVED")
    assert screens.seen() == [("INSERT, TAP OR SWIPE", "CNY 25.00", ""), READING, *pin_screens("ENTER PIN", 4),
                              READING, PROCESSING, APPROVED]
    [request] = t.requests
    assert icc(request)[0x9F34].hex().upper() == cvm_results.upper()   # the card checked the PIN: successful
    assert 52 not in request.fields                                      # no PIN went online


def test_a_chip_sale_over_an_open_channel_asks_the_pin_at_the_operators_keypad(till):
    t = till()
    operator, screens = scripted(t, "1,2,3,4,ENTER", 2500, hold_ignored=True)
    result, outcome = chip_sale(Engine.of(t.driver), "purchase", 2500, InProcessChannel(load_profile("visa")),
                                operator=operator)
    assert result.outcome == "approved" and outcome is not None
    assert pin_screens("ENTER PIN", 4) == screens.seen()[2:7]
    assert icc(t.requests[0])[0x9F34].hex().upper() == "410302"


def test_a_key_the_pin_screen_ignores_is_spent_there_not_held_until_the_script_hangs(till):
    """Found by these tests: a scripted key held back at a screen that waits for the script itself (the PIN)
    waited for ever (the sale hung, polling)."""
    t = till()
    operator, screens = scripted(t, "F3,1,2,3,4,ENTER", 2500, hold_ignored=True)
    assert t.driver.sale("purchase", 2500, chip("visa"), operator=operator).outcome == "approved"
    assert pin_screens("ENTER PIN", 4) == screens.seen()[2:7]
    assert icc(t.requests[0])[0x9F34].hex().upper() == "410302"


def test_a_cancel_left_unanswered_at_the_pin_screen_goes_away_by_itself(till):
    t = till()
    operator, screens = scripted(t, "WAIT:0.1,CANCEL,WAIT:6,1,2,3,4,ENTER", 2500, hold_ignored=True)
    assert t.driver.sale("purchase", 2500, chip("visa"), operator=operator).outcome == "approved"
    # the confirmation's 5 s of silence end while the keypad waits for the PIN: the PIN screen is back, empty
    assert screens.seen()[2:5] == [("ENTER PIN", "", "CNY 25.00"),
                                   ("CANCEL SALE?", "", "ENTER=yes  other key=no"), ("ENTER PIN", "", "CNY 25.00")]


def test_a_pin_typed_a_while_after_the_prompt_is_waited_for(till):
    t = till()
    clock = t.clock
    plan = [(4.0 + 0.3 * i, key) for i, key in enumerate(["1", "2", "3", "4", "ENTER"])]
    operator, screens = planned(t, 2500, plan)
    card = ChipReader(lambda: PulledCard(InProcessChannel(load_profile("visa")), clock, None, Counter()))
    assert t.driver.sale("purchase", 2500, card, operator=operator).outcome == "approved"
    assert pin_screens("ENTER PIN", 4) == screens.seen()[2:7]
    assert icc(t.requests[0])[0x9F34].hex().upper() == "410302"


def test_a_wrong_offline_pin_is_asked_for_again_and_the_second_one_counts(till):
    t = till()
    operator, screens = scripted(t, "9,9,9,9,ENTER,1,2,3,4,ENTER", 2500, hold_ignored=True)
    result = t.driver.sale("purchase", 2500, chip("visa"), operator=operator)
    assert result.outcome == "approved"
    assert screens.seen()[2:] == [*pin_screens("ENTER PIN", 4), READING, *pin_screens("ENTER PIN", 4), READING,
                                  PROCESSING, APPROVED]
    assert icc(t.requests[0])[0x9F34].hex().upper() == "410302"


OTHER_PIN_KEY = bytes.fromhex("00112233445566778899AABBCCDDEEFF")   # not the demo key EmulatedPinPad falls back to


def test_the_operator_chooses_the_application_and_the_online_pin_typed_goes_to_the_host(till):
    t = till(dataclasses.replace(Config(), keys=dataclasses.replace(Config().keys, pin_key=OTHER_PIN_KEY)))
    operator, screens = scripted(t, "2,1,2,3,4,5,6,ENTER", 2500, hold_ignored=True)   # chooses by default
    result = t.driver.sale("purchase", 2500, chip("unionpay"), operator=operator)
    assert result.outcome == "approved"
    assert screens.seen() == [("INSERT, TAP OR SWIPE", "CNY 25.00", ""), READING,
                              ("SELECT APPLICATION", "1/2 UnionPay Debit", "ENTER=OK  F1/F2=scroll"), READING,
                              *pin_screens("ENTER PIN", 6), READING, PROCESSING, APPROVED]
    [request] = t.requests
    assert icc(request)[0x84] == bytes.fromhex("A000000333010102")      # the second: UnionPay Credit
    assert bytes(request.fields[52]) == Format0TdesKey(OTHER_PIN_KEY).encrypt("123456", "6250947000000014")


def test_a_cancel_confirmed_at_the_application_choice_ends_the_sale_before_anything_is_sent(till):
    t = till()
    operator, screens = scripted(t, "WAIT:0.1,CANCEL,ENTER", 2500, hold_ignored=True)   # typed at the choice
    result = t.driver.sale("purchase", 2500, chip("unionpay"), operator=operator)
    assert (result.outcome, result.message) == ("cancelled", "CANCELLED: nothing sent")
    assert screens.seen()[2:4] == [("SELECT APPLICATION", "1/2 UnionPay Debit", "ENTER=OK  F1/F2=scroll"),
                                   ("CANCEL SALE?", "1/2 UnionPay Debit", "ENTER=yes  other key=no")]
    assert t.requests == [] and t.journal.txns() == []


def test_a_cancel_confirmed_before_the_card_is_presented_never_talks_to_the_card(till):
    t = till()
    opened = []

    def insert():
        opened.append(InProcessChannel(load_profile("visa")))
        return opened[-1]
    operator, screens = scripted(t, "CANCEL,ENTER", 2500, hold_ignored=True)
    result = t.driver.sale("purchase", 2500, ChipReader(insert), operator=operator,
                           pinpad=EmulatedPinPad("1234", Format0TdesKey(t.cfg.keys.pin_key)))
    assert (result.outcome, result.message) == ("cancelled", "CANCELLED: nothing sent")
    assert [channel.exchanges for channel in opened] in ([], [0])          # not one APDU
    assert screens.seen() == [("CANCEL SALE?", "CNY 25.00", "ENTER=yes  other key=no"),
                              ("READY", "", "Sale cancelled"), ("READY", "", "CANCELLED: nothing sent")]


def test_an_operator_who_does_not_choose_gets_the_cards_first_application(till):
    t = till()
    operator, screens = scripted(t, "1,2,3,4,5,6,ENTER", 2500, hold_ignored=True, chooses_application=False)
    assert t.driver.sale("purchase", 2500, chip("unionpay"), operator=operator).outcome == "approved"
    assert "SELECT APPLICATION" not in [title for title, _, _ in screens.seen()]
    assert icc(t.requests[0])[0x84] == bytes.fromhex("A000000333010101")      # priority 1: UnionPay Debit


# ---- the supervisor's PIN ----------------------------------------------------------------------------------------
def supervised(till) -> Till:
    risk = RiskPolicy(amount_alert=10000, supervisor_pin_hash=hash_pin("958371", iterations=1000))
    return till(dataclasses.replace(Config(), risk=risk))


SUPERVISOR = ("SUPERVISOR PIN", "AMOUNT ABOVE ALERT LEVEL")


def test_the_supervisors_pin_typed_at_the_keypad_lets_a_large_sale_through(till):
    t = supervised(till)
    operator, screens = scripted(t, "9,5,8,3,7,1,ENTER", 15000, hold_ignored=True)
    result = t.driver.sale("purchase", 15000, swipe(), operator=operator)
    assert (result.outcome, result.message) == ("approved", "APPROVED")
    assert screens.seen() == [("INSERT, TAP OR SWIPE", "CNY 150.00", ""),
                              ("READING CARD", "CNY 150.00", "Do not remove the card"),
                              *pin_screens(*SUPERVISOR[:1], 6, SUPERVISOR[1]),
                              ("READING CARD", "CNY 150.00", "Do not remove the card"),
                              ("PROCESSING", "CNY 150.00", "Please wait"), ("APPROVED", "CNY 150.00", "APPROVED")]
    assert t.mtis() == ["0200"] and t.alerts() == [("amount_alert", "confirmed by the supervisor")]


@pytest.mark.parametrize("typed", ["1,1,1,1,ENTER", "9,5,8,3,7,1", ""])   # wrong; never completed; nobody
def test_no_right_supervisor_pin_declines_the_large_sale_and_sends_nothing(till, typed):
    t = supervised(till)
    operator, screens = scripted(t, typed, 15000, hold_ignored=True)
    result = t.driver.sale("purchase", 15000, swipe(), operator=operator)
    assert (result.outcome, result.message) == ("declined", "DECLINED: amount above alert level")
    assert screens.seen()[-1] == ("NOT APPROVED", "CNY 150.00", "DECLINED: amount above alert level")
    assert t.requests == [] and t.alerts() == [("amount_alert", "refused by the supervisor")]
    assert b"958371" not in t.journal.path.read_bytes()


def test_the_cardholders_pin_then_the_supervisors_each_get_their_own_entry(till):
    t = supervised(till)
    operator, screens = scripted(t, "1,2,3,4,5,6,ENTER,9,5,8,3,7,1,ENTER", 15000, hold_ignored=True,
                                 chooses_application=False)
    result = t.driver.sale("purchase", 15000, chip("unionpay"), operator=operator)
    assert result.outcome == "approved"
    titles = [title for title, _, _ in screens.seen()]
    assert titles.count("SUPERVISOR PIN") == 7 and titles.count("ENTER PIN") == 7
    assert bytes(t.requests[0].fields[52]) == Format0TdesKey(t.cfg.keys.pin_key).encrypt("123456",
                                                                                         "6250947000000014")


# ---- the duplicate-charge question ---------------------------------------------------------------------------------
QUESTION = ("SAME CARD, SAME AMOUNT", "APPROVED 17:30, STAN 000001", "charge again? ENTER=yes other=no")
NOT_AGAIN = "NOT CHARGED AGAIN: same card, same amount already approved"


@pytest.fixture
def charged(till) -> Till:
    t = till()
    assert t.driver.sale("purchase", 2500, swipe()).outcome == "approved"
    return t


def test_enter_typed_early_by_a_script_waits_for_the_question_and_charges_again(charged):
    operator, screens = scripted(charged, "ENTER", 2500, hold_ignored=True)
    result = charged.driver.sale("purchase", 2500, swipe(), operator=operator)
    assert result.outcome == "approved"
    assert screens.seen() == [("INSERT, TAP OR SWIPE", "CNY 25.00", ""), READING, QUESTION, READING, PROCESSING,
                              APPROVED]
    assert charged.mtis() == ["0200", "0200"] and charged.alerts() == [("duplicate_charge",
                                                                      "confirmed by the operator")]


class Typed:
    """Keys as a plain KeySource gives them (a tty, evdev): no peek, so nothing can wait in it for a screen."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = list(keys)

    def read(self, timeout):
        if not self.keys:
            raise KeySourceExhausted("no more keys")
        return self.keys.pop(0)

    def close(self) -> None:
        pass


@pytest.mark.parametrize("how", ["no", "nobody", "typed too early", "too early, no peek", "no keypad"])
def test_anything_but_enter_at_the_question_is_no_and_nothing_is_charged_again(charged, how):
    if how == "no keypad":
        operator, screens = NoOperator(), Screens()
    elif how == "too early, no peek":    # a scripted operator on a source that cannot peek: ENTER is spent early
        screens = Screens()
        fsm = KeypadFSM.for_sale(for_tty(keypad_settings(charged.cfg)), 2500)
        operator = KeypadOperator(fsm, Typed(["ENTER"]), charged.clock.monotonic, screens, hold_ignored=True)
    else:
        # a person at the keypad (no hold) spends a key on the screen it was typed at: the card screen ignores it
        operator, screens = {"no": lambda: scripted(charged, "CLEAR", 2500, hold_ignored=True),
                             "nobody": lambda: scripted(charged, "", 2500, hold_ignored=True),
                             "typed too early": lambda: scripted(charged, "ENTER", 2500)}[how]()
    result = charged.driver.sale("purchase", 2500, swipe(), operator=operator)
    assert (result.outcome, result.message) == ("declined", NOT_AGAIN)
    if how != "no keypad":
        assert QUESTION in screens.seen() and screens.seen()[-1] == ("NOT APPROVED", "CNY 25.00", NOT_AGAIN)
    assert charged.mtis() == ["0200"]
    assert charged.alerts() == [("duplicate_charge", "refused by the operator")]


def test_refunds_above_the_days_total_are_declined_and_the_next_day_counts_afresh(till):
    t = till(dataclasses.replace(Config(), risk=RiskPolicy(refund_daily_limit=1000, refund_action="decline")))
    assert t.driver.sale("refund", 800, swipe()).outcome == "approved"
    over = t.driver.sale("refund", 300, swipe())
    assert (over.outcome, over.message) == ("declined", "DECLINED: refunds above daily total")
    assert t.driver.sale("refund", 200, swipe()).outcome == "approved"          # 1000: not above the limit
    t.clock.advance(7 * 3600)                                                   # 00:30 local: the next day
    assert t.driver.sale("refund", 900, swipe()).outcome == "approved"
    assert t.mtis() == ["0200", "0200", "0200"] and t.alerts() == [("refund_total", "declined")]


# ---- cancels ---------------------------------------------------------------------------------------------------
def test_cancel_confirmed_while_the_host_works_reverses_the_approval(till):
    t = till()
    operator, screens = planned(t, 2500, [(0.01, "CANCEL"), (0.02, "ENTER")])   # both land in the host's wait
    result = t.driver.sale("purchase", 2500, swipe(), operator=operator)
    row = t.journal.txn(result.id)
    assert row.state is TxnState.REVERSED
    assert t.mtis() == ["0200", "0400"] and str(t.requests[1].fields[39]) == "17"
    assert screens.seen()[2:5] == [PROCESSING, ("CANCEL SALE? it will be reversed", "CNY 25.00", "ENTER=yes  other=no"),
                                   ("PROCESSING", "CNY 25.00", "Reversal requested; waiting")]


def test_a_cancel_open_when_the_card_is_read_is_answered_before_anything_is_sent(till):
    t = till()
    clock = t.clock
    operator, screens = planned(t, 2500, [(0.05, "CANCEL"), (2.0, "ENTER")])   # CANCEL while reading, ENTER later
    card = ChipReader(lambda: PulledCard(InProcessChannel(load_profile("visa")), clock, None, Counter()))
    result = t.driver.sale("purchase", 2500, card, operator=operator,
                           pinpad=EmulatedPinPad("1234", Format0TdesKey(t.cfg.keys.pin_key)))
    assert (result.outcome, result.message) == ("cancelled", "CANCELLED: nothing sent")
    assert t.requests == [] and t.journal.txns() == []


def test_a_mistaken_cancel_during_processing_goes_away_by_itself_while_the_host_works(till):
    t = till(dataclasses.replace(Config(), keypad={"confirm_timeout_s": 0.5}))
    operator, screens = planned(t, 2500, [(0.01, "CANCEL")])
    result = t.driver.sale("purchase", 2500, swipe(), operator=operator)
    assert result.outcome == "approved" and t.mtis() == ["0200"]
    assert screens.seen()[2:] == [PROCESSING, ("CANCEL SALE? it will be reversed", "CNY 25.00", "ENTER=yes  other=no"),
                                  PROCESSING, APPROVED]


def test_a_mistaken_cancel_at_the_end_of_a_script_goes_away_by_itself_while_the_host_works(till):
    t = till(dataclasses.replace(Config(), keypad={"confirm_timeout_s": 0.5}))
    # `posterm sale --keys` types on the terminal's own clock: WAIT:0.01 puts the CANCEL into the host's wait,
    # and then the script has ended
    keys = ScriptedKeys.parse("WAIT:0.01,CANCEL", clock=t.clock.monotonic, sleep=t.clock.advance)
    screens = Screens()
    operator = KeypadOperator(KeypadFSM.for_sale(for_tty(keypad_settings(t.cfg)), 2500), keys, t.clock.monotonic,
                              screens, hold_ignored=True)
    result = t.driver.sale("purchase", 2500, swipe(), operator=operator)
    assert result.outcome == "approved" and t.mtis() == ["0200"]
    assert screens.seen()[2:] == [PROCESSING, ("CANCEL SALE? it will be reversed", "CNY 25.00", "ENTER=yes  other=no"),
                                  PROCESSING, APPROVED]


# ---- the amount, and sale after sale ------------------------------------------------------------------------------
def test_the_amount_keyed_in_and_confirmed_starts_the_sale(till):
    t = till()
    operator, screens = scripted(t, "1,2,3,ENTER,ENTER", hold_ignored=True)
    assert read_amount(operator) == 123
    assert screens.seen()[-1] == ("INSERT, TAP OR SWIPE", "CNY 1.23", "")
    assert operator.effects == []
    cancelled, _ = scripted(t, "1,2,CANCEL,ENTER", hold_ignored=True)
    assert read_amount(cancelled) is None


def test_a_cancel_left_unanswered_at_the_amount_goes_away_by_itself(till):
    t = till()
    operator, screens = scripted(t, "1,CANCEL,WAIT:6,2,ENTER,ENTER", hold_ignored=True)
    assert read_amount(operator) == 12
    assert screens.seen()[:4] == [("ENTER AMOUNT", "CNY 0.01", ""), ("CANCEL SALE?", "CNY 0.01", "ENTER=yes  other key=no"),
                                  ("ENTER AMOUNT", "CNY 0.01", ""), ("ENTER AMOUNT", "CNY 0.12", "")]


def test_a_script_that_ends_before_the_amount_is_confirmed_says_so(till):
    t = till()
    operator, _ = scripted(t, "1,2,ENTER", hold_ignored=True)
    with pytest.raises(KeySourceExhausted) as ended:
        read_amount(operator)
    assert str(ended.value) == "--keys script ended after 3 tokens, before the amount was confirmed"


def test_a_script_that_ended_during_a_sale_ends_the_next_amount_entry(till):
    t = till()
    operator, _ = scripted(t, "1,2,3,ENTER,ENTER", hold_ignored=True)
    amount = read_amount(operator)
    assert t.driver.sale("purchase", amount, swipe(), operator=operator).outcome == "approved"
    with pytest.raises(KeySourceExhausted) as ended:
        read_amount(operator)
    assert str(ended.value) == "the key script ended during the last sale, before the amount was confirmed"


def test_serve_makes_sale_after_sale_until_the_script_ends(till):
    t = till()
    keys = ScriptedKeys.parse("1,2,3,ENTER,ENTER,WAIT:61,4,CANCEL,WAIT:6,5,ENTER,ENTER,WAIT:1,CANCEL")
    screens = Screens()
    operator = KeypadOperator(KeypadFSM(for_tty(keypad_settings(t.cfg))), keys, keys.clock, screens)
    made, new_sales, ready = [], [], []

    def sale(amount: int) -> None:
        made.append(t.driver.sale("purchase", amount, swipe(), operator=operator))

    def on_ready() -> None:
        ready.append(operator.fsm.state)
    count = serve(operator, sale, on_new_sale=lambda: new_sales.append(operator.fsm.amount_minor),
                  on_ready=on_ready)
    assert count == 2 and [(r.amount, r.outcome) for r in made] == [(123, "approved"), (45, "approved")]
    assert new_sales == [1, 4]          # each sale's first digit, keyed at READY and at the last result
    assert ready and set(ready) == {State.IDLE}          # the first result timed out to READY during the WAIT
    assert screens.seen()[-1] == ("READY", "", "Key in the amount")    # CANCEL dismissed the second result
    # a cancel left unanswered at the second amount went away by itself during the WAIT
    cancel = screens.seen().index(("CANCEL SALE?", "CNY 0.04", "ENTER=yes  other key=no"))
    assert screens.seen()[cancel + 1:cancel + 3] == [("ENTER AMOUNT", "CNY 0.04", ""), ("ENTER AMOUNT", "CNY 0.45", "")]
