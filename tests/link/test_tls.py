"""TLS to the host: the server certificate is verified against the configured CA file, over a real socket.
The certificates are made here with `cryptography`: a test CA and a server certificate for 127.0.0.1."""
from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import replace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from terminal.config import Config
from terminal.hostsim.server import start, tls_context
from terminal.link import ConnectError
from terminal.link.client import Endpoint, HostLink
from terminal.store import Journal
from terminal.txn.engine import Engine
from terminal.txn.records import CardInput


def _cert(subject: str, key, issuer_name, issuer_key, ca: bool, san_ip: str | None = None):
    now = dt.datetime.now(dt.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
         .issuer_name(issuer_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if san_ip:
        b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(san_ip))]), False)
    return b.sign(issuer_key, hashes.SHA256())


def _pki(tmp_path, name):
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} test CA")])
    ca = _cert(f"{name} test CA", ca_key, ca_name, ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _cert("127.0.0.1", key, ca_name, ca_key, False, "127.0.0.1")
    pem = lambda c: c.public_bytes(serialization.Encoding.PEM)  # noqa: E731
    (tmp_path / f"{name}-ca.pem").write_bytes(pem(ca))
    (tmp_path / f"{name}-cert.pem").write_bytes(pem(cert))
    (tmp_path / f"{name}-key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return tmp_path / f"{name}-ca.pem", tmp_path / f"{name}-cert.pem", tmp_path / f"{name}-key.pem"


@pytest.fixture
def tls_host(tmp_path):
    ca, cert, key = _pki(tmp_path, "acquirer")
    server, thread = start(Config().keys.mac_key, tls=tls_context(str(cert), str(key)))
    yield server, ca
    server.shutdown()
    server.server_close()


def test_sale_over_tls_verified_against_the_ca(tls_host, tmp_path):
    server, ca = tls_host
    cfg = Config()
    cfg = replace(cfg, host=replace(cfg.host, address=f"127.0.0.1:{server.port}", tls_ca_file=str(ca)))
    link = HostLink(Endpoint("127.0.0.1", server.port, tls_ca_file=str(ca)))
    engine = Engine(cfg, Journal(tmp_path / "j.sqlite3"), link)
    card = CardInput("901", "476173******0119", track2="4761739001010119=31121010000000000")
    _, verdict = engine.authorise("purchase", 100, card)
    assert verdict.state == "approved"
    assert link._sock is not None and link._sock.version() in ("TLSv1.2", "TLSv1.3")


def test_wrong_ca_is_refused_before_anything_is_sent(tls_host, tmp_path):
    server, _ = tls_host
    other_ca, _, _ = _pki(tmp_path, "impostor")
    link = HostLink(Endpoint("127.0.0.1", server.port, tls_ca_file=str(other_ca)))
    with pytest.raises(ConnectError, match="TLS handshake with 127.0.0.1:.* failed.*CERTIFICATE_VERIFY_FAILED"):
        link.exchange(b"0200" + bytes(8), 2)
    assert server.received == []
