"""The filter options of `posterm txn list` and `posterm txn find`: --date, --from, --to, --amount, --last4,
--state, --batch, each checked strictly, and turned into one store.search.TxnFilter.

A bad value is a usage error (exit 2) whose one line names the form expected. Formats are checked by argparse
as the command line is read; what needs the configuration (the amount's currency exponent) or the clock (today,
yesterday) is checked when the filter is built, before the journal is read.

Times are the terminal's local wall time, as the slip prints them and fields 12/13 carry them.
"""
from __future__ import annotations

import argparse
import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from terminal.cli.options import int_range

if TYPE_CHECKING:
    from terminal.store.search import TxnFilter

DATE_WORDS = ("today", "yesterday")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z", re.ASCII)
_DATE_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?\Z", re.ASCII)
DATE_FORM = "a date YYYY-MM-DD, today or yesterday"
WHEN_FORM = "YYYY-MM-DD, YYYY-MM-DD HH:MM or YYYY-MM-DD HH:MM:SS (the terminal's local time)"


@dataclass(frozen=True)
class When:
    """A point given on the command line: a whole day (`step` one day), a minute or a second; or a date word
    resolved against the terminal's clock when the filter is built."""

    start: dt.datetime | None
    step: dt.timedelta
    word: str = ""
    text: str = ""   # as given, for messages

    def resolve(self, today: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """[first instant, first instant after) of what was given."""
        start = self.start
        if self.word:
            day = today - dt.timedelta(days=DATE_WORDS.index(self.word))
            start = dt.datetime.combine(day, dt.time())
        assert start is not None
        return start, start + self.step


def _day(text: str, form: str) -> When:
    m = _DATE.match(text)
    if m is None:
        raise argparse.ArgumentTypeError(f"{text!r}: expected {form}")
    try:
        return When(dt.datetime(int(m[1]), int(m[2]), int(m[3])), dt.timedelta(days=1), text=text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: no such date; expected {form}") from None


def date_arg(text: str) -> When:
    if text in DATE_WORDS:
        return When(None, dt.timedelta(days=1), text, text)
    return _day(text, DATE_FORM)


def when_arg(text: str) -> When:
    if text in DATE_WORDS:
        return When(None, dt.timedelta(days=1), text, text)
    m = _DATE_TIME.match(text)
    if m is None:
        return _day(text, WHEN_FORM)
    try:
        start = dt.datetime(*(int(m[i]) for i in range(1, 6)), int(m[6] or 0))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: no such date or time; expected {WHEN_FORM}") from None
    return When(start, dt.timedelta(seconds=1) if m[6] else dt.timedelta(minutes=1), text=text)


def last4_arg(text: str) -> str:
    if not (len(text) == 4 and text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r}: expected the card's last 4 digits, e.g. 0010")
    return text


def state_arg(text: str) -> str:
    from terminal.store.states import TxnState
    words = [s.value for s in TxnState]
    if text not in words:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a state: {', '.join(words)}")
    return text


for _f in (date_arg, when_arg, last4_arg, state_arg):
    _f.__name__ = "value"  # argparse names the type in its message: 'invalid value value' reads badly


def add_filters(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("filters (all given must match; times are the terminal's local time)")
    g.add_argument("--date", type=date_arg, metavar="YYYY-MM-DD",
                   help="transactions of that local date; also: today, yesterday")
    g.add_argument("--from", dest="since", type=when_arg, metavar="WHEN",
                   help="from this local date or date and time on: YYYY-MM-DD or 'YYYY-MM-DD HH:MM[:SS]'")
    g.add_argument("--to", dest="until", type=when_arg, metavar="WHEN",
                   help="up to this local date (the whole day) or date and time (that minute or second)")
    g.add_argument("--amount", metavar="AMOUNT",
                   help="this amount, in the form of an amount to charge (12.34; 1000 for a currency without decimals)")
    g.add_argument("--last4", type=last4_arg, metavar="DIGITS", help="the card number's last 4 digits (0010)")
    g.add_argument("--state", action="append", type=state_arg, metavar="STATE",
                   help="in this state (approved, declined, reversed, reversal_pending, ...); repeat for several")
    g.add_argument("--batch", type=int_range(1, 999_999), metavar="N", help="of this batch number")


def build_filter(args: argparse.Namespace, *, currency: str, today: dt.date) -> TxnFilter:
    """The filter the options ask for. Raises UsageError for what argparse cannot check alone."""
    from terminal.cli.common import UsageError, parse_amount
    from terminal.i18n.money import MAX_DIGITS
    from terminal.store.search import TxnFilter
    since = until = None
    if args.date is not None:
        if args.since is not None or args.until is not None:
            raise UsageError("--date is one whole day: give it, or --from/--to, not both")
        since, until = args.date.resolve(today)
    if args.since is not None:
        since = args.since.resolve(today)[0]
    if args.until is not None:
        until = args.until.resolve(today)[1]
    if since is not None and until is not None and since >= until:
        raise UsageError(f"--from {args.since.text} is after --to {args.until.text}: expected --from no later"
                         " than --to")
    amount = None
    if args.amount is not None:
        try:
            amount = parse_amount(args.amount, 10**MAX_DIGITS - 1, currency)
        except UsageError as e:
            raise UsageError(f"--amount: {e}") from None
    return TxnFilter(since=since, until=until, amount=amount, currency=currency if amount is not None else None,
                     last4=args.last4, states=tuple(args.state or ()), batch=args.batch)


def describe(f: TxnFilter) -> str:
    """What was asked, in the operator's words: 'card ****0010, CNY 12.34, from 2026-11-30 00:00:00 to ...'."""
    from terminal.i18n.dates import format_datetime
    from terminal.i18n.money import format_amount
    from terminal.i18n.text import _
    parts = []
    if f.last4 is not None:
        parts.append(_("card ****{last4}").format(last4=f.last4))
    if f.amount is not None:
        parts.append(format_amount(f.amount, f.currency or ""))
    if f.since is not None and f.until is not None and f.until - f.since == dt.timedelta(days=1) \
            and f.since.time() == dt.time():
        parts.append(_("on {date}").format(date=format_datetime(f.since)[:10]))
    else:
        if f.since is not None:
            parts.append(_("from {when}").format(when=format_datetime(f.since)))
        if f.until is not None:
            parts.append(_("before {when}").format(when=format_datetime(f.until)))
    if f.states:
        parts.append(_("state {states}").format(states="/".join(f.states)))
    if f.batch is not None:
        parts.append(_("batch {batch}").format(batch=f"{f.batch:06d}"))
    return _(", ").join(parts)
