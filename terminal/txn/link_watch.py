"""The link as the operator sees it on the READY screen of `posterm run`, before a customer's card is in the
reader: online (the primary), on backup, or offline since HH:MM, and how many reversals and advices still wait
for the host.

While the terminal stands on READY with no exchange for `[host] echo_interval_s` seconds, an echo (0800/301)
goes through the one exchange path, on the sale's own link, so a dead link shows before the next sale finds it.
The echo waits at most ECHO_TIMEOUT_S for its answer: it is a probe, and the keypad waits while it runs.
"""
from __future__ import annotations

import datetime as dt

from terminal.config import Config
from terminal.i18n.text import _
from terminal.iso8583 import encode
from terminal.iso8583.builders import ECHO, network_0800
from terminal.store import Journal, StoreError
from terminal.txn.clock import SYSTEM, Clock
from terminal.txn.exchange import Reply, Request, exchange
from terminal.txn.saf import terminal_of

ECHO_TIMEOUT_S = 5.0
BACKLOG_REFRESH_S = 1.0


def echo_request(cfg: Config, stan: int, now_utc: dt.datetime) -> Request:
    """An 0800/301 (no MAC: the dialect exempts 0800/0810)."""
    fields = network_0800(terminal_of(cfg), now_utc, stan=stan, code=ECHO)
    return Request("0800", fields[11], encode("0800", fields, cfg.keys.mac_key))


def send_echo(cfg: Config, journal: Journal, link, clock: Clock, timeout_s: float) -> Reply:
    return exchange(link, echo_request(cfg, journal.next_stan(), clock.now().utc), cfg.keys.mac_key, timeout_s)


class LinkWatch:
    def __init__(self, cfg: Config, journal: Journal, link, clock: Clock = SYSTEM) -> None:
        self.cfg, self.journal, self.link, self.clock = cfg, journal, link, clock
        self.interval_s = cfg.host.echo_interval_s
        self._last_contact: float | None = None   # monotonic time of the last exchange (sale or echo)
        self._backlog: int | None = None
        self._backlog_at = 0.0

    def touched(self) -> None:
        """A sale just used the link: its outcome is the freshest word on the link; no echo for a while."""
        self._last_contact = self.clock.monotonic()
        self._backlog = None

    def poll(self) -> bool:
        """On the READY screen, every turn: the echo when it is due, the backlog now and then. True when the
        line may have changed."""
        now = self.clock.monotonic()
        changed = False
        if self.interval_s > 0 and (self._last_contact is None or now - self._last_contact >= self.interval_s):
            try:
                send_echo(self.cfg, self.journal, self.link, self.clock,
                          min(self.cfg.host.timeout_s, ECHO_TIMEOUT_S))
            except StoreError:
                pass  # no STAN for the echo: the next sale will say why, loudly
            self._last_contact = self.clock.monotonic()
            changed = True
        if self._backlog is None or now - self._backlog_at >= BACKLOG_REFRESH_S:
            try:
                backlog = self.journal.saf.count_pending()
            except StoreError:
                backlog = self._backlog or 0
            changed = changed or backlog != self._backlog
            self._backlog, self._backlog_at = backlog, now
        return changed

    def line(self) -> str:
        """'online · nothing to send', 'on backup · 3 to send', 'offline since 14:05 · 3 to send'."""
        status = self.link.status() if hasattr(self.link, "status") else None
        if status is None or status.state == "unknown":
            link = _("checking the link")
        elif status.state == "offline":
            since = status.since.astimezone().strftime("%H:%M") if status.since else "?"
            link = _("offline since {time}").format(time=since)
        elif status.state == "backup":
            link = _("on backup")
        else:
            link = _("online")
        n = self._backlog or 0
        queued = _("nothing to send") if n == 0 else _("{n} to send").format(n=n)
        return f"{_('link')}: {link} · {queued}"
