"""APDU round trip through the PC/SC driver beside bare pyscard, on the same private pcscd + vpcd stack in
the same run; and the time from card insertion to the first SELECT answer.

    .venv/bin/python -m bench.bench_pcsc        (as root: the stack runs in private namespaces)

Rows:
  driver transmit        drivers.pcsc PcscChannel.transmit (transport rules included)
  pyscard transmit       smartcard CardConnection.transmit, the usual pyscard API (the anchor)
  pyscard SCardTransmit  the raw binding under both, the floor
The two connections are open at the same time (shared mode) and the calls alternate, so drift on a busy
machine hits all rows alike.
"""
from __future__ import annotations

import statistics
import time

from tests.fixtures.pcscd import SESSION_RUN_DIR, PrivatePcscStack, StackError  # sets PCSCLITE_CSOCK_NAME first

from drivers import pcsc
from drivers.emulated.testcards import TransportTestCard

ROUNDS = 3000
INSERTIONS = 12
ECHO_16 = bytes.fromhex("8010100000")  # 16 data bytes + 9000 from a T=1 card: one raw exchange
SELECT = bytes.fromhex("00A404000E325041592E5359532E444446303100")


def _median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def _p99_us(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.99)] * 1e6


def round_trips(stack: PrivatePcscStack) -> dict[str, list[float]]:
    from smartcard import scard
    from smartcard.System import readers

    stack.serve(TransportTestCard("T=1"))
    channel = pcsc.wait_for_card(stack.reader(0), 10, exclusive=False)
    bare = next(r for r in readers() if str(r) == stack.reader(0)).createConnection()
    bare.connect()
    handle, pci = bare.component.hcard, scard.SCARD_PCI_T1
    apdu_list = list(ECHO_16)
    samples: dict[str, list[float]] = {"driver transmit": [], "pyscard transmit": [], "pyscard SCardTransmit": []}
    expected = bytes(range(16)) + b"\x90\x00"
    clock = time.perf_counter
    for _ in range(ROUNDS):
        t0 = clock()
        answer = channel.transmit(ECHO_16)
        t1 = clock()
        data, sw1, sw2 = bare.transmit(apdu_list)
        t2 = clock()
        scard.SCardTransmit(handle, pci, apdu_list)
        t3 = clock()
        samples["driver transmit"].append(t1 - t0)
        samples["pyscard transmit"].append(t2 - t1)
        samples["pyscard SCardTransmit"].append(t3 - t2)
    assert answer == expected and bytes(data) + bytes((sw1, sw2)) == expected
    bare.disconnect()
    channel.close()
    stack.remove_all_cards()
    return samples


def insertion_to_select(stack: PrivatePcscStack) -> list[float]:
    server = stack.serve(TransportTestCard("T=1"))
    stack.remove(server)
    latencies = []
    for _ in range(INSERTIONS):
        server.insert()
        with pcsc.wait_for_card(stack.reader(0), 10) as channel:
            channel.transmit(SELECT)
            latencies.append(time.monotonic() - server.last_connected_at)
        stack.remove(server)
    stack.remove_all_cards()
    return latencies


def main() -> None:
    try:
        stack = PrivatePcscStack(SESSION_RUN_DIR).start()
    except StackError as exc:
        print(f"bench_pcsc not run: {exc}")
        return
    try:
        samples = round_trips(stack)
        latencies = insertion_to_select(stack)
    finally:
        stack.stop()
    anchor = _median_us(samples["pyscard transmit"])
    print(f"APDU round trip, driver -> pcscd -> vpcd -> virtual card ({ROUNDS} rounds, 16-byte answer)")
    print(f"{'':24}{'median us':>10}{'p99 us':>10}{'vs pyscard':>12}")
    for name, values in samples.items():
        print(f"{name:24}{_median_us(values):10.1f}{_p99_us(values):10.1f}{_median_us(values) / anchor:11.2f}x")
    print()
    print(f"card insertion -> first SELECT answered ({INSERTIONS} insertions; vpcd polls presence every ~400 ms)")
    print(f"{'median ms':>12}{'min ms':>10}{'max ms':>10}")
    print(f"{statistics.median(latencies) * 1e3:12.1f}{min(latencies) * 1e3:10.1f}{max(latencies) * 1e3:10.1f}")


if __name__ == "__main__":
    main()
