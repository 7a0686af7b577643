"""`xmqd check` and the TLS certificate: an expired certificate and one that does not
cover a served host are warned about (the configuration is still valid); a good one
gives no warning."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from xmqd_process import Xmqd


def write_certificate(directory, name: str, dns: list[str], not_before, not_after):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns[0])])
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in dns]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def check(tmp_path, cert, key, hosts=("localhost",)):
    server = Xmqd(tmp_path / "srv", cert, key, hosts=hosts)
    return server.admin("check")


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def test_check_is_quiet_about_a_good_certificate(tmp_path):
    cert, key = write_certificate(tmp_path, "good", ["localhost"], now() - datetime.timedelta(days=1),
                                  now() + datetime.timedelta(days=30))
    r = check(tmp_path, cert, key)
    assert r.returncode == 0, r.stderr
    assert "warning" not in r.stderr, r.stderr
    assert "configuration OK" in r.stdout


def test_check_warns_about_an_expired_certificate(tmp_path):
    cert, key = write_certificate(tmp_path, "old", ["localhost"], now() - datetime.timedelta(days=60),
                                  now() - datetime.timedelta(days=2))
    r = check(tmp_path, cert, key)
    assert r.returncode == 0, r.stderr  # a warning: the configuration itself is valid
    assert "warning" in r.stderr and "expired" in r.stderr, r.stderr
    assert str(cert) in r.stderr


def test_check_warns_about_hosts_the_certificate_does_not_cover(tmp_path):
    cert, key = write_certificate(tmp_path, "narrow", ["localhost"], now() - datetime.timedelta(days=1),
                                  now() + datetime.timedelta(days=30))
    r = check(tmp_path, cert, key, hosts=("localhost", "example.org"))
    assert r.returncode == 0, r.stderr
    warnings = [line for line in r.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1, r.stderr
    assert '"example.org"' in warnings[0] and "does not cover" in warnings[0]
