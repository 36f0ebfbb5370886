"""The chip's slip lines taken from the kernel's outcome (slip_data.py), journaled or, when the journal cannot,
logged; and the card data an offline advice keeps, sealed at rest (sealing.py)."""
from __future__ import annotations

import logging
import sqlite3

import pytest

from terminal.emv.outcome import Decision, Outcome
from terminal.store.chip_record import ChipRecord
from terminal.txn.sealing import AdviceData, SealError, seal, unseal
from terminal.txn.slip_data import chip_record_of, keep_chip_lines

KEY = bytes(range(32))
AC_TC = bytes.fromhex("9F2608A1B2C3D4E5F60718" "9F270140")      # cryptogram A1..29, CID 40 (TC)
AC_ARQC = bytes.fromhex("9F26081122334455667788" "9F270180")    # the request's: ARQC


def outcome(**kw) -> Outcome:
    base = dict(decision=Decision.ONLINE_APPROVED, tvr=bytes.fromhex("8000ab0c00"), tsi=bytes.fromhex("e8f0"),
                cvm_results=bytes.fromhex("1f0302"), cvm="offline_pin", application="a0000000031010",
                application_label="VISA CREDIT", entry_mode="051")
    return Outcome(**(base | kw))


def test_the_final_cryptogram_is_the_advice_datas_and_every_line_is_upper_case_hex():
    record = chip_record_of(outcome(field55_advice=AC_TC, field55_request=AC_ARQC))
    assert record == ChipRecord(contactless=False, aid="A0000000031010", label="VISA CREDIT", cid="40",
                                cryptogram="A1B2C3D4E5F60718", tvr="8000AB0C00", tsi="E8F0", cvm="offline_pin",
                                cvm_results="1F0302")
    assert record.cryptogram_type == "TC"


def test_an_aac_with_its_advice_and_reason_bits_keeps_the_cid_as_upper_case_hex():
    aac = bytes.fromhex("9F2608A1B2C3D4E5F60718" "9F27010A")        # AAC, advice required, PIN try limit exceeded
    record = chip_record_of(outcome(field55_advice=aac, field55_request=AC_ARQC))
    assert (record.cid, record.cryptogram_type) == ("0A", "AAC")


def test_without_advice_data_the_requests_cryptogram_is_kept():
    record = chip_record_of(outcome(field55_request=AC_ARQC))
    assert (record.cid, record.cryptogram) == ("80", "1122334455667788")


def test_advice_data_that_does_not_parse_or_has_no_cryptogram_falls_back_to_the_request():
    assert chip_record_of(outcome(field55_advice=b"\x9f\x26\x08\x01", field55_request=AC_ARQC)).cryptogram == \
        "1122334455667788"                                          # cut short: not TLV
    no_ac = bytes.fromhex("9F270140" "950580000000 00".replace(" ", ""))
    assert chip_record_of(outcome(field55_advice=no_ac, field55_request=AC_ARQC)).cid == "80"


def test_a_cryptogram_without_its_information_data_has_an_empty_cid():
    record = chip_record_of(outcome(field55_request=bytes.fromhex("9F26081122334455667788")))
    assert (record.cid, record.cryptogram, record.cryptogram_type) == ("", "1122334455667788", "")


def test_no_cryptogram_anywhere_leaves_both_empty():
    record = chip_record_of(outcome(field55_request=bytes.fromhex("950580000000 00".replace(" ", ""))))
    assert (record.cid, record.cryptogram) == ("", "")
    assert (chip_record_of(outcome()).cid, chip_record_of(outcome()).cryptogram) == ("", "")


def test_the_label_keeps_printable_characters_only_and_at_most_sixteen():
    assert chip_record_of(outcome(application_label="VISA\x00\x1b CREDIT PLATINUM")).label == "VISA CREDIT PLAT"


def test_a_tap_is_contactless_and_a_dip_is_not():
    assert chip_record_of(outcome(entry_mode="071")).contactless is True
    assert chip_record_of(outcome(entry_mode="072")).contactless is True
    assert chip_record_of(outcome(entry_mode="051")).contactless is False


def _row(terminal) -> int:
    return terminal.journal.begin(kind="purchase", proc_code="000000", amount=100, currency="156",
                                  local_time=terminal.clock.now().local, transmitted="1201093000", entry_mode="051",
                                  masked_pan="476173******0010", psn="01", original_id=None, tsc=None).id


def test_keep_chip_lines_journals_them_for_the_row_and_keeps_none_without_an_application(terminal):
    first, second = _row(terminal), _row(terminal)
    o = outcome(field55_advice=AC_TC)
    keep_chip_lines(terminal.journal, second, o)
    assert terminal.journal.chip(second) == chip_record_of(o) and terminal.journal.chip(first) is None
    keep_chip_lines(terminal.journal, first, outcome(application=""))
    assert terminal.journal.chip(first) is None


class _IOError:
    def before(self) -> None:
        e = sqlite3.OperationalError("disk I/O error")
        e.sqlite_errorcode = sqlite3.SQLITE_IOERR
        raise e

    def after(self) -> None:
        pass


def test_a_journal_that_cannot_keep_the_chip_lines_logs_why_and_the_sale_goes_on(terminal, caplog):
    txn = _row(terminal)
    terminal.journal.db.commit_faults = _IOError()
    with caplog.at_level(logging.WARNING, logger="terminal.txn"):
        keep_chip_lines(terminal.journal, txn, outcome(field55_advice=AC_TC))
    terminal.journal.db.commit_faults = None
    [line] = [r.getMessage() for r in caplog.records if r.name == "terminal.txn"]
    assert line.startswith(f"transaction {txn}: the chip's slip lines were not journaled: journal ")
    assert line.endswith("write failed (disk I/O error)")
    assert terminal.journal.chip(txn) is None


# ---- sealed advice data ------------------------------------------------------------------------------------
DATA = AdviceData(pan="4761739001010010", expiry="3112", icc=bytes.fromhex("9F2608A1B2C3D4E5F60718"), psn="01")


def test_sealed_card_data_opens_for_its_own_row_only_and_shows_no_pan():
    blob = seal(KEY, 17, DATA)
    assert unseal(KEY, 17, blob) == DATA
    assert b"4761739001010010" not in blob and b"3112" not in blob
    assert unseal(KEY, 17, seal(KEY, 17, AdviceData("5", "2501", b"", None))) == AdviceData("5", "2501", b"", None)
    with pytest.raises(SealError) as e:
        unseal(KEY, 18, blob)
    assert str(e.value) == "sealed card data of transaction 18 does not open (wrong key or damaged)"


def test_each_seal_has_its_own_twelve_byte_nonce():
    a, b = seal(KEY, 1, DATA), seal(KEY, 1, DATA)
    assert a[:12] != b[:12] and len(a) == len(b)
    plain_len = len(b'{"pan": "4761739001010010", "expiry": "3112", "icc": "9f2608a1b2c3d4e5f60718", "psn": "01"}')
    assert len(a) == 12 + plain_len + 16                            # nonce, ciphertext, tag


def test_a_damaged_blob_or_another_key_does_not_open():
    blob = seal(KEY, 5, DATA)
    for bad_key, bad_blob in ((KEY, blob[:-1] + bytes([blob[-1] ^ 1])), (bytes(32), blob), (KEY, blob[:8])):
        with pytest.raises(SealError) as e:
            unseal(bad_key, 5, bad_blob)
        assert str(e.value) == "sealed card data of transaction 5 does not open (wrong key or damaged)"
