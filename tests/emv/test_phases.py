"""Unit checks of single kernel steps against values worked out from the book sections named in each test."""
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from drivers.emulated.vcard import VirtualEmvCard, card_image
from terminal.emv.apdu import P1_AAC, P1_ARQC, P1_TC
from terminal.emv.config import AidConfig, EmvTerminalData, Transaction
from terminal.emv.context import KernelContext
from terminal.emv.cvm import CvRule, condition_met, parse_cvm_list
from terminal.emv.errors import CardDataError
from terminal.emv.gpo import parse_afl
from terminal.emv.outcome import Decision
from terminal.emv.restrictions import check_restrictions
from terminal.emv.selection import Candidate, choose, ordered
from terminal.emv.taa import default_decision, first_decision
from terminal.emv.trm import random_selection

VISA = AidConfig(bytes.fromhex("A0000000031010"))


def ctx_with(card: dict[int, str], amount=1000, **cfg) -> KernelContext:
    ctx = KernelContext(EmvTerminalData(**cfg), Transaction(amount=amount, now=datetime(2025, 6, 1, tzinfo=timezone.utc)))
    ctx.aid = VISA
    ctx.card.update({tag: bytes.fromhex(v) for tag, v in card.items()})
    return ctx


# ---- selection (Book 1 12.4) -----------------------------------------------------------------------------------
def test_candidates_sorted_by_priority_unprioritised_last():
    c = [Candidate(b"\x01", "c", 0, False), Candidate(b"\x02", "b", 2, False), Candidate(b"\x03", "a", 1, False)]
    assert [x.label for x in ordered(c)] == ["a", "b", "c"]


def _run_choice(candidates, interactive: bool, answer=None):
    """Drive the choice generator: answer its ApplicationChoice prompt (if it yields one) with `answer`."""
    gen = choose(candidates, interactive)
    try:
        prompt = next(gen)
    except StopIteration as done:
        return done.value, None
    try:
        gen.send(answer)
    except StopIteration as done:
        return done.value, prompt
    raise AssertionError("choose yielded twice")


def test_confirmation_needed_without_cardholder_interface_is_skipped():
    c = [Candidate(b"\x01", "needs", 1, True), Candidate(b"\x02", "plain", 2, False)]
    assert _run_choice(c, False)[0].label == "plain"
    assert _run_choice(c[:1], False)[0] is None
    chosen, prompt = _run_choice(c[:1], True, 0)
    assert chosen.label == "needs" and prompt.labels == ("needs",)
    assert _run_choice(c, True, None)[0] is None


def test_cardholder_chooses_second_application(emv_sale):
    offered = []

    def pick_credit(cands):
        offered.extend((c.label, c.priority) for c in cands)
        return 1

    out = emv_sale("unionpay", choose_application=pick_credit).final
    assert offered == [("UnionPay Debit", 1), ("UnionPay Credit", 2)]
    assert out.application == "A000000333010102" and out.decision is Decision.ONLINE_APPROVED


def test_single_application_needing_confirmation(emv_sale):
    image = card_image("visa")
    apps = [replace(image.applications[0], confirm=True)]
    card = VirtualEmvCard(replace(image, applications=apps))
    asked = []
    out = emv_sale("visa", card=card, choose_application=lambda c: asked.append(c) or None).final
    assert len(asked) == 1 and out.decision is Decision.ABORTED
    assert out.reason == "no application selected: the cardholder did not choose or confirm one"


def test_partial_aid_match_finds_longer_aid(emv_sale):
    image = card_image("mastercard")
    cfg = EmvTerminalData(aids=(AidConfig(bytes.fromhex("A000000004"), partial=True, app_version=b"\x00\x02"),))
    out = emv_sale("mastercard", config=cfg).final
    assert out.application == "A0000000041010" and out.decision is Decision.ONLINE_APPROVED
    assert image.applications[0].aid.hex().upper() == "A0000000041010"


# ---- AFL (Book 3 10.2) ---------------------------------------------------------------------------------------
def test_afl_parsing_and_errors():
    assert [(e.sfi, e.first, e.last, e.oda_count) for e in parse_afl(bytes.fromhex("0801020118010300"))] == \
        [(1, 1, 2, 1), (3, 1, 3, 0)]
    for bad in ("080102", "0800010000", "0802010000", "0801010200", "F8010100"):
        with pytest.raises(CardDataError, match="AFL"):
            parse_afl(bytes.fromhex(bad))


# ---- processing restrictions (Book 3 10.4) ---------------------------------------------------------------------
def test_restrictions_dates_version_auc():
    ctx = ctx_with({0x5F24: "250531", 0x5F25: "250602", 0x9F08: "0001", 0x9F07: "FF00", 0x5F28: "0840"})
    check_restrictions(ctx)
    # today 2025-06-01: expiry 31 May passed, effective 2 June not reached, version 0001 != 008C
    assert ctx.tvr.names() == ["different_versions", "expired_application", "application_not_yet_effective"]
    ctx = ctx_with({0x5F24: "250601", 0x9F07: "2A00", 0x5F28: "0840"})   # international goods not allowed
    check_restrictions(ctx)
    assert ctx.tvr.names() == ["service_not_allowed"]


# ---- CVM conditions (Book 3 Annex C3) -------------------------------------------------------------------------
@pytest.mark.parametrize("condition, amount, expected", [
    (0x00, 100, True), (0x03, 100, True), (0x06, 4999, True), (0x06, 5000, False), (0x07, 5001, True),
    (0x08, 100, False), (0x09, 100, True), (0x05, 100, False), (0x2A, 100, None)])
def test_cvm_conditions(condition, amount, expected):
    ctx = ctx_with({0x9F42: "0156"}, amount=amount)
    assert condition_met(ctx, CvRule(0x1F, False, condition), 5000, 0) == expected


def test_cvm_list_parse():
    x, y, rules = parse_cvm_list(bytes.fromhex("00001388000000004103" "1E03"))
    assert (x, y) == (5000, 0)
    assert [(r.method, r.continue_on_fail, r.condition, r.code) for r in rules] == \
        [(0x01, True, 0x03, 0x41), (0x1E, False, 0x03, 0x1E)]
    with pytest.raises(CardDataError):
        parse_cvm_list(bytes.fromhex("000013880000"))


# ---- terminal risk management (Book 3 10.6.2) -------------------------------------------------------------------
@pytest.mark.parametrize("amount, draw, selected", [
    (1000, 20, True), (1000, 21, False),       # below threshold 2000: target 20%
    (6000, 50, True), (6000, 51, False),       # halfway between 2000 and 10000: 20 + (80-20)/2 = 50%
    (10000, 1, False),                         # at/over the floor limit random selection does not apply
])
def test_random_selection(amount, draw, selected):
    assert random_selection(amount, 10000, 2000, 20, 80, draw) is selected


def test_velocity_new_card_and_limits(emv_sale):
    image = card_image("visa")
    card = VirtualEmvCard(image)
    card.last_online_atc = 0
    # ATC becomes 17 at GPO; 17 - 0 > 3 (9F14) and > 9 (9F23); last online ATC 0 means a new card (10.6.3)
    out = emv_sale("visa", card=card).final
    assert {"new_card", "lower_consecutive_limit_exceeded", "upper_consecutive_limit_exceeded"} <= \
        set(out.tvr_names())


# ---- terminal action analysis (Book 3 10.7) ----------------------------------------------------------------------
def test_action_analysis():
    ctx = ctx_with({0x9F0E: "0000000000", 0x9F0F: "0000000000", 0x9F0D: "0000000000"})
    assert first_decision(ctx) == P1_TC
    ctx.tvr.set("floor_limit_exceeded")                 # in TAC-Online DC4004F800 byte 4
    assert first_decision(ctx) == P1_ARQC
    assert default_decision(ctx) == P1_AAC              # and in TAC-Default DC4000A800
    ctx.tvr.set("service_not_allowed")                  # TAC-Denial 0010000000
    assert first_decision(ctx) == P1_AAC
    offline = ctx_with({}, online_capable=False)
    assert first_decision(offline) == P1_TC             # absent IAC-Default is all ones but TVR is clear
