"""Which address of the acquirer carried each message of a transaction (backup hosts: terminal/link/failover.py).

A note rides the next commit (Database.ride): for a sale, the commit of its outcome or of its reversal; for a
store-and-forward message, the attempt's own commit, made before the message leaves. So knowing the address
costs no fsync, and `posterm txn show` can say where every 0200, 0400/0401 and 0220/0221 went.
"""
from __future__ import annotations

from dataclasses import dataclass

from terminal.store.db import Database


@dataclass(frozen=True)
class Carried:
    at: str
    mti: str
    stan: int
    address: str


class Carriers:
    def __init__(self, db: Database) -> None:
        self.db = db

    def note(self, txn_id: int, mti: str, stan: int, address: str) -> None:
        self.db.ride("INSERT INTO txn_message(txn_id, mti, stan, address, at) VALUES(?,?,?,?,?)",
                     (txn_id, mti, stan, address, self.db.now()))

    def for_txn(self, txn_id: int) -> list[Carried]:
        return [Carried(r["at"], r["mti"], int(r["stan"]), r["address"]) for r in self.db.read(
            "SELECT at, mti, stan, address FROM txn_message WHERE txn_id=? ORDER BY id", (txn_id,))]
