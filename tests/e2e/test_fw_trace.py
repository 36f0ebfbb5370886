"""APDU traces end to end: `posterm sale --apdu-trace` (real process), the masked file, `posterm fw trace show`,
and `--reader replay:TRACE` serving the trace as a card to the real pcscd through vpcd."""
from __future__ import annotations

import json

from drivers.emulated.vcard import load_profile
from firmware_tools.trace import read_trace
from tests.fixtures.host import host_address
from tests.fixtures.pcscd import POSTERM


def test_traced_sale_never_writes_the_pan_name_or_pin(posterm, host_sim, tmp_path):
    trace = tmp_path / "sale.trace"
    r = posterm("sale", "12.34", "--reader", "emulated:visa", "--host", host_address(host_sim), "--json",
                "--apdu-trace", str(trace))
    assert r.code == 0, r.out + r.err
    text = trace.read_text()
    image = load_profile("visa").image
    pan, name, pin = image.pan, image.name, image.pin
    for secret in (pan, pan.encode().hex(), name, name.encode().hex().upper(), f"24{pin}FF"):
        assert secret.upper() not in text.upper(), secret
    parsed = read_trace(trace)
    masked = {tag for e in parsed.exchanges for tag in e.masked}
    assert {"5A", "57", "5F20", "PIN"} <= masked
    assert all(e.dur_ms >= 0 for e in parsed.exchanges) and parsed.atr == load_profile("visa").atr()

    shown = posterm("fw", "trace", "show", str(trace))
    assert shown.code == 0, shown.err
    assert "5A (Application PAN): 476173******0010" in shown.out
    assert "57 (Track 2 Equivalent Data): (16 bytes, not shown)" in shown.out
    assert "INS AE (GENERATE AC)" in shown.out and "PIN block (8 bytes, masked)" in shown.out
    assert "9F27 (Cryptogram Information Data): 80" in shown.out and "82 (AIP): 7C00" in shown.out
    assert pan not in shown.out and name not in shown.out


def test_a_recorded_card_decline_replays_through_pcscd_to_the_same_outcome(posterm, pcsc_stack, tmp_path):
    """bad-oda: the card's DDA signature is wrong and it declines offline. The replay answers from the masked
    recording while the terminal's unpredictable number, date and amount differ: same outcome, same APDUs but
    one. The masked PAN no longer matches the one inside the ICC public key certificate, so the replaying
    kernel sees DDA fail at the certificate and sends no INTERNAL AUTHENTICATE (docs/firmware_tools.md)."""
    recorded, replayed = tmp_path / "field.trace", tmp_path / "replay.trace"
    first = posterm("sale", "12.34", "--reader", "emulated:bad-oda", "--host", "127.0.0.1:9", "--json",
                    "--apdu-trace", str(recorded))
    assert first.code == 1, first.out + first.err
    r = pcsc_stack.run([POSTERM, "sale", "7.00", "--reader", f"replay:{recorded}", "--host", "127.0.0.1:9",
                        "--data-dir", str(tmp_path / "replay-data"), "--pin", "1234", "--json",
                        "--apdu-trace", str(replayed)], inside_namespaces=True)
    assert r.returncode == 1, r.stdout + r.stderr
    a, b = first.json, json.loads(r.stdout)
    for key in ("outcome", "message", "tvr", "cvm", "masked_pan", "application", "entry_mode"):
        assert a[key] == b[key], key
    rec, rep = read_trace(recorded), read_trace(replayed)
    assert [e.name for e in rec.exchanges if e.name != "INTERNAL AUTHENTICATE"] == [e.name for e in rep.exchanges]
    assert [(e.command[:4], e.response) for e in rec.exchanges if e.command[1] != 0x88] == \
           [(e.command[:4], e.response) for e in rep.exchanges]
    assert rep.atr == rec.atr and "replay:" not in r.stderr   # every command was found in the trace
