"""The one translation function for everything an operator or merchant reads: `_("APPROVED")`.

Catalogs are GNU gettext .po files in terminal/i18n/po/ (zh_CN.po), kept as text in the repository so a
translator edits them with any PO editor and a review sees the diff. They are parsed here on first use rather
than compiled to .mo: there is no build step to forget, and each catalog is read once per process. English is
the source language: a msgid is its own English text.

The language is process-wide (one terminal, one operator at a time): the CLI sets it once from `--lang`,
`[terminal] language`, or LANG/LC_MESSAGES, before anything is shown.

Lines made far from the screen (the sale core's operator line, a refusal) are made with `N_(template,
**params)`: a `Msg`, which *is* the English text (so JSON, the journal and logs stay English and byte-identical
to before) and also remembers its template and parameters, so the display's `_(line)` translates it whole,
with `{stan}` or `{amount}` filled in the display's language. A parameter may be a `Msg` itself or an
`Amount` (shown per language by terminal/i18n/money.py).
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


class Msg(str):
    """An operator line in English that can be shown in any language later (see the module docstring)."""

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, params: dict[str, object] | None = None) -> "Msg":
        params = dict(params or {})
        self = super().__new__(cls, render(msgid, params, SOURCE_LANGUAGE))
        self.msgid, self.params = msgid, params
        return self

    def __reduce__(self):
        return (Msg, (self.msgid, self.params))

    def render(self, lang: str) -> str:
        return render(self.msgid, self.params, lang)


def N_(msgid: str, /, **params: object) -> Msg:
    """Mark an operator line for translation where it is made; it is translated where it is shown."""
    return Msg(msgid, params)


def _(msgid: str, /, **params: object) -> str:
    """`msgid` in the current language, `{name}` placeholders filled from `params`; the English msgid itself
    when the catalog has no entry. A `Msg` is translated from its own template and parameters."""
    if isinstance(msgid, Msg):
        return render(msgid.msgid, {**msgid.params, **params}, _current)
    return render(msgid, params, _current) if params else translate(msgid, _current)


def render(msgid: str, params: dict[str, object], lang: str) -> str:
    text = translate(msgid, lang)
    if not params:
        return text
    return text.format(**{name: _param(value, lang) for name, value in params.items()})


def _param(value: object, lang: str) -> object:
    if isinstance(value, Msg):
        return value.render(lang)
    shown = getattr(value, "shown", None)   # terminal.i18n.money.Amount: its form follows the language
    return shown(lang) if callable(shown) else value


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
