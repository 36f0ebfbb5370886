"""Every operator string has its Chinese, and the Chinese keeps the English's placeholders.

The msgids are found by reading the source (terminal/i18n/extract.py: the literal first argument of every
`_()` and `N_()` call under terminal/ and firmware_tools/), so a string added tomorrow is checked without anyone listing it here.
"""
from __future__ import annotations

import re

from terminal.i18n.extract import all_msgids, missing, msgids_in
from terminal.i18n.text import catalog

PLACEHOLDER = re.compile(r"{(\w*)[^}]*}")


def test_every_msgid_in_the_source_has_a_chinese_entry():
    gaps = missing("zh-CN")
    assert gaps == [], "untranslated (run `python -m terminal.i18n.extract`):\n" + "\n".join(
        f"  {f.path}:{f.line}: {f.msgid!r}" for f in gaps)


def test_translations_keep_every_placeholder_and_nothing_else():
    zh = catalog("zh-CN")
    wrong = {k: v for k, v in zh.items() if sorted(PLACEHOLDER.findall(k)) != sorted(PLACEHOLDER.findall(v))}
    assert wrong == {}


def test_the_extractor_finds_literals_split_over_lines_and_ignores_variables():
    found = msgids_in('x = _("a "\n      "b", n=1)\ny = N_("c")\nz = _(message)\nw = other("d")\n')
    assert [(f.msgid, f.line) for f in found] == [("a b", 1), ("c", 3)]


def test_the_source_has_operator_strings_to_check():
    """Guards the guard: an extractor that silently found nothing would pass the first test."""
    ids = {f.msgid for f in all_msgids()}
    assert {"APPROVED", "INSERT, TAP OR SWIPE", "CARD ERROR: {reason}", "BATCH {batch} CLOSED"} <= ids


def test_no_msgid_is_in_the_catalog_twice():
    """Two entries for one msgid: msgfmt refuses the file, and which translation wins depends on the order."""
    from terminal.i18n.text import PO_DIR
    ids = re.findall(r'^msgid (".*")$', (PO_DIR / "zh_CN.po").read_text(encoding="utf-8"), re.M)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
