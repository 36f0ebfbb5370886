"""Whole magstripe sales through a real `posterm` process, a real socket and the host simulator."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from pathlib import Path

from terminal.hostsim.rules import Rule
from terminal.iso8583 import decode
from tests.fixtures.disk import fill, small_tmpfs
from tests.fixtures.host import MAC_KEY, POSTERM, host_address, terminal_config


def test_approved_sale_json_result_and_wire(host_sim, posterm):
    r = posterm("sale", "--reader", "emulated-swipe:magstripe", "12.34", "--host", host_address(host_sim), "--json")
    assert r.code == 0, r.err
    res = r.json
    assert {k: res[k] for k in ("outcome", "response_code", "amount", "currency", "masked_pan", "entry_mode",
                                 "stan")} == {
        "outcome": "approved", "response_code": "00", "amount": 1234, "currency": "156",
        "masked_pan": "476173******0010", "entry_mode": "901", "stan": 1}
    assert res["auth_code"] and res["rrn"] and res["message"] == "APPROVED"
    [raw] = host_sim.received
    req = decode(raw, MAC_KEY)
    assert req.mti == "0200" and req.fields[4] == "000000001234" and req.fields[35] == "4761739001010010=301210100000000"
    assert "4761739001010010" not in r.out + r.err  # the full PAN never reaches the output


def test_decline_exit_1_with_the_reason(host_sim, posterm):
    host_sim.rules.append(Rule(amount=5100, code="51"))
    r = posterm("sale", "--reader", "emulated-swipe:magstripe", "51.00", "--host", host_address(host_sim), "--json")
    assert r.code == 1 and r.json["outcome"] == "declined" and r.json["message"] == "DECLINED: insufficient funds"


def test_no_response_reverses_and_exit_3(host_sim, posterm, tmp_path):
    host_sim.rules.append(Rule(mti="0200", silent=True))
    r = posterm("sale", "--reader", "emulated-swipe:magstripe", "7.00", "--config", _config(tmp_path, host_sim), "--json")
    assert r.code == 3 and r.json["outcome"] == "reversed"
    mtis = [decode(m, MAC_KEY).mti for m in host_sim.received]
    assert mtis == ["0200", "0400"]
    rev = decode(host_sim.received[1], MAC_KEY)
    assert rev.fields[39] == "68" and rev.fields[90].startswith("0200000001")
    assert host_sim.ledger.approvals()[0]["reversed"] == 1  # the host's books agree: nothing charged
    shown = posterm("txn", "show", "1")
    assert "reversed, customer not charged (no response within 1 s: outcome unknown)" in shown.out


def _config(tmp_path, host_sim):
    return terminal_config(tmp_path, host_sim)


def test_pending_reversal_goes_before_the_next_sale(host_sim, posterm, tmp_path):
    cfg = _config(tmp_path, host_sim)
    # The sale gets no answer; its first 0400 is lost on the way (the host never sees it).
    host_sim.rules += [Rule(mti="0200", silent=True, times=1), Rule(mti="0400", drop=True, times=1)]
    first = posterm("sale", "--reader", "emulated-swipe:magstripe", "7.00", "--config", cfg, "--json")
    assert first.json["outcome"] == "reversal_pending"
    status = posterm("saf", "status")
    assert "1 entry not yet delivered" in status.out and "reversal of txn 1" in status.out
    second = posterm("sale", "--reader", "emulated-swipe:magstripe", "8.00", "--config", cfg, "--json")
    assert second.json["outcome"] == "approved"
    msgs = [decode(m, MAC_KEY) for m in host_sim.received]
    assert [m.mti for m in msgs] == ["0200", "0400", "0401", "0200"]  # the repeat goes first, then the new sale
    assert msgs[1].fields[11] == msgs[2].fields[11]  # a repeat keeps its STAN
    assert posterm("saf", "status").out.startswith("0 entries")


def test_undeliverable_reversal_blocks_the_next_sale(host_sim, posterm, tmp_path):
    cfg = _config(tmp_path, host_sim)
    host_sim.rules += [Rule(mti="0200", silent=True, times=1), Rule(mti="0400", drop=True),
                       Rule(mti="0401", drop=True)]
    posterm("sale", "--reader", "emulated-swipe:magstripe", "7.00", "--config", cfg)
    second = posterm("sale", "--reader", "emulated-swipe:magstripe", "8.00", "--config", cfg, "--json")
    assert second.code == 3 and second.json["outcome"] == "not_sent"
    # the operator line names the reversal that holds everything up, by the STAN of the sale it reverses
    assert second.json["message"] == "NOT SENT: reversal of STAN 000001 still waiting for the host"
    # a chip card in the same situation: the same outcome word, exit code and line (the chip declines Z3)
    chip = posterm("sale", "9.00", "--config", cfg, "--reader", "emulated:visa", "--json")
    assert (chip.code, chip.json["outcome"], chip.json["message"]) == (3, "not_sent", second.json["message"])
    mtis = [decode(m, MAC_KEY).mti for m in host_sim.received]
    assert mtis[:3] == ["0200", "0400", "0401"] and "0200" not in mtis[1:]  # no second 0200, ever


def test_journal_row_committed_before_the_request_leaves(host_sim, posterm):
    """While the host holds the response, a second SQLite connection already sees the row, STAN and all."""
    host_sim.rules.append(Rule(mti="0200", delay_s=3.0))
    data = posterm.data_dir
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.Popen(POSTERM + ["sale", "--reader", "emulated-swipe:magstripe", "3.00", "--host", host_address(host_sim), "--data-dir", str(data),
                                       "--json"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 30
        while not host_sim.received and time.monotonic() < deadline:
            time.sleep(0.02)
        assert host_sim.received, "the request never reached the host"
        db = sqlite3.connect(data / "journal.sqlite3")
        rows = db.execute("SELECT stan, state, amount, masked_pan FROM txn").fetchall()
        assert rows == [(1, "sending", 300, "476173******0010")]
        db.close()
    finally:
        out, _ = proc.communicate(timeout=60)
    assert '"outcome": "approved"' in out


def test_posterm_run_keyed_sale_approved_with_receipt(host_sim, posterm):
    """The long-running terminal: amount keyed (1,2,3 -> 1.23), confirmed, sold online, receipt shown."""
    r = posterm("run", "--reader", "emulated-swipe:magstripe", "--keys", "1,2,3,ENTER,ENTER", "--host", host_address(host_sim))
    assert r.code == 0, r.err
    assert "APPROVED" in r.out and "CNY 1.23" in r.out and "476173******0010" in r.out
    [raw] = host_sim.received
    assert decode(raw, MAC_KEY).fields[4] == "000000000123"


def test_sale_amount_keyed_from_a_script(host_sim, posterm):
    r = posterm("sale", "--reader", "emulated-swipe:magstripe", "--keys", "4,CLEAR,5,0,ENTER,ENTER", "--host", host_address(host_sim), "--json")
    assert r.code == 0 and r.json["amount"] == 50
    bad = posterm("sale", "--reader", "emulated-swipe:magstripe", "--keys", "5,ENTRE", "--host", host_address(host_sim))
    assert bad.code == 2 and "'ENTRE' is not a key" in bad.err
    short = posterm("sale", "--reader", "emulated-swipe:magstripe", "--keys", "5,ENTER", "--host", host_address(host_sim))
    assert short.code == 2 and "script ended before the amount was confirmed" in short.err


def test_void_and_settle_commands(host_sim, posterm):
    addr = host_address(host_sim)
    assert posterm("sale", "--reader", "emulated-swipe:magstripe", "10.00", "--host", addr).code == 0
    assert posterm("sale", "--reader", "emulated-swipe:magstripe", "2.50", "--host", addr).code == 0
    v = posterm("void", "2", "--host", addr, "--json")
    assert v.code == 0 and v.json["voids"] == 2 and v.json["outcome"] == "approved"
    again = posterm("void", "2", "--host", addr)
    assert again.code == 2 and "in state voided" in again.err
    s = posterm("settle", "--host", addr, "--json")
    assert s.code == 0 and s.json["outcome"] == "closed"
    assert (s.json["debits_count"], s.json["debits_amount"]) == (1, 1000)
    shown = posterm("txn", "show", "1")
    assert "approved and settled in batch 000001 on " in shown.out


def test_posterm_run_chip_sale(host_sim, posterm):
    # the UnionPay-like card offers debit and credit: the operator takes the first with one more ENTER
    r = posterm("run", "--keys", "5,0,0,ENTER,ENTER,ENTER", "--reader", "emulated:unionpay", "--host",
                host_address(host_sim))
    assert r.code == 0, r.err
    assert "APPROVED" in r.out and "CNY 5.00" in r.out and "ENTRY MODE              INSERTED" in r.out
    assert "AID             A000000333010101" in r.out and "APP LABEL         UnionPay Debit" in r.out
    [raw] = host_sim.received
    req = decode(raw, MAC_KEY)
    assert req.fields[22] == "051" and 55 in req.fields and 52 in req.fields  # online PIN block for UnionPay


def test_posterm_run_takes_its_readers_in_turn_and_ends_with_its_script(host_sim, posterm):
    """One process, chip then swipe then tap then chip: each sale the same core; the next sale's first digit
    (held while the previous sale is in flight) dismisses its result; the end of the script ends the run."""
    # four amounts: the visa chip and the magstripe card share a PAN, and the same card for the same amount
    # again within [risk] duplicate_window_s would be the duplicate-charge guard's case (tests/e2e/test_risk.py)
    keys = ",".join(f"1,2,{d},ENTER,ENTER" for d in "3456")
    r = posterm("run", "--keys", keys, "--reader", "emulated:visa", "--reader",
                "emulated-swipe:magstripe", "--reader", "emulated:contactless", "--host", host_address(host_sim),
                timeout=30)
    assert r.code == 0, r.err
    entries = [decode(raw, MAC_KEY).fields[22] for raw in host_sim.received]
    assert entries == ["051", "901", "071", "051"]
    listed = posterm("txn", "list")
    assert listed.out.count("approved, settles with batch 000001") == 4


def test_chip_sale_command_json(host_sim, posterm):
    r = posterm("sale", "12.34", "--reader", "emulated:mastercard", "--host", host_address(host_sim), "--json")
    assert r.code == 0 and r.json["outcome"] == "approved" and r.json["entry_mode"] == "051"
    assert r.json["masked_pan"].startswith("541333") and r.json["cvm"] == "enciphered_offline_pin"
    bad = posterm("sale", "12.34", "--reader", "emulated:bad-tlv", "--host", host_address(host_sim), "--json")
    assert bad.code == 4 and bad.json["message"].startswith("CARD ERROR: READ RECORD 2.1: bad TLV")
    wrong_pin = posterm("sale", "1.00", "--reader", "emulated:visa", "--pin", "9999", "--host",
                        host_address(host_sim), "--json")
    # offline PIN refused by the card, then online PIN per the card's CVM list; the issuer checks it: 55
    assert wrong_pin.json["cvm"] == "online_pin" and int(wrong_pin.json["tvr"][4:6], 16) & 0x04
    assert wrong_pin.code == 1 and wrong_pin.json["response_code"] == "55"
    assert wrong_pin.json["message"] == "DECLINED: incorrect PIN, try again"
    assert "9999" not in wrong_pin.out + wrong_pin.err


def test_chip_failure_then_fallback_swipe_of_the_same_card(host_sim, posterm):
    """A chip that cannot be read (malformed data) opens one technical fallback for that card: its swipe then
    goes online with entry mode 801; a second fallback the same day is refused."""
    addr = host_address(host_sim)
    swipe_first = posterm("sale", "2.00", "--reader", "emulated-swipe:bad-tlv", "--host", addr, "--json")
    assert swipe_first.code == 4 and swipe_first.json["message"] == "INSERT CARD"
    chip = posterm("sale", "2.00", "--reader", "emulated:bad-tlv", "--host", addr, "--json")
    assert chip.code == 4 and chip.json["message"].startswith("CARD ERROR")
    fallback = posterm("sale", "2.00", "--reader", "emulated-swipe:bad-tlv", "--host", addr, "--json")
    assert fallback.code == 0 and fallback.json["entry_mode"] == "801"
    assert decode(host_sim.received[-1], MAC_KEY).fields[22] == "801"
    again = posterm("sale", "2.00", "--reader", "emulated-swipe:bad-tlv", "--host", addr, "--json")
    assert again.code == 4 and again.json["message"] == "INSERT CARD"  # the failure was used up


def test_full_disk_refuses_the_sale_before_anything_is_sent(host_sim, posterm, tmp_path):
    """A real full file system (a 768 KiB tmpfs, filled): the write-ahead commit fails, so the request never
    leaves; the operator sees why, in one line."""
    with small_tmpfs(tmp_path / "small", "768k") as mnt:
        first = posterm("sale", "--reader", "emulated-swipe:magstripe", "1.00", "--host", host_address(host_sim), data=mnt)  # creates the journal
        assert first.code == 0
        fill(mnt)
        r = posterm("sale", "--reader", "emulated-swipe:magstripe", "2.00", "--host", host_address(host_sim), data=mnt)
        assert r.code == 3 and "journal" in r.err and "(the disk is full: " in r.err and r.err.count("\n") == 1
        assert len(host_sim.received) == 1  # only the first sale ever reached the host

def test_wrong_mac_key_at_the_terminal_charges_nothing(host_sim, posterm, tmp_path):
    """A terminal loaded with the wrong MAC key: the host acts on nothing (63), and the terminal cannot trust
    the host's 63 either (it is MACed with the right key), so it treats it as no response and keeps the
    reversal pending: nothing is charged, and it says so."""
    cfg = tmp_path / "wrongkey.toml"
    cfg.write_text(f'[terminal]\nid = "TERM0001"\nmerchant_id = "MERCHANT0000001"\ncurrency = "156"\n'
                   f'[host]\naddress = "{host_address(host_sim)}"\n'
                   f'[keys]\nmac_key = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"\n')
    cfg.chmod(0o600)  # it holds [keys]: posterm refuses it readable by others
    r = posterm("sale", "--reader", "emulated-swipe:magstripe", "1.00", "--config", str(cfg), "--json")
    assert r.code == 3 and r.json["outcome"] == "reversal_pending"
    assert host_sim.ledger.approvals() == []
    assert [(mti, code) for mti, _, code in host_sim.ledger.messages()] == [("0200", "63"), ("0400", "63")]


def test_host_answering_63_flags_the_key_set(host_sim, posterm):
    host_sim.rules.append(Rule(mti="0200", code="63"))
    r = posterm("sale", "--reader", "emulated-swipe:magstripe", "1.00", "--host", host_address(host_sim), "--json")
    assert r.code == 1 and r.json["message"] == "DECLINED: security error, call support"
    listing = posterm("txn", "list")
    assert listing.out.startswith("ATTENTION: ") and "host answered 63 (security violation) to STAN 000001" in listing.out
    assert posterm("txn", "ack-alert").out.startswith("cleared: ")
    assert not posterm("txn", "list").out.startswith("ATTENTION")


def test_status_tells_the_merchant_what_settles_and_what_waits(host_sim, posterm, tmp_path):
    addr = host_address(host_sim)
    empty = posterm("status")
    assert empty.code == 0 and "batch 000001 is empty: nothing to settle" in empty.out
    posterm("sale", "--reader", "emulated-swipe:magstripe", "10.00", "--host", addr)
    posterm("refund", "--reader", "emulated-swipe:magstripe", "2.50", "--host", addr)
    host_sim.rules += [Rule(mti="0200", silent=True, times=1), Rule(mti="0400", drop=True)]
    posterm("sale", "--reader", "emulated-swipe:magstripe", "3.00", "--config", _config(tmp_path, host_sim))
    s = posterm("status", "--json")
    assert s.code == 0 and (s.json["debits"], s.json["credits"]) == ([1, 1000], [1, 250])
    assert s.json["reversals_pending"] == 1
    text = posterm("status").out
    assert "1 sale(s) CNY 10.00, 1 refund(s) CNY 2.50 settle when you run `posterm settle`" in text
    assert "1 message(s) waiting for the host (1 reversal(s), 0 advice(s))" in text
