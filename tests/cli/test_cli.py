"""The command line as scripts use it: exit codes, JSON, errors on stderr, and every demo scenario."""
from __future__ import annotations

import pytest

from terminal.cli.cmd_demo import SCENARIOS


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_demo_scenario_ends_as_it_should(posterm, scenario):
    r = posterm("demo", "--scenario", scenario, "--json")
    assert r.code == 0, r.out + r.err
    assert r.json["as_expected"] is True and r.json["outcome"] == SCENARIOS[scenario].expect


def test_demo_prints_receipt_in_text_mode(posterm):
    r = posterm("demo")
    assert r.code == 0
    assert "APPROVED" in r.out and "CARD NO.        476173******0010" in r.out and "TOTAL                  CNY 12.34" in r.out
    assert "AID               A0000000031010" in r.out and "PIN VERIFIED" in r.out   # a chip slip


@pytest.mark.parametrize("args, fault", [
    (["sale", "--reader", "emulated-swipe:magstripe", "12.345"], "amount '12.345': expected ASCII digits with at most 2 decimal(s) after a dot, e.g. 12.34"),
    (["sale", "--reader", "emulated-swipe:magstripe", "0"], "amount '0': must be more than zero"),
    (["sale", "--reader", "emulated-swipe:magstripe", "abc"], "amount 'abc': expected ASCII digits with at most 2 decimal(s)"),
    (["sale", "--reader", "emulated-swipe:magstripe", "1e5"], "amount '1e5': expected ASCII digits"),
    (["sale", "--reader", "emulated-swipe:magstripe", "1E+1"], "amount '1E+1': expected ASCII digits"),
    (["sale", "--reader", "emulated-swipe:magstripe", "1_000"], "amount '1_000': expected ASCII digits"),
    (["sale", "sNaN"], "amount 'sNaN': expected ASCII digits"),
    (["sale", "1e999999999"], "amount '1e999999999': expected ASCII digits"),
    (["sale", "1.00", "--reader", "nfc:x"], "--reader 'nfc:x': expected one of"),
    (["sale", "1.00", "--host", "nowhere"], "--host: host address 'nowhere': expected HOST:PORT"),
    (["sale", "1.00", "--reader", "emulated-swipe:nosuch"], "emulated-swipe:nosuch: no such card; known:"),
    (["txn", "show", "99"], "no transaction 99 in the journal"),
])
def test_usage_errors_exit_2_with_one_line(posterm, args, fault):
    r = posterm(*args)
    assert r.code == 2 and fault in r.err and r.err.count("\n") == 1


def test_swipe_of_a_chip_card_says_insert_card_and_sends_nothing(posterm):
    r = posterm("sale", "1.00", "--reader", "emulated-swipe:visa", "--host", "127.0.0.1:9", "--json")
    assert r.code == 4 and r.json["message"] == "INSERT CARD" and r.json["outcome"] == "not_sent"


def test_txn_list_after_sales(host_sim, posterm):
    from tests.fixtures.host import host_address
    posterm("sale", "--reader", "emulated-swipe:magstripe", "1.00", "--host", host_address(host_sim))
    r = posterm("txn", "list")
    assert r.code == 0 and "approved, settles with batch 000001" in r.out and "476173******0010" in r.out


def test_cancel_then_enter_cancels_with_the_full_json_result(posterm):
    r = posterm("sale", "--reader", "emulated-swipe:magstripe", "--keys", "1,2,CANCEL,ENTER", "--json")
    assert r.code == 3 and r.json["outcome"] == "cancelled" and r.json["id"] is None
    assert set(r.json) >= {"id", "stan", "outcome", "response_code", "auth_code", "rrn", "amount", "currency",
                           "masked_pan", "entry_mode", "message"}


def test_the_parser_offers_every_demo_scenario():
    from terminal.cli.cmd_demo import SCENARIO_NAMES
    assert SCENARIO_NAMES == tuple(sorted(SCENARIOS))
