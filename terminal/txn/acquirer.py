"""The link to the acquirer as the configuration describes it: every [host] address, primary first, with the
TLS settings they share (terminal/link/failover.py)."""
from __future__ import annotations

from terminal.config import HostConfig
from terminal.link.client import Endpoint
from terminal.link.failover import FailoverLink


def endpoints(h: HostConfig) -> list[Endpoint]:
    return [Endpoint.parse(a, connect_timeout_s=h.connect_timeout_s, tls_ca_file=h.tls_ca_file or None,
                           tls_cert_file=h.tls_cert_file or None, tls_key_file=h.tls_key_file or None,
                           tls_server_name=h.tls_server_name or None) for a in h.all_addresses]


def acquirer_link(h: HostConfig) -> FailoverLink:
    return FailoverLink(endpoints(h))
