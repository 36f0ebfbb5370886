"""Alerts (风险预警) to the merchant's monitoring: one JSON line per alert, to `[risk] alert_log` (a file) or
to syslog (`alert_log = "syslog"`: facility user, tag posterm, priority warning).

The journal's alert table is the record (terminal/store/alerts.py); this is the notice. A line is written only
after the commit that holds the alert (a fault: at once, since the journal could not take it), with no fsync
of its own, so a sale costs the same fsyncs with or without an alert log. A log that cannot be written never
fails the sale: the alert is still in the journal, `posterm alerts` lists it.
"""
from __future__ import annotations

import json
from typing import Callable

from terminal.risk.policy import RiskPolicy
from terminal.store.alerts import AlertRow


def line(row: AlertRow, terminal_id: str) -> str:
    """The JSON line: the alert's fields, the terminal's id; never card data (none is in an alert)."""
    return json.dumps({"terminal": terminal_id, **row.to_json()}, ensure_ascii=False, sort_keys=True)


def sink_for(policy: RiskPolicy, terminal_id: str) -> Callable[[AlertRow], None] | None:
    if not policy.alert_log:
        return None
    if policy.alert_log == "syslog":
        import syslog

        def to_syslog(row: AlertRow) -> None:
            syslog.openlog("posterm", 0, syslog.LOG_USER)
            syslog.syslog(syslog.LOG_WARNING, line(row, terminal_id))
        return to_syslog
    path = policy.alert_log

    def to_file(row: AlertRow) -> None:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line(row, terminal_id) + "\n")
    return to_file


def attach(journal, cfg) -> None:
    """Every alert this journal records from now on also goes to the configured log."""
    journal.alerts.sink = sink_for(cfg.risk, cfg.terminal.id)


def fault_before_open(cfg, text: str) -> None:
    """The journal could not even be opened (a full or failing disk): the alert log hears of it now; there is
    no journal to keep it in."""
    import datetime as dt
    sink = sink_for(cfg.risk, cfg.terminal.id)
    if sink is None:
        return
    at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
    try:
        sink(AlertRow(0, at, "fault", "", "", None, None, text, None, ""))
    except OSError:
        pass
