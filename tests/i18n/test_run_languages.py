"""`posterm run` in each language at a real terminal (tmux): amount entry, a mistaken CANCEL taken back, the
approval and the slip, read back from the screen. In Chinese the box must still be square on the real
terminal: tmux draws a Chinese character in two cells, so every box line ends in the same column only if the
padding counted display columns (terminal/i18n/width.py)."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from terminal.i18n.width import width
from tests.fixtures.host import MAC_KEY

POSTERM = str(Path(sys.executable).with_name("posterm"))

EN = {"ready": "READY", "entry": "ENTER AMOUNT", "amount": "CNY 12.34", "cancel": "CANCEL SALE?",
      "cancel_help": "ENTER=yes  other key=no", "confirm": "CONFIRM AMOUNT", "approved": "APPROVED",
      "slip": "RECEIPT", "slip_amount": "TOTAL                  CNY 12.34", "slip_kind": "SALE"}
ZH = {"ready": "就绪", "entry": "请输入金额", "amount": "¥12.34", "cancel": "取消交易？",
      "cancel_help": "确认=是  其他键=否", "confirm": "请确认金额", "approved": "交易成功",
      "slip": "签购单", "slip_amount": "金额                      ¥12.34", "slip_kind": "消费"}


@pytest.mark.parametrize("lang_args, said", [([], EN), (["--lang", "zh-CN"], ZH)], ids=["en", "zh-CN"])
def test_a_sale_at_the_terminal_in_each_language(tmux, tmp_path, host_sim, lang_args, said):
    config = tmp_path / "posterm.toml"
    config.write_text(f'[terminal]\nid = "TERM0001"\nmerchant_id = "MERCHANT0000001"\ncurrency = "156"\n'
                      f'[host]\naddress = "127.0.0.1:{host_sim.port}"\n[keys]\nmac_key = "{MAC_KEY.hex().upper()}"\n'
                      '[keypad]\nconfirm_timeout_s = 30\n')
    config.chmod(0o600)
    tmux.keys(f"{POSTERM} run {' '.join(lang_args)} --reader emulated-swipe:magstripe --config {config} "
              f"--data-dir {tmp_path / 'data'}; echo EXIT=$?", "Enter")
    tmux.wait_for(said["ready"])
    tmux.keys("1", "2", "3", "4")
    tmux.wait_for(said["entry"], said["amount"])
    tmux.keys("Escape")                        # CANCEL by mistake: the terminal asks
    shown = tmux.wait_for(said["cancel"], said["cancel_help"], said["amount"])
    _box_is_square(shown)
    tmux.keys("5")                             # any other key: taken back, the amount as it was
    tmux.wait_for(said["entry"], said["amount"], absent=said["cancel"])
    tmux.keys("Enter")
    tmux.wait_for(said["confirm"], said["amount"])
    tmux.keys("Enter")
    shown = tmux.wait_for(said["approved"], said["slip"], said["slip_amount"], said["slip_kind"])
    _box_is_square(shown)
    sent = [raw[:4] for raw in host_sim.received if raw[:4] != b"0800"]   # the echo at start-up aside
    assert sent == [b"0200"]                   # one 0200, approved: the CANCEL sent nothing
    tmux.keys("C-c")
    tmux.wait_for("EXIT=0")


def _box_is_square(screen: str) -> None:
    # the box alone: a slip may stand to its right (terminal/keypad/screen.py puts it beside a box that fits)
    box = [re.match(r"\+-+\+|\|.*?\|", line).group(0) for line in screen.splitlines()
           if line.startswith(("+-", "| "))]
    assert len(box) == 5 and {width(line) for line in box} == {36}, "\n".join(box)
