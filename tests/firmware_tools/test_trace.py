"""Trace masking, the file format and the replay card's matching (units; the real-process and pcscd paths are
tests/e2e/test_fw_trace.py)."""
from __future__ import annotations

import pytest

from drivers.emulated.replay import NOT_IN_TRACE, ReplayCard
from drivers.emvspec.ber_tlv import encode
from firmware_tools.trace import TraceError, TraceWriter, mask_command, mask_response, read_trace
from terminal.card.pan import luhn_ok

PAN = "4761739001010010"
RECORD = encode(0x70, encode(0x5A, bytes.fromhex(PAN)) + encode(0x57, bytes.fromhex(PAN + "D30122010000012345F"
                                                                                    .ljust(38, "F")[:38]))
                + encode(0x5F20, b"TEST/VISA CARDHOLDER") + encode(0x5F24, bytes.fromhex("301231"))) + b"\x90\x00"


def test_sensitive_objects_are_masked_in_place_with_their_lengths():
    masked, tags = mask_response(RECORD)
    assert len(masked) == len(RECORD) and tags == ["5A", "57", "5F20"]
    hexed = masked.hex().upper()
    assert PAN not in hexed and b"VISA" not in masked and "301231" in hexed   # expiry 5F24 is kept
    pan = hexed[hexed.index("5A08") + 4:][:16]
    assert pan.startswith("476173") and pan.endswith("0010") and luhn_ok(pan)
    assert "D3012201" + "0" * 8 in hexed   # track 2: expiry and service code kept, discretionary data zeroed


def test_a_record_that_is_not_tlv_is_still_masked():
    broken = b"\x70\x30" + encode(0x5A, bytes.fromhex(PAN)) + b"\x90\x00"   # template length runs past the end
    masked, tags = mask_response(broken)
    assert tags == ["5A"] and PAN not in masked.hex().upper()


def test_the_pin_block_of_verify_is_masked():
    command, tags = mask_command(bytes.fromhex("0020008008241234FFFFFFFFFF"))
    assert command.hex().upper() == "0020008008" + "FF" * 8 and tags == ["PIN"]


def test_written_trace_reads_back(tmp_path):
    writer = TraceWriter(tmp_path / "t")
    writer.card(bytes.fromhex("3B6800000073C84000009000"), "T=0")
    writer("READ RECORD 1.1", bytes.fromhex("00B2010C00"), RECORD)
    writer.close()
    trace = read_trace(tmp_path / "t")
    [e] = trace.exchanges
    assert (trace.protocol, e.name, e.command.hex(), e.masked) == ("T=0", "READ RECORD 1.1", "00b2010c00",
                                                                   ["5A", "57", "5F20"])
    (tmp_path / "bad").write_text("# posterm apdu trace 1\nAPDU seq=1 t=0 dur=0 name=X C=zz R=9000\n")
    with pytest.raises(TraceError, match="line 2: C is not hex"):
        read_trace(tmp_path / "bad")


def test_replay_matches_by_header_and_order_not_by_the_terminals_data():
    gpo, genac = bytes.fromhex("80A8000002830000"), bytes.fromhex("80AE80000500000012349000")
    card = ReplayCard(b"\x3b\x00", [(bytes.fromhex("00A4040007A000000003101000"), b"\x6f\x00\x90\x00"),
                                    (gpo, b"\x80\x02\x7c\x00\x90\x00"),
                                    (bytes.fromhex("0088000004AABBCCDD00"), b"\x80\x00\x90\x00"),
                                    (genac, b"\x80\x01\x80\x90\x00")])
    assert card.process(bytes.fromhex("00A4040007A000000004101000")) == NOT_IN_TRACE   # another AID
    assert card.process(bytes.fromhex("00A4040007A000000003101000")) == b"\x6f\x00\x90\x00"
    assert card.process(bytes.fromhex("80A80000028300")) == b"\x80\x02\x7c\x00\x90\x00"
    # INTERNAL AUTHENTICATE skipped by the terminal; GENERATE AC with other terminal data still answers
    assert card.process(bytes.fromhex("80AE80000599999999999900")) == b"\x80\x01\x80\x90\x00"
    card.reset()
    assert card.process(gpo) == b"\x80\x02\x7c\x00\x90\x00" and len(card.divergences) == 1
