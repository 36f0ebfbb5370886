"""Columns as a thermal printer counts them: a Chinese character is two, a combining mark none."""
from __future__ import annotations

from hypothesis import given, strategies as st

from terminal.card.brand import brand
from terminal.receipt.layout import center, clip, pair, width, wrap


def test_width_counts_wide_characters_twice():
    assert width("商户名称") == 8 and width("MERCHANT") == 8 and width("e\u0301") == 1 and width("ＡＢ") == 4


def test_pair_right_aligns_or_breaks_the_line():
    assert pair("AMOUNT", "CNY 1.00", 20) == ["AMOUNT      CNY 1.00"]
    assert pair("商户名称(MERCHANT NAME)", "上海示范便利店", 32) == ["商户名称(MERCHANT NAME)", "                  上海示范便利店"]


def test_clip_never_splits_a_wide_character():
    assert clip("上海示范", 5) == "上海" and clip("ABC", 2) == "AB"


def test_wrap_breaks_chinese_anywhere_and_latin_at_spaces():
    assert wrap("本人确认以上交易", 6) == ["本人确", "认以上", "交易"]
    assert wrap("I CONFIRM THE ABOVE", 10) == ["I CONFIRM", "THE ABOVE"]
    assert center("重打印", 10) == "  重打印"


@given(st.text(alphabet="AB 上海示范便利店", max_size=60), st.sampled_from([32, 48]))
def test_no_line_is_wider_than_the_paper(text, columns):
    assert all(width(line) <= columns for line in wrap(text, columns))
    assert all(width(line) <= columns for line in pair("金额(AMOUNT)", text, columns))


def test_brand_by_aid_first_then_bin():
    assert brand("476173******0010") == "VISA" and brand("625094******0014") == "UNIONPAY"
    assert brand("541333******0011") == "MASTERCARD" and brand("374245******0001") == "AMEX"
    assert brand("476173******0010", "A000000333010101") == "UNIONPAY"    # a co-badged card: the chip's scheme
