"""Risk controls (风控) through real `posterm sale` / `posterm refund` processes, a real socket and the host
simulator, the real journal file: the duplicate-charge guard, an in-doubt first attempt, the exception file
(swipe and chip), velocity, the amount alert with the supervisor's PIN, the day's refunds and split sales.

Keys go through `--keys` with the terminal's keypad rules: a key the screen would ignore waits until the
screen where it matters (ENTER typed early is the answer to 'charge again?'; PIN digits wait for the PIN
screen)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from terminal.hostsim.rules import Rule
from terminal.iso8583 import decode
from terminal.risk.supervisor import hash_pin
from tests.fixtures.host import MAC_KEY, terminal_config

SWIPE = ("--reader", "emulated-swipe:magstripe")
PAN = "4761739001010010"     # the magstripe profile's card (and the visa chip profile's)


def _config(tmp_path, host_sim, risk: str = "", **kw) -> str:
    path = Path(terminal_config(tmp_path, host_sim, **kw))
    if risk:
        path.write_text(path.read_text() + "[risk]\n" + risk)
    return str(path)


def _journal(posterm) -> sqlite3.Connection:
    conn = sqlite3.connect(posterm.data_dir / "journal.sqlite3")
    conn.row_factory = sqlite3.Row
    return conn


def _mtis(host_sim) -> list[str]:
    return [decode(m, MAC_KEY).mti for m in host_sim.received]


# ---- the duplicate-charge guard ------------------------------------------------------------------------------
def test_a_second_swipe_of_the_same_card_and_amount_is_caught_and_defaults_to_no(host_sim, posterm, tmp_path):
    cfg = _config(tmp_path, host_sim)
    first = posterm("sale", "12.34", *SWIPE, "--config", cfg, "--json")
    assert first.code == 0 and first.json["outcome"] == "approved"
    again = posterm("sale", "12.34", *SWIPE, "--config", cfg, "--json")       # nobody at the keypad: no
    assert again.code == 1 and again.json["outcome"] == "declined"
    assert again.json["message"] == "NOT CHARGED AGAIN: same card, same amount already approved"
    keyed_no = posterm("sale", "12.34", *SWIPE, "--keys", "CLEAR", "--config", cfg, "--json")  # any key but ENTER
    assert keyed_no.code == 1 and keyed_no.json["outcome"] == "declined"
    assert _mtis(host_sim) == ["0200"]                        # neither refusal sent anything
    other = posterm("sale", "12.35", *SWIPE, "--config", cfg, "--json")        # another amount: no question
    assert other.code == 0
    rows = _journal(posterm).execute("SELECT rule, decision, stan, text FROM alert ORDER BY id").fetchall()
    assert [tuple(r)[:2] for r in rows] == [("duplicate_charge", "refused by the operator")] * 2
    assert rows[0]["text"].startswith("same card and amount approved at ") and "as STAN 000001" in rows[0]["text"]


def test_yes_charges_again_and_the_confirmation_is_journaled_with_the_sale(host_sim, posterm, tmp_path):
    cfg = _config(tmp_path, host_sim)
    assert posterm("sale", "12.34", *SWIPE, "--config", cfg).code == 0
    yes = posterm("sale", "12.34", *SWIPE, "--keys", "ENTER", "--config", cfg, "--json")
    assert yes.code == 0 and yes.json["outcome"] == "approved", yes.err
    assert _mtis(host_sim) == ["0200", "0200"]
    j = _journal(posterm)
    [alert] = j.execute("SELECT * FROM alert").fetchall()
    assert (alert["rule"], alert["decision"], alert["txn_id"]) == ("duplicate_charge", "confirmed by the operator",
                                                                  yes.json["id"])
    # the confirmation rode in the write-ahead commit: the row and its alert have one timestamp
    assert j.execute("SELECT created_at FROM txn WHERE id=?", (yes.json["id"],)).fetchone()[0] == alert["at"]


def test_the_guard_works_the_same_for_chip_and_tap(host_sim, posterm, tmp_path):
    cfg = _config(tmp_path, host_sim)
    for reader, pin in (("emulated:unionpay", "123456"), ("emulated:contactless", "1234")):
        assert posterm("sale", "7.00", "--reader", reader, "--pin", pin, "--config", cfg).code == 0
        again = posterm("sale", "7.00", "--reader", reader, "--pin", pin, "--config", cfg, "--json")
        assert again.code == 1 and again.json["message"].startswith("NOT CHARGED AGAIN"), again.out
    assert _mtis(host_sim) == ["0200", "0200"]


def test_an_in_doubt_first_attempt_is_named_not_offered_again(host_sim, posterm, tmp_path):
    """The first 0200 gets no answer and its reversal cannot be delivered: that sale is in doubt (the
    customer may or may not be charged). The same card and amount again is not offered a second charge."""
    host_sim.rules += [Rule(mti="0200", silent=True, times=1), Rule(mti="0400", drop=True)]
    cfg = _config(tmp_path, host_sim)
    first = posterm("sale", "12.34", *SWIPE, "--config", cfg, "--json")
    assert first.json["outcome"] == "reversal_pending", first.out
    again = posterm("sale", "12.34", *SWIPE, "--keys", "ENTER", "--config", cfg, "--json")
    assert again.code == 3 and again.json["outcome"] == "not_sent"
    assert again.json["message"] == f"NOT SENT: first attempt STAN {first.json['stan']:06d} in doubt, reversal pending"
    assert "0200" not in _mtis(host_sim)[1:]                 # only the first 0200 (and its 0400 tries) went out
    [alert] = _journal(posterm).execute("SELECT rule, decision FROM alert").fetchall()
    assert tuple(alert) == ("duplicate_charge", "in_doubt")


# ---- the exception file ---------------------------------------------------------------------------------------
def test_a_hot_card_is_declined_before_anything_is_sent(host_sim, posterm, tmp_path):
    cfg = _config(tmp_path, host_sim, 'exception_prefixes = ["476173"]\n')
    r = posterm("sale", "12.34", *SWIPE, "--config", cfg, "--json")
    assert r.code == 1 and r.json["outcome"] == "declined" and r.json["message"] == "DECLINED: card on exception file"
    assert host_sim.connections == 0 and host_sim.received == []          # not even a connection
    row = _journal(posterm).execute("SELECT state, reason FROM txn_event").fetchone()
    assert row["state"] == "declined" and "exception file (PAN prefix 476173)" in row["reason"]


def test_a_hot_card_by_keyed_hash_and_a_chip_on_the_exception_file_sets_tvr(host_sim, posterm, tmp_path):
    hashed = posterm("config", "card-hash", "--config", _config(tmp_path, host_sim, name="plain.toml"),
                     input_text=PAN + "\n").out.strip()
    cfg = _config(tmp_path, host_sim, f'exception_hashes = ["{hashed}"]\n')
    swipe = posterm("sale", "5.00", *SWIPE, "--config", cfg, "--json")
    assert swipe.code == 1 and swipe.json["message"] == "DECLINED: card on exception file"
    chip = posterm("sale", "5.00", "--reader", "emulated:visa", "--config", cfg, "--json")
    # terminal risk management set TVR byte 1 bit 5 before the first GENERATE AC; this card's action codes still
    # asked to go online, and the terminal declined before sending
    assert chip.code == 1 and chip.json["message"] == "DECLINED: card on exception file", chip.out
    assert int(chip.json["tvr"][:2], 16) & 0x10
    assert host_sim.connections == 0
    reason = _journal(posterm).execute("SELECT reason FROM txn_event WHERE txn_id=2").fetchone()[0]
    assert "TVR: card appears on terminal exception file" in reason and "keyed hash" in reason


# ---- velocity, amount alert with the supervisor, refunds, split sales -----------------------------------------
def test_velocity_declines_the_third_sale_of_a_card_in_the_window(host_sim, posterm, tmp_path):
    cfg = _config(tmp_path, host_sim, "velocity_count = 2\nvelocity_window_min = 10\n")
    assert [posterm("sale", a, *SWIPE, "--config", cfg).code for a in ("1.00", "2.00")] == [0, 0]
    third = posterm("sale", "3.00", *SWIPE, "--config", cfg, "--json")
    assert third.code == 1 and third.json["message"] == "DECLINED: card used too often"
    assert len(host_sim.received) == 2
    [alert] = _journal(posterm).execute("SELECT rule, decision, text FROM alert").fetchall()
    assert tuple(alert) == ("velocity", "declined", "2 sales of this card in the last 10 min (at most 2)")


def test_an_amount_above_the_alert_level_asks_the_supervisor_pin(host_sim, posterm, tmp_path):
    cfg = _config(tmp_path, host_sim, f'amount_alert = 10000\nsupervisor_pin_hash = "{hash_pin("958371")}"\n')
    wrong = posterm("sale", "150.00", *SWIPE, "--keys", "1,1,1,1,ENTER", "--config", cfg, "--json")
    assert wrong.code == 1 and wrong.json["message"] == "DECLINED: amount above alert level"
    right = posterm("sale", "150.00", *SWIPE, "--keys", "9,5,8,3,7,1,ENTER", "--config", cfg, "--json")
    assert right.code == 0 and right.json["outcome"] == "approved", right.out
    assert posterm("sale", "99.00", *SWIPE, "--config", cfg).code == 0   # under the level: nobody asked
    j = _journal(posterm)
    assert [tuple(r) for r in j.execute("SELECT rule, decision FROM alert ORDER BY id")] == [
        ("amount_alert", "refused by the supervisor"), ("amount_alert", "confirmed by the supervisor")]
    assert len(host_sim.received) == 2
    blob = (posterm.data_dir / "journal.sqlite3").read_bytes() + (posterm.data_dir / "journal.sqlite3-wal").read_bytes()
    assert b"958371" not in blob                              # the supervisor's PIN is nowhere in the journal


def test_supervisor_rules_need_a_supervisor_pin_hash(host_sim, posterm, tmp_path):
    r = posterm("sale", "1.00", *SWIPE, "--config", _config(tmp_path, host_sim, "amount_alert = 100\n"))
    assert r.code == 2 and r.err.count("\n") == 1
    assert "[risk] amount_action = \"supervisor\" needs supervisor_pin_hash" in r.err
    assert host_sim.received == []


def test_refunds_above_the_daily_total_are_declined(host_sim, posterm, tmp_path):
    cfg = _config(tmp_path, host_sim, 'refund_daily_limit = 5000\nrefund_action = "decline"\n')
    assert posterm("refund", "30.00", *SWIPE, "--config", cfg).code == 0
    over = posterm("refund", "25.00", *SWIPE, "--config", cfg, "--json")
    assert over.code == 1 and over.json["message"] == "DECLINED: refunds above daily total"
    assert len(host_sim.received) == 1


def test_split_sales_under_the_floor_limit_are_summed(host_sim, posterm, tmp_path):
    cfg = _config(tmp_path, host_sim, 'split_window_min = 30\nsplit_floor_limit = 5000\nsplit_action = "decline"\n')
    assert posterm("sale", "30.00", *SWIPE, "--config", cfg).code == 0
    split = posterm("sale", "25.00", *SWIPE, "--config", cfg, "--json")
    assert split.code == 1 and split.json["message"] == "DECLINED: possible split sale"
    [alert] = _journal(posterm).execute("SELECT rule, text FROM alert").fetchall()
    assert alert["rule"] == "split_sale" and "total 5500, above the floor limit 5000" in alert["text"]
    assert posterm("sale", "60.00", *SWIPE, "--config", cfg).code == 0   # above the limit alone: not a split
    assert len(host_sim.received) == 2


# ---- alerts (风险预警): journal, alert log, status, posterm alerts ------------------------------------------------
def test_alerts_reach_the_alert_log_status_and_posterm_alerts_and_an_ack_is_journaled(host_sim, posterm, tmp_path):
    import json
    log = tmp_path / "alerts.jsonl"
    cfg = _config(tmp_path, host_sim, f'alert_log = "{log}"\n')
    assert posterm("sale", "12.34", *SWIPE, "--config", cfg).code == 0
    assert not log.exists()                                   # an ordinary sale raises no alert
    assert posterm("sale", "12.34", *SWIPE, "--config", cfg).code == 1
    host_sim.rules.append(Rule(mti="0200", code="63"))        # the host refuses our MAC: a key alert
    assert posterm("sale", "3.00", *SWIPE, "--config", cfg).code == 1
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert [(x["id"], x["kind"], x["rule"], x["decision"]) for x in lines] == [
        (1, "risk", "duplicate_charge", "refused by the operator"), (2, "key", "", "")]
    assert lines[0]["terminal"] == "TERM0001" and lines[0]["stan"] == 2 and "as STAN 000001" in lines[0]["text"]
    status = posterm("status", "--config", cfg)
    assert "2 alert(s) not yet acknowledged (`posterm alerts`), the newest:" in status.out
    assert "risk duplicate_charge (refused by the operator) STAN 000002" in status.out
    listed = posterm("alerts", "--config", cfg, "--json")
    assert [a["id"] for a in listed.json["alerts"]] == [2, 1]
    acked = posterm("alerts", "ack", "1", "--config", cfg, "--json")
    assert acked.code == 0 and acked.json["acknowledged"]["acked_at"]
    assert [a["id"] for a in posterm("alerts", "--config", cfg, "--json").json["alerts"]] == [2]
    assert posterm("status", "--config", cfg, "--json").json["alerts_open"] == 1
    row = _journal(posterm).execute("SELECT acked_at, acked_by FROM alert WHERE id=1").fetchone()
    assert row["acked_at"] and row["acked_by"] == "operator"      # the acknowledgement is in the journal
    unknown = posterm("alerts", "ack", "99", "--config", cfg)
    assert unknown.code == 2 and "no alert 99" in unknown.err and unknown.err.count("\n") == 1


def test_a_reversal_given_up_becomes_a_needs_attention_alert(host_sim, posterm, tmp_path):
    host_sim.rules += [Rule(mti="0200", silent=True), Rule(mti="0400", drop=True)]
    log = tmp_path / "alerts.jsonl"
    cfg = _config(tmp_path, host_sim, f'alert_log = "{log}"\n')
    Path(cfg).write_text(Path(cfg).read_text() + "[saf]\nmax_attempts = 1\n")
    posterm("sale", "12.34", *SWIPE, "--config", cfg)
    posterm("saf", "flush", "--config", cfg)
    kinds = [__import__("json").loads(x)["kind"] for x in log.read_text().splitlines()]
    assert "needs_attention" in kinds, log.read_text()


def test_neither_the_journal_nor_the_alert_log_holds_the_pan(host_sim, posterm, tmp_path):
    """After swipes, a chip sale, a duplicate refused and confirmed, a hot card: the full PAN appears nowhere in
    the data dir's files (journal, its WAL, identity) or the alert log, as text or as packed BCD."""
    log = tmp_path / "alerts.jsonl"
    cfg = _config(tmp_path, host_sim, f'alert_log = "{log}"\nvelocity_count = 5\n')
    assert posterm("sale", "12.34", *SWIPE, "--config", cfg).code == 0
    assert posterm("sale", "12.34", *SWIPE, "--config", cfg).code == 1
    assert posterm("sale", "12.34", *SWIPE, "--keys", "ENTER", "--config", cfg).code == 0
    assert posterm("sale", "5.00", "--reader", "emulated:visa", "--config", cfg).code == 0
    hot = _config(tmp_path, host_sim, f'alert_log = "{log}"\nexception_prefixes = ["4761"]\n', name="hot.toml")
    assert posterm("sale", "6.00", *SWIPE, "--config", hot).code == 1
    assert len(log.read_text().splitlines()) == 3
    files = [p for p in posterm.data_dir.rglob("*") if p.is_file()] + [log]
    assert any(p.name == "journal.sqlite3" for p in files)
    ascii_pan, bcd_pan = PAN.encode(), bytes.fromhex(PAN)
    for p in files:
        blob = p.read_bytes()
        assert ascii_pan not in blob and bcd_pan not in blob, p
        assert PAN.encode().hex().encode() not in blob.lower(), p      # nor its ASCII in hex digits
    assert _journal(posterm).execute("SELECT COUNT(*) FROM risk_card").fetchone()[0] == 5


def test_the_exception_file_can_come_in_a_signed_parameter_bundle(host_sim, posterm, tmp_path):
    from tests.e2e.test_fw_bundle import Tms, _with_kbpk
    cfg = _with_kbpk(_config(tmp_path, host_sim))
    tms = Tms(posterm, tmp_path)
    applied = posterm("fw", "bundle", "apply", tms.bundle(1, '[risk]\nexception_prefixes = ["476173"]\n'),
                      "--trust", tms.pub, "--config", cfg)
    assert applied.code == 0, applied.err
    r = posterm("sale", "12.34", *SWIPE, "--config", cfg, "--json")
    assert r.code == 1 and r.json["message"] == "DECLINED: card on exception file" and host_sim.connections == 0
    (tmp_path / "p2.toml").write_text(f'[risk]\nhash_key = "{"ab" * 32}"\n')   # a key in the clear: refused
    refused = posterm("fw", "bundle", "build", str(tmp_path / "p2.toml"), "--sign-key", str(tmp_path / "tms.key"),
                      "--version", "2", "-o", str(tmp_path / "b2"))
    assert refused.code == 2 and "[risk] hash_key is not a key a bundle can set" in refused.err


def test_the_refusal_is_in_the_operators_language(host_sim, posterm, tmp_path):
    cfg = _config(tmp_path, host_sim)
    assert posterm("sale", "12.34", *SWIPE, "--config", cfg).code == 0
    again = posterm("sale", "12.34", *SWIPE, "--config", cfg, "--lang", "zh-CN")
    assert again.code == 1 and "未重复扣款：同卡同金额交易已成功" in again.out


def test_a_journal_fault_goes_to_the_alert_log(host_sim, posterm, tmp_path):
    """A real full file system (a 768 KiB tmpfs, filled) under the journal, the alert log elsewhere: the journal
    that cannot be written is one 'fault' line in the alert log, and nothing was sent."""
    import json

    from tests.fixtures.disk import fill, small_tmpfs
    log = tmp_path / "alerts.jsonl"
    cfg = _config(tmp_path, host_sim, f'alert_log = "{log}"\n')
    with small_tmpfs(tmp_path / "small", "768k") as mnt:
        assert posterm("sale", "1.00", *SWIPE, "--config", cfg, data=mnt).code == 0
        fill(mnt)
        r = posterm("sale", "2.00", *SWIPE, "--config", cfg, data=mnt)
        assert r.code == 3 and "(the disk is full: " in r.err, r.err
    [fault] = [json.loads(x) for x in log.read_text().splitlines()]
    assert fault["kind"] == "fault" and "the disk is full" in fault["text"] and fault["terminal"] == "TERM0001"
    assert len(host_sim.received) == 1


def test_config_check_shows_the_rules_in_force_and_no_secret(host_sim, posterm, tmp_path):
    pin_hash = hash_pin("958371", iterations=10_000)
    cfg = _config(tmp_path, host_sim, f'hash_key = "{"5a" * 32}"\nvelocity_count = 3\nexception_prefixes = ["622202"]\n'
                                      f'amount_alert = 500000\nsupervisor_pin_hash = "{pin_hash}"\n')
    r = posterm("config", "check", "--config", cfg)
    assert r.code == 0, r.err
    assert ("[risk]     duplicate window 600 s, exception file 1 prefix(es) + 0 hash(es), velocity 3 per 60 min"
            " (decline), amount alert above 500000 (supervisor), alert log none") in r.out
    shown = r.out + posterm("config", "check", "--config", cfg, "--json").out
    assert "5a5a5a" not in shown and pin_hash.split("$")[-1] not in shown
