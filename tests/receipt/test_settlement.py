"""The settlement slip, exactly as printed: counts and amounts by kind and by card brand, the host's answer, the
batch, the terminal's local date and time (a ManualClock in Beijing), and when the money arrives. Real host
simulator on loopback, real journal file; in English and in Chinese, closed and failed."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from terminal.config import Config, MerchantConfig
from terminal.hostsim.rules import Rule
from terminal.i18n.text import set_language
from terminal.link.client import Endpoint, HostLink
from terminal.store import Journal
from terminal.txn.clock import ManualClock
from terminal.txn.engine import Engine
from terminal.txn.records import CardInput
from terminal.txn.settle import settle
from terminal.i18n.width import width as width_of
from terminal.receipt.settlement import render, slip_for

VISA = CardInput("901", "476173******0010", track2="4761739001010010=30121010000000000")
MASTERCARD = CardInput("901", "541333******0434", track2="5413330089010434=30121010000000000")
UNIONPAY = CardInput("901", "621094******0021", track2="6210947000000021=30121010000000000")
NOTE = "T+1: funds reach your account the next working day"
START = dt.datetime(2026, 11, 30, 15, 29, 0, tzinfo=dt.timezone.utc)   # 23:29 in Beijing


def _engine(host, tmp_path, note: str = NOTE) -> Engine:
    cfg = Config()
    cfg = replace(cfg, host=replace(cfg.host, address=f"127.0.0.1:{host.port}", timeout_s=1.0),
                  merchant=MerchantConfig(settlement_note=note))
    clock = ManualClock(START, utc_offset_h=8)
    return Engine(cfg, Journal(tmp_path / "j.sqlite3", utc=lambda: clock.now().utc),
                  HostLink(Endpoint("127.0.0.1", host.port)), clock=clock)


def _day_of_sales(e: Engine) -> None:
    e.authorise("purchase", 1000, VISA)
    voided, _ = e.authorise("purchase", 250, VISA)
    e.authorise("purchase", 1234, UNIONPAY)
    e.authorise("purchase", 725, MASTERCARD)
    e.authorise("refund", 300, UNIONPAY)
    e.authorise("void", voided.amount, CardInput(voided.entry_mode, voided.masked_pan), original=voided)
    e.clock.advance(65)


def _slip(e: Engine) -> list[str]:
    r = settle(e)
    return render(slip_for(r, e.journal, e.cfg, e.clock.now().local))


# The head of the first batch's slip with the demo merchant (the date/time follows it).
HEADER = ["================================",
          "           SETTLEMENT",
          "MERCHANT NAME POSTERM DEMO STORE",
          "MERCHANT ID      MERCHANT0000001",
          "TERMINAL ID             TERM0001",
          "BATCH                     000001"]

# ... and the foot of a closed batch's slip with the T+1 note.
FOOTER = ["--------------------------------",
          "HOST: 00 approved",
          "BATCH 000001 CLOSED",
          "T+1: funds reach your account",
          "the next working day",
          "================================"]


def test_the_slip_of_a_closed_batch(host_sim, tmp_path):
    e = _engine(host_sim, tmp_path)
    _day_of_sales(e)
    assert _slip(e) == HEADER + [
        "DATE/TIME    2026-11-30 23:30:05",
        "--------------------------------",
        "BY KIND         COUNT     AMOUNT",
        "SALES               3  CNY 29.59",
        "REFUNDS             1   CNY 3.00",
        "VOIDED              1   CNY 2.50",
        "NET                    CNY 26.59",
        "--------------------------------",
        "BY CARD         COUNT     AMOUNT",
        "UNIONPAY            2   CNY 9.34",
        "VISA                1  CNY 10.00",
        "MASTERCARD          1   CNY 7.25",
    ] + FOOTER


def test_a_failed_settlement_says_the_money_is_not_on_its_way(host_sim, tmp_path):
    e = _engine(host_sim, tmp_path)
    e.authorise("purchase", 1000, VISA)
    host_sim.rules.append(Rule(mti="0500", code="96", times=1))
    lines = _slip(e)
    assert lines[-7:] == [
        "--------------------------------",
        "HOST: 96 system malfunction",
        "NOT SETTLED: host answered 96;",
        "try again",
        "this batch's money is not on its",
        "way until the batch is settled",
        "================================",
    ]
    assert e.journal.current_batch() == 1


def test_the_slip_in_chinese_lines_up_in_display_columns(host_sim, tmp_path):
    e = _engine(host_sim, tmp_path, note="T+1：次日到账")
    _day_of_sales(e)
    try:
        set_language("zh-CN")
        lines = _slip(e)
    finally:
        set_language("en")
    assert lines == [
        "================================",
        "             结算单",
        "商户名称      POSTERM DEMO STORE",
        "商户编号         MERCHANT0000001",
        "终端编号                TERM0001",
        "批次号                    000001",
        "日期时间     2026/11/30 23:30:05",
        "--------------------------------",
        "按交易类型       笔数       金额",
        "消费                3     ¥29.59",
        "退货                1      ¥3.00",
        "已撤销              1      ¥2.50",
        "净额                      ¥26.59",
        "--------------------------------",
        "按卡组织         笔数       金额",
        "银联                2      ¥9.34",
        "VISA                1     ¥10.00",
        "MASTERCARD          1      ¥7.25",
        "--------------------------------",
        "主机应答：00 批准",
        "批次 000001 结算成功",
        "T+1：次日到账",
        "================================",
    ]
    assert {width_of(line) for line in lines[2:19]} == {32}   # every column row fills the paper exactly
