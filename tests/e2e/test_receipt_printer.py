"""A real `posterm` process with `[printer] spec` naming a printer on a real pty: an approved sale prints its
copies (ESC @, the slip, GS V); a printer out of paper or gone leaves the sale approved (exit 0, the journal
says approved, the host has one 0200 and no 0400), says so on the operator's line, and `posterm receipt`
prints the same slip again, marked REPRINT, once the paper is back. A printer failure never reverses a sale."""
from __future__ import annotations

from drivers.emulated.printer_pty import PrinterPtyEmulator
from terminal.iso8583 import decode
from tests.fixtures.host import MAC_KEY, terminal_config

SWIPE = ("--reader", "emulated-swipe:magstripe")


def _config(tmp_path, host_sim, printer: str, extra: str = "") -> str:
    path = terminal_config(tmp_path, host_sim)
    with open(path, "a", encoding="utf-8") as f:
        f.write(f'[printer]\nspec = "{printer}"\n{extra}')
    return path


def _mtis(host_sim) -> list[str]:
    return [decode(raw, MAC_KEY).mti for raw in host_sim.received]


def test_an_approved_sale_prints_the_merchant_then_the_cardholder_copy(host_sim, posterm, tmp_path):
    with PrinterPtyEmulator() as emu:
        r = posterm("sale", *SWIPE, "12.34", "--config", _config(tmp_path, host_sim, f"serial:{emu.slave_path}"),
                    "--json")
        assert r.code == 0, r.err
        assert r.json["outcome"] == "approved" and r.json["slip"] == {"printed": 2}
        merchant, customer = emu.jobs()
    for job in (merchant, customer):
        assert job.endswith(b"\x1dV\x00") and b"POS SALES SLIP\n" in job and b"476173******0010" in job
        assert b"4761739001010010" not in job                          # never the full PAN on paper
    assert b"MERCHANT COPY" in merchant and b"CARDHOLDER SIGNATURE" in merchant
    assert b"CARDHOLDER COPY" in customer and b"SIGNATURE" not in customer


def test_paper_out_keeps_the_sale_and_the_reprint_comes_when_paper_is_back(host_sim, posterm, tmp_path):
    with PrinterPtyEmulator(paper=False) as emu:
        cfg = _config(tmp_path, host_sim, f"serial:{emu.slave_path}", "[receipt]\ncopies = 1\n")
        r = posterm("sale", *SWIPE, "12.34", "--config", cfg)
        assert r.code == 0, r.err                                      # approved: the money moved
        assert r.out.splitlines()[1] == "APPROVED"
        assert (f"SLIP NOT PRINTED (printer serial:{emu.slave_path}: out of paper (before printing)): the"
                " transaction stands; print it again with: posterm receipt 1") in r.out
        assert emu.jobs() == []   # not a byte of the slip
        assert _mtis(host_sim) == ["0200"]                              # no reversal for a paper roll
        assert "approved" in posterm("txn", "show", "1", "--config", cfg).out
        emu.paper_in()
        again = posterm("receipt", "1", "--config", cfg, "--json")
        assert again.code == 0 and again.json["printed"] == 1 and again.json["copies"] == ["merchant"]
        [job] = emu.jobs()
    assert b"REPRINT" in job and b"MERCHANT COPY" in job and b"TOTAL                  CNY 12.34" in job


def test_a_printer_gone_keeps_the_sale_and_its_reprint_says_why_it_cannot(host_sim, posterm, tmp_path):
    cfg = _config(tmp_path, host_sim, f"serial:{tmp_path}/no-printer-here")
    r = posterm("sale", *SWIPE, "5.00", "--config", cfg, "--json")
    assert r.code == 0 and r.json["outcome"] == "approved"
    assert r.json["slip"]["printed"] == 0 and "cannot open it" in r.json["slip"]["problem"]
    assert _mtis(host_sim) == ["0200"]
    again = posterm("receipt", "1", "--config", cfg)
    assert again.code == 4 and "SLIP NOT PRINTED" in again.out and "cannot open it" in again.out


def test_a_chinese_slip_reaches_the_printer_in_its_chinese_mode(host_sim, posterm, tmp_path):
    with PrinterPtyEmulator() as emu:
        cfg = _config(tmp_path, host_sim, f"serial:{emu.slave_path}", "[receipt]\ncopies = 1\n")
        assert posterm("sale", *SWIPE, "12.34", "--config", cfg, "--lang", "zh-CN").code == 0
        [job] = emu.jobs()
    assert b"\x1c&" + b" " * 13 + "签购单".encode("gb18030") + b"\n\x1c." in job   # centred: 13 spaces, 6 columns
    assert "商户存根".encode("gb18030") in job and b"\x1c.================================\n" in job


def test_posterm_run_keeps_selling_when_the_printer_runs_out(host_sim, posterm, tmp_path):
    """At the operator's terminal: the first sale's slip prints, the paper runs out, the second sale is still
    approved and the screen says its slip was not printed; the terminal goes on to the next sale."""
    with PrinterPtyEmulator() as emu:
        cfg = _config(tmp_path, host_sim, f"serial:{emu.slave_path}", "[receipt]\ncopies = 1\n")
        first = posterm("run", *SWIPE, "--keys", "1,2,3,ENTER,ENTER", "--config", cfg)
        assert first.code == 0, first.err
        assert len(emu.jobs()) == 1 and "SLIP NOT PRINTED" not in first.out
        emu.paper_out()
        second = posterm("run", *SWIPE, "--keys", "4,5,6,ENTER,ENTER,WAIT:0.5,7,ENTER,ENTER", "--config", cfg)
        assert second.code == 0, second.err
        assert second.out.count("SLIP NOT PRINTED") == 2 and "posterm receipt 2" in second.out
        assert len(emu.jobs()) == 1                                     # nothing more on paper
    assert [decode(raw, MAC_KEY).mti for raw in host_sim.received if raw[:4] != b"0800"] == ["0200"] * 3
    assert "approved" in posterm("txn", "show", "2", "--config", cfg).out
