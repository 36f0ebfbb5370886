"""The risk rules as pure functions: their windows' edges, the order they fire in, and what stays out of them."""
from __future__ import annotations

import datetime as dt

from terminal.risk import rules as r
from terminal.risk.cardhash import card_hash
from terminal.risk.policy import RiskPolicy
from terminal.risk.supervisor import hash_pin, matches
from terminal.txn.risk_io import SupervisorPinEntry

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone.utc)
KEY = bytes(range(32))
HASH = card_hash("6222020000000001", KEY)


def seen(state="approved", amount=1000, ago_s=60.0, stan=7, kind="purchase"):
    return r.Seen(stan, kind, amount, state, NOW - dt.timedelta(seconds=ago_s), "2026-12-01T18:02:00")


def sale(amount=1000, kind="purchase", pan="6222020000000001"):
    return r.Sale(kind, amount, card_hash(pan, KEY), pan, NOW)


def test_the_duplicate_window_is_inclusive_and_only_same_amount_purchases_count():
    p = RiskPolicy(duplicate_window_s=600)
    assert r.duplicate_charge(p, sale(), r.Facts((seen(ago_s=600),))).action == r.CONFIRM
    assert r.duplicate_charge(p, sale(), r.Facts((seen(ago_s=600.001),))) is None
    assert r.duplicate_charge(p, sale(), r.Facts((seen(amount=1001),))) is None
    assert r.duplicate_charge(p, sale(), r.Facts((seen(state="declined"), seen(state="reversed")))) is None
    assert r.duplicate_charge(p, sale(kind="refund"), r.Facts((seen(),))) is None
    assert r.duplicate_charge(RiskPolicy(duplicate_window_s=0), sale(), r.Facts((seen(),))) is None


def test_an_in_doubt_attempt_wins_over_an_approval_and_is_named():
    found = r.duplicate_charge(RiskPolicy(), sale(), r.Facts((seen(stan=3), seen("reversal_pending", stan=4))))
    assert found.action == r.IN_DOUBT and found.value == "STAN 000004, reversal pending"
    assert r.duplicate_charge(RiskPolicy(), sale(), r.Facts((seen("sending", stan=5),))).action == r.IN_DOUBT


def test_the_exception_file_comes_first_and_cannot_be_overridden():
    p = RiskPolicy(exception_prefixes=("622202",), velocity_count=1)
    found = r.assess(p, sale(), r.Facts((seen(),)))
    assert [f.rule for f in found] == ["exception_file", "duplicate_charge", "velocity"]
    assert found[0].action == r.DECLINE
    by_hash = RiskPolicy(exception_hashes=frozenset({HASH}))
    assert r.exception_file(by_hash, sale(), r.Facts()).detail.startswith("card on the terminal exception file (its")
    assert r.exception_file(by_hash, sale(pan="6222020000000002"), r.Facts()) is None


def test_split_sales_sum_approved_sales_of_the_card_against_the_floor_limit():
    p = RiskPolicy(split_window_min=30, split_action="decline")
    facts = r.Facts((seen(amount=3000), seen("declined", amount=9000)), floor_limit=5000)
    assert r.split_sale(p, sale(2000), facts) is None                # 5000: not above
    assert r.split_sale(p, sale(2001), facts).action == r.DECLINE
    assert r.split_sale(p, sale(6000), facts) is None                # above the limit alone: goes online anyway
    assert r.split_sale(p, sale(2001), r.Facts(floor_limit=5000)) is None


def test_velocity_counts_approved_and_in_doubt_sales_in_the_window():
    p = RiskPolicy(velocity_count=2, velocity_window_min=10)
    assert r.velocity(p, sale(), r.Facts((seen(), seen("declined")))) is None
    assert r.velocity(p, sale(), r.Facts((seen(), seen("sending")))).action == r.DECLINE
    assert r.velocity(p, sale(), r.Facts((seen(), seen(ago_s=601)))) is None


def test_the_longest_window_bounds_how_long_a_hash_is_kept():
    assert RiskPolicy().longest_window_s == 600
    assert RiskPolicy(velocity_count=3, velocity_window_min=60, split_window_min=30).longest_window_s == 3600


def test_the_supervisor_pin_is_only_ever_a_salted_hash_and_the_entry_wipes_itself():
    stored = hash_pin("4321", iterations=10_000)
    assert "4321" not in stored and matches("4321", stored) and not matches("4320", stored)
    entry = SupervisorPinEntry(stored)
    for d in "4321":
        entry.add_digit(d)
    entry.complete()
    assert repr(entry) == "SupervisorPinEntry(****)" and entry.verified() and not entry.verified()
