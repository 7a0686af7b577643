"""Certificates for the TLS tests: make one with `cryptography`, and ask a running xmqd
which certificate it serves for a host name (SNI) over direct TLS, STARTTLS or HTTPS.

Fingerprints are SHA-256 of the DER certificate, as `openssl x509 -fingerprint -sha256`.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import socket
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from protocol import STEP_TIMEOUT, TLS_NS

STREAM_OPEN = ("<?xml version='1.0'?><stream:stream to='{to}' version='1.0' xmlns='jabber:client' "
               "xmlns:stream='http://etherx.jabber.org/streams'>")


def write_certificate(directory: Path, name: str, dns: list[str], days: int = 30,
                      key_name: str | None = None) -> tuple[Path, Path]:
    """A self-signed EC certificate for DNS names `dns` (CN = the first) and its key,
    as DIRECTORY/NAME.crt and DIRECTORY/KEY_NAME-or-NAME.key. Returns (cert, key)."""
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns[0])])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in dns]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path = directory / f"{name}.crt"
    key_path = directory / f"{key_name or name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def file_fingerprint(cert_path: Path) -> str:
    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    return cert.fingerprint(hashes.SHA256()).hex()


def _no_verification() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _read_until(sock: socket.socket, pattern: str) -> str:
    data = b""
    while not re.search(pattern, data.decode("utf-8", "replace")):
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError(f"server closed before {pattern!r}; got {data!r}")
        data += chunk
    return data.decode("utf-8", "replace")


def served_fingerprint(port: int, sni: str | None, *, starttls: bool = False, stream_to: str = "localhost") -> str:
    """SHA-256 fingerprint of the certificate xmqd presents on PORT when the client asks
    for SNI (None: no server_name extension). With starttls, the XMPP stream to
    STREAM_TO is opened and upgraded first (RFC 6120 §5)."""
    with socket.create_connection(("127.0.0.1", port), timeout=STEP_TIMEOUT) as raw:
        if starttls:
            raw.sendall(STREAM_OPEN.format(to=stream_to).encode())
            _read_until(raw, r"</stream:features>")
            raw.sendall(f"<starttls xmlns='{TLS_NS}'/>".encode())
            _read_until(raw, r"<proceed")
        with _no_verification().wrap_socket(raw, server_hostname=sni) as tls:
            return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()
