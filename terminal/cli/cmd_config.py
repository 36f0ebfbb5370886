"""`posterm config init [PATH]` (a commented sample, every key with its default) and `posterm config check` (the
configuration validated whole and printed as it will be used, keys shown only as key check values)."""
from __future__ import annotations

import argparse

from terminal.cli.common import add_common, emit

SAMPLE = '''\
# posterm terminal parameters (TOML). Every key is shown with its default; docs/config.md explains each one.
# posterm looks for this file at --config FILE, else $POSTERM_CONFIG, else $XDG_CONFIG_HOME/posterm/config.toml
# (~/.config/posterm/config.toml), else /etc/posterm/config.toml. A file holding [keys] must be readable by its
# owner only (chmod 600). Check it with: posterm config check --config THIS_FILE

[terminal]
id = "TERM0001"                 # field 41: the terminal id the acquirer gave you (1-8 characters)
merchant_id = "MERCHANT0000001" # field 42: the merchant id (1-15 characters)
currency = "156"                # ISO 4217 numeric currency of amounts (156 CNY, 978 EUR, 840 USD, 410 KRW)
country = "156"                 # ISO 3166 numeric country of the terminal (EMV 9F1A)
# language = "zh-CN"            # screens and slips: "zh-CN" or "en" (default: from LANG; --lang overrides)

[host]
address = "127.0.0.1:5000"      # HOST:PORT of the acquirer
# addresses = ["primary.example:5000", "backup.example:5000"]  # instead of address: primary, then backups
timeout_s = 30                  # wait this long for an answer before reversing (1-300)
connect_timeout_s = 10          # give up connecting after this long, over every address: nothing sent (0.5-120)
echo_interval_s = 60            # posterm run: an echo after this many idle seconds, the link on screen (0: never)
# tls_ca_file = "/etc/posterm/acquirer-ca.pem"     # TLS on: the host's certificate is checked against this CA
# tls_cert_file = "/etc/posterm/terminal.pem"      # mutual TLS: this terminal's certificate ...
# tls_key_file = "/etc/posterm/terminal.key"       # ... and its private key (chmod 600)
# tls_server_name = "acquirer.example"             # the name the host's certificate must carry (default: host)

[keys]
# The built-in demo keys (below) are refused for any host that is not on this machine (127.0.0.1, ::1).
# Replace them with the keys your acquirer's key-loading process gives you. `posterm config check` shows only
# their key check values (KCV), never the keys.
mac_key = "00112233445566778899AABBCCDDEEFF"                                   # AES-128, MAC of every message
data_key = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F" # AES-256, seals offline advices
pin_key = "0123456789ABCDEFFEDCBA9876543210"                                   # TDES, online PIN blocks
# kbpk = "..."                  # AES key-block protection key: a signed bundle's keys come as TR-31 blocks under it

[limits]
floor_limit = 0                 # minor units: a chip card may approve offline only below this (0: never)
max_amount = 100000000          # minor units: the largest amount the terminal accepts

[emv]
# ca_keys = "production"        # CA public keys: production | test | both; unset: test for the demo
#                                 (demo keys or a loopback host), else production
# extra_ca_keys = "acquirer_capk.json"   # more CA keys, same format as the shipped files, checksums verified

[provisioning]
# trust_key = "..."             # Ed25519 public key (64 hex digits) signed parameter bundles must verify with

[saf]
max_attempts = 1000             # deliveries that reached the host before an entry needs attention
expiry_h = 72                   # hours before an undelivered entry needs attention (never dropped)
window = 8                      # reversals/advices outstanding at once on one connection (1-64; 1: one by one)

[journal]
keep_days = 90                  # settled batches older than this move to the append-only archive (0-36500)

[merchant]
settlement_note = ""            # on the settlement slip: when the money arrives, e.g.
                                # "T+1: funds reach your account the next working day"
# receipt_header = ["SHOP NAME", "1 MAIN STREET"]   # at most 4 lines of 32 columns atop every receipt
name = "POSTERM DEMO STORE"     # the merchant name printed on every slip (any script: 上海示范商店; 1-40 characters)
# address = "100 Century Avenue, Shanghai"   # printed under the name, wrapped to the paper (1-96 characters)

[settlement]
auto_at = ""                    # posterm run settles by itself at this local time, e.g. "23:30" ("": never)
retry_s = 60                    # a failed automatic settlement retries after this, doubling (1-3600 s)

[risk]                          # risk controls (docs/risk.md); supervisor = the supervisor's PIN, decline = no
# hash_key = "..."              # 64 hex digits: the key cards are hashed under (default: derived from data_key)
duplicate_window_s = 600        # same card, same amount within this: "charge again?" (default no); 0 = off
exception_prefixes = []         # hot card list: PAN prefixes, e.g. ["622202"], declined before sending
exception_hashes = []           # hot card list: keyed card hashes (posterm config card-hash)
velocity_count = 0              # at most this many sales per card ... (0 = off)
velocity_window_min = 60        # ... in this many minutes
velocity_action = "decline"     # supervisor | decline
amount_alert = 0                # a sale above this (minor units) fires (0 = off)
amount_action = "supervisor"
refund_daily_limit = 0          # refunds of the day above this total fire (0 = off)
refund_action = "supervisor"
split_window_min = 0            # approved sales of a card in this many minutes summed against ... (0 = off)
split_floor_limit = 0           # ... this limit (0 = [limits] floor_limit)
split_action = "supervisor"
# supervisor_pin_hash = "pbkdf2-sha256$..."   # posterm config pin-hash; needed when an action is supervisor
# alert_log = "/var/log/posterm/alerts.jsonl" # one JSON line per alert, or "syslog"

[reader]
# spec = "pcsc"                 # the card reader when --reader is not given: pcsc, pcsc:NAME,
                                # serial:/dev/ttyUSB0?protocol=msr605 (none: --reader is required)
card_timeout_s = 30             # how long to wait for a card or a swipe (1-300)

[receipt]
width = 32                      # columns of the slip: 32 for 58 mm paper, 48 for 80 mm
copies = 2                      # 1: the merchant copy; 2: the merchant copy, then the cardholder copy

[printer]
# spec = "serial:/dev/ttyUSB0?baudrate=19200"   # an ESC/POS receipt printer; or "usb:VID:PID" (usb:0416:5011);
                                # none: the slip is shown on the screen / stdout

[keypad]
confirm_timeout_s = 5           # silence that dismisses a CANCEL confirmation (0.5-120)
bounce_ms = 60                  # a repeat of the same key within this is contact bounce (0-500)
result_timeout_s = 60           # a result screen goes back to READY after this
# evdev_map = { KEY_KP0 = "0", KEY_KPENTER = "ENTER" }   # Linux input key names to keypad keys
# tty_map = { "\\u001b" = "CANCEL" }                    # terminal bytes to keypad keys
'''


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="write a sample configuration, or check the one in use")
    csub = p.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    ip = csub.add_parser("init", help="write a commented sample config (every key, its default, what it does)")
    ip.add_argument("path", nargs="?", metavar="PATH",
                    help="where to write it (default $XDG_CONFIG_HOME/posterm/config.toml); - for stdout")
    ip.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    add_common(ip)
    ip.set_defaults(run=run_init)
    cp = csub.add_parser("check", help="validate the configuration and print it as it will be used (keys as KCVs)")
    add_common(cp)
    cp.set_defaults(run=run_check)
    hp = csub.add_parser("pin-hash", help="read a supervisor PIN on stdin, print its [risk] supervisor_pin_hash")
    add_common(hp)
    hp.set_defaults(run=run_pin_hash)
    kp = csub.add_parser("card-hash", help="read a PAN on stdin, print its keyed hash for [risk] exception_hashes")
    add_common(kp)
    kp.set_defaults(run=run_card_hash)


def run_init(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from terminal.cli.common import UsageError
    if args.path == "-":
        print(SAMPLE, end="")
        return 0
    if args.path:
        path = Path(args.path)
    else:
        xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
        path = Path(xdg) / "posterm" / "config.toml"
    if path.exists() and not args.force:
        raise UsageError(f"config init: {path} exists; give another PATH or --force to overwrite it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(SAMPLE)
        os.chmod(path, 0o600)
    except OSError as e:
        raise UsageError(f"config init: cannot write {path}: {e.strerror}") from None
    emit(args, {"written": str(path)}, [f"wrote {path} (mode 0600): edit [terminal], [host] and [keys], then run "
                                        f"`posterm config check --config {path}`"])
    return 0


def _stdin_digits(what: str) -> str:
    """A secret from stdin, never from the command line (where `ps` and the shell history would keep it)."""
    import sys

    from terminal.cli.common import UsageError
    text = sys.stdin.readline().strip()
    if not text.isdigit():
        raise UsageError(f"config: expected the {what} on stdin, digits only")
    return text


def run_pin_hash(args: argparse.Namespace) -> int:
    from terminal.cli.common import UsageError
    from terminal.risk.supervisor import hash_pin
    try:
        hashed = hash_pin(_stdin_digits("supervisor PIN"))
    except ValueError as e:
        raise UsageError(f"config pin-hash: {e}") from None
    emit(args, {"supervisor_pin_hash": hashed}, [f'supervisor_pin_hash = "{hashed}"'])
    return 0


def run_card_hash(args: argparse.Namespace) -> int:
    from terminal.cli.common import load_config
    from terminal.risk.cardhash import card_hash, derived_key
    cfg = load_config(args)
    key = cfg.risk.hash_key or derived_key(cfg.keys.data_key)
    hashed = card_hash(_stdin_digits("PAN"), key)
    emit(args, {"card_hash": hashed}, [hashed])
    return 0


def kcv(key: bytes, algorithm: str) -> str:
    """Key check value (drivers/emvspec/crypto.py): AES, or TDES for the PIN key."""
    from drivers.emvspec.crypto import key_check_value
    return key_check_value(key, "aes" if algorithm == "aes" else "tdes")


def risk_json(policy) -> dict:
    """The [risk] table as it will be used, the secrets only as whether they are set."""
    import dataclasses
    out = {k: v for k, v in dataclasses.asdict(policy).items() if k not in ("hash_key", "supervisor_pin_hash")}
    out["exception_prefixes"], out["exception_hashes"] = len(policy.exception_prefixes), len(policy.exception_hashes)
    out["hash_key"] = "set" if policy.hash_key else "derived from data_key"
    out["supervisor_pin_hash"] = "set" if policy.supervisor_pin_hash else "none"
    return out


def risk_summary(policy) -> str:
    """One line: which rules are on (docs/risk.md)."""
    on = [f"duplicate window {policy.duplicate_window_s} s" if policy.duplicate_window_s else "duplicate guard off",
          f"exception file {len(policy.exception_prefixes)} prefix(es) + {len(policy.exception_hashes)} hash(es)"]
    optional = ((policy.velocity_count, f"velocity {policy.velocity_count} per {policy.velocity_window_min} min"
                                        f" ({policy.velocity_action})"),
                (policy.amount_alert, f"amount alert above {policy.amount_alert} ({policy.amount_action})"),
                (policy.refund_daily_limit, f"refunds above {policy.refund_daily_limit} a day ({policy.refund_action})"),
                (policy.split_window_min, f"split sales over {policy.split_window_min} min ({policy.split_action})"))
    on += [text for enabled, text in optional if enabled]
    on.append(f"alert log {policy.alert_log or 'none'}")
    return ", ".join(on)


def run_check(args: argparse.Namespace) -> int:
    from terminal.cli.common import load_config
    from terminal.cli.main import check_data_dir
    from terminal.cli.reader_spec import parse_reader
    from terminal.config import is_loopback, uses_demo_keys
    cfg = load_config(args)
    if cfg.reader.spec:
        parse_reader(cfg.reader.spec)
    check_data_dir(args)
    demo = uses_demo_keys(cfg)
    problems = []
    remote = [a for a in cfg.host.all_addresses if not is_loopback(a)]
    if demo and remote:
        problems.append(f"[keys] {', '.join(demo)}: built-in demo keys, refused for host {remote[0]}")
    keys = {"mac_key": kcv(cfg.keys.mac_key, "aes"), "data_key": kcv(cfg.keys.data_key, "aes"),
            "pin_key": kcv(cfg.keys.pin_key, "tdes")}
    t, h, r, lim, saf = cfg.terminal, cfg.host, cfg.reader, cfg.limits, cfg.saf
    tls = ("off" if not h.tls_ca_file else
           f"CA {h.tls_ca_file}" + (f", client certificate {h.tls_cert_file}" if h.tls_cert_file else "")
           + (f", server name {h.tls_server_name}" if h.tls_server_name else ""))
    lines = [f"configuration: {cfg.source}",
             f"[terminal] id {t.id}, merchant {t.merchant_id}, currency {t.currency}, country {t.country}",
             f"[host]     {', '.join(h.all_addresses)}, answer within {h.timeout_s:g} s, connect within {h.connect_timeout_s:g} s,"
             f" TLS {tls}",
             "[keys]     " + ", ".join(f"{k} KCV {v}{' (demo key)' if k in demo else ''}" for k, v in keys.items()),
             f"[limits]   floor limit {lim.floor_limit}, max amount {lim.max_amount} (minor units)",
             f"[saf]      max attempts {saf.max_attempts}, needs attention after {saf.expiry_h:g} h",
             f"[reader]   {r.spec or '(none: --reader is required)'}, card timeout {r.card_timeout_s:g} s",
             f"[keypad]   {', '.join(f'{k} = {v}' for k, v in sorted(cfg.keypad.items())) or 'defaults'}",
             f"[risk]     {risk_summary(cfg.risk)}"]
    lines += [f"PROBLEM: {p}" for p in problems]
    lines.append("configuration OK" if not problems else f"{len(problems)} problem(s)")
    emit(args, {"source": cfg.source, "ok": not problems, "problems": problems,
                "terminal": {"id": t.id, "merchant_id": t.merchant_id, "currency": t.currency, "country": t.country},
                "host": {"address": h.address, "addresses": list(h.all_addresses), "timeout_s": h.timeout_s, "connect_timeout_s": h.connect_timeout_s,
                         "tls_ca_file": h.tls_ca_file, "tls_cert_file": h.tls_cert_file,
                         "tls_key_file": h.tls_key_file, "tls_server_name": h.tls_server_name},
                "keys_kcv": keys, "demo_keys": demo,
                "limits": {"floor_limit": lim.floor_limit, "max_amount": lim.max_amount},
                "saf": {"max_attempts": saf.max_attempts, "expiry_h": saf.expiry_h, "window": saf.window},
                "reader": {"spec": r.spec, "card_timeout_s": r.card_timeout_s}, "keypad": cfg.keypad,
                "risk": risk_json(cfg.risk)}, lines)
    return 0 if not problems else 2
