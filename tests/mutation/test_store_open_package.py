"""terminal.store's lazy names (terminal/store/__init__.py): the command line imports StoreError on every run
without loading SQLite, and gets the journal's classes from the package only when it uses them."""
from __future__ import annotations

import pytest

import terminal.store as store
from terminal.store import journal, rows


def test_the_journal_classes_come_from_the_package_when_asked_for():
    assert (store.Journal, store.TxnRow, store.SafRow, store.NewTxn, store.SafOutcome) == (
        journal.Journal, rows.TxnRow, rows.SafRow, rows.NewTxn, rows.SafOutcome)


def test_a_name_the_package_does_not_have_is_an_attribute_error_naming_it():
    with pytest.raises(AttributeError) as missing:
        store.Jornal  # noqa: B018 (a misspelt name)
    assert str(missing.value) == "Jornal"
    assert getattr(store, "Jornal", None) is None
