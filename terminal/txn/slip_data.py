"""The chip's lines of a slip, taken from the kernel's last word and journaled with the transaction, so the slip
printed now and any reprint later show the same AID, label, cryptogram, TVR, TSI and CVM."""
from __future__ import annotations

import logging

from drivers.emvspec.ber_tlv import find, parse
from drivers.emvspec.errors import TlvError
from terminal.emv.outcome import Outcome
from terminal.store import Journal, StoreError
from terminal.store.chip_record import ChipRecord

log = logging.getLogger("terminal.txn")
LABEL_MAX = 16   # 50 is an1..16


def chip_record_of(outcome: Outcome) -> ChipRecord:
    """The final cryptogram is the one of the advice data (TC/AAC after the second GENERATE AC) when there is
    one, else the request's (the ARQC of a tap that ended online, or of a sale the card never completed)."""
    cid = cryptogram = ""
    for icc in (outcome.field55_advice, outcome.field55_request):
        if not icc:
            continue
        try:
            objects = parse(icc)
        except TlvError:
            continue
        ac, info = find(objects, 0x9F26), find(objects, 0x9F27)
        if ac is not None:
            cryptogram, cid = ac.value.hex().upper(), info.value.hex().upper() if info is not None else ""
            break
    label = "".join(ch for ch in outcome.application_label if ch.isprintable())[:LABEL_MAX]
    return ChipRecord(contactless=outcome.entry_mode.startswith("07"), aid=outcome.application.upper(), label=label,
                      cid=cid, cryptogram=cryptogram, tvr=outcome.tvr.hex().upper(), tsi=outcome.tsi.hex().upper(),
                      cvm=outcome.cvm, cvm_results=outcome.cvm_results.hex().upper())


def keep_chip_lines(journal: Journal, txn_id: int, outcome: Outcome) -> None:
    """Journal them; a failure here (a full disk) never touches the sale, whose outcome is already durable:
    the slip is printed without the chip lines on a reprint, and the log says why."""
    if not outcome.application:
        return
    try:
        journal.keep_chip(txn_id, chip_record_of(outcome))
    except StoreError as e:
        log.warning("transaction %d: the chip's slip lines were not journaled: %s", txn_id, e)
