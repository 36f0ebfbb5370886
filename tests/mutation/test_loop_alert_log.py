"""The alert log the merchant's monitoring reads (terminal/txn/alert_log.py): one JSON line per alert, appended to
`[risk] alert_log` or sent to syslog (a real datagram socket at /dev/log stands in for the syslog daemon, which
this machine does not run), after the alert's commit; a journal that cannot even be opened is reported there at
once; a log that cannot be written never fails anything."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import socket

import pytest

from terminal.config import Config
from terminal.store.alerts import AlertRow
from terminal.txn import alert_log


def logging_to(where: str) -> Config:
    cfg = Config()
    return dataclasses.replace(cfg, risk=dataclasses.replace(cfg.risk, alert_log=where))


def test_a_line_is_the_alerts_fields_and_the_terminal_sorted_and_readable():
    row = AlertRow(7, "2026-12-01T09:30:00.000+00:00", "velocity", "velocity_count", "decline", 3, 12,
                   "同一卡 5 笔", None, "")
    assert alert_log.line(row, "TERM0001") == (
        '{"acked_at": null, "acked_by": "", "at": "2026-12-01T09:30:00.000+00:00", "decision": "decline", '
        '"id": 7, "kind": "velocity", "rule": "velocity_count", "stan": 12, "terminal": "TERM0001", '
        '"text": "同一卡 5 笔", "txn_id": 3}')


def test_no_log_configured_means_no_sink():
    assert alert_log.sink_for(Config().risk, "TERM0001") is None


def test_a_file_log_gets_one_line_per_alert_appended_after_its_commit(terminal, tmp_path):
    log = tmp_path / "alerts.jsonl"
    log.write_text("an earlier line\n", encoding="utf-8")
    cfg = dataclasses.replace(logging_to(str(log)), terminal=dataclasses.replace(Config().terminal, id="SHOP0042"))
    alert_log.attach(terminal.journal, cfg)
    terminal.journal.raise_key_alert("host answered 63 (security violation) to STAN 000007")
    terminal.journal.raise_key_alert("密钥")
    first, *lines = log.read_text(encoding="utf-8").splitlines()
    assert first == "an earlier line"
    got = [json.loads(x) for x in lines]
    assert [(g["terminal"], g["kind"], g["text"]) for g in got] == [
        ("SHOP0042", "key", "host answered 63 (security violation) to STAN 000007"), ("SHOP0042", "key", "密钥")]
    rows = terminal.journal.db.read("SELECT id, text FROM alert ORDER BY id")
    assert [(g["id"], g["text"]) for g in got] == [(r[0], r[1]) for r in rows]


AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00")


def test_a_journal_that_cannot_be_opened_is_a_fault_line_at_once(tmp_path):
    log = tmp_path / "alerts.jsonl"
    before = dt.datetime.now(dt.timezone.utc)
    alert_log.fault_before_open(logging_to(str(log)), "journal /j: cannot open: disk I/O error")
    after = dt.datetime.now(dt.timezone.utc)
    [got] = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()]
    at = got.pop("at")
    assert AT.fullmatch(at), at
    assert before - dt.timedelta(milliseconds=1) <= dt.datetime.fromisoformat(at) <= after
    assert got == {"terminal": "TERM0001", "id": 0, "kind": "fault", "rule": "", "decision": "", "txn_id": None,
                   "stan": None, "text": "journal /j: cannot open: disk I/O error", "acked_at": None, "acked_by": ""}


def test_a_fault_before_open_with_no_log_or_an_unwritable_one_is_quiet(tmp_path):
    alert_log.fault_before_open(Config(), "journal /j: cannot open")
    alert_log.fault_before_open(logging_to(str(tmp_path / "no" / "such" / "dir.jsonl")), "journal /j: cannot open")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def dev_log():
    """A syslog daemon's socket, while the test runs (none is running on this machine)."""
    if os.path.exists("/dev/log"):
        pytest.fail("/dev/log exists already: this test needs it to itself")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("/dev/log")
    s.settimeout(10.0)
    try:
        yield s
    finally:
        s.close()
        os.unlink("/dev/log")


def test_syslog_gets_the_line_as_user_warning_tagged_posterm(dev_log):
    sink = alert_log.sink_for(logging_to("syslog").risk, "TERM0001")
    row = AlertRow(3, "2026-12-01T09:30:00.000+00:00", "fault", "", "", None, None, "disk full", None, "")
    sink(row)
    got = dev_log.recv(65536).decode()
    # <12>: facility user (1) * 8 + priority warning (4); then the time stamp, the tag, the line
    header = re.fullmatch(r"<12>\w{3} [ \d]\d \d\d:\d\d:\d\d posterm: (.*)", got)
    assert header is not None, got
    assert header.group(1) == alert_log.line(row, "TERM0001")


@pytest.fixture
def c_locale():
    """The plain C locale many terminal images boot with: the locale's encoding is ASCII."""
    import locale
    was = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        yield
    finally:
        locale.setlocale(locale.LC_CTYPE, was)


def test_the_file_log_is_utf8_whatever_the_locale(tmp_path, c_locale):
    log = tmp_path / "alerts.jsonl"
    sink = alert_log.sink_for(logging_to(str(log)).risk, "TERM0001")
    sink(AlertRow(1, "2026-12-01T09:30:00.000+00:00", "velocity", "", "", None, None, "同一卡 5 笔", None, ""))
    assert json.loads(log.read_bytes().decode("utf-8"))["text"] == "同一卡 5 笔"
