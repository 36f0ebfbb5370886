"""Gaps the window's mutants showed: behaviour nothing enforced before (txn/saf_window.py)."""
from __future__ import annotations

from terminal.iso8583 import decode, encode
from tests.mutation.test_saf_window_drain import answers, report_of, sends, win  # noqa: F401 - the fixture

GARBAGE = b"\x00\x01garbage"


def test_a_frame_not_to_be_trusted_after_the_last_answer_still_says_why_the_rest_stays_pending(win):
    win.configure(window=2)
    r1, r2, r3 = win.reversals(3)
    mac = win.driver.cfg.keys.mac_key
    win.net.rewrite = lambda request, rmti, fields: [encode(rmti, fields, mac)] + (
        [GARBAGE] if str(request.fields[11]) == win.stan(r2) else [])
    report = win.driver.drain(force=True)
    try:
        decode(GARBAGE, mac)
    except Exception as e:  # noqa: BLE001 - the codec's own words for it
        why = f"answer in the window not to be trusted: {e}"
    # both answers count; the garbage after them ends the drain, and the report says why r3 did not leave
    assert win.net.log == sends(win.stan(r1), win.stan(r2)) + answers(win.stan(r1), win.stan(r2), win.stan(r2))
    assert report_of(report) == (2, 1, 1, r3.stan, why)
    assert win.net.closes == 1
