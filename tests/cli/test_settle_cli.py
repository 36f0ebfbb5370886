"""`posterm settle` as a real process against the host simulator: the slip on stdout with the configured
settlement note, the same slip and its figures in --json, and a config with a bad note refused whole."""
from __future__ import annotations

from tests.fixtures.host import terminal_config
from tests.receipt.test_settlement import FOOTER, HEADER

NOTE = "T+1: funds reach your account the next working day"


def _config(tmp_path, host_sim, note: str) -> str:
    path = terminal_config(tmp_path, host_sim)
    with open(path, "a", encoding="utf-8") as f:
        f.write(f'[merchant]\nsettlement_note = "{note}"\n')
    return path


def test_settle_prints_the_slip_with_when_the_money_arrives(posterm, host_sim, tmp_path):
    cfg = _config(tmp_path, host_sim, NOTE)
    for amount in ("10.00", "2.50"):
        assert posterm("sale", amount, "--reader", "emulated-swipe:magstripe", "--config", cfg).code == 0
    assert posterm("refund", "1.00", "--reader", "emulated-swipe:magstripe", "--config", cfg).code == 0
    r = posterm("settle", "--config", cfg)
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[6].startswith("DATE/TIME    ") and len(lines[6]) == 32
    del lines[6]
    assert lines == HEADER + [
        "--------------------------------",
        "BY KIND         COUNT     AMOUNT",
        "SALES               2  CNY 12.50",
        "REFUNDS             1   CNY 1.00",
        "VOIDED              0   CNY 0.00",
        "NET                    CNY 11.50",
        "--------------------------------",
        "BY CARD         COUNT     AMOUNT",
        "VISA                3  CNY 11.50",
    ] + FOOTER
    j = posterm("settle", "--config", cfg, "--json").json
    assert (j["outcome"], j["batch"], j["response_code"], j["settlement_note"]) == ("closed", 2, "00", NOTE)
    assert j["by_kind"]["sales"] == {"count": 0, "amount": 0} and j["slip"][-3:-1] == lines[-3:-1]


def test_a_settlement_note_with_a_control_character_is_refused_at_start(posterm, host_sim, tmp_path):
    cfg = _config(tmp_path, host_sim, "T+1\\u0007")
    r = posterm("settle", "--config", cfg)
    assert r.code == 2 and "[merchant] settlement_note" in r.err and "expected one line of at most 200" in r.err
    assert host_sim.received == []


def test_the_slip_goes_to_the_receipt_printer_and_paper_out_leaves_the_settlement_standing(posterm, host_sim,
                                                                                            tmp_path):
    """The emulated ESC/POS printer on a real pty (drivers/emulated/printer_pty.py)."""
    from drivers.emulated.printer_pty import PrinterPtyEmulator
    with PrinterPtyEmulator() as printer:
        cfg = _config(tmp_path, host_sim, NOTE)
        with open(cfg, "a", encoding="utf-8") as f:
            f.write(f'[printer]\nspec = "serial:{printer.slave_path}"\n')
        assert posterm("sale", "10.00", "--reader", "emulated-swipe:magstripe", "--config", cfg).code == 0
        before = len(printer.jobs())
        r = posterm("settle", "--config", cfg, "--json")
        assert r.code == 0 and r.json["outcome"] == "closed" and r.json["printed"] == 1, r.err
        job = printer.jobs()[before:]
        assert len(job) == 1 and b"SETTLEMENT" in job[0] and b"T+1: funds reach your account" in job[0]
        assert b"BATCH 000001 CLOSED" in job[0]
        printer.paper_out()
        assert posterm("sale", "2.00", "--reader", "emulated-swipe:magstripe", "--config", cfg).code == 0
        r = posterm("settle", "--config", cfg)
        assert r.code == 0, r.err
        lines = r.out.splitlines()
        assert lines[0].startswith("SETTLEMENT SLIP NOT PRINTED (") and "the settlement stands as below" in lines[0]
        assert "BATCH 000002 CLOSED" in lines and "SALES               1   CNY 2.00" in lines
