"""Amounts, dates, display columns and deferred operator lines, in each language."""
from __future__ import annotations

import datetime as dt
import json
import pickle

import pytest

from terminal.i18n import text, width
from terminal.i18n.dates import format_datetime
from terminal.i18n.money import Amount, format_amount
from terminal.i18n.reasons import card_reason
from terminal.i18n.text import N_, _
from terminal.keypad.screen import Screen, render_lines


@pytest.fixture
def chinese():
    text.set_language("zh-CN")
    yield
    text.set_language("en")


@pytest.mark.parametrize("minor, currency, lang, shown", [
    (1234, "156", "en", "CNY 12.34"), (1234, "156", "zh-CN", "¥12.34"),
    (1234, "840", "zh-CN", "USD 12.34"), (1000, "410", "zh-CN", "KRW 1000"), (1234, "048", "en", "BHD 1.234"),
])
def test_amounts_in_each_locales_form(minor, currency, lang, shown):
    assert format_amount(minor, currency, lang) == shown


def test_dates_in_each_locales_form():
    moment = dt.datetime(2026, 12, 1, 9, 5, 7)
    assert format_datetime(moment, "en") == "2026-12-01 09:05:07"
    assert format_datetime(moment, "zh-CN") == "2026/12/01 09:05:07"


def test_a_chinese_character_takes_two_columns():
    assert width.width("交易成功") == 8 and width.width("APPROVED") == 8 and width.width("¥12.34") == 6
    assert width.fit("请插卡、挥卡或刷卡", 7) == "请插卡~"       # never half a wide character
    assert width.row("金额", "¥12.34", 16) == "金额      ¥12.34"
    assert width.wrap("已取消：交易已冲正，未扣款", 10) == ["已取消：交", "易已冲正，", "未扣款"]
    assert width.wrap("NO RESPONSE: reversing", 12) == ["NO RESPONSE:", "reversing"]


def test_the_screen_box_stays_square_in_chinese(chinese):
    lines = render_lines(Screen(_("INSERT, TAP OR SWIPE"), format_amount(1234, "156"), _("Do not remove the card")))
    assert lines[1] == "| 请插卡、挥卡或刷卡               |"
    assert {width.width(line) for line in lines} == {36}
    long = render_lines(Screen("交" * 40, "", ""))
    assert width.width(long[1]) == 36 and long[1].endswith("交~  |")


def test_a_deferred_line_is_english_for_json_and_chinese_on_screen(chinese):
    line = N_("NOT SENT: reversal of STAN {stan} still waiting for the host", stan="000001")
    assert line == "NOT SENT: reversal of STAN 000001 still waiting for the host"
    assert json.dumps({"message": line}) == '{"message": "NOT SENT: reversal of STAN 000001 still waiting for the host"}'
    assert _(line) == "未发送：流水号 000001 的冲正尚未送达主机"
    assert _(pickle.loads(pickle.dumps(line))) == _(line)


def test_an_amount_inside_a_line_follows_the_language_it_is_shown_in(chinese):
    line = N_("Max {amount}", amount=Amount(100_000_000, "156"))
    assert line == "Max CNY 1000000.00" and _(line) == "最高 ¥1000000.00"


def test_a_drivers_reason_stays_exact_in_english_and_becomes_a_phrase_in_chinese(chinese):
    detail = "reader 'ACS ACR39U 00 00': the card was removed during GENERATE AC (no valid response)"
    line = N_("CARD ERROR: {reason}", reason=card_reason(detail))
    assert line == f"CARD ERROR: {detail}"
    assert _(line) == "读卡错误：卡片被拔出"
    other = N_("CARD ERROR: {reason}", reason=card_reason("6A82 from SELECT"))
    assert _(other) == "读卡错误：6A82 from SELECT"
