"""The translation function: catalog parsing, language choice from the environment, fallbacks."""
import pytest

from terminal.i18n import text


def test_parse_po_reads_multiline_and_skips_fuzzy_and_empty() -> None:
    po = '''
msgid ""
msgstr "Language: zh_CN\\n"

msgid "APPROVED"
msgstr "交易成功"

msgid "two "
"lines"
msgstr "两" "行"

#, fuzzy
msgid "stale"
msgstr "旧"

msgid "untranslated"
msgstr ""
'''
    assert text.parse_po(po) == {"APPROVED": "交易成功", "two lines": "两行"}


def test_parse_po_names_the_bad_line() -> None:
    with pytest.raises(ValueError, match="catalog line 2"):
        text.parse_po('msgid "a"\nmsgstr oops\n')


@pytest.mark.parametrize("env, expected", [
    ({"LANG": "zh_CN.UTF-8"}, "zh-CN"),
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN"}, "zh-CN"),
    ({"LANGUAGE": "fr:zh_CN", "LANG": "en_US"}, "zh-CN"),
    ({"LANG": "fr_FR.UTF-8"}, "en"),
    ({}, "en"),
])
def test_language_from_env_follows_gettext_order(env: dict, expected: str) -> None:
    assert text.language_from_env(env) == expected


def test_shipped_catalog_translates_and_falls_back_to_english() -> None:
    try:
        text.set_language("zh-CN")
        assert text._("APPROVED") == "交易成功"
        assert text._("no such message") == "no such message"
    finally:
        text.set_language("en")
    assert text._("APPROVED") == "APPROVED"


def test_unknown_language_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'fr'"):
        text.normalise("fr")
