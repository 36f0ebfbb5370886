"""The status line asks for the card again on a contactless issuer update (Book C-3 second tap), in the
operator's language."""
import io

from terminal.cli.status_line import StatusLine
from terminal.i18n.text import set_language


def test_present_card_again_in_english_and_chinese():
    try:
        for language, text in (("en", "PRESENT CARD AGAIN"), ("zh-CN", "请再次挥卡")):
            set_language(language)
            stream = io.StringIO()
            line = StatusLine(stream=stream)
            line("card_again", 0.0, 0.0)
            assert stream.getvalue() == "\r\x1b[K" + text
            line(None, 0.0, 0.0)                        # the wait ended: the line is cleared
            assert stream.getvalue().endswith("\r\x1b[K")
    finally:
        set_language("en")
