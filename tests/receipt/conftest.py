"""Fixtures for the slip tests: a real journal file with transactions written the way the driver writes them,
and the operator's language set for one test and restored after it."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from terminal.config import Config, MerchantConfig
from terminal.i18n.text import language, set_language
from terminal.store import Journal, TxnState
from terminal.store.chip_record import ChipRecord

WHEN = dt.datetime(2026, 12, 1, 9, 30, 15)
CHIP = ChipRecord(contactless=False, aid="A000000333010101", label="UnionPay Debit", cid="40",
                  cryptogram="8E2F4A1B7C3D9E05", tvr="0000008000", tsi="E800", cvm="offline_pin",
                  cvm_results="410302")
TAP = ChipRecord(contactless=True, aid="A0000000031010", label="VISA CREDIT", cid="80",
                 cryptogram="1F0E2D3C4B5A6978", tvr="0000000000", tsi="0000", cvm="no_cvm", cvm_results="1F0000")


@pytest.fixture
def lang():
    """Call lang('zh-CN') to render in that language; the language before the test comes back after it."""
    before = language()
    yield set_language
    set_language(before)


@pytest.fixture
def cfg() -> Config:
    return replace(Config(), merchant=MerchantConfig(name="上海示范便利店", address="上海市浦东新区世纪大道100号"))


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "journal.sqlite3")
    yield j
    j.close()


def approved(journal: Journal, *, kind: str = "purchase", amount: int = 1234, pan: str = "625094******0014",
             entry: str = "901", chip: ChipRecord | None = None, original_id: int | None = None,
             auth: str = "A1B2C3", rrn: str = "612345678901") -> int:
    """A transaction as the driver leaves it: written ahead, approved by the host, the chip's lines kept."""
    proc = {"purchase": "000000", "refund": "200000", "void": "020000"}[kind]
    row = journal.begin(kind=kind, proc_code=proc, amount=amount, currency="156", local_time=WHEN,
                        transmitted="1201013015", entry_mode=entry, masked_pan=pan, original_id=original_id)
    journal.set_state(row.id, TxnState.APPROVED, "approved by the host (00)", response_code="00", auth_code=auth,
                      rrn=rrn, message="APPROVED", voids=original_id if kind == "void" else None)
    if chip is not None:
        journal.keep_chip(row.id, chip)
    return row.id
