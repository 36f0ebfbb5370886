"""What must hold after every step of a schedule, read from the terminal's real journal file and the host's books.

1. The lifecycle: every state change the journal recorded is a move of terminal/store/lifecycle.py's table, a
   row starts where the table lets one start, and a row's state is its last event's.
2. Terminal and host agree on every settled outcome (approved, declined, reversed, voided, offline approved,
   not sent, cancelled); rows still in doubt (sending, reversal or advice pending, needs attention) are not
   settled yet. The host holds no live charge the terminal has no row for.
3. No double charge: the host never holds two live charges for one transaction, and never received the same
   0200 twice (it would have charged again: see host.py).
4. No card data beyond DESIGN.md's allowance: no full PAN or track 2 in any row, event or note; the sealed card
   data of an advice is gone once the advice is delivered; a reversal never keeps any.
5. Store-and-forward order: no 0200, 0220/0221 or 0500 reaches the host while a reversal is pending (checked by
   the host as each request arrives: `saf_order_problem`).
"""
from __future__ import annotations

from terminal.store import Journal
from terminal.store.lifecycle import INITIAL, TRANSITIONS
from terminal.store.states import TxnState as S
from tests.sim.devices import PANS
from tests.sim.host import Key, SimHost

CHARGED = {S.APPROVED, S.OFFLINE_APPROVED}
NOT_CHARGED = {S.DECLINED, S.REVERSED, S.NOT_SENT, S.CANCELLED, S.VOIDED}
IN_DOUBT = {S.SENDING, S.REVERSAL_PENDING, S.ADVICE_PENDING, S.NEEDS_ATTENTION}


def key_of_row(stan: int, local_time: str) -> Key:
    # local_time is ISO 8601 'YYYY-MM-DDTHH:MM:SS': fields 13 (MMDD) and 12 (hhmmss)
    return (f"{stan:06d}", local_time[5:7] + local_time[8:10], local_time[11:13] + local_time[14:16] + local_time[17:19])


class Invariants:
    """Checks one terminal's journal against the host, step after step (remembers the events it has checked)."""

    def __init__(self) -> None:
        self.last_event = 0
        self.state: dict[int, S] = {}

    def check(self, journal: Journal, host: SimHost) -> list[str]:
        return self.lifecycle(journal) + self.agreement(journal, host) + self.card_data(journal)

    def lifecycle(self, journal: Journal) -> list[str]:
        problems = []
        for event_id, txn_id, state in journal.db.read(
                "SELECT id, txn_id, state FROM txn_event WHERE id > ? ORDER BY id", (self.last_event,)):
            to = S(state)
            before = self.state.get(txn_id)
            if before is None and to not in INITIAL:
                problems.append(f"lifecycle: txn {txn_id} started in {to.value}")
            elif before is not None and to not in TRANSITIONS[before]:
                problems.append(f"lifecycle: txn {txn_id} moved {before.value} -> {to.value}")
            self.state[txn_id] = to
            self.last_event = event_id
        for txn_id, state in journal.db.read("SELECT id, state FROM txn"):
            if self.state.get(txn_id) != S(state):
                problems.append(f"lifecycle: txn {txn_id} is {state} but its last event says "
                                f"{self.state.get(txn_id)}")
        return problems

    def agreement(self, journal: Journal, host: SimHost) -> list[str]:
        problems = []
        live = host.live_by_key()
        known = set()
        rows = journal.db.read("SELECT id, stan, local_time, state, kind, original_id FROM txn")
        # A purchase whose void is still in doubt is in doubt too: the host may or may not have voided it.
        voiding = {r[5] for r in rows if r[4] == "void" and S(r[3]) in IN_DOUBT}
        for txn_id, stan, local_time, state, kind, _ in rows:
            key, state = key_of_row(stan, local_time), S(state)
            known.add(key)
            charged = len(live.get(key, []))
            if charged > 1:
                problems.append(f"double charge: txn {txn_id} (STAN {stan}) holds {charged} live charges at the host")
            if kind == "void" or state in IN_DOUBT or txn_id in voiding:
                continue
            if (state in CHARGED) != bool(charged):
                problems.append(f"disagreement: txn {txn_id} (STAN {stan}) is {state.value} at the terminal, "
                                f"host charged={bool(charged)}")
        for key, n in host.financial_keys.items():
            if n > 1:
                problems.append(f"double charge: the host received {n} 0200s for STAN {key[0]}")
        for key in live:
            if key not in known:
                problems.append(f"host holds a live charge for STAN {key[0]} that the terminal has no row for")
        return problems

    def card_data(self, journal: Journal) -> list[str]:
        problems = []
        texts = journal.db.read("SELECT masked_pan || ' ' || message FROM txn"
                                " UNION ALL SELECT reason FROM txn_event UNION ALL SELECT last_error FROM saf")
        for (text,) in texts:
            if any(pan in (text or "") for pan in PANS) or "=" in (text or "") and _looks_like_track2(text):
                problems.append(f"card data kept in the journal: {text[:12]}...")
        for saf_id, kind, state in journal.db.read("SELECT id, kind, state FROM saf WHERE sealed IS NOT NULL"):
            if kind == "reversal" or state == "delivered":
                problems.append(f"sealed card data kept by {state} {kind} {saf_id}")
        return problems


def _looks_like_track2(text: str) -> bool:
    import re
    return re.search(r"\d{12,19}=\d{4}", text) is not None


def files_hold_card_data(*paths) -> list[str]:
    """The journal's files byte for byte (database, WAL): no full PAN in clear anywhere, not even in free pages."""
    problems = []
    for path in paths:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        for pan in PANS:
            if pan.encode() in data:
                problems.append(f"full PAN {pan[:6]}...{pan[-4:]} in clear in {path.name}")
    return problems


def saf_order_problem(journal: Journal | None, mti: str) -> str:
    """A reversal pending at the terminal while the host receives this request: it was overtaken."""
    if journal is None or mti not in ("0200", "0220", "0221", "0500"):
        return ""
    pending = journal.db.read("SELECT stan FROM saf WHERE state='pending' AND kind='reversal'")
    if pending:
        return f"saf order: a {mti} reached the host while the reversal of STAN {pending[0][0]:06d} was pending"
    return ""
