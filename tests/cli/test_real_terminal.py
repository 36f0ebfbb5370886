"""Issue 19 (a real terminal, not a demo) and issue 17's error boundary, each finding through the real `posterm`
process: nothing emulated unless asked, config discovery and validation, CLI conventions, logging, mutual TLS."""
from __future__ import annotations

import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

from tests.fixtures.host import POSTERM, host_address

SWIPE = ["--reader", "emulated-swipe:magstripe"]
PAN = "4761739001010010"
KEYS = '[keys]\nmac_key = "00112233445566778899AABBCCDDEEFF"\n'


def config(tmp_path: Path, host: str = "127.0.0.1:9", extra: str = "", name: str = "c.toml", keys: str = KEYS,
           mode: int = 0o600) -> Path:
    p = tmp_path / name
    p.write_text(f'[terminal]\nid = "TERM0001"\nmerchant_id = "MERCHANT0000001"\ncurrency = "156"\n'
                 f'[host]\naddress = "{host}"\ntimeout_s = 5\n{keys}{extra}')
    p.chmod(mode)
    return p


def nothing_journaled(data: Path) -> bool:
    return not (data / "journal.sqlite3").exists()


# ---- nothing emulated unless asked ----------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["sale", "5.00"], ["run", "--keys", "1,ENTER,ENTER"]])
def test_no_reader_given_is_exit_2_naming_both_ways(posterm, host_sim, command):
    r = posterm(*command, "--host", host_address(host_sim))
    assert r.code == 2 and "--reader" in r.err and "[reader] spec" in r.err and r.err.count("\n") == 1
    assert host_sim.received == [] and nothing_journaled(posterm.data_dir)


def test_reader_from_the_config(posterm, host_sim, tmp_path):
    cfg = config(tmp_path, host_address(host_sim), '[reader]\nspec = "emulated-swipe:magstripe"\n')
    r = posterm("sale", "5.00", "--config", str(cfg), "--json")
    assert r.code == 0 and r.json["entry_mode"] == "901"


def test_demo_keys_refused_for_a_host_that_is_not_loopback(posterm):
    r = posterm("sale", "5.00", *SWIPE, "--host", "192.0.2.10:5000")
    assert r.code == 2 and "demo key" in r.err and "192.0.2.10:5000" in r.err
    assert nothing_journaled(posterm.data_dir)


def test_demo_keeps_working_with_no_arguments(posterm):
    assert posterm("demo").code == 0


# ---- configuration --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["txn", "list"], ["txn", "show", "1"], ["saf", "status"], ["status"],
                                     ["settle"], ["sale", "1.00", *SWIPE]])
def test_a_named_config_that_is_missing_is_an_error_everywhere(posterm, tmp_path, command):
    r = posterm(*command, "--config", str(tmp_path / "nonexistent.toml"))
    assert r.code == 2 and "nonexistent.toml: cannot read" in r.err


def test_discovery_posterm_config_then_xdg(posterm, host_sim, tmp_path):
    other = config(tmp_path, host_address(host_sim), '[reader]\nspec = "emulated-swipe:magstripe"\n', name="o.toml")
    r = posterm("config", "check", env={"POSTERM_CONFIG": str(other)})
    assert r.code == 0 and f"configuration: {other}" in r.out
    xdg = tmp_path / "xdg"
    (xdg / "posterm").mkdir(parents=True)
    config(xdg / "posterm", host_address(host_sim), name="config.toml")
    r = posterm("config", "check", env={"XDG_CONFIG_HOME": str(xdg), "POSTERM_CONFIG": ""})
    assert r.code == 0 and f"configuration: {xdg / 'posterm' / 'config.toml'}" in r.out
    r = posterm("status", env={"POSTERM_CONFIG": str(tmp_path / "gone.toml")})
    assert r.code == 2 and "gone.toml: cannot read" in r.err


def test_config_init_writes_a_sample_that_checks_and_shows_kcvs(posterm, tmp_path):
    path = tmp_path / "etc" / "posterm.toml"
    r = posterm("config", "init", str(path))
    assert r.code == 0 and stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    for key in ("id", "merchant_id", "address", "timeout_s", "tls_ca_file", "tls_cert_file", "tls_key_file",
                "mac_key", "floor_limit", "max_amount", "max_attempts", "expiry_h", "spec", "confirm_timeout_s"):
        assert f"{key} =" in text
    r = posterm("config", "check", "--config", str(path))
    assert r.code == 0 and "KCV" in r.out and "00112233445566778899AABBCCDDEEFF" not in r.out
    assert posterm("config", "init", str(path)).code == 2     # never overwrites without --force


def test_a_config_with_keys_readable_by_others_is_refused_naming_the_chmod(posterm, tmp_path):
    cfg = config(tmp_path, mode=0o644)
    r = posterm("status", "--config", str(cfg))
    assert r.code == 2 and f"chmod 600 {cfg}" in r.err


def test_journal_and_lock_are_private(posterm, host_sim):
    assert posterm("sale", "1.00", *SWIPE, "--host", host_address(host_sim)).code == 0
    for name in ("journal.sqlite3", "posterm.lock"):
        assert stat.S_IMODE((posterm.data_dir / name).stat().st_mode) == 0o600, name


@pytest.mark.parametrize("extra, fault", [
    ("[keypad]\nconfirm_timout_s = 3\n", "[keypad] confirm_timout_s is not a known key"),
    ('[host]\n', "tls_ca_file"),   # replaced below: a missing CA file
    ("[reader]\nspec = \"nfc:x\"\n", "--reader 'nfc:x'"),
])
def test_config_checked_whole_before_anything_is_journaled(posterm, host_sim, tmp_path, extra, fault):
    if extra == "[host]\n":
        cfg = tmp_path / "c.toml"
        cfg.write_text(f'[terminal]\nid = "T1"\nmerchant_id = "M1"\ncurrency = "156"\n[host]\n'
                       f'address = "{host_address(host_sim)}"\ntls_ca_file = "{tmp_path / "no-ca.pem"}"\n{KEYS}')
        cfg.chmod(0o600)
    else:
        cfg = config(tmp_path, host_address(host_sim), extra)
    r = posterm("sale", "1.00", *SWIPE, "--config", str(cfg))
    assert r.code == 2 and fault in r.err and r.err.count("\n") == 1
    assert host_sim.received == [] and nothing_journaled(posterm.data_dir)


def test_a_ca_file_that_is_not_a_certificate(posterm, host_sim, tmp_path):
    junk = tmp_path / "ca.pem"
    junk.write_text("hello\n")
    cfg = config(tmp_path, host_address(host_sim)).read_text().replace("timeout_s = 5\n",
                                                                       f'timeout_s = 5\ntls_ca_file = "{junk}"\n')
    (tmp_path / "c.toml").write_text(cfg)
    r = posterm("sale", "1.00", *SWIPE, "--config", str(tmp_path / "c.toml"))
    assert r.code == 2 and "not a PEM certificate" in r.err and nothing_journaled(posterm.data_dir)
    assert "Traceback" not in r.err


def test_empty_host_and_data_dir_a_file(posterm, tmp_path):
    r = posterm("sale", "1.00", *SWIPE, "--host", "")
    assert r.code == 2 and "--host" in r.err
    f = tmp_path / "afile"
    f.write_text("x")
    for cmd in (["sale", "1.00", *SWIPE], ["saf", "flush"], ["txn", "list"]):
        r = posterm(*cmd, "--data-dir", str(f))
        assert r.code == 2 and "not a directory" in r.err and "Traceback" not in r.err


def test_a_read_only_data_dir(posterm, tmp_path):
    """Needs root to mount a read-only tmpfs, as the suite does for pcscd (make test runs as root)."""
    mnt = tmp_path / "ro"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mnt)], check=True)
    try:
        for cmd in (["sale", "1.00", *SWIPE], ["saf", "flush"]):
            r = posterm(*cmd, "--data-dir", str(mnt))
            assert r.code == 2 and "not writable" in r.err and "Traceback" not in r.err
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


# ---- CLI conventions ------------------------------------------------------------------------------------------

def test_version(posterm):
    r = posterm("--version")
    assert r.code == 0 and r.out.startswith("posterm ")


def test_common_options_before_the_subcommand(posterm, host_sim, tmp_path):
    cfg = config(tmp_path, host_address(host_sim))
    r = posterm("--json", "--config", str(cfg), "--data-dir", str(posterm.data_dir), "sale", "1.00", *SWIPE)
    assert r.code == 0 and r.json["outcome"] == "approved"
    r = posterm("--data-dir", str(posterm.data_dir), "--json", "txn", "list")
    assert r.code == 0 and len(r.json["transactions"]) == 1


@pytest.mark.parametrize("args, code", [(["sale", "1.00"], 2), (["txn", "list", "--limit", "-2"], 2),
                                        (["sale", "1.00", "--reader", "emulated:visa", "--host", "127.0.0.1:9"], 3),
                                        (["nosuchcommand"], 2)])
def test_json_failure_is_one_object_on_stdout(posterm, args, code):
    r = posterm("--json", *args)
    assert r.code == code
    if code == 2:
        assert set(r.json) == {"error"} and r.json["error"]["code"] == 2 and r.json["error"]["message"]
    else:
        assert r.json["outcome"] == "not_sent"


def test_numeric_options_are_range_checked(posterm):
    for args in (["txn", "list", "--limit", "-2"], ["txn", "list", "--limit", "0"],
                 ["sale", "1.00", *SWIPE, "--card-timeout", "-1"], ["host-sim", "--port", "70000"],
                 ["txn", "show", "-1"], ["sale", "1.00", *SWIPE, "--pin", "12"]):
        r = posterm(*args)
        assert r.code == 2 and r.err.count("\n") == 1, args


def test_a_closed_pipe_ends_quietly(posterm, host_sim):
    posterm("sale", "1.00", *SWIPE, "--host", host_address(host_sim))
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    p = subprocess.Popen(POSTERM + ["txn", "list", "--data-dir", str(posterm.data_dir)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    p.stdout.close()   # the reader is gone before posterm writes (as `| head` that has read enough)
    err = p.stderr.read().decode()
    assert p.wait(30) == 0 and err == ""


def test_an_unexpected_error_is_one_line_a_crash_report_and_70(posterm, tmp_path):
    r = posterm("sale", "1.00", *SWIPE, "--host", "127.0.0.1:9", env={"POSTERM_CRASH_AT": "no_such_point"})
    assert r.code == 70 and r.err.count("\n") == 1 and "Traceback" not in r.err
    report = Path(r.err.rsplit("crash report: ", 1)[1].strip())
    assert report.is_file() and stat.S_IMODE(report.stat().st_mode) == 0o600
    assert "Traceback" in report.read_text() and PAN not in report.read_text()


def test_every_option_has_help():
    import argparse

    from terminal.cli.main import build_parser
    missing = []

    def walk(parser: argparse.ArgumentParser, where: str) -> None:
        for a in parser._actions:
            if isinstance(a, argparse._SubParsersAction):
                for name, sub in a.choices.items():
                    walk(sub, f"{where} {name}")
            elif a.option_strings and not a.help:
                missing.append(f"{where} {a.option_strings[0]}")
    walk(build_parser(), "posterm")
    assert missing == []


# ---- logging ----------------------------------------------------------------------------------------------------

def test_logs_and_iso_trace_of_a_chip_sale_hold_no_full_pan(posterm, host_sim, tmp_path):
    log = tmp_path / "posterm.log"
    r = posterm("-v", "--trace-iso", "--log-file", str(log), "sale", "12.34", "--reader", "emulated:visa",
                "--host", host_address(host_sim), "--json")
    assert r.code == 0, r.err
    text = log.read_text() + r.err
    assert "MTI 0200" in text and "MTI 0210" in text and " 55 " in text and "476173******0010" in text
    for needle in (PAN, PAN.encode().hex(), PAN.encode().hex().upper(), "4761739001010010D", "=3012"):
        assert needle not in text, needle


def test_mask_text_drops_tracks_keys_and_pans():
    from terminal.logs import mask_text
    out = mask_text(f"pan {PAN} t2 ;{PAN}=30122011234567890? t1 %B{PAN}^TEST/CARD^3012201? "
                    f"key 00112233445566778899AABBCCDDEEFF hex {PAN.encode().hex()} stan 000123")
    assert PAN not in out and "0011223344556677" not in out and PAN.encode().hex() not in out
    assert "476173******0010" in out and "stan 000123" in out


def test_host_sim_logs_one_line_per_message(tmp_path, posterm):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    sim = subprocess.Popen(POSTERM + ["host-sim", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=env)
    try:
        port = int(sim.stdout.readline().rsplit(":", 1)[1])
        assert posterm("sale", "12.34", *SWIPE, "--host", f"127.0.0.1:{port}").code == 0
        time.sleep(0.2)
    finally:
        sim.terminate()
        err = sim.communicate(timeout=10)[1]
    [line] = [ln for ln in err.splitlines() if "0200 STAN" in ln]
    assert "amount 000000001234" in line and "-> 0210 00" in line and "476173******0010" in line
    assert PAN not in err


# ---- mutual TLS -------------------------------------------------------------------------------------------------

def _client_pki(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    from tests.link.test_tls import _cert, _pki
    ca, cert, key = _pki(tmp_path, "acquirer")
    client_ca_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "terminal CA")])
    client_ca = _cert("terminal CA", client_ca_key, name, client_ca_key, True)
    tkey = ec.generate_private_key(ec.SECP256R1())
    tcert = _cert("TERM0001", tkey, name, client_ca_key, False)
    (tmp_path / "tca.pem").write_bytes(client_ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "term.pem").write_bytes(tcert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "term.key").write_bytes(tkey.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
    return ca, cert, key


def test_mutual_tls_against_a_host_that_requires_a_client_certificate(posterm, tmp_path):
    ca, cert, key = _client_pki(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    sim = subprocess.Popen(POSTERM + ["host-sim", "--port", "0", "--tls-cert", str(cert), "--tls-key", str(key),
                                      "--tls-client-ca", str(tmp_path / "tca.pem")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        port = int(sim.stdout.readline().rsplit(":", 1)[1])
        tls = f'tls_ca_file = "{ca}"\n'
        without = config(tmp_path, f"127.0.0.1:{port}", name="without.toml")
        without.write_text(without.read_text().replace("timeout_s = 5\n", "timeout_s = 5\n" + tls))
        r = posterm("sale", "1.00", *SWIPE, "--config", str(without), "--json")
        assert r.code == 3 and r.json["outcome"] in ("not_sent", "reversed", "reversal_pending")
        with_cert = config(tmp_path, f"127.0.0.1:{port}", name="with.toml")
        with_cert.write_text(with_cert.read_text().replace(
            "timeout_s = 5\n", f'timeout_s = 5\n{tls}tls_cert_file = "term.pem"\ntls_key_file = "term.key"\n'))
        r = posterm("sale", "2.00", *SWIPE, "--config", str(with_cert), "--json", data=tmp_path / "d2")
        assert r.code == 0 and r.json["outcome"] == "approved", r.err
    finally:
        sim.terminate()
        sim.communicate(timeout=10)


# ---- feedback on long waits -------------------------------------------------------------------------------------

def _stderr_on_a_pty(argv: list[str]) -> tuple[int, str, str]:
    import pty
    import select
    master, slave = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                break
            seen += chunk
        elif p.poll() is not None:
            break
    os.close(master)
    out = p.stdout.read().decode()
    return p.wait(30), out, seen.decode(errors="replace")


def test_waiting_for_the_host_is_shown_on_a_tty_and_not_with_json(tmp_path):
    from terminal.config import Config
    from terminal.hostsim.rules import parse_rule
    from terminal.hostsim.server import start
    server, _ = start(Config().keys.mac_key, rules=[parse_rule("mti=0200:delay=2.2")])
    try:
        argv = POSTERM + ["sale", "1.00", *SWIPE, "--host", host_address(server), "--data-dir", str(tmp_path)]
        code, out, err = _stderr_on_a_pty(argv)
        assert code == 0 and "waiting for the host: 1 of 30 s" in err and "waiting for the host: 2 of 30 s" in err
        argv[argv.index("1.00")] = "1.01"   # another amount: the same one again is the duplicate guard's case
        code, out, err = _stderr_on_a_pty(argv + ["--json"])
        assert code == 0 and "waiting" not in err
    finally:
        server.shutdown()
        server.server_close()


def test_saf_flush_shows_n_of_m_on_a_tty(posterm, host_sim, tmp_path):
    from terminal.config import Config
    from terminal.hostsim.rules import parse_rule
    from terminal.hostsim.server import start
    deaf, _ = start(Config().keys.mac_key, rules=[parse_rule("mti=0200:silent"), parse_rule("mti=0400:silent")])
    try:
        cfg = config(tmp_path, host_address(deaf)).read_text().replace("timeout_s = 5", "timeout_s = 1")
        (tmp_path / "c.toml").write_text(cfg)
        r = posterm("sale", "1.00", *SWIPE, "--config", str(tmp_path / "c.toml"), "--json")
        assert r.code == 3 and r.json["outcome"] == "reversal_pending", r.out + r.err
    finally:
        deaf.shutdown()
        deaf.server_close()
    code, out, err = _stderr_on_a_pty(POSTERM + ["saf", "flush", "--host", host_address(host_sim), "--data-dir",
                                                 str(posterm.data_dir)])
    assert code == 0 and "delivering to the host: 1 of 1" in err, out + err


def test_settlement_shows_its_wait_for_the_host_on_a_tty(tmp_path):
    """The 0500 itself, not only the deliveries before it: 'waiting for the host: n of 30 s'."""
    from terminal.config import Config
    from terminal.hostsim.rules import parse_rule
    from terminal.hostsim.server import start
    server, _ = start(Config().keys.mac_key, rules=[parse_rule("mti=0500:delay=1.2")])
    try:
        base = ["--host", host_address(server), "--data-dir", str(tmp_path)]
        code, _, _ = _stderr_on_a_pty(POSTERM + ["sale", "1.00", *SWIPE, *base, "--json"])
        assert code == 0
        code, out, err = _stderr_on_a_pty(POSTERM + ["settle", *base])
        assert code == 0 and "settling the batch" in err and "waiting for the host: 1 of 30 s" in err, out + err
    finally:
        server.shutdown()
        server.server_close()
