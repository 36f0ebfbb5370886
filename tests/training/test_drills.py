"""The guided drills, each done as asked and one done wrong, then the trainee's report: real `posterm`
processes, the real sale core, keypad and journal against the training host; the configured host is a
listener that must see nothing."""
from __future__ import annotations

import pytest

from terminal.training.drills import DRILLS
from tests.training.test_training_mode import _config, _connections, configured_host  # noqa: F401 (fixture)

HOST_RECEIVED = {"mistaken-cancel": ["0200"], "clear-on-empty": ["0200"], "card-pulled": ["0200", "0400/06"],
                 "network-drop": ["0200", "0400/68"], "chip-swiped": []}
OUTCOME = {"mistaken-cancel": "approved", "clear-on-empty": "approved", "card-pulled": "reversed",
           "network-drop": "reversed", "chip-swiped": "not_sent"}


@pytest.mark.parametrize("name", sorted(DRILLS))
def test_each_drill_done_as_asked_is_explained(posterm, tmp_path, configured_host, name):
    cfg = _config(tmp_path, configured_host.getsockname()[1])
    r = posterm("training", "drill", name, "--keys", DRILLS[name].script, "--config", cfg, "--json")
    assert r.code == 0, r.err
    assert r.json["training"] is True and r.json["as_asked"] is True
    assert r.json["outcome"] == OUTCOME[name] and r.json["host"] == HOST_RECEIVED[name]
    assert r.json["did"] and r.json["why"]
    assert _connections(configured_host) == 0


def test_a_mistaken_cancel_confirmed_is_reversed_and_the_report_says_so_in_chinese(posterm, tmp_path):
    wrong = posterm("training", "drill", "mistaken-cancel", "--keys", "1,2,3,4,ENTER,ENTER,WAIT:0.8,CANCEL,ENTER",
                    "--lang", "zh-CN")
    assert wrong.code == 0, wrong.err
    assert "您按确认键确认了取消：终端冲正了交易（0400，原因码 17）" in wrong.out
    assert wrong.out.rstrip().endswith("未按练习要求完成：请再练一次。")
    assert "+- 培训 ---" in wrong.out               # the drill's screens are marked too
    posterm("training", "drill", "clear-on-empty", "--keys", DRILLS["clear-on-empty"].script)
    report = posterm("training", "report", "--json")
    drills = report.json["drills"]
    assert [(d["drill"], d["as_asked"], d["host"]) for d in drills] == [
        ("mistaken-cancel", False, ["0200", "0400/17"]), ("clear-on-empty", True, ["0200"])]
    assert drills[0]["keys"] == ["1", "2", "3", "4", "ENTER", "ENTER", "CANCEL", "ENTER"]
    assert drills[1]["keys"][0] == "CLEAR"
    assert report.json["sales_by_outcome"] == {"reversed": 1, "approved": 1}
    text = posterm("training", "report", "--lang", "zh-CN").out.splitlines()
    assert text[0] == "*** 培训 ***"
    assert "主机处理中误按取消键：需要再练" in text[1] and "未输入金额时按清除键：符合要求" in text[2]
    assert text[-1] == "共 2 次练习，1 次符合要求；培训交易日志中有 2 笔培训交易"
    assert not (posterm.data_dir / "journal.sqlite3").exists()   # only the training journal was written


def test_a_drill_without_a_terminal_or_a_script_is_a_usage_error(posterm):
    r = posterm("training", "drill", "chip-swiped")
    assert r.code == 2 and "give --keys SEQ" in r.err


def test_a_drill_at_a_real_terminal_in_chinese(tmux, tmp_path):
    """The trainee at the keyboard (tmux): the task stays above the redrawn screen, the keys are the
    terminal's, and the explanation follows the sale."""
    import sys
    from pathlib import Path
    posterm = Path(sys.executable).with_name("posterm")
    tmux.keys(f"{posterm} training drill mistaken-cancel --lang zh-CN --data-dir {tmp_path / 'data'}; echo EXIT=$?",
              "Enter")
    tmux.wait_for("主机处理中误按取消键", "+- 培训 ---", "请输入金额")
    tmux.keys("1", "2", "3", "4", "Enter")
    tmux.wait_for("请确认金额", "¥12.34", "误按取消键")       # the task is still on screen
    tmux.keys("Enter")
    tmux.wait_for("| 处理中")                           # the box, not the task text above it
    tmux.keys("Escape")
    tmux.wait_for("取消交易？将冲正")
    tmux.keys("5")
    shown = tmux.wait_for("终端做了什么：", "已按练习要求完成。", "EXIT=0")
    assert "随后按了其他键：交易继续并获批准" in shown.replace("\n", "")
