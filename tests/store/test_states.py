"""The journal's states are enums: the lifecycle table is keyed on them, rows come back with them, and callers
that compare with plain strings (terminal/txn, terminal/cli) keep working."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import terminal.store
from terminal.store import SafKind, SafState, TxnState
from terminal.store.lifecycle import INITIAL, TRANSITIONS, LifecycleError


def test_every_state_of_the_lifecycle_table_is_a_txn_state():
    assert all(type(s) is TxnState for s in TRANSITIONS)
    assert all(type(s) is TxnState for targets in TRANSITIONS.values() for s in targets)
    assert all(type(s) is TxnState for s in INITIAL)
    assert set(TRANSITIONS) == set(TxnState)  # every state has a row, even a final one


def test_a_state_is_its_word_on_disk_and_in_print():
    assert TxnState.APPROVED == "approved" and f"{TxnState.REVERSAL_PENDING}" == "reversal_pending"
    assert TxnState("needs_attention") is TxnState.NEEDS_ATTENTION


def test_a_row_read_back_has_a_txn_state(journal, new_sale):
    row = journal.begin_txn(new_sale())
    journal.set_state(row.id, "approved", "0210 00", response_code="00")   # a plain word from an older caller
    back = journal.txn(row.id)
    assert type(back.state) is TxnState and back.state is TxnState.APPROVED
    assert back.state == "approved"                                       # what callers compare with today
    assert [type(s) for _, s, _ in journal.events(row.id)] == [TxnState, TxnState]
    assert journal.txns_in_state("approved") == journal.txns_in_state(TxnState.APPROVED) == [back]


def test_saf_rows_have_enum_kind_and_state(journal, new_sale):
    row = journal.begin_txn(new_sale())
    entry = journal.queue(row.id, "reversal", "68", TxnState.REVERSAL_PENDING, "no response")
    assert entry.kind is SafKind.REVERSAL and entry.state is SafState.PENDING
    (pending, txn), = journal.saf_pending_with_txn()
    assert pending == entry and txn.state is TxnState.REVERSAL_PENDING


def test_an_unknown_state_word_is_refused_before_anything_is_written(journal, new_sale):
    row = journal.begin_txn(new_sale())
    with pytest.raises(LifecycleError, match="'aproved' is not a state of the lifecycle"):
        journal.set_state(row.id, "aproved", "typo")
    assert journal.txn(row.id).state is TxnState.SENDING and len(journal.events(row.id)) == 1


def test_no_store_module_reaches_into_another_objects_private_members():
    """Each part talks to the others through their public methods; only `self._x` / `cls._x` are private."""
    offenders = []
    for path in sorted(Path(terminal.store.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                offenders.append(f"{path.name}:{node.lineno}: .{node.attr}")
    assert offenders == []
