"""`posterm run` during a contactless issuer update (Book C-3 second tap): the keypad stays on PROCESSING, so
the line under the box must ask for the card again, in the operator's language, and go when the wait ends.
Drawn by the real TextDisplay into a list (what a pipe would receive)."""
from __future__ import annotations

from terminal.cli.cmd_run import SecondTapLine
from terminal.i18n.text import set_language
from terminal.keypad.screen import Screen, TextDisplay


def drawn(lang: str) -> list[str]:
    out: list[str] = []
    set_language(lang)
    try:
        display = TextDisplay(out.append, lambda: None, redraw=False)
        line = SecondTapLine(display, lambda: Screen("SALE", "CNY 12.34", "PROCESSING"))
        line("host", 1.0, 30.0)        # not its business: nothing drawn
        line("card_again", 0.0, 0.0)
        line(None, 0.0, 0.0)           # the wait ended: the box again, without the line
        line(None, 0.0, 0.0)           # nothing to take away any more
    finally:
        set_language("en")
    return out


def test_the_second_tap_is_asked_for_under_the_box_and_then_taken_away() -> None:
    out = drawn("en")
    assert len(out) == 2
    assert out[0].rstrip("\n").splitlines()[-1] == "PRESENT CARD AGAIN" and "PROCESSING" in out[0]
    assert "PRESENT CARD AGAIN" not in out[1] and "PROCESSING" in out[1]


def test_in_chinese_the_cardholder_is_asked_to_tap_again() -> None:
    out = drawn("zh-CN")
    assert out[0].rstrip("\n").splitlines()[-1] == "请再次挥卡"
