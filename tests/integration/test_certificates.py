"""One certificate per virtual host, chosen by the name the client asks for (SNI), on
every TLS listener (STARTTLS, direct TLS, HTTPS); `xmqd check` on each host's pair; and
`xmqd cert import` from a Let's Encrypt tree.

Hosts: localhost (the default [tls] pair), a.test (its own pair in [[hosts]]), b.test
(data_dir/certs/b.test.crt, as `xmqd cert import` installs it).
"""

from __future__ import annotations

import stat

import pytest

from cert_helpers import file_fingerprint, served_fingerprint, write_certificate
from xmqd_process import Xmqd, free_port, toml_str

HOSTS = ("localhost", "a.test", "b.test")


def give_host_certificate(server: Xmqd, host: str, cert, key):
    """Add certificate/key to HOST's [[hosts]] entry of the written config."""
    text = server.config_path.read_text()
    entry = f"domain = {toml_str(host)}\n"
    assert entry in text
    server.config_path.write_text(text.replace(
        entry, f"{entry}certificate = {toml_str(cert)}\nkey = {toml_str(key)}\n", 1))


def add_https_listener(server: Xmqd) -> int:
    port = free_port({server.c2s_port, server.tls_port})
    with server.config_path.open("a") as f:
        f.write(f'\n[[listeners]]\nkind = "https"\naddress = "127.0.0.1"\nport = {port}\n')
    return port


@pytest.fixture(scope="module")
def sni_server(tmp_path_factory, tls_cert):
    certs = tmp_path_factory.mktemp("certs")
    server = Xmqd(tmp_path_factory.mktemp("sni"), *tls_cert, hosts=HOSTS, name="sni")
    a_cert, a_key = write_certificate(certs, "a", ["a.test"])
    give_host_certificate(server, "a.test", a_cert, a_key)
    b_cert, _ = write_certificate(server.data_dir / "certs", "b.test", ["b.test"])
    server.https_port = add_https_listener(server)
    server.fingerprints = {"localhost": file_fingerprint(tls_cert[0]), "a.test": file_fingerprint(a_cert),
                           "b.test": file_fingerprint(b_cert)}
    server.start()
    yield server
    assert server.stop() == 0, server.log()[-3000:]


@pytest.mark.parametrize("listener", ["starttls", "direct_tls", "https"])
def test_each_host_name_gets_its_own_certificate(sni_server, listener):
    fp = sni_server.fingerprints
    port = {"starttls": sni_server.c2s_port, "direct_tls": sni_server.tls_port,
            "https": sni_server.https_port}[listener]
    starttls = listener == "starttls"
    for name in ("a.test", "b.test", "localhost"):
        assert served_fingerprint(port, name, starttls=starttls, stream_to=name) == fp[name], name
    # A name the server has no certificate for, or none at all: the default pair.
    assert served_fingerprint(port, "unknown.test", starttls=starttls) == fp["localhost"]
    assert served_fingerprint(port, None, starttls=starttls) == fp["localhost"]
    # Host names are case-insensitive (RFC 6066 §3 compares them as DNS names).
    assert served_fingerprint(port, "A.Test", starttls=starttls, stream_to="a.test") == fp["a.test"]


# --------------------------------------------------------------------------- xmqd check


def test_check_warns_about_a_host_certificate_that_does_not_cover_its_host(tmp_path, tls_cert):
    server = Xmqd(tmp_path / "srv", *tls_cert, hosts=HOSTS)
    wrong_cert, wrong_key = write_certificate(tmp_path / "c", "wrong", ["other.test"])
    give_host_certificate(server, "a.test", wrong_cert, wrong_key)
    r = server.admin("check")
    assert r.returncode == 0, r.stderr  # a warning: the configuration is valid
    warnings = [line for line in r.stderr.splitlines() if "warning" in line]
    # a.test's own certificate does not name it; b.test gets the default (localhost) one.
    assert any("a.test" in w and str(wrong_cert) in w for w in warnings), r.stderr
    assert any("b.test" in w for w in warnings), r.stderr
    assert not any('"localhost"' in w for w in warnings), r.stderr


def test_check_refuses_a_host_key_that_does_not_match(tmp_path, tls_cert):
    server = Xmqd(tmp_path / "srv", *tls_cert, hosts=HOSTS)
    a_cert, _ = write_certificate(tmp_path / "c", "a", ["a.test"])
    _, other_key = write_certificate(tmp_path / "c", "other", ["a.test"])
    give_host_certificate(server, "a.test", a_cert, other_key)
    r = server.admin("check")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "a.test" in r.stderr and "does not match" in r.stderr, r.stderr


# --------------------------------------------------------------------------- xmqd cert import


def letsencrypt_tree(root, host, dns=None, *, key_of=None):
    """ROOT/live/HOST/fullchain.pem + privkey.pem, as certbot lays them out."""
    live = root / "live" / host
    cert, key = write_certificate(live, "fullchain", dns or [host], key_name="privkey")
    cert.rename(live / "fullchain.pem")
    if key_of is not None:
        (live / "privkey.key").unlink()
        (live / "privkey.pem").write_bytes(key_of.read_bytes())
    else:
        key.rename(live / "privkey.pem")
    return live / "fullchain.pem", live / "privkey.pem"


def test_cert_import_installs_each_hosts_pair(tmp_path, tls_cert):
    server = Xmqd(tmp_path / "srv", *tls_cert, hosts=HOSTS)
    le = tmp_path / "letsencrypt"
    a_cert, a_key = letsencrypt_tree(le, "a.test")
    flat = tmp_path / "flat"  # the other layout: DIR/<host>.crt and .key
    b_cert, b_key = write_certificate(flat, "b.test", ["b.test"])

    r = server.admin("cert", "import", str(le), str(flat))
    assert r.returncode == 0, r.stdout + r.stderr
    certs = server.data_dir / "certs"
    for host, cert, key in (("a.test", a_cert, a_key), ("b.test", b_cert, b_key)):
        assert f"{host}: imported" in r.stdout, r.stdout
        assert (certs / f"{host}.crt").read_bytes() == cert.read_bytes()
        assert (certs / f"{host}.key").read_bytes() == key.read_bytes()
        assert stat.S_IMODE((certs / f"{host}.key").stat().st_mode) == 0o600
        assert stat.S_IMODE((certs / f"{host}.crt").stat().st_mode) == 0o644
    assert "localhost: no certificate found" in r.stderr, r.stderr
    assert "reload" in r.stdout
    assert not [p.name for p in certs.iterdir() if p.name.startswith(".")], "temporary files left"

    again = server.admin("cert", "import", str(le), str(flat))
    assert again.returncode == 0 and "a.test: unchanged" in again.stdout, again.stdout + again.stderr

    # The server starts on them and `xmqd check` is content with them.
    check = server.admin("check")
    assert check.returncode == 0 and "a.test" not in check.stderr, check.stderr


def test_cert_import_refuses_a_key_that_does_not_match(tmp_path, tls_cert):
    server = Xmqd(tmp_path / "srv", *tls_cert, hosts=HOSTS)
    _, stray_key = write_certificate(tmp_path / "stray", "stray", ["a.test"])
    le = tmp_path / "letsencrypt"
    cert, key = letsencrypt_tree(le, "a.test", key_of=stray_key)
    r = server.admin("cert", "import", str(le))
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"a.test: not imported: the key {key} does not match the certificate {cert}" in r.stderr, r.stderr
    assert not (server.data_dir / "certs" / "a.test.crt").exists()
    assert not (server.data_dir / "certs" / "a.test.key").exists()


def test_cert_import_refuses_a_certificate_for_another_name(tmp_path, tls_cert):
    server = Xmqd(tmp_path / "srv", *tls_cert, hosts=HOSTS)
    le = tmp_path / "letsencrypt"
    letsencrypt_tree(le, "a.test", ["www.a.test"])
    r = server.admin("cert", "import", str(le))
    assert r.returncode == 1, r.stdout + r.stderr
    assert 'does not cover host "a.test"' in r.stderr, r.stderr
    assert not (server.data_dir / "certs" / "a.test.crt").exists()


def test_cert_import_with_nothing_to_import_fails(tmp_path, tls_cert):
    server = Xmqd(tmp_path / "srv", *tls_cert, hosts=HOSTS)
    (tmp_path / "empty").mkdir()
    r = server.admin("cert", "import", str(tmp_path / "empty"))
    assert r.returncode == 1 and "no certificate for any served host" in r.stderr, r.stderr
    usage = server.admin("cert", "import")
    assert usage.returncode == 2 and "cert import DIR" in usage.stderr, usage.stderr
