"""Engine.authorise when the core reaches no verdict: the duplicate guard refuses the same card and amount again
(nobody is at the keypad to say "charge again"), and the error says so (it used to be a bare assert claiming
'a known card always makes a row', false here: the guard's declined row exists)."""
from __future__ import annotations

import pytest

from terminal.store.states import TxnState
from terminal.txn.engine import Engine
from tests.mutation.test_settle_engine import SWIPE


def test_authorise_of_a_sale_the_duplicate_guard_refused_names_why(terminal):
    e = Engine.of(terminal.driver)
    first, _ = e.authorise("purchase", 1000, SWIPE)
    with pytest.raises(RuntimeError) as err:
        e.authorise("purchase", 1000, SWIPE)
    assert str(err.value) == ("purchase of 1000: the core reached no verdict "
                              "(declined: NOT CHARGED AGAIN: same card, same amount already approved)")
    assert [t.state for t in terminal.journal.txns()] == [TxnState.DECLINED, TxnState.APPROVED]
    assert len(terminal.host.charges) == 1 and first.state is TxnState.APPROVED
