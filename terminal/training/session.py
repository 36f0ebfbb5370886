"""One training session: the host simulator started in this process, the configuration pointed at it, the
training journal's directory, and the TRAINING marks on screens and slips."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from terminal.config import Config
from terminal.hostsim.rules import Rule
from terminal.hostsim.server import HostServer, start
from terminal.i18n import width as cols
from terminal.i18n.text import _

TRAINING_DIR = "training"   # under the data dir: its own journal, lock, identity and drill log


def training_dir(data_dir: Path) -> Path:
    return Path(data_dir) / TRAINING_DIR


def training_config(cfg: Config, address: str, *, timeout_s: float | None = None) -> Config:
    """`cfg` with the simulator in place of every configured host address, and no TLS (the simulator speaks
    plain TCP on loopback). The terminal's ids, keys, limits and keypad stay: the trainee sees their own
    terminal. The real address is gone from the result, so nothing downstream can reach it."""
    host = replace(cfg.host, address=address, addresses=(), tls_ca_file="", tls_cert_file="", tls_key_file="",
                   tls_server_name="", timeout_s=timeout_s or cfg.host.timeout_s)
    return replace(cfg, host=host, source=f"{cfg.source} (training: host simulator at {address})")


@dataclass
class TrainingHost:
    server: HostServer
    address: str

    def sent(self) -> list[str]:
        """What reached the simulator, as 'MTI' or 'MTI/field 39' (a reversal's reason), in order."""
        from terminal.iso8583 import decode
        out = []
        for raw in list(self.server.received):
            m = decode(raw, self.server.mac_key)
            code = m.fields.get(39) if m.mti in ("0400", "0420") else None
            out.append(f"{m.mti}/{code}" if code else m.mti)
        return out


@contextmanager
def training_host(cfg: Config, rules: list[Rule] | None = None) -> Iterator[TrainingHost]:
    """The built-in host simulator on a free loopback port, answering with this terminal's MAC key."""
    server, thread = start(cfg.keys.mac_key, rules=list(rules or []))
    try:
        yield TrainingHost(server, f"127.0.0.1:{server.port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def banner() -> str:
    return _("TRAINING")


def mark_slip(lines: list[str], width: int = 32) -> list[str]:
    """A training slip: said above and below, so a torn-off half still says it is not a payment."""
    mark = "*** " + _("TRAINING - NOT A PAYMENT") + " ***"
    shown = [cols.center(line, width) for line in cols.wrap(mark, width)]
    return [*shown, *lines, *shown]


def mark_lines(lines: list[str]) -> list[str]:
    """A command's text result in training: the first line says so."""
    return [f"*** {banner()} ***", *lines]
