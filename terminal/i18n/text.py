"""The one translation function for everything an operator or merchant reads: `_("APPROVED")`.

Catalogs are GNU gettext .po files in terminal/i18n/po/ (zh_CN.po), kept as text in the repository so a
translator edits them with any PO editor and a review sees the diff. They are parsed here on first use rather
than compiled to .mo: there is no build step to forget, and loading one small catalog costs less than a
millisecond. English is the source language: a msgid is its own English text.

The language is process-wide (one terminal, one operator at a time): the CLI sets it once from `--lang`,
`[terminal] language`, or LANG/LC_MESSAGES, before anything is shown.
"""
from __future__ import annotations

import ast
import os
from functools import lru_cache
from pathlib import Path

PO_DIR = Path(__file__).with_name("po")
SOURCE_LANGUAGE = "en"
LANGUAGES = ("en", "zh-CN")

_current = SOURCE_LANGUAGE


def set_language(code: str | None) -> str:
    """Select the language for every later `_()`; None picks it from the environment. Returns the choice."""
    global _current
    _current = normalise(code) if code else language_from_env()
    return _current


def language() -> str:
    return _current


def normalise(code: str) -> str:
    """'zh_CN.UTF-8', 'zh-cn', 'zh' -> 'zh-CN'; 'en_US', 'C', 'POSIX' -> 'en'. Anything else is refused."""
    base = code.split(".")[0].split("@")[0].replace("_", "-").lower()
    if base.startswith("zh"):
        return "zh-CN"
    if base in ("", "c", "posix") or base.startswith("en"):
        return "en"
    raise ValueError(f"unsupported language {code!r}: expected one of {', '.join(LANGUAGES)}")


def language_from_env(environ: os._Environ[str] | dict[str, str] | None = None) -> str:
    """The gettext order: LANGUAGE, LC_ALL, LC_MESSAGES, LANG; the first we support wins, else English."""
    env = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for code in (env.get(name) or "").split(":"):
            if not code:
                continue
            try:
                return normalise(code)
            except ValueError:
                continue
    return SOURCE_LANGUAGE


def _(msgid: str) -> str:
    """`msgid` in the current language; the English msgid itself when the catalog has no entry."""
    return translate(msgid, _current)


def translate(msgid: str, lang: str) -> str:
    if lang == SOURCE_LANGUAGE:
        return msgid
    return catalog(lang).get(msgid) or msgid


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    path = PO_DIR / f"{lang.replace('-', '_')}.po"
    return parse_po(path.read_text(encoding="utf-8")) if path.exists() else {}


def parse_po(text: str) -> dict[str, str]:
    """msgid -> msgstr of a .po file (no plural forms, no contexts: the catalog does not use them).

    Fuzzy and empty translations are left out, as msgfmt leaves them out, so an unfinished entry shows English
    rather than a stale translation.
    """
    entries: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    fuzzy = False
    current: list[str] | None = None

    def flush() -> None:
        if msgid is not None and msgstr is not None and not fuzzy:
            key, value = "".join(msgid), "".join(msgstr)
            if key and value:
                entries[key] = value

    for line_no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("#,") and "fuzzy" in line:
                flush()
                msgid = msgstr = current = None
                fuzzy = True
            continue
        if line.startswith("msgid "):
            if msgstr is not None:
                flush()
                fuzzy = False
            msgid, msgstr = [_po_string(line[6:], line_no)], None
            current = msgid
        elif line.startswith("msgstr "):
            msgstr = [_po_string(line[7:], line_no)]
            current = msgstr
        elif line.startswith('"') and current is not None:
            current.append(_po_string(line, line_no))
        else:
            raise ValueError(f"catalog line {line_no}: cannot read {raw!r}")
    flush()
    return entries


def _po_string(token: str, line_no: int) -> str:
    token = token.strip()
    if not (token.startswith('"') and token.endswith('"')):
        raise ValueError(f"catalog line {line_no}: expected a quoted string, got {token!r}")
    return ast.literal_eval(token)
