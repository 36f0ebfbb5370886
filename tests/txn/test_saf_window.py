"""The pipelined store-and-forward window against the real host simulator through the fault proxy: answers
matched by terminal id and STAN in whatever order the host sends them, the ordering rules kept, a lost answer
repeated as 0401 with the same STAN. The proxy's log is the wire: it shows what was outstanding when."""
from __future__ import annotations

from dataclasses import replace

from terminal.config import Config
from terminal.hostsim.faultproxy import Fault
from terminal.iso8583 import decode
from terminal.link.client import Endpoint, HostLink
from terminal.store import Journal
from terminal.txn.engine import Engine
from terminal.txn.records import CardInput
from tests.fixtures.agreement import disagreements
from tests.fixtures.faultproxy import TEST_MAC_KEY

SWIPE = CardInput(entry_mode="901", masked_pan="476173******0119", track2="4761739001010119=31121010000000000")
CHIP = CardInput(entry_mode="051", masked_pan="476173******0010", pan="4761739001010010", expiry="3112", psn="01",
                 icc=bytes.fromhex("9F2608A1B2C3D4E5F607189F270140"))


class AnswerOrder(HostLink):
    """The real link, noting the STAN of every answer in the order it arrived."""

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(endpoint)
        self.answers: list[str] = []

    def receive_any(self, timeout_s: float) -> list[bytes]:
        frames = super().receive_any(timeout_s)
        self.answers += [str(decode(f, TEST_MAC_KEY).fields[11]) for f in frames]
        return frames


def engine(fault_proxy, tmp_path, window=8) -> Engine:
    cfg = Config()
    cfg = replace(cfg, host=replace(cfg.host, address=fault_proxy.address, timeout_s=0.5),
                  saf=replace(cfg.saf, window=window))
    return Engine(cfg, Journal(tmp_path / "j.sqlite3"), AnswerOrder(Endpoint.parse(fault_proxy.address)))


def reversals_of(e: Engine, n: int) -> list:
    rows = [e.authorise("purchase", 100 + i, SWIPE)[0] for i in range(n)]
    for row in rows:
        e.journal.queue(row.id, "reversal", "17", "reversal_pending", "test: cancelled")
    return rows


def wire(proxy, direction: str) -> list[tuple[str, str]]:
    return [(ev.mti, ev.stan) for ev in proxy.events() if ev.direction == direction and ev.action == "forward"]


def test_eight_reversals_outstanding_at_once_answered_newest_first_are_all_matched(fault_proxy, tmp_path):
    fault_proxy.host.out_of_order = True
    e = engine(fault_proxy, tmp_path)
    rows = reversals_of(e, 8)
    fault_proxy.proxy.clear_faults()
    events_before = len(fault_proxy.proxy.events())
    report = e.drain_saf(force=True)
    assert (report.delivered, report.pending) == (8, 0)
    log = [ev for ev in fault_proxy.proxy.events()[events_before:] if ev.action == "forward"]
    first_answer = next(i for i, ev in enumerate(log) if ev.direction == "response")
    assert [ev.mti for ev in log[:first_answer]] == ["0400"] * 8        # all eight left before any answer
    sent = [ev.stan for ev in log[:first_answer]]
    assert e.link.answers[-8:] == sent[::-1]                           # and came back newest first
    assert all(e.journal.txn(r.id).state == "reversed" for r in rows)
    assert disagreements(e.journal, fault_proxy.host.ledger) == []


def test_an_answer_lost_inside_the_window_is_repeated_as_0401_with_the_same_stan(fault_proxy, tmp_path):
    e = engine(fault_proxy, tmp_path)
    rows = reversals_of(e, 6)
    fault_proxy.proxy.add(Fault("drop", "response", mti="04", nth=3))
    report = e.drain_saf(force=True)
    assert (report.delivered, report.pending) == (6, 0)
    requests = [(decode(m, TEST_MAC_KEY).mti, str(decode(m, TEST_MAC_KEY).fields[11]))
                for m in fault_proxy.host.received if decode(m, TEST_MAC_KEY).mti.startswith("04")]
    firsts = [stan for mti, stan in requests if mti == "0400"]
    assert len(firsts) == 6 and [r for r in requests if r[0] == "0401"] == [("0401", firsts[2])]
    assert all(e.journal.txn(r.id).state == "reversed" for r in rows)
    assert disagreements(e.journal, fault_proxy.host.ledger) == []


def test_advices_leave_only_after_every_reversal_is_answered(fault_proxy, tmp_path):
    fault_proxy.host.out_of_order = True
    e = engine(fault_proxy, tmp_path)
    reversals_of(e, 3)
    for i in range(2):
        e.approve_offline("purchase", 300 + i, CHIP, "Y1")
    before = len(fault_proxy.proxy.events())
    assert e.drain_saf(force=True).delivered == 5
    log = [(ev.direction, ev.mti) for ev in fault_proxy.proxy.events()[before:] if ev.action == "forward"]
    last_0410 = max(i for i, (d, m) in enumerate(log) if m == "0410")
    first_0220 = min(i for i, (d, m) in enumerate(log) if m == "0220")
    assert last_0410 < first_0220, log
    assert [m for d, m in log if d == "request"] == ["0400"] * 3 + ["0220"] * 2


def test_a_reversal_waits_while_one_of_its_related_transaction_is_outstanding(fault_proxy, tmp_path):
    e = engine(fault_proxy, tmp_path)
    sale, _ = e.authorise("purchase", 500, SWIPE)
    refund, _ = e.authorise("refund", 200, SWIPE, original=sale)
    other, _ = e.authorise("purchase", 700, SWIPE)
    assert refund.original_id == sale.id
    for row in (refund, sale, other):   # the refund's reversal, then its original's, then an unrelated one
        e.journal.queue(row.id, "reversal", "17", "reversal_pending", "test: cancelled")
    before = len(fault_proxy.proxy.events())
    assert e.drain_saf(force=True).delivered == 3
    log = [(ev.direction, ev.mti) for ev in fault_proxy.proxy.events()[before:] if ev.action == "forward"]
    # the refund's reversal is answered before its original's leaves
    assert log[:2] == [("request", "0400"), ("response", "0410")], log
    assert disagreements(e.journal, fault_proxy.host.ledger) == []


def test_window_1_is_the_serial_drain_one_request_in_flight(fault_proxy, tmp_path):
    e = engine(fault_proxy, tmp_path, window=1)
    reversals_of(e, 3)
    before = len(fault_proxy.proxy.events())
    assert e.drain_saf(force=True).delivered == 3
    log = [ev.direction for ev in fault_proxy.proxy.events()[before:] if ev.action == "forward"]
    assert log == ["request", "response"] * 3 and e.link.answers == []   # never a window receive


def test_a_window_that_gets_no_answer_at_all_leaves_everything_pending_and_drops_the_connection(fault_proxy,
                                                                                                 tmp_path):
    e = engine(fault_proxy, tmp_path)
    rows = reversals_of(e, 4)
    e.link.close()
    fault_proxy.proxy.blackhole(0.8)      # a connection made now never gets an upstream: silent for good
    report = e.drain_saf(force=True)
    assert (report.delivered, report.pending, report.reversals_pending) == (0, 4, 4)
    assert all(e.journal.txn(r.id).state == "reversal_pending" for r in rows)
    fault_proxy.proxy.wait_for("heal", timeout_s=3)
    assert e.drain_saf(force=True).delivered == 4   # on a new connection, as repeats (0401, same STANs)
    repeats = [decode(m, TEST_MAC_KEY) for m in fault_proxy.host.received]
    assert [m.mti for m in repeats if m.mti.startswith("04")] == ["0401"] * 4
    assert disagreements(e.journal, fault_proxy.host.ledger) == []


def test_posterm_host_sim_out_of_order_answers_a_window_newest_first(tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    proc = subprocess.Popen([sys.executable, "-m", "terminal.cli.main", "host-sim", "--port", "0", "--out-of-order"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    try:
        address = proc.stdout.readline().rsplit(" ", 1)[1].strip()
        cfg = Config()
        cfg = replace(cfg, host=replace(cfg.host, address=address, timeout_s=2.0))
        e = Engine(cfg, Journal(tmp_path / "j.sqlite3"), AnswerOrder(Endpoint.parse(address)))
        rows = reversals_of(e, 5)
        e.link.answers.clear()
        assert e.drain_saf(force=True).delivered == 5
        assert e.link.answers == [f"{row.stan + 5:06d}" for row in reversed(rows)]  # the reversals' own STANs
    finally:
        proc.terminate()
        proc.wait(10)
