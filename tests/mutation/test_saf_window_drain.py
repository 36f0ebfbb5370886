"""The store-and-forward window (txn/saf_window.py) step by step, on a connection that holds many requests
(window_net.py) in front of the simulation's host: what leaves when, how each answer is matched, what the
journal holds after every kind of trouble, and what the drain reports."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pytest

from terminal.config import Config
from terminal.iso8583 import decode, encode
from terminal.store import Journal, TxnRow
from terminal.store.states import TxnState
from terminal.txn.clock import ManualClock
from terminal.txn.crashpoints import CrashPoints
from terminal.txn.engine import Engine
from terminal.txn.loop import Driver
from terminal.txn.records import CardInput
from tests.mutation.conftest import Terminal
from tests.mutation.window_net import WindowNet
from tests.sim.host import SimHost

CHIP = CardInput("051", "476173******0010", pan="4761739001010010", expiry="3112", psn="01",
                 icc=bytes.fromhex("9F2608A1B2C3D4E5F607189F270140"))
NEVER_SAW = "host never saw the original: nothing to reverse"


@dataclass
class Win(Terminal):
    """conftest's terminal, on the many-request connection (`net` is a WindowNet), with its start time."""
    start: float

    def configure(self, **saf) -> None:
        cfg = self.driver.cfg
        self.driver.cfg = replace(cfg, saf=replace(cfg.saf, **saf))

    def reversal(self, *, kind="purchase", original: TxnRow | None = None) -> TxnRow:
        """A row a crash left in doubt, its reversal queued at start (reason 68)."""
        row = self.journal.begin(kind=kind, proc_code="200000" if kind == "refund" else "000000", amount=10,
                                 currency="156", local_time=self.clock.now().local, transmitted="1201093000",
                                 entry_mode="901", masked_pan="476173******0010",
                                 original_id=original.id if original else None)
        self.driver.recover()
        return self.journal.txn(row.id)

    def reversals(self, n: int) -> list[TxnRow]:
        return [self.reversal() for _ in range(n)]

    def advice(self, amount=300) -> TxnRow:
        return Engine.of(self.driver).approve_offline("purchase", amount, CHIP, "Y1")

    def stan(self, row: TxnRow) -> str:
        """The STAN of the row's store-and-forward entry, as field 11 carries it."""
        return f"{self.entry(row).stan:06d}"

    def entry(self, row: TxnRow):
        [e] = [e for e in self.journal.saf_all() if e.txn_id == row.id]
        return e

    def state(self, row: TxnRow) -> TxnState:
        return self.journal.txn(row.id).state

    def reason(self, row: TxnRow) -> str:
        return self.journal.events(row.id)[-1][2]


@pytest.fixture
def win(tmp_path) -> Win:
    cfg = Config()
    cfg = replace(cfg, saf=replace(cfg.saf, window=8))
    clock = ManualClock(dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc), utc_offset_h=8.0)
    host = SimHost(lambda: clock.now().utc)
    net = WindowNet(host, clock, cfg.keys.mac_key)
    journal = Journal(tmp_path / "journal.sqlite3", utc=lambda: clock.now().utc)
    yield Win(Driver(cfg, journal, net, clock=clock), host, net, clock, clock.now().epoch)
    journal.close()


def sends(*stans, mti="0400"):
    return [("send", mti, s) for s in stans]


def answers(*stans, mti="0410"):
    return [("answer", mti, s) for s in stans]


def report_of(r):
    return (r.delivered, r.pending, r.reversals_pending, r.blocking_stan, r.error)


# -- the window at work ----------------------------------------------------------------------------------------

def test_a_window_of_two_keeps_two_outstanding_and_matches_answers_in_any_order(win):
    win.configure(window=2)
    rows = win.reversals(3)
    a, b, c = (win.stan(r) for r in rows)
    win.net.latency_of[("0400", b)] = 0.5          # b answers after c, which leaves once a's answer is in
    written = []                                   # what the journal held as each message left
    win.net.on_send = lambda m: written.append([(e.stan, e.attempts, e.state.value) for e in win.journal.saf_all()])
    shown, seen = [], []
    win.driver.progress = lambda what, n, m: shown.append((what, n, m))
    win.driver.crash = CrashPoints(seen.append)
    report = win.driver.drain()
    assert win.net.log == sends(a, b) + answers(a) + sends(c) + answers(c, b)
    assert report_of(report) == (3, 0, 0, None, "")
    ea, eb, ec = (int(s) for s in (a, b, c))
    # write ahead: both attempts of the first window in one commit before either left; a's delivery rides c's
    assert written == [[(ea, 1, "pending"), (eb, 1, "pending"), (ec, 0, "pending")]] * 2 + [
        [(ea, 1, "delivered"), (eb, 1, "pending"), (ec, 1, "pending")]]
    assert [win.state(r) for r in rows] == [TxnState.REVERSED] * 3
    assert [win.reason(r) for r in rows] == [f"{NEVER_SAW} (0400, code 25)"] * 3
    assert [(e.attempts, e.next_at, e.state.value) for e in win.journal.saf_all()] == [
        (1, win.start + 5.0, "delivered")] * 3
    assert shown == [("saf", 1.0, 3.0), ("saf", 2.0, 3.0), ("saf", 3.0, 3.0), (None, 0.0, 0.0)]
    assert seen == ["saf_before_attempt", "saf_after_attempt", "saf_after_send"] * 2
    assert win.net.closes == 0


def test_eight_reversals_leave_together_and_are_all_matched_when_answered_newest_first(win):
    rows = win.reversals(8)
    stans = [win.stan(r) for r in rows]
    for i, s in enumerate(stans):
        win.net.latency_of[("0400", s)] = 1.0 - i / 10     # the newest is answered first
    report = win.driver.drain(force=True)
    assert win.net.log == sends(*stans) + answers(*reversed(stans))
    assert (report.delivered, report.pending) == (8, 0)
    assert all(win.state(r) is TxnState.REVERSED for r in rows)


def test_answers_that_arrive_together_are_all_taken(win):
    rows = win.reversals(3)
    report = win.driver.drain(force=True)           # all three answers arrive at once, in one read
    assert win.net.log == sends(*(win.stan(r) for r in rows)) + answers(*(win.stan(r) for r in rows))
    assert report_of(report) == (3, 0, 0, None, "")


def test_advices_leave_only_once_every_reversal_is_answered(win):
    r1, r2 = win.reversals(2)
    a1, a2 = win.advice(300), win.advice(400)
    win.net.latency_of[("0400", win.stan(r2))] = 0.3
    report = win.driver.drain(force=True)
    s = win.stan
    assert win.net.log == (sends(s(r1), s(r2)) + answers(s(r1)) + answers(s(r2))
                           + sends(s(a1), s(a2), mti="0220") + answers(s(a1), s(a2), mti="0230"))
    assert report_of(report) == (4, 0, 0, None, "")
    assert [win.state(r) for r in (a1, a2)] == [TxnState.OFFLINE_APPROVED] * 2
    assert [win.journal.txn(r.id).rrn for r in (a1, a2)] == [c.rrn for c in win.host.charges[-2:]]
    assert win.reason(a1) == "advice acknowledged (0220, code 00)"


def test_an_advice_enters_a_window_beside_another_advice(win):
    win.configure(window=2)
    a1, a2, a3 = win.advice(100), win.advice(200), win.advice(300)
    win.net.latency_of[("0220", win.stan(a2))] = 0.5
    win.driver.drain(force=True)
    s = win.stan
    assert win.net.log == (sends(s(a1), s(a2), mti="0220") + answers(s(a1), mti="0230")
                           + sends(s(a3), mti="0220") + answers(s(a3), s(a2), mti="0230"))


def test_an_entry_waits_while_one_of_its_transaction_family_is_outstanding(win):
    sale = win.reversal()                               # queued first: the sale's reversal...
    refund = win.reversal(kind="refund", original=sale)  # ...then the refund's, which refers to the sale
    other = win.reversal()
    assert refund.original_id == sale.id
    report = win.driver.drain(force=True)
    s = win.stan
    # the refund's reversal waits for its original's answer; the unrelated one behind it waits its turn
    assert win.net.log == sends(s(sale)) + answers(s(sale)) + sends(s(refund), s(other)) + answers(
        s(refund), s(other))
    assert report_of(report) == (3, 0, 0, None, "")


def test_the_attempts_are_committed_and_noted_with_their_carrier_before_they_leave(win):
    win.net.address = "198.51.100.7:5000"
    r1, r2 = win.reversals(2)
    win.net.latency_of[("0400", win.stan(r2))] = None    # lost once: repeated as 0401
    win.driver.drain(force=True)
    assert [(c.mti, c.stan, c.address) for c in win.journal.carried(r1.id)] == [
        ("0400", int(win.stan(r1)), "198.51.100.7:5000")]
    assert [(c.mti, c.stan, c.address) for c in win.journal.carried(r2.id)] == [
        ("0400", int(win.stan(r2)), "198.51.100.7:5000"), ("0401", int(win.stan(r2)), "198.51.100.7:5000")]


# -- lost answers ------------------------------------------------------------------------------------------------

def test_an_answer_lost_while_the_host_answers_others_is_repeated_at_once_as_0401_with_the_same_stan(win):
    rows = win.reversals(3)
    a, b, c = (win.stan(r) for r in rows)
    win.net.latency_of[("0400", b)] = None
    written = []
    win.net.on_send = lambda m: written.append((m.mti, win.entry(rows[1]).attempts, win.entry(rows[1]).next_at))
    report = win.driver.drain(force=True)
    assert win.net.log == sends(a, b, c) + answers(a, c) + sends(b, mti="0401") + answers(b)
    assert report_of(report) == (3, 0, 0, None, "")
    # the repeat's attempt (the second) is committed before it leaves, its backoff doubled
    assert written[-1] == ("0401", 2, win.start + 10.0)
    assert win.reason(rows[1]) == f"{NEVER_SAW} (0401, code 25)"
    assert win.state(rows[1]) is TxnState.REVERSED


def test_an_answer_lost_twice_stays_pending_and_nothing_more_leaves_this_drain(win):
    rows = win.reversals(3)
    advice = win.advice()
    a, b, c = (win.stan(r) for r in rows)
    win.net.latency_of[("0400", b)] = win.net.latency_of[("0401", b)] = None
    report = win.driver.drain(force=True)
    assert win.net.log == sends(a, b, c) + answers(a, c) + sends(b, mti="0401")
    assert report_of(report) == (2, 2, 1, rows[1].stan, "no answer to the 0401 within 30 s")
    e = win.entry(rows[1])
    assert (e.attempts, e.last_error, e.state.value) == (2, "no answer to the 0401 within 30 s", "pending")
    assert win.state(rows[1]) is TxnState.REVERSAL_PENDING
    assert (win.entry(advice).attempts, win.entry(advice).last_error) == (0, "")   # never tried
    assert win.net.closes == 1
    win.net.latency_of.clear()
    report = win.driver.drain()                      # the next drain: due again (backoff 10 s, 60 s later)
    assert win.net.log[-4:] == sends(b, mti="0401") + answers(b) + sends(win.stan(advice),
                                                                               mti="0220") + answers(
        win.stan(advice), mti="0230")
    assert report_of(report) == (2, 0, 0, None, "")


def test_a_window_that_gets_no_answer_at_all_leaves_all_pending_and_repeats_nothing(win):
    rows = win.reversals(2)
    win.net.latency = None
    report = win.driver.drain(force=True)
    assert win.net.log == sends(*(win.stan(r) for r in rows))
    assert report_of(report)[:3] == (0, 2, 2) and report.error == "no answer to the 0400 within 30 s"
    assert report.blocking_stan in (rows[0].stan, rows[1].stan)    # both wait; the report names one
    assert [(e.attempts, e.last_error) for e in win.journal.saf_all()] == [
        (1, "no answer to the 0400 within 30 s")] * 2
    assert win.net.closes == 1


def test_a_timeout_settles_the_earliest_flight_even_if_the_clock_did_not_move_during_the_wait(win):
    rows = win.reversals(2)
    win.net.latency = None
    win.net.clock_moves = False                      # a real socket waited; the manual clock stayed put
    report = win.driver.drain(force=True)
    assert report_of(report)[:3] == (0, 2, 2) and report.error == "no answer to the 0400 within 30 s"


def test_an_answer_later_than_the_timeout_is_lost_and_the_next_deadline_is_its_own(win):
    win.configure(window=2)
    r1, r2, r3 = win.reversals(3)
    a, b, c = (win.stan(r) for r in (r1, r2, r3))
    win.net.latency_of[("0400", a)] = None           # a: lost; its deadline t=30
    win.net.latency_of[("0400", b)] = 0.6            # b answers at t=0.6, then c leaves: deadline t=30.6
    win.net.latency_of[("0400", c)] = 30.2           # c's answer comes at t=30.8: 0.2 s too late
    report = win.driver.drain(force=True)
    assert win.net.log == (sends(a, b) + answers(b) + sends(c)          # t=0.6
                           + sends(a, mti="0401") + answers(a)                # a repeated at t=30, alone
                           + sends(c, mti="0401") + answers(c))               # c repeated at t=30.6
    assert report_of(report) == (3, 0, 0, None, "")


# -- answers not to be acted on --------------------------------------------------------------------------------

def test_a_duplicate_and_an_answer_for_another_terminal_are_ignored_and_the_real_one_still_counts(win):
    rows = win.reversals(2)
    a, b = (win.stan(r) for r in rows)
    mac = win.driver.cfg.keys.mac_key

    def rewrite(request, rmti, fields):
        real = encode(rmti, fields, mac)
        if str(request.fields[11]) == a:
            return [real, real]                                        # answered twice
        return [encode(rmti, {**fields, 41: "OTHER001"}, mac), real]  # another terminal's answer comes first
    win.net.rewrite = rewrite
    report = win.driver.drain(force=True)
    assert win.net.log == sends(a, b) + answers(a, a, b, b)
    assert report_of(report) == (2, 0, 0, None, "")
    assert [e.attempts for e in win.journal.saf_all()] == [1, 1]


@pytest.mark.parametrize("terminal_id", ["None", "XXXX"])
def test_an_answer_that_names_no_terminal_is_matched_to_no_request(win, terminal_id):
    cfg = win.driver.cfg
    win.driver.cfg = replace(cfg, terminal=replace(cfg.terminal, id=terminal_id))
    [row] = win.reversals(1)
    mac = cfg.keys.mac_key
    win.net.rewrite = lambda request, rmti, fields: [
        encode(rmti, {n: v for n, v in fields.items() if n != 41}, mac)]
    report = win.driver.drain(force=True)
    assert report_of(report) == (0, 1, 1, row.stan, "no answer to the 0400 within 30 s")


def test_an_answer_of_the_wrong_type_counts_as_lost_and_later_answers_of_the_same_read_still_count(win):
    rows = win.reversals(3)
    a, b, c = (win.stan(r) for r in rows)
    mac = win.driver.cfg.keys.mac_key
    win.net.rewrite = lambda request, rmti, fields: [
        encode("0230" if str(request.fields[11]) == b else rmti, fields, mac)]
    report = win.driver.drain(force=True)
    # b's 0230 is its own STAN's but not an answer to a 0400: lost, repeated; lost again, left pending
    assert win.net.log == sends(a, b, c) + answers(a, b, c) + sends(b, mti="0401") + answers(b)
    assert report_of(report) == (2, 1, 1, rows[1].stan, "answer was a 0230, expected 0410")
    assert win.entry(rows[1]).last_error == "answer was a 0230, expected 0410"


def test_an_answer_with_a_bad_mac_ends_the_drain_and_keeps_what_was_answered_before_it(win):
    rows = win.reversals(3)
    a, b, c = (win.stan(r) for r in rows)
    win.net.latency_of[("0400", b)] = 0.2
    win.net.latency_of[("0400", c)] = 0.3
    mac = win.driver.cfg.keys.mac_key
    flipped = {}

    def rewrite(request, rmti, fields):
        frame = encode(rmti, fields, mac)
        if str(request.fields[11]) != b:
            return [frame]
        flipped["frame"] = frame[:-1] + bytes([frame[-1] ^ 1])
        return [flipped["frame"]]
    win.net.rewrite = rewrite
    report = win.driver.drain(force=True)
    try:
        decode(flipped["frame"], mac)
    except Exception as e:  # noqa: BLE001 - the codec's own words for it
        why = f"answer in the window not to be trusted: {e}"
    assert win.net.log == sends(a, b, c) + answers(a, b)
    assert report_of(report) == (1, 2, 2, rows[1].stan, why)
    assert [win.state(r) for r in rows] == [TxnState.REVERSED, TxnState.REVERSAL_PENDING,
                                            TxnState.REVERSAL_PENDING]
    assert [e.last_error for e in win.journal.saf_all()] == ["", why, why]
    assert win.net.closes == 1


def test_a_frame_not_to_be_trusted_after_the_last_answer_ends_the_drain_and_names_what_is_left(win):
    win.configure(window=2)
    r1, r2, r3 = win.reversals(3)
    mac = win.driver.cfg.keys.mac_key
    win.net.rewrite = lambda request, rmti, fields: [encode(rmti, fields, mac)] + (
        [b"\x00\x01garbage"] if str(request.fields[11]) == win.stan(r2) else [])
    report = win.driver.drain(force=True)
    assert win.net.log == sends(win.stan(r1), win.stan(r2)) + answers(win.stan(r1), win.stan(r2), win.stan(r2))
    assert report_of(report)[:4] == (2, 1, 1, r3.stan)     # r3 never left: it is the reversal still waiting
    assert [win.state(r) for r in (r1, r2, r3)] == [TxnState.REVERSED, TxnState.REVERSED,
                                                    TxnState.REVERSAL_PENDING]
    assert win.net.closes == 1

# -- the host refuses ------------------------------------------------------------------------------------------

def test_a_reversal_the_host_refuses_stays_and_nothing_leaves_after_it(win):
    win.configure(window=2)
    r1, r2, r3 = win.reversals(3)
    advice = win.advice()
    win.net.code_of[win.stan(r1)] = "96"
    report = win.driver.drain(force=True)
    assert win.net.log == sends(win.stan(r1), win.stan(r2)) + answers(win.stan(r1), win.stan(r2))
    assert report_of(report) == (1, 3, 2, r1.stan, "host answered 96 to the 0400")
    assert [(e.attempts, e.last_error) for e in win.journal.saf_all()] == [
        (1, "host answered 96 to the 0400"), (1, ""), (0, ""), (0, "")]
    assert [win.state(r) for r in (r1, r2, r3)] == [TxnState.REVERSAL_PENDING, TxnState.REVERSED,
                                                    TxnState.REVERSAL_PENDING]
    assert win.state(advice) is TxnState.ADVICE_PENDING


def test_an_advice_the_host_refuses_stays_and_the_others_still_go(win):
    a1, a2, a3 = win.advice(100), win.advice(200), win.advice(300)
    win.net.code_of[win.stan(a2)] = "96"
    report = win.driver.drain(force=True)
    assert report_of(report) == (2, 1, 0, None, "host answered 96 to the 0220")
    assert [win.state(r) for r in (a1, a2, a3)] == [TxnState.OFFLINE_APPROVED, TxnState.ADVICE_PENDING,
                                                    TxnState.OFFLINE_APPROVED]
    assert win.entry(a2).last_error == "host answered 96 to the 0220"


# -- backoff, give-up ------------------------------------------------------------------------------------------

def test_a_reversal_in_backoff_holds_everything_until_due_and_a_flush_sends_it_at_once(win):
    r1 = win.reversal()
    win.net.down = True
    win.driver.drain()                               # refused connect: r1's next try in 5 s, no attempt used
    win.net.down = False
    r2 = win.reversal()
    win.advice()
    report = win.driver.drain()
    assert win.net.log == []
    assert report_of(report) == (0, 3, 2, r1.stan, "waiting for backoff")
    win.clock.advance(4.0)
    assert win.driver.drain().pending == 3
    win.clock.advance(1.0)                           # exactly due
    report = win.driver.drain()
    assert report_of(report) == (3, 0, 0, None, "")
    assert [m for d, m, _ in win.net.log if d == "send"] == ["0400", "0400", "0220"]
    assert win.state(r2) is TxnState.REVERSED


def test_saf_flush_ignores_the_backoff(win):
    r1 = win.reversal()
    win.net.down = True
    win.driver.drain()
    win.net.down = False
    report = win.driver.drain(force=True)
    assert report_of(report) == (1, 0, 0, None, "")
    assert win.state(r1) is TxnState.REVERSED


def test_an_advice_in_backoff_does_not_hold_the_next_advice(win):
    a1 = win.advice(100)
    win.net.code_of[win.stan(a1)] = "96"
    win.driver.drain()                               # refused: its next try in 5 s
    del win.net.code_of[win.stan(a1)]
    a2 = win.advice(200)
    report = win.driver.drain()
    assert report_of(report) == (1, 1, 0, None, "waiting for backoff")
    assert [win.state(r) for r in (a1, a2)] == [TxnState.ADVICE_PENDING, TxnState.OFFLINE_APPROVED]
    assert win.net.log[-2:] == sends(win.stan(a2), mti="0220") + answers(win.stan(a2), mti="0230")


def test_an_entry_out_of_attempts_needs_attention_in_the_same_commit_as_the_next_attempt(win):
    win.configure(max_attempts=1)
    r1, r2 = win.reversals(2)
    win.journal.saf_record(attempt=(win.entry(r1).id, 0.0))   # r1 has used its one attempt
    written = []
    win.net.on_send = lambda m: written.append((win.entry(r1).state.value, win.state(r1)))
    report = win.driver.drain(force=True)
    assert win.net.log == sends(win.stan(r2)) + answers(win.stan(r2))
    assert written == [("needs_attention", TxnState.NEEDS_ATTENTION)]
    assert win.reason(r1) == "reversal undelivered after 1 attempts"
    assert report_of(report) == (1, 0, 0, None, "")
    assert win.state(r2) is TxnState.REVERSED


def test_an_advice_whose_card_data_is_gone_needs_attention_and_the_rest_still_go(win):
    a1, a2 = win.advice(100), win.advice(200)
    win.journal.db.conn.execute("UPDATE saf SET sealed=NULL WHERE txn_id=?", (a1.id,))
    win.driver.drain(force=True)
    assert win.state(a1) is TxnState.NEEDS_ATTENTION
    assert win.reason(a1) == f"advice cannot be built: advice of transaction {a1.id} has no card data left"
    assert win.entry(a1).state.value == "needs_attention"
    assert win.state(a2) is TxnState.OFFLINE_APPROVED


# -- the connection fails --------------------------------------------------------------------------------------

def test_a_refused_connect_uses_no_attempt_moves_the_next_try_and_keeps_what_gave_up_before(win):
    win.configure(window=2, max_attempts=1)
    r0, r1, r2, r3 = win.reversals(4)
    win.journal.saf_record(attempt=(win.entry(r0).id, 0.0))   # r0 is out of attempts: gives up in this drain
    win.net.down = True
    report = win.driver.drain(force=True)
    assert report_of(report) == (0, 3, 3, r1.stan, "window: host unreachable")
    assert win.state(r0) is TxnState.NEEDS_ATTENTION
    assert [(e.attempts, e.last_error, e.next_at) for e in win.journal.saf_all()[1:]] == [
        (0, "window: host unreachable", win.start + 5.0), (0, "window: host unreachable", win.start + 5.0),
        (0, "", win.entry(r3).next_at)]               # r3 was beyond the window: untouched
    assert win.entry(r3).next_at <= win.start


def test_a_host_that_goes_away_between_windows_keeps_the_answers_already_in(win):
    win.configure(window=2)
    r1, r2, r3 = win.reversals(3)
    win.net.on_answer = lambda label: setattr(win.net, "down", label[1] == win.stan(r2))
    report = win.driver.drain(force=True)
    assert report_of(report) == (2, 1, 1, r3.stan, "window: host unreachable")
    assert [win.state(r) for r in (r1, r2, r3)] == [TxnState.REVERSED, TxnState.REVERSED,
                                                    TxnState.REVERSAL_PENDING]


def test_a_connection_cut_while_sending_leaves_the_window_pending_and_sends_nothing_more(win):
    rows = win.reversals(4)
    win.net.cut_send = 3
    shown = []
    win.driver.progress = lambda what, n, m: shown.append((what, n, m))
    report = win.driver.drain(force=True)
    why = "0400: window: connection reset while sending"
    assert win.net.log == sends(win.stan(rows[0]), win.stan(rows[1]))
    assert report_of(report) == (0, 4, 4, rows[0].stan, why)
    assert [(e.attempts, e.last_error) for e in win.journal.saf_all()] == [
        (1, why), (1, why), (1, why), (1, "")]        # all four attempts were committed before the first left
    assert shown == [("saf", 1.0, 4.0), ("saf", 2.0, 4.0), ("saf", 3.0, 4.0), (None, 0.0, 0.0)]


def test_a_connection_cut_while_waiting_leaves_the_window_pending_and_sends_nothing_more(win):
    win.configure(window=2)
    rows = win.reversals(3)
    win.net.cut_receive = 1
    report = win.driver.drain(force=True)
    why = "window: connection reset by the host"
    assert win.net.log == sends(win.stan(rows[0]), win.stan(rows[1]))
    assert report_of(report) == (0, 3, 3, rows[0].stan, why)
    assert [e.last_error for e in win.journal.saf_all()] == [why, why, ""]


# -- which drain runs ------------------------------------------------------------------------------------------

def test_window_1_is_the_serial_drain_even_on_a_link_that_could_hold_more(win):
    win.configure(window=1)
    rows = win.reversals(2)
    report = win.driver.drain(force=True)
    assert win.net.log == sends(win.stan(rows[0])) + answers(win.stan(rows[0])) + sends(
        win.stan(rows[1])) + answers(win.stan(rows[1]))
    assert (win.net.single_reads, win.net.window_reads) == (2, 0)
    assert report_of(report) == (2, 0, 0, None, "")


def test_a_window_of_two_uses_the_window_reads(win):
    win.configure(window=2)
    win.reversals(2)
    win.driver.drain(force=True)
    assert (win.net.single_reads, win.net.window_reads) == (0, 1)


def test_a_drain_not_told_to_force_keeps_the_backoff(win):
    """The background worker's drain (txn/background.py) passes no `force`: it must wait for the backoff."""
    from terminal.txn import saf
    r1 = win.reversal()
    win.net.down = True
    win.driver.drain()
    win.net.down = False
    report = saf.drain(win.driver.cfg, win.journal, win.net, win.clock)
    assert report_of(report) == (0, 1, 1, r1.stan, "waiting for backoff")
    assert win.net.log == []
