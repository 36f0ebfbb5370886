"""Which language the operator reads: --lang, then [terminal] language, then LANG/LC_MESSAGES; set once by
the CLI before anything is shown. Real `posterm` processes; JSON never changes with the language."""
from __future__ import annotations

import pytest

from tests.fixtures.host import MAC_KEY

EMPTY_EN = "batch 000001 is empty: nothing to settle"
EMPTY_ZH = "批次 000001 为空：无需结算"


def _config(tmp_path, language: str | None) -> str:
    cfg = tmp_path / "t.toml"
    lang = f'language = "{language}"\n' if language else ""
    cfg.write_text(f'[terminal]\nid = "TERM0001"\nmerchant_id = "MERCHANT0000001"\ncurrency = "156"\n{lang}'
                   f'[host]\naddress = "127.0.0.1:9"\n[keys]\nmac_key = "{MAC_KEY.hex().upper()}"\n')
    cfg.chmod(0o600)
    return str(cfg)


@pytest.mark.parametrize("args, env, config_lang, expected", [
    ([], {}, None, EMPTY_EN),
    (["--lang", "zh-CN"], {}, None, EMPTY_ZH),
    (["--lang", "zh-CN"], {"LANG": "en_US.UTF-8"}, "en", EMPTY_ZH),        # --lang over config and env
    ([], {"LANG": "zh_CN.UTF-8"}, None, EMPTY_ZH),                         # the environment
    ([], {"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, None, EMPTY_ZH),
    ([], {"LANG": "en_US.UTF-8"}, "zh-CN", EMPTY_ZH),                      # config over env
    ([], {"LANG": "zh_CN.UTF-8"}, "en", EMPTY_EN),
    (["--lang", "en"], {"LANG": "zh_CN.UTF-8"}, "zh-CN", EMPTY_EN),
])
def test_the_language_follows_option_then_config_then_environment(posterm, tmp_path, args, env, config_lang,
                                                                  expected):
    r = posterm("status", "--config", _config(tmp_path, config_lang), *args, env=env)
    assert r.code == 0, r.err
    assert r.out.splitlines()[0] == expected


def test_json_is_the_same_in_every_language(posterm, tmp_path):
    cfg = _config(tmp_path, None)
    en = posterm("status", "--config", cfg, "--json")
    zh = posterm("status", "--config", cfg, "--json", "--lang", "zh-CN")
    assert en.code == zh.code == 0 and en.out == zh.out


def test_a_bad_configured_language_is_one_line_exit_2(posterm, tmp_path):
    r = posterm("status", "--config", _config(tmp_path, "fr"))
    assert r.code == 2 and r.err.count("\n") == 1
    assert "[terminal] language = 'fr': expected one of 'en', 'zh-CN'" in r.err


def test_an_unknown_lang_option_is_refused_naming_the_choices(posterm):
    r = posterm("status", "--lang", "fr")
    assert r.code == 2 and "--lang" in r.err and "zh-CN" in r.err


def test_an_operator_error_is_in_chinese_on_stderr_and_english_in_json(posterm):
    """No reader configured: the one line on stderr in the operator's language, the JSON error in English."""
    zh = posterm("sale", "1.00", "--lang", "zh-CN", "--json")
    assert zh.code == 2 and zh.err.startswith("posterm: 没有读卡器：请给出 --reader SPEC")
    assert zh.json["error"]["message"].startswith("no card reader: give --reader SPEC")
    en = posterm("sale", "1.00")
    assert en.code == 2 and en.err.startswith("posterm: no card reader: give --reader SPEC")


def test_settlement_json_stays_english_while_its_slip_is_chinese(posterm, tmp_path, host_sim):
    from tests.fixtures.host import terminal_config
    cfg = terminal_config(tmp_path, host_sim)
    posterm("sale", "--reader", "emulated-swipe:magstripe", "1.00", "--config", cfg)
    r = posterm("settle", "--config", cfg, "--json", "--lang", "zh-CN")
    assert r.code == 0, r.err
    assert r.json["message"] == "BATCH 000001 CLOSED"
    assert "批次 000001 结算成功" in r.json["slip"]   # the slip itself is what the merchant reads
