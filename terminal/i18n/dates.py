"""Dates and times as the operator's language writes them on a screen or slip.

English keeps ISO 8601 ('2026-12-01 12:11:01'): unambiguous wherever the reader learnt dates, where '01/12'
is the 1st of December to one merchant and the 12th of January to another. Chinese slips write the date with
slashes, year first ('2026/12/01 12:11:01'), as UnionPay 签购单 print it; both are 19 columns, so a slip
laid out for one fits the other.
"""
from __future__ import annotations

import datetime as dt

FORMATS = {"en": "%Y-%m-%d %H:%M:%S", "zh-CN": "%Y/%m/%d %H:%M:%S"}


def format_datetime(moment: dt.datetime, lang: str | None = None) -> str:
    if lang is None:
        from terminal.i18n.text import language
        lang = language()
    return moment.strftime(FORMATS.get(lang, FORMATS["en"]))
