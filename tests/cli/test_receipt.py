"""`posterm receipt TXN_ID`: a real `posterm` process reprints the slip a real sale printed, from the journal,
marked REPRINT and otherwise the same; what has no slip, or is not there, is refused in one line."""
from __future__ import annotations

from terminal.hostsim.rules import Rule
from tests.fixtures.host import host_address

SWIPE = ("--reader", "emulated-swipe:magstripe")


def _slip(out: str) -> list[str]:
    """The slip's lines in a command's output: from its title to its closing rule."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "POS SALES SLIP")
    end = max(i for i, line in enumerate(lines) if line == "=" * 32)
    return lines[start:end + 1]


def test_reprint_is_the_sales_slip_marked_reprint(host_sim, posterm):
    sale = posterm("sale", *SWIPE, "12.34", "--host", host_address(host_sim))
    assert sale.code == 0, sale.err
    first = _slip(sale.out)
    again = posterm("receipt", "1")
    assert again.code == 0, again.err
    reprinted = _slip(again.out)
    assert [line for line in reprinted if line.strip() != "REPRINT"] == first
    assert "CARDHOLDER COPY" in again.out and "SIGNATURE" not in again.out   # a screen is not signed
    assert "476173******0010" in again.out and "4761739001010010" not in again.out


def test_merchant_copy_and_json(host_sim, posterm):
    assert posterm("sale", *SWIPE, "5.00", "--host", host_address(host_sim)).code == 0
    r = posterm("receipt", "1", "--copy", "merchant", "--json")
    assert r.code == 0, r.err
    assert r.json["id"] == 1 and r.json["reprint"] is True and r.json["copies"] == ["merchant"]
    assert any("MERCHANT COPY" in line for line in r.json["lines"])
    assert any("CARDHOLDER SIGNATURE" in line for line in r.json["lines"])   # the merchant copy is the one signed


def test_no_slip_for_a_decline_and_none_for_an_unknown_id(host_sim, posterm):
    host_sim.rules.append(Rule(amount=5100, code="51"))
    assert posterm("sale", *SWIPE, "51.00", "--host", host_address(host_sim)).code == 1
    r = posterm("receipt", "1")
    assert r.code == 2 and r.out == ""
    assert r.err.strip() == ("posterm: transaction 1 is declined: no slip, nothing was charged or credited"
                             " (DECLINED: insufficient funds)")
    r = posterm("receipt", "7")
    assert r.code == 2 and r.err.strip() == "posterm: no transaction 7 in the journal"


def test_reprint_in_chinese(host_sim, posterm):
    assert posterm("sale", *SWIPE, "12.34", "--host", host_address(host_sim)).code == 0
    r = posterm("receipt", "1", "--lang", "zh-CN")
    assert r.code == 0, r.err
    assert "重打印" in r.out and "持卡人存根" in r.out and "金额                      ¥12.34" in r.out


def test_a_void_prints_its_slip_naming_the_original(host_sim, posterm):
    assert posterm("sale", *SWIPE, "8.80", "--host", host_address(host_sim)).code == 0
    r = posterm("void", "1", "--host", host_address(host_sim))
    assert r.code == 0, r.err
    slip = _slip(r.out)
    assert "TRANS TYPE                  VOID" in slip and "CARDHOLDER COPY" in r.out and "ORIG. VOUCHER NO.         000001" in slip
    assert "TOTAL                  CNY -8.80" in slip
