"""One clock: a chip sale's EMV date and time (9A, 9F21) are the terminal's local ones, from the same instant
as fields 12/13, and 9F41 counts up per transaction, kept in the journal. Run in Honolulu (UTC-10), where a
UTC date would differ from the local one for ten hours of every day, and the hour always does."""
from __future__ import annotations

import datetime as dt

from drivers.emvspec.ber_tlv import parse
from terminal.iso8583 import decode
from tests.fixtures.host import MAC_KEY, host_address

HONOLULU = {"TZ": "Pacific/Honolulu"}


def _icc(msg) -> dict[int, bytes]:
    return {t.tag: t.value for t in parse(msg.fields[55])}


def test_emv_date_and_time_are_local_and_the_sequence_counter_counts_up(host_sim, posterm):
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=10)
    for amount in ("1.00", "2.00", "3.00"):
        r = posterm("sale", amount, "--reader", "emulated:visa", "--host", host_address(host_sim), "--json",
                    env=HONOLULU)
        assert r.code == 0, r.err
    after = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=10)
    sales = [decode(raw, MAC_KEY) for raw in host_sim.received]
    assert [m.mti for m in sales] == ["0200"] * 3
    for m in sales:
        icc = _icc(m)
        assert icc[0x9A].hex()[2:] == m.fields[13]          # YYMMDD ends with field 13's MMDD
        if 0x9F21 in icc:                                    # only when the card's CDOL asks for it
            assert icc[0x9F21].hex() == m.fields[12]        # hhmmss: the same instant
        assert before.strftime("%y%m%d") <= icc[0x9A].hex() <= after.strftime("%y%m%d")
        local_hours = {before.strftime("%H"), after.strftime("%H")}
        assert m.fields[12][:2] in local_hours               # Honolulu's hour, not UTC's
    counters = [int(_icc(m)[0x9F41].hex()) for m in sales]
    assert counters == [counters[0], counters[0] + 1, counters[0] + 2]
