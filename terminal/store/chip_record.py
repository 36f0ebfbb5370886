"""What a chip or contactless slip prints beyond the transaction row, kept so a reprint is the same slip.

Kept: the AID and application label, the final cryptogram (9F26) with its information data (9F27), TVR
(95), TSI (9B), the CVM performed and its results (9F34), and whether the card was tapped. None of these is
cardholder data (PCI DSS): no PAN, track, expiry, name or PIN block, so nothing here needs sealing or erasing
(DESIGN.md "Keep the least card data").

Written once the card has said its last word (after the second GENERATE AC of an online sale), in a commit that
does not wait for the disk (db.write(fsync=False)): it reaches the file at once and the disk with the next
ordinary commit, so an approved sale still costs two fsyncs. A power cut in the seconds after the slip was
printed can lose these lines of a later reprint, never the sale: the row itself was made durable before.
"""
from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, fields

TABLE = """CREATE TABLE IF NOT EXISTS txn_chip (
    txn_id      INTEGER PRIMARY KEY REFERENCES txn(id),
    contactless INTEGER NOT NULL,
    aid         TEXT NOT NULL,    -- 4F / 84, hex
    label       TEXT NOT NULL,    -- 50 (or 9F12), as the card gave it
    cid         TEXT NOT NULL,    -- 9F27, hex: 40 TC, 80 ARQC, 00 AAC
    cryptogram  TEXT NOT NULL,    -- 9F26, hex
    tvr         TEXT NOT NULL,    -- 95, hex
    tsi         TEXT NOT NULL,    -- 9B, hex
    cvm         TEXT NOT NULL,    -- offline_pin, online_pin, signature, no_cvm, ...
    cvm_results TEXT NOT NULL     -- 9F34, hex
)"""
CRYPTOGRAM_TYPES = {"40": "TC", "80": "ARQC", "00": "AAC"}


@dataclass(frozen=True)
class ChipRecord:
    contactless: bool
    aid: str
    label: str
    cid: str
    cryptogram: str
    tvr: str
    tsi: str
    cvm: str
    cvm_results: str

    @property
    def cryptogram_type(self) -> str:
        """TC, ARQC or AAC, from bits 8-7 of 9F27 (Book 3 Table 14)."""
        if len(self.cid) < 2:
            return ""
        return CRYPTOGRAM_TYPES.get(f"{int(self.cid[:2], 16) & 0xC0:02X}", "")


_COLUMNS = tuple(f.name for f in fields(ChipRecord))


def keep(conn: sqlite3.Connection, txn_id: int, record: ChipRecord) -> None:
    values = asdict(record) | {"contactless": int(record.contactless)}
    conn.execute(f"INSERT OR REPLACE INTO txn_chip(txn_id, {', '.join(_COLUMNS)}) VALUES(?{',?' * len(_COLUMNS)})",
                 (txn_id, *(values[c] for c in _COLUMNS)))


def from_row(row: sqlite3.Row | dict | None) -> ChipRecord | None:
    if row is None:
        return None
    d = {c: row[c] for c in _COLUMNS}
    return ChipRecord(**(d | {"contactless": bool(d["contactless"])}))


def read(conn: sqlite3.Connection, txn_id: int) -> ChipRecord | None:
    cur = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM txn_chip WHERE txn_id=?", (txn_id,))
    cur.row_factory = sqlite3.Row
    return from_row(cur.fetchone())
