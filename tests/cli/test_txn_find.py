"""Finding a transaction: `posterm txn list` filters and `posterm txn find` on a real journal of several days of
sales, older batches moved to the real archive file, run as real `posterm` processes in Beijing time.

The books: five days (2026-11-26 .. 11-30) of 40 sales each, every day's batch settled at 23:30 local time, the
first two days archived; on 11-30 the customer's two tries at 12.34 on card ****0010 (the first timed out and
was reversed, the second approved); on 12-01 a sale whose reversal is still on its way to the host."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import pytest

from terminal.store import Journal, NewTxn, SafOutcome
from terminal.store.archive import path_of

BEIJING = {"TZ": "Asia/Shanghai"}
CARDS = ("476173******0010", "476173******0119", "621094******0021")
DAYS = [dt.date(2026, 11, 26) + dt.timedelta(days=i) for i in range(5)]


@dataclass
class Books:
    data: object
    ids: dict = field(default_factory=dict)   # name -> txn id
    stans: dict = field(default_factory=dict)


def _sale(j: Journal, clock: list, local: dt.datetime, amount: int, card: str, outcome: str = "approved") -> object:
    clock[0] = (local - dt.timedelta(hours=8)).replace(tzinfo=dt.timezone.utc)
    row = j.begin_txn(NewTxn(kind="purchase", proc_code="000000", amount=amount, currency="156", local_time=local,
                             transmitted=f"{clock[0]:%m%d%H%M%S}", entry_mode="051", masked_pan=card))
    if outcome == "approved":
        j.set_state(row.id, "approved", "approved by the host", response_code="00", rrn=f"{row.id:012d}")
    else:
        entry = j.queue(row.id, "reversal", "68", "reversal_pending", "no response within 30 s: outcome unknown")
        if outcome == "reversed":
            j.saf_record(done=SafOutcome(entry.id, row.id, "reversed", "reversal acknowledged by the host"))
    return row


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> Books:
    data = tmp_path_factory.mktemp("books") / "data"
    data.mkdir(mode=0o700)
    clock = [dt.datetime(2026, 11, 26, tzinfo=dt.timezone.utc)]
    j = Journal(data / "journal.sqlite3", utc=lambda: clock[0])
    b = Books(data)
    for day in DAYS:
        for i in range(40):
            local = dt.datetime.combine(day, dt.time(9)) + dt.timedelta(minutes=13 * i)
            _sale(j, clock, local, 100 + 25 * i, CARDS[i % 3])
        if day == DAYS[0]:
            b.ids["archived"] = _sale(j, clock, dt.datetime(2026, 11, 26, 20, 1, 2), 1234, CARDS[0]).id
        if day == DAYS[-1]:
            first = _sale(j, clock, dt.datetime(2026, 11, 30, 14, 3, 40), 1234, CARDS[0], "reversed")
            second = _sale(j, clock, dt.datetime(2026, 11, 30, 14, 5, 12), 1234, CARDS[0])
            b.ids.update(reversed=first.id, approved=second.id)
        clock[0] = dt.datetime.combine(day, dt.time(15, 30), tzinfo=dt.timezone.utc)   # 23:30 in Beijing
        batch = j.current_batch()
        sid, _ = j.begin_settlement(batch, *j.batch_totals(batch))
        j.end_settlement(sid, "closed", "00", "batch closed")
    pending = _sale(j, clock, dt.datetime(2026, 12, 1, 8, 15, 0), 1234, CARDS[0], "pending")
    b.ids["pending"] = pending.id
    b.ids["open"] = _sale(j, clock, dt.datetime(2026, 12, 1, 8, 20, 0), 1234, CARDS[1]).id
    # keep 2 days on 11-30 15:00 UTC: the batches closed on 11-26 and 11-27 move to the archive
    assert j.archive_settled(2, now=dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.timezone.utc)) == 81
    for name in b.ids:
        b.stans[name] = j.txn(b.ids[name]).stan
    j.close()
    assert path_of(data / "journal.sqlite3").exists()
    return b


def _run(posterm, books: Books, *args: str):
    return posterm(*args, "--data-dir", str(books.data), env=BEIJING)


# The customer's two tries on 11-30, answered in each language: {a}/{v} and {sa}/{sv} are their ids and STANs.
ANSWERS = {
    "en": ["2026-11-30 14:05:12  sale CNY 12.34  card 476173******0010  #{a} STAN {sa}: approved and settled in"
           " batch 000005 on 2026-11-30 23:30",
           "2026-11-30 14:03:40  sale CNY 12.34  card 476173******0010  #{v} STAN {sv}: reversed, customer not"
           " charged (no response within 30 s: outcome unknown)"],
    "zh-CN": ["2026/11/30 14:05:12  消费 ¥12.34  卡号 476173******0010  #{a} 流水号 {sa}：交易成功，已于 2026/11/30"
              " 23:30 随批次 000005 结算",
              "2026/11/30 14:03:40  消费 ¥12.34  卡号 476173******0010  #{v} 流水号 {sv}：已冲正，持卡人未被扣款"
              "（超时无应答，结果未知）"],
}


@pytest.mark.parametrize("lang", sorted(ANSWERS))
def test_find_answers_the_customers_question_in_one_line_per_match(posterm, books, lang):
    r = _run(posterm, books, "txn", "find", "--last4", "0010", "--amount", "12.34", "--date", "2026-11-30",
             "--lang", lang)
    assert r.code == 0, r.err
    ids = dict(a=books.ids["approved"], v=books.ids["reversed"], sa=f"{books.stans['approved']:06d}",
               sv=f"{books.stans['reversed']:06d}")
    assert r.out.splitlines() == [line.format(**ids) for line in ANSWERS[lang]]


def test_find_reaches_into_the_archive_and_the_open_batch(posterm, books):
    r = _run(posterm, books, "txn", "find", "--last4", "0010", "--amount", "12.34")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert [line.split("#")[1].split()[0] for line in lines] == [
        str(books.ids[k]) for k in ("pending", "approved", "reversed", "archived")]
    assert lines[0] == (f"2026-12-01 08:15:00  sale CNY 12.34  card 476173******0010  #{books.ids['pending']} STAN"
                        f" {books.stans['pending']:06d}: in doubt, reversal pending since 2026-12-01 08:15, 0"
                        " attempt(s): the customer is not charged once the host has it")
    assert lines[-1].endswith("approved and settled in batch 000001 on 2026-11-26 23:30")
    j = _run(posterm, books, "txn", "find", "--last4", "0010", "--amount", "12.34", "--json").json
    assert [(m["id"], m["archived"]) for m in j["matches"]] == [
        (books.ids["pending"], False), (books.ids["approved"], False), (books.ids["reversed"], False),
        (books.ids["archived"], True)]
    assert j["matches"][1]["line"] == lines[1]


def test_find_says_so_when_nothing_matches(posterm, books):
    r = _run(posterm, books, "txn", "find", "--last4", "9999", "--amount", "12.34", "--date", "2026-11-29")
    assert (r.code, r.out) == (0, "no transaction of this terminal matches card ****9999, CNY 12.34, on 2026-11-29\n")
    assert json.loads(_run(posterm, books, "txn", "find", "--last4", "9999", "--json").out) == {"matches": []}


def test_list_shows_local_date_and_time_and_filters_by_day_time_batch_state_and_card(posterm, books):
    r = _run(posterm, books, "txn", "list", "--date", "2026-11-27", "--limit", "1000", "--json")
    rows = r.json["transactions"]
    assert len(rows) == 40 and all(t["local_time"].startswith("2026-11-27T") and t["archived"] for t in rows)
    assert [t["local_time"] for t in rows] == sorted((t["local_time"] for t in rows), reverse=True)
    text = _run(posterm, books, "txn", "list", "--date", "2026-11-27", "--limit", "1")
    assert text.out.splitlines()[0].split() == ["ID", "DATE", "TIME", "STAN", "KIND", "AMOUNT", "CARD", "STATE",
                                                "WHAT", "HAPPENED"]
    assert text.out.splitlines()[1].split()[1:3] == ["2026-11-27", "17:27:00"]   # 09:00 + 39 x 13 min
    span = _run(posterm, books, "txn", "list", "--from", "2026-11-27 23:00", "--to", "2026-11-28 09:13",
                "--json").json["transactions"]
    assert [t["local_time"] for t in span] == ["2026-11-28T09:13:00", "2026-11-28T09:00:00"]
    batch = _run(posterm, books, "txn", "list", "--batch", "3", "--last4", "0119", "--limit", "1000",
                 "--json").json["transactions"]
    assert len(batch) == 13 and {t["batch"] for t in batch} == {3} and all(t["masked_pan"].endswith("0119")
                                                                           for t in batch)
    states = _run(posterm, books, "txn", "list", "--state", "reversed", "--state", "reversal_pending",
                  "--json").json["transactions"]
    assert [t["id"] for t in states] == [books.ids["pending"], books.ids["reversed"]]
    everything = _run(posterm, books, "txn", "list", "--limit", "1000000", "--json").json["transactions"]
    assert len(everything) == 5 * 40 + 5 and sum(t["archived"] for t in everything) == 81
    assert everything[0]["explanation"] == "approved, settles with batch 000006"


@pytest.mark.parametrize("args, expected", [
    (["--date", "2026-11-31"], "argument --date: '2026-11-31': no such date; expected a date YYYY-MM-DD, today or"
                               " yesterday"),
    (["--date", "30/11/2026"], "argument --date: '30/11/2026': expected a date YYYY-MM-DD, today or yesterday"),
    (["--from", "2026-11-30 1400"], "argument --from: '2026-11-30 1400': expected YYYY-MM-DD, YYYY-MM-DD HH:MM or"
                                    " YYYY-MM-DD HH:MM:SS"),
    (["--to", "2026-11-30 24:00"], "argument --to: '2026-11-30 24:00': no such date or time"),
    (["--amount", "12.345"], "--amount: amount '12.345': expected ASCII digits with at most 2 decimal(s) after a"
                             " dot, e.g. 12.34 (CNY)"),
    (["--amount", "1e3"], "--amount: amount '1e3': expected ASCII digits"),
    (["--last4", "10"], "argument --last4: '10': expected the card's last 4 digits, e.g. 0010"),
    (["--last4", "００１０"], "argument --last4: '００１０': expected the card's last 4 digits"),
    (["--state", "settled"], "argument --state: 'settled': expected a state: sending, not_sent, approved"),
    (["--batch", "0"], "argument --batch: 0: expected a whole number from 1 to 999999"),
    (["--from", "2026-11-30", "--to", "2026-11-29"], "--from 2026-11-30 is after --to 2026-11-29: expected --from"
                                                     " no later than --to"),
    (["--date", "2026-11-30", "--from", "2026-11-29"], "--date is one whole day: give it, or --from/--to, not both"),
])
@pytest.mark.parametrize("command", ["list", "find"])
def test_a_bad_filter_exits_2_naming_the_form_expected(posterm, books, command, args, expected):
    r = _run(posterm, books, "txn", command, *args)
    assert r.code == 2 and expected in r.err and r.err.count("\n") == 1 and r.out == "", r.err


def test_find_with_no_filter_is_a_usage_error(posterm, books):
    r = _run(posterm, books, "txn", "find")
    assert r.code == 2 and "txn find: say what to look for: --date, --from, --to, --amount" in r.err


def test_today_and_yesterday_follow_the_terminal_clock():
    from terminal.cli.txn_filters import date_arg, when_arg
    today = dt.date(2026, 12, 1)
    assert date_arg("yesterday").resolve(today) == (dt.datetime(2026, 11, 30), dt.datetime(2026, 12, 1))
    assert date_arg("today").resolve(today) == (dt.datetime(2026, 12, 1), dt.datetime(2026, 12, 2))
    assert when_arg("2026-11-30 14:05").resolve(today) == (dt.datetime(2026, 11, 30, 14, 5),
                                                           dt.datetime(2026, 11, 30, 14, 6))
    assert when_arg("2026-11-30T14:05:12").resolve(today)[1] == dt.datetime(2026, 11, 30, 14, 5, 13)


def test_nothing_found_in_chinese(posterm, books):
    none = _run(posterm, books, "txn", "find", "--last4", "9999", "--date", "2026-11-29", "--lang", "zh-CN")
    assert none.out == "本终端没有符合条件的交易：卡号 ****9999，2026/11/29 当天\n"


def test_list_lines_up_its_columns_in_chinese(posterm, books):
    from terminal.i18n.width import width
    r = _run(posterm, books, "txn", "list", "--limit", "3", "--lang", "zh-CN")
    head, *rows = r.out.splitlines()
    assert head.split() == ["编号", "日期", "时间", "流水号", "类型", "金额", "卡号", "状态", "处理结果"]
    # every column starts where its heading does: the state column, after the 19-column card
    assert width(head[:head.index("状态")]) == width(rows[0][:rows[0].index("批准")])   # the state, in Chinese too
