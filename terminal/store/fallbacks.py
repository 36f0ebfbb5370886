"""The chip-first counters (terminal/card/chip_first.py FallbackStore) kept in the journal, so a technical
fallback allowance survives a restart and cannot be reset by power-cycling the terminal."""
from __future__ import annotations

import datetime as dt

from terminal.card.chip_first import ChipFailureState
from terminal.store.journal import Journal


class JournalFallbackStore:
    """FallbackStore over the journal's chip_event table, written through the journal's own connection."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def record_chip_failure(self, card_key: str | None, day: dt.date) -> None:
        with self.journal.db.write() as conn:
            conn.execute("INSERT INTO chip_event(card_key, day, kind) VALUES(?, ?, 'chip_failure')",
                         (card_key, day.isoformat()))

    def record_fallback(self, card_key: str, day: dt.date) -> None:
        with self.journal.db.write() as conn:
            conn.execute("INSERT INTO chip_event(card_key, day, kind) VALUES(?, ?, 'fallback')",
                         (card_key, day.isoformat()))
            conn.execute("UPDATE chip_event SET consumed=1 WHERE kind='chip_failure' AND day=?"
                         " AND (card_key=? OR card_key IS NULL)", (day.isoformat(), card_key))

    def state(self, card_key: str, day: dt.date) -> ChipFailureState:
        d = day.isoformat()
        r = self.journal.db.read(
            "SELECT"
            " (SELECT COUNT(*) FROM chip_event WHERE kind='chip_failure' AND consumed=0 AND day=?"
            "   AND (card_key=? OR card_key IS NULL)),"
            " (SELECT COUNT(*) FROM chip_event WHERE kind='fallback' AND day=? AND card_key=?),"
            " (SELECT COUNT(*) FROM chip_event WHERE kind='fallback' AND day=?)", (d, card_key, d, card_key, d))[0]
        return ChipFailureState(int(r[0]), int(r[1]), int(r[2]))
