"""`posterm run` as an operator uses it: a real posterm process on a real terminal (tmux), keys typed with
send-keys, the screen read back with capture-pane. And the same command fed by a --keys script."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

POSTERM = str(Path(sys.executable).with_name("posterm"))
TERMINAL_TABLES = ('[terminal]\nid = "TERM0001"\nmerchant_id = "MERCHANT0000001"\ncurrency = "156"\n'
                   '[host]\naddress = "127.0.0.1:9"\n[keys]\nmac_key = "00112233445566778899AABBCCDDEEFF"\n')


def test_operator_session_in_a_real_terminal(tmux, tmp_path):
    config = tmp_path / "posterm.toml"
    # No bounce_ms here: a tty's keys are not bounce-filtered (terminal/keypad/settings.py for_tty), so tmux
    # typing faster than fingers loses no key; bounce is tested on exact timestamps in tests/keypad.
    config.write_text(TERMINAL_TABLES + "[keypad]\nconfirm_timeout_s = 1\n")
    config.chmod(0o600)  # it holds [keys]: posterm refuses it readable by others
    tmux.keys(f"{POSTERM} run --reader emulated-swipe:magstripe --config {config} --data-dir {tmp_path / 'data'}; echo EXIT=$?", "Enter")
    tmux.wait_for("READY", "Key in the amount")

    tmux.keys("1", "2", "3")
    tmux.wait_for("ENTER AMOUNT", "CNY 1.23")

    tmux.keys("Escape")  # CANCEL: asks, does not cancel
    tmux.wait_for("CANCEL SALE?", "CNY 1.23", "ENTER=yes  other key=no")
    tmux.keys("5")  # any other key: back, input exactly as it was
    shown = tmux.wait_for("ENTER AMOUNT", "CNY 1.23", absent="CANCEL SALE?")
    assert "12.35" not in shown

    tmux.keys("BSpace", "BSpace", "BSpace")
    tmux.wait_for("ENTER AMOUNT", "CNY 0.00")
    tmux.keys("BSpace", "BSpace", "Enter")  # CLEAR on empty stayed in amount entry: ENTER refuses zero
    tmux.wait_for("ENTER AMOUNT", "CNY 0.00", "Amount must be above zero")

    tmux.keys("9", "Enter")
    tmux.wait_for("CONFIRM AMOUNT", "CNY 0.09")
    tmux.keys("Escape")
    tmux.wait_for("CANCEL SALE?", "CNY 0.09")
    tmux.wait_for("CONFIRM AMOUNT", "CNY 0.09", absent="CANCEL SALE?")  # 1 s of silence dismissed it

    tmux.keys("Escape")
    tmux.wait_for("CANCEL SALE?")
    tmux.keys("Enter")  # CANCEL then ENTER: cancelled
    tmux.wait_for("READY", "Sale cancelled")

    tmux.keys("C-c")
    tmux.wait_for("EXIT=0")
    tmux.keys("clear; stty -a | tr ' ' '\\n' | grep -x -- '-\\?icanon'", "Enter")
    shown = tmux.wait_for("icanon")
    assert "-icanon" not in shown  # the terminal is back in line mode


def test_run_fed_by_a_key_script_prints_each_screen(tmp_path):
    done = subprocess.run([POSTERM, "run", "--reader", "emulated-swipe:magstripe", "--keys", "1,2,3,CANCEL,CLEAR,ENTER", "--data-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.index("CANCEL SALE?") < out.rindex("CNY 1.23") and "CONFIRM AMOUNT" in out
    assert "Sale cancelled" not in out


def test_run_with_a_bad_key_script_is_a_usage_error():
    done = subprocess.run([POSTERM, "run", "--reader", "emulated-swipe:magstripe", "--keys", "1,2,ENTRE"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "posterm: --keys token 3 (column 5): 'ENTRE' is not a key; "
        "expected 0-9, CLEAR, CANCEL, ENTER, F1-F4 or WAIT:SECONDS"
    )


def test_run_with_a_missing_keypad_device_is_a_device_error(tmp_path):
    done = subprocess.run([POSTERM, "run", "--reader", "emulated-swipe:magstripe", "--keypad-device", str(tmp_path / "event7")], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 4 and "event7: cannot open" in done.stderr


def test_sale_without_amount_is_keyed_at_the_terminal(tmux, tmp_path):
    """`posterm sale` with no AMOUNT at a real terminal: the operator keys 4,5,0, ENTER, ENTER."""
    config = tmp_path / "posterm.toml"
    config.write_text(TERMINAL_TABLES)
    config.chmod(0o600)  # it holds [keys]: posterm refuses it readable by others
    tmux.keys(f"{POSTERM} sale --reader emulated-swipe:magstripe --config {config} --data-dir {tmp_path / 'data'} --json; echo EXIT=$?", "Enter")
    tmux.wait_for("ENTER AMOUNT")
    tmux.keys("4", "5", "0", "0", "BSpace")  # the repeated 0 typed fast is two presses, not bounce
    tmux.wait_for("CNY 4.50")
    tmux.keys("Enter")
    tmux.wait_for("CONFIRM AMOUNT")
    tmux.keys("Enter")
    shown = tmux.wait_for("EXIT=")
    assert '"amount": 450' in shown.replace("\n", "") and "EXIT=3" in shown  # no host at 127.0.0.1:9: not sent


RUN_READERS = [("emulated-swipe:magstripe", "1234", False), ("emulated:unionpay", "123456", True),
               ("emulated:contactless", "1234", False)]


def _start_run(tmux, tmp_path, host_sim, reader: str, pin: str, chooses: bool) -> None:
    """`posterm run` at a real terminal against a host that answers after 1.5 s; the operator keys 12.34."""
    from terminal.hostsim.rules import Rule
    host_sim.rules.append(Rule(mti="0200", delay_s=1.5))
    config = tmp_path / "posterm.toml"
    config.write_text(TERMINAL_TABLES.replace("127.0.0.1:9", f"127.0.0.1:{host_sim.port}")
                      .replace("[keys]", "timeout_s = 5\n[keys]"))
    config.chmod(0o600)  # it holds [keys]: posterm refuses it readable by others
    tmux.keys(f"{POSTERM} run --config {config} --reader {reader} --pin {pin} --data-dir {tmp_path / 'data'}; "
              "echo EXIT=$?", "Enter")
    tmux.wait_for("READY")
    tmux.keys("1", "2", "3", "4", "Enter")
    tmux.wait_for("CONFIRM AMOUNT", "CNY 12.34")
    tmux.keys("Enter")
    if chooses:  # two applications on the card: the keypad offers them
        tmux.wait_for("SELECT APPLICATION")
        tmux.keys("Enter")
    tmux.wait_for("PROCESSING")


def _host_mtis(host_sim) -> list[tuple[str, str | None]]:
    from terminal.iso8583 import decode
    from tests.fixtures.host import MAC_KEY
    return [(m.mti, m.fields.get(39)) for m in (decode(raw, MAC_KEY) for raw in host_sim.received)
            if m.mti != "0800"]   # the READY screen's echoes (terminal/txn/link_watch.py) are not the sale's


@pytest.mark.parametrize("reader, pin, chooses", RUN_READERS)
def test_run_cancel_while_processing_reverses_the_approval(tmux, tmp_path, host_sim, reader, pin, chooses):
    _start_run(tmux, tmp_path, host_sim, reader, pin, chooses)
    tmux.keys("Escape")   # CANCEL while the host works: asked, not done
    tmux.wait_for("CANCEL SALE? it will be reversed", "ENTER=yes  other=no")
    tmux.keys("Enter")
    tmux.wait_for("NOT APPROVED", "CANCELLED: sale reversed")
    assert _host_mtis(host_sim) == [("0200", None), ("0400", "17")]
    tmux.keys("C-c")
    tmux.wait_for("EXIT=0")


@pytest.mark.parametrize("reader, pin, chooses", RUN_READERS)
def test_run_cancel_dismissed_and_early_keys_do_not_dismiss_the_result(tmux, tmp_path, host_sim, reader, pin,
                                                                       chooses):
    _start_run(tmux, tmp_path, host_sim, reader, pin, chooses)
    tmux.keys("Escape")
    tmux.wait_for("CANCEL SALE? it will be reversed")
    tmux.keys("5")        # any other key: the sale goes on
    tmux.wait_for("PROCESSING", absent="CANCEL SALE?")
    tmux.keys("Enter")    # typed while waiting for the host: spent there, it must not dismiss the result
    tmux.wait_for("APPROVED", "RECEIPT")
    time.sleep(0.5)
    assert "APPROVED" in tmux.screen() and "READY" not in tmux.screen()
    assert [m for m, _ in _host_mtis(host_sim)] == ["0200"]
    tmux.keys("7")        # a key after the result: the next sale, on a clean screen
    shown = tmux.wait_for("ENTER AMOUNT", "CNY 0.07")
    assert "RECEIPT" not in shown
    tmux.keys("C-c")
    tmux.wait_for("EXIT=0")
