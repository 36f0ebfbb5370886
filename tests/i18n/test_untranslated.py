"""Nothing English reaches a Chinese operator's screen or slip.

Two checks, because each misses what the other finds:
- By reading the source: every `Screen(...)` the keypad or a command builds takes its texts from `_()` or
  from values, never a bare literal with words in it (a literal there is shown as is, in every language).
- By running the real thing: every demo scenario with `--lang zh-CN` (chip, tap, swipe, decline, reversal,
  offline, a mistaken CANCEL, end of day with its settlement slip). Each screen box and each slip line it
  prints may hold no English word: what is left after the allowed tokens (card labels from the chip, ids, key
  names printed on the keys themselves) must be Chinese, digits or punctuation. A msgid missing from the
  catalog, or an f-string that bypassed `_()`, shows up here as an English word on a screen.
"""
from __future__ import annotations

import ast
import re

import pytest

from terminal.cli.demo_scenarios import SCENARIOS
from terminal.i18n.extract import source_files

# Words that are the same on a Chinese terminal: brand and application labels the card sends, key caps.
ALLOWED = {"VISA", "CREDIT", "DEBIT", "MASTERCARD", "UNIONPAY", "AMEX", "JCB", "DISCOVER", "DINERS", "Esc",
           "Ctrl", "APDU", "TVR", "TSI", "AID", "TC", "ARQC", "AAC", "MAC", "CNY", "UTC", "posterm"}
WORD = re.compile(r"[A-Za-z]{3,}")


def english_words(line: str) -> list[str]:
    from terminal.config import MerchantConfig
    line = line.replace(MerchantConfig().name, "")   # the merchant's own name, as configured: data, not text
    tokens = [t for t in re.split(r"[\s|:：（）()/,，=+~\-]+", line) if t]
    return [w for t in tokens if not re.search(r"\d", t) and t not in ALLOWED for w in WORD.findall(t)]


def test_no_screen_is_built_from_a_bare_literal():
    bare = []
    for path in source_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Screen":
                for arg in node.args:
                    if isinstance(arg, (ast.Constant, ast.JoinedStr)) and WORD.search(ast.unparse(arg)):
                        bare.append(f"{path.name}:{node.lineno}: {ast.unparse(arg)}")
    assert bare == []


def _read_by_operator(out: str) -> list[str]:
    """The screen boxes and slips of a demo's output: the lines between '+---' borders and '===' rules."""
    shown, in_slip = [], False
    for line in out.splitlines():
        bare = line.strip()
        if bare.startswith("=" * 8):
            in_slip = not in_slip
            continue
        if bare.startswith("| ") or in_slip:
            shown.append(bare)
    return shown


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_demo_screen_and_slip_is_chinese(posterm, tmp_path, scenario):
    r = posterm("demo", "--lang", "zh-CN", "--scenario", scenario, "--data-dir", str(tmp_path / "d"))
    assert r.code == 0, r.err
    shown = _read_by_operator(r.out)
    assert len(shown) >= 3
    english = {line: english_words(line) for line in shown if english_words(line)}
    assert english == {}


def test_every_screen_of_posterm_run_is_chinese(posterm, tmp_path, host_sim):
    """`posterm run` has screens the demo does not: READY with the link's state and the queue, a refusal,
    CANCEL confirmed before the card, a sale after a sale. Each box line it draws, in zh-CN, is Chinese."""
    from tests.fixtures.host import terminal_config
    from terminal.hostsim.rules import parse_rule
    host_sim.rules.append(parse_rule("amount=5100:code=51"))
    keys = "ENTER,1,2,CANCEL,ENTER,WAIT:0.3,5,1,0,0,ENTER,ENTER,WAIT:1,3,0,0,ENTER,ENTER,WAIT:1,9,9,CLEAR,CLEAR,CLEAR"
    r = posterm("run", "--lang", "zh-CN", "--reader", "emulated-swipe:magstripe", "--keys", keys, "--config",
                terminal_config(tmp_path, host_sim))
    assert r.code == 0, r.err
    shown = _read_by_operator(r.out)
    assert any("交易拒绝" in line for line in shown) and any("交易成功" in line for line in shown)
    english = {line: english_words(line) for line in shown if english_words(line)}
    assert english == {}
