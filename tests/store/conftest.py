"""The store's tests run on real SQLite files in tmp_path; these build the journal and a typical new row."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Callable, Iterator

import pytest

from terminal.store import Journal, NewTxn

LOCAL = dt.datetime(2026, 11, 25, 10, 0, 0)
SALE = NewTxn(kind="purchase", proc_code="000000", amount=100, currency="156", local_time=LOCAL,
              transmitted="1125100000", entry_mode="051", masked_pan="476173******0119")


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "j.sqlite3"


@pytest.fixture
def journal(journal_path: Path) -> Iterator[Journal]:
    j = Journal(journal_path)
    yield j
    j.close()


@pytest.fixture
def new_sale() -> Callable[..., NewTxn]:
    """A chip purchase about to be sent; keywords override any field."""
    return lambda **kw: dataclasses.replace(SALE, **kw)
