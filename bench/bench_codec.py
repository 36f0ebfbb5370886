"""Codec budget (DESIGN.md): build + MAC + encode a 0200 with field 55, then decode + verify its 0210, at most
2x plain pyiso8583 encode + decode of the same two messages, measured side by side in one run."""
from __future__ import annotations

import datetime as dt
import statistics
import time

import iso8583

from drivers.emulated.msr_tracks import test_card
from terminal.iso8583 import decode, encode
from terminal.iso8583.builders import PURCHASE, Original, Terminal, request_0200
from terminal.iso8583.dialect import SPEC

KEY = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
TRACK2 = test_card("visa").track2()[1:-1]  # field 35 form: no sentinels
TERM = Terminal("TERM0001", "MERCHANT0000001", "156")
ORIG = Original(PURCHASE, 1234, 42, dt.datetime(2026, 11, 25, 10, 30, 15), "051", 7, "1125093015", "001")
NOW = dt.datetime(2026, 11, 25, 9, 30, 16)
# A realistic ARQC field 55: 9F26 9F27 9F10 9F37 9F36 95 9A 9C 9F02 5F2A 82 9F1A 9F03 9F33 9F34 9F35 84 9F09
ICC = bytes.fromhex(
    "9F2608A1B2C3D4E5F607189F2701809F10120110A00003220000000000000000000000FF9F3704112233449F360200"
    "21950500000080009A032611259C01009F02060000000012345F2A0201568202"
    "19809F1A0201569F03060000000000009F3303E0F8C89F34034203009F3501228407A00000000310109F09020096")
RESPONSE_FIELDS = {3: "000000", 4: "000000001234", 7: "1125093016", 11: "000042", 12: "103015", 13: "1125",
                   37: "000000000001", 38: "123456", 39: "00", 41: "TERM0001", 42: "MERCHANT0000001", 49: "156",
                   55: bytes.fromhex("910A1122334455667788303072109F180400000001860D84DA00CB08A1B2C3D4E5F60708"),
                   60: "000007"}


def ours() -> None:
    encode("0200", request_0200(TERM, ORIG, NOW, track2=TRACK2, icc=ICC), KEY)
    decode(RESPONSE_WIRE, KEY)


RESPONSE_WIRE = encode("0210", RESPONSE_FIELDS, KEY)
PLAIN_REQUEST = {"t": "0200", **{str(k): (v.hex() if isinstance(v, bytes) else v) for k, v in request_0200(
    TERM, ORIG, NOW, track2=TRACK2, icc=ICC).items()}, "64": "00" * 8}
for k, width in (("4", 12), ("60", 6)):
    PLAIN_REQUEST[k] = PLAIN_REQUEST[k].zfill(width)


def plain() -> None:
    iso8583.encode(dict(PLAIN_REQUEST), SPEC)
    iso8583.decode(RESPONSE_WIRE, SPEC)


def measure(fn, n: int = 2000, repeats: int = 7) -> float:
    """Median seconds per call over `repeats` runs of `n` calls."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - t0) / n)
    return statistics.median(times)


def main() -> dict:
    for fn in (ours, plain):
        measure(fn, 200, 1)  # warm up
    a, b = measure(plain), measure(ours)
    ratio = b / a
    print("codec: 0200 with field 55 (build+MAC+encode) + its 0210 (decode+verify)")
    print(f"  plain pyiso8583 encode+decode  {a * 1e6:8.1f} us")
    print(f"  posterm                        {b * 1e6:8.1f} us")
    print(f"  ratio                          {ratio:8.2f}x   (budget 2.00x: {'within' if ratio <= 2 else 'OVER'})")
    return {"plain_us": a * 1e6, "posterm_us": b * 1e6, "ratio": ratio}


if __name__ == "__main__":
    main()
