"""Store-and-forward drain between sales, for the long-running terminal (`posterm run`).

A thread with its own journal connection and its own host connection wakes every few seconds and delivers
what is due (respecting backoff). A sale takes `lock` for its whole online part, so the two never interleave
on the wire and a reversal the sale queues is never raced by the worker.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from terminal.config import Config
from terminal.store import Journal, StoreError
from terminal.txn import alert_log, saf
from terminal.txn.acquirer import acquirer_link
from terminal.txn.clock import SYSTEM, Clock


class SafWorker(threading.Thread):
    def __init__(self, cfg: Config, journal_path: Path, interval_s: float = 5.0, clock: Clock = SYSTEM) -> None:
        super().__init__(name="saf-drain", daemon=True)
        self.cfg = cfg
        self.clock = clock
        self.journal_path = journal_path
        self.interval_s = interval_s
        self.lock = threading.Lock()
        self._stopping = threading.Event()
        self.last_report: saf.DrainReport | None = None
        self.last_error = ""

    @contextmanager
    def paused(self) -> Iterator[None]:
        with self.lock:
            yield

    def run(self) -> None:
        journal = Journal(self.journal_path)
        alert_log.attach(journal, self.cfg)   # a needs-attention entry the worker records is an alert too
        link = acquirer_link(self.cfg.host)
        try:
            while not self._stopping.wait(self.interval_s):
                with self.lock:
                    try:
                        self.last_report = saf.drain(self.cfg, journal, link, self.clock)
                    except StoreError as e:  # keep trying: the next sale will say the same, loudly
                        self.last_error = str(e)
        finally:
            link.close()
            journal.close()

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=self.cfg.host.timeout_s + 5)
