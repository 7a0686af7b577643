"""Federation (RFC 6120 server-to-server, XEP-0220 dialback over TLS).

Each server listens on the standard port 5269 of its own loopback address,
under a test domain the tests add to /etc/hosts (idempotently; CI runs as
root): xmqd.test on 127.0.0.3, a second xmqd as xmqd2.test on 127.0.0.5,
Debian's Prosody as prosody.test on 127.0.0.2 and Debian's ejabberd as
ejabberd.test on 127.0.0.4 (its users sign in anonymously, SASL ANONYMOUS). Certificates are
self-signed for localhost: dialback authenticates the streams. Clients are
slixmpp sessions on each side. nowhere.test resolves nowhere (the .test
domain is reserved, and not in the hosts file); silent.test (127.0.0.7) is a
listener the test holds that accepts and never answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from im_helpers import watched
from xmpp_client import Client, error_condition
from web_helpers import XmqdWeb, http_get, metric, parse_prometheus
from xmqd_process import free_port

HOSTS = {"xmqd.test": "127.0.0.3", "xmqd2.test": "127.0.0.5", "prosody.test": "127.0.0.2",
         "ejabberd.test": "127.0.0.4", "silent.test": "127.0.0.7"}
PROSODY = "/usr/bin/prosody"
ERL = "/usr/bin/erl"
USERS = {"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw"}


def ensure_hosts_entries():
    """The test domains in /etc/hosts, each added once."""
    try:
        text = Path("/etc/hosts").read_text()
        known = {tuple(line.split()[:2]) for line in text.splitlines() if len(line.split()) >= 2}
        missing = [f"{addr} {name}\n" for name, addr in HOSTS.items() if (addr, name) not in known]
        if missing:
            with open("/etc/hosts", "a") as f:
                if text and not text.endswith("\n"):
                    f.write("\n")
                f.writelines(missing)
    except PermissionError:
        pytest.skip("federation tests add test domains to /etc/hosts: run as root")


def s2s_toml(address: str) -> str:
    return f"""
[[listeners]]
kind = "s2s"
address = "{address}"

[s2s]
resolve_timeout = 3
connect_timeout = 10
"""


@pytest.fixture(scope="module")
def federation(tmp_path_factory, tls_cert):
    ensure_hosts_entries()
    servers = {}
    cert, key = tls_cert
    for domain in ("xmqd.test", "xmqd2.test"):
        # With HTTP, for /metrics and /status.
        server = XmqdWeb(tmp_path_factory.mktemp(f"s2s-{domain}"), cert, key, name=domain,
                         hosts=(domain, "localhost"))
        for user, password in USERS.items():
            server.add_user(user, password)
        server.extra_toml = s2s_toml(HOSTS[domain])
        server.write_config()
        server.start()
        servers[domain] = server
    yield servers
    for server in servers.values():
        server.stop()


class Peer:
    """What xmpp_client.Client needs of a server that is not xmqd."""

    def __init__(self, domain, c2s_port, cert):
        self.domain = domain
        self.c2s_port = c2s_port
        self.tls_port = c2s_port
        self.cert = cert
        self.passwords: dict[str, str] = {}
        self.mech = "SCRAM-SHA-1"  # Prosody 0.12 offers no SCRAM-SHA-256


@pytest.fixture(scope="module")
def prosody(tmp_path_factory, tls_cert):
    if not os.path.exists(PROSODY):
        pytest.skip("Prosody is not installed (apt-get install prosody)")
    ensure_hosts_entries()
    work = tmp_path_factory.mktemp("prosody")
    (work / "data").mkdir()
    cert, key = tls_cert
    port = free_port()
    cfg = work / "prosody.cfg.lua"
    cfg.write_text(f"""
run_as_root = true
daemonize = false
pidfile = "{work}/prosody.pid"
data_path = "{work}/data"
log = {{ info = "{work}/prosody.log" }}
c2s_ports = {{ {port} }}
c2s_interfaces = {{ "127.0.0.1" }}
c2s_direct_tls_ports = {{ }}
s2s_ports = {{ 5269 }}
s2s_interfaces = {{ "{HOSTS['prosody.test']}" }}
s2s_direct_tls_ports = {{ }}
component_ports = {{ }}
http_ports = {{ }}
https_ports = {{ }}
c2s_require_encryption = true
s2s_require_encryption = true
s2s_secure_auth = false
-- Prosody resolves with libunbound, which reads the hosts file only when asked.
unbound = {{ hoststxt = "/etc/hosts" }}
authentication = "internal_hashed"
ssl = {{ certificate = "{cert}"; key = "{key}" }}
modules_enabled = {{ "disco"; "roster"; "saslauth"; "tls"; "dialback"; "ping"; "presence"; "message"; "iq"; "version" }}
VirtualHost "prosody.test"
""")
    for user, password in USERS.items():
        subprocess.run(["prosodyctl", "--config", str(cfg), "register", user, "prosody.test", password],
                       check=True, capture_output=True, timeout=60)
    proc = subprocess.Popen([PROSODY, "-F", "--config", str(cfg)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peer = Peer("prosody.test", port, cert)
    peer.passwords = {f"{u}@prosody.test": p for u, p in USERS.items()}
    peer.log = work / "prosody.log"
    wait_for_ports(proc, [("127.0.0.1", port), (HOSTS["prosody.test"], 5269)], "Prosody", peer.log)
    yield peer
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def login(server) -> dict:
    """Client options for a server: its certificate is for localhost (not checked), its SASL mechanism."""
    return {"verify": False, "mech": getattr(server, "mech", "SCRAM-SHA-256")}


@contextlib.asynccontextmanager
async def signed_in(server, user, **kw):
    """A slixmpp session on `server`; the sign-in may take 30 s (ejabberd starts slowly on a loaded machine)."""
    client = Client(server, user, **{**login(server), **kw})
    await client.sign_in(timeout=30)
    try:
        yield client
    finally:
        await client.sign_out()


def wait_for_ports(proc, ports, what, log):
    """Until each (address, port) accepts; at most 90 s (the Erlang VM starts slowly on a loaded machine)."""
    deadline = time.monotonic() + 90
    while True:
        try:
            for address, port in ports:
                socket.create_connection((address, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                state = f"exited {proc.returncode}" if proc.poll() is not None else "not listening after 90 s"
                proc.kill()
                pytest.fail(f"{what} did not start ({state}): {log.read_text()[-3000:] if log.exists() else ''}")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def ejabberd(tmp_path_factory, tls_cert):
    if not os.path.exists("/usr/sbin/ejabberdctl"):
        pytest.skip("ejabberd is not installed (apt-get install ejabberd)")
    ensure_hosts_entries()
    work = tmp_path_factory.mktemp("ejabberd")
    cert, key = tls_cert
    certkey = work / "certkey.pem"
    certkey.write_text(Path(cert).read_text() + Path(key).read_text())
    port = free_port()
    cfg = work / "ejabberd.yml"
    cfg.write_text(f"""
hosts:
  - ejabberd.test
loglevel: info
log_rotate_count: 0
auth_method: [anonymous]
anonymous_protocol: sasl_anon
allow_multiple_connections: true
certfiles:
  - "{certkey}"
s2s_use_starttls: required
s2s_dns_timeout: 5
listen:
  -
    port: {port}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls_required: true
  -
    port: 5269
    ip: "{HOSTS['ejabberd.test']}"
    module: ejabberd_s2s_in
access_rules:
  c2s:
    allow: all
modules:
  mod_disco: {{}}
  mod_ping: {{}}
  mod_roster: {{}}
  mod_s2s_dialback: {{}}
  mod_version: {{}}
""")
    spool = work / "spool"
    spool.mkdir()
    log = work / "ejabberd.log"
    env = dict(os.environ, ERL_LIBS="/usr/lib/x86_64-linux-gnu", EJABBERD_CONFIG_PATH=str(cfg),
               EJABBERD_LOG_PATH=str(log), HOME=str(work))
    # No -sname: no Erlang distribution, so no epmd. erl execs beam.smp: the PID is the VM's.
    proc = subprocess.Popen([ERL, "-noinput", "-mnesia", "dir", f'"{spool}"', "-s", "ejabberd"], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_ports(proc, [("127.0.0.1", port), (HOSTS["ejabberd.test"], 5269)], "ejabberd", log)
    peer = Peer("ejabberd.test", port, cert)
    peer.mech = "ANONYMOUS"
    peer.passwords = {"anon@ejabberd.test": ""}
    peer.log = log
    yield peer
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


async def wait_for(condition, what: str, timeout=15.0):
    """Polls `condition` (an async callable) until true, at most `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if await condition():
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        await asyncio.sleep(0.2)


async def chat_both_ways(a_server, a_user, b_server, b_user):
    async with signed_in(a_server, a_user) as a, signed_in(b_server, b_user) as b:
        await a.available()
        await b.available()
        a.send_message(b.bare, "hello from " + a.bare)
        msg = await b.next_message(timeout=20)
        assert msg["body"] == "hello from " + a.bare
        assert msg["from"].bare == a.bare
        b.send_message(a.bare, "hello back")
        msg = await a.next_message(timeout=20)
        assert msg["body"] == "hello back"
        assert msg["from"].bare == b.bare


async def subscribe_both(a_server, a_user, b_server, b_user):
    """Presence subscription both ways between accounts of two servers, ending in `both` on each side."""
    async with watched(a_server, a_user, **login(a_server)) as a, watched(b_server, b_user, **login(b_server)) as b:
        await a.roster()
        await b.roster()
        a.xmpp.send_presence()
        b.xmpp.send_presence()
        a.presence(b.bare, "subscribe")
        await b.next_presence(sender=a.bare, ptype="subscribe", timeout=20)
        b.presence(a.bare, "subscribed")
        b.presence(a.bare, "subscribe")
        await a.next_presence(sender=b.bare, ptype="subscribe", timeout=20)
        a.presence(b.bare, "subscribed")

        async def both(x, y):
            return (await x.subscription(y.bare))[0] == "both"
        await wait_for(lambda: both(a, b), f"{a.bare}'s roster shows {b.bare} as both")
        await wait_for(lambda: both(b, a), f"{b.bare}'s roster shows {a.bare} as both")
        # Each now sees the other's presence (the broadcast crosses the servers).
        b.xmpp.send_presence(pstatus="here")
        await a.next_presence(sender=b.bare, timeout=20)


async def ping_across(a_server, a_user, b_domain):
    async with signed_in(a_server, a_user) as a:
        answer = await a.iq("get", b_domain, "<ping xmlns='urn:xmpp:ping'/>", timeout=20)
        assert answer["type"] == "result", f"ping {b_domain}: {answer}"


async def burst_in_order(a_server, a_user, b_server, b_user, count=1000):
    async with signed_in(a_server, a_user) as a, signed_in(b_server, b_user) as b:
        await b.available()
        for i in range(count):
            a.send_message(b.bare, f"m{i}")
        for i in range(count):
            msg = await b.next_message(timeout=20)
            assert msg["body"] == f"m{i}", f"message {i} out of order: {msg['body']}"


# ----------------------------------------------------------------------- xmqd <-> xmqd


async def test_xmqd_chat_both_ways(federation):
    await chat_both_ways(federation["xmqd.test"], "alice", federation["xmqd2.test"], "bob")


async def test_xmqd_subscription_both_ways(federation):
    await subscribe_both(federation["xmqd.test"], "carol", federation["xmqd2.test"], "carol")


async def test_xmqd_ping_across(federation):
    await ping_across(federation["xmqd.test"], "alice", "xmqd2.test")
    await ping_across(federation["xmqd2.test"], "bob", "xmqd.test")


async def test_xmqd_burst_in_order(federation):
    await burst_in_order(federation["xmqd.test"], "bob", federation["xmqd2.test"], "alice")


async def test_metrics_and_status_show_s2s(federation):
    server = federation["xmqd.test"]
    await chat_both_ways(server, "bob", federation["xmqd2.test"], "bob")
    status, _, body = await http_get(server.http_port, "/metrics")
    assert status == 200, body
    series = parse_prometheus(body.decode())
    assert metric(series, "xmqd_s2s_outgoing", domain="xmqd2.test") == 1
    assert metric(series, "xmqd_s2s_stanzas_out_total") >= 1
    assert metric(series, "xmqd_s2s_stanzas_in_total") >= 1
    status, _, body = await http_get(server.http_port, "/status/data.json")
    assert status == 200, body
    assert "xmqd2.test" in json.loads(body)["s2s"]


def test_check_reports_federation(federation):
    r = federation["xmqd.test"].admin("check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"s2s listener {HOSTS['xmqd.test']}:5269" in r.stdout, r.stdout
    assert "s2s: dialback (XEP-0220), TLS required" in r.stdout, r.stdout
    assert "connect_timeout 10 s" in r.stdout, r.stdout
    assert "no s2s.dialback_secret" in r.stderr, r.stderr  # the tests leave it random


async def test_unresolvable_domain_bounces(federation):
    async with signed_in(federation["xmqd.test"], "alice") as a:
        await a.available()
        a.send_message("someone@nowhere.test", "anyone?")
        msg = await a.next_message(timeout=20)
        assert msg["type"] == "error"
        assert error_condition(msg) == "remote-server-not-found"


async def test_silent_server_bounces_with_timeout(federation):
    """A server that accepts and never answers: remote-server-timeout after s2s.connect_timeout."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOSTS["silent.test"], 5269))
    listener.listen(8)
    try:
        async with signed_in(federation["xmqd.test"], "carol") as c:
            await c.available()
            c.send_message("someone@silent.test", "hello?")
            msg = await c.next_message(timeout=25)
            assert msg["type"] == "error"
            assert error_condition(msg) == "remote-server-timeout"
    finally:
        listener.close()


async def test_remote_message_to_offline_user_is_stored(federation):
    """A message from another server takes the local path: offline storage, delivered at login."""
    async with signed_in(federation["xmqd2.test"], "carol") as c:
        await c.available()
        c.send_message("alice@xmqd.test", "while you were away")
        # A ping across, answered after it on the same streams, proves the message arrived first.
        answer = await c.iq("get", "xmqd.test", "<ping xmlns='urn:xmpp:ping'/>", timeout=20)
        assert answer["type"] == "result"
    async with signed_in(federation["xmqd.test"], "alice", resource="later") as a:
        await a.available()
        msg = await a.next_message(timeout=20)
        assert msg["body"] == "while you were away"
        assert msg["from"].bare == "carol@xmqd2.test"


async def test_blocked_remote_sender_is_not_delivered(federation):
    """The blocking list applies to remote senders too (XEP-0191, the one delivery path)."""
    async with signed_in(federation["xmqd.test"], "bob") as b, \
            signed_in(federation["xmqd2.test"], "alice") as a:
        await b.available()
        answer = await b.iq("set", None, "<block xmlns='urn:xmpp:blocking'><item jid='alice@xmqd2.test'/></block>")
        assert answer["type"] == "result"
        a.send_message("bob@xmqd.test", "blocked?")
        answer = await a.iq("get", "xmqd.test", "<ping xmlns='urn:xmpp:ping'/>", timeout=20)
        assert answer["type"] == "result"
        bounced = await a.next_message(timeout=20)
        assert bounced["type"] == "error"
        await b.silence(1.0)
        await b.iq("set", None, "<unblock xmlns='urn:xmpp:blocking'><item jid='alice@xmqd2.test'/></unblock>")
        a.send_message("bob@xmqd.test", "unblocked")
        assert (await b.next_message(timeout=20))["body"] == "unblocked"


async def test_federation_resumes_after_a_restart(federation):
    """The peer restarts: the old stream ends, the next stanza opens a new one."""
    federation["xmqd2.test"].stop()
    federation["xmqd2.test"].start()
    await chat_both_ways(federation["xmqd.test"], "carol", federation["xmqd2.test"], "alice")


async def test_stanza_before_tls_and_dialback_is_refused(federation):
    """A peer that sends stanzas without STARTTLS and dialback gets <policy-violation/>."""
    server = federation["xmqd.test"]
    raw = socket.create_connection((HOSTS["xmqd.test"], 5269), timeout=10)
    raw.sendall(b"<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                b"xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' "
                b"from='xmqd2.test' to='xmqd.test' version='1.0'>")
    data = b""
    while b"</stream:features>" not in data:
        chunk = raw.recv(4096)
        assert chunk, data
        data += chunk
    assert b"<required/>" in data  # STARTTLS is required by default
    # Stanzas before TLS and dialback end the stream.
    raw.sendall(b"<message from='a@xmqd2.test' to='alice@xmqd.test'><body>x</body></message>")
    data = b""
    while b"</stream:stream>" not in data:
        chunk = raw.recv(4096)
        if not chunk:
            break
        data += chunk
    assert b"policy-violation" in data
    raw.close()
    assert server.alive()


# ----------------------------------------------------------------------- xmqd <-> Prosody


async def test_prosody_chat_both_ways(federation, prosody):
    await chat_both_ways(federation["xmqd.test"], "alice", prosody, "alice@prosody.test")


async def test_prosody_subscription_both_ways(federation, prosody):
    await subscribe_both(federation["xmqd.test"], "bob", prosody, "bob@prosody.test")


async def test_prosody_ping_across(federation, prosody):
    await ping_across(federation["xmqd.test"], "carol", "prosody.test")
    await ping_across(prosody, "carol@prosody.test", "xmqd.test")


async def test_prosody_burst_in_order(federation, prosody):
    await burst_in_order(federation["xmqd.test"], "carol", prosody, "carol@prosody.test")
    await burst_in_order(prosody, "alice@prosody.test", federation["xmqd.test"], "bob")


# ----------------------------------------------------------------------- xmqd <-> ejabberd


async def test_ejabberd_chat_both_ways(federation, ejabberd):
    await chat_both_ways(ejabberd, "anon@ejabberd.test", federation["xmqd.test"], "alice")


async def test_ejabberd_ping_across(federation, ejabberd):
    await ping_across(federation["xmqd.test"], "bob", "ejabberd.test")
    await ping_across(ejabberd, "anon@ejabberd.test", "xmqd.test")


async def test_ejabberd_burst_in_order(federation, ejabberd):
    await burst_in_order(ejabberd, "anon@ejabberd.test", federation["xmqd.test"], "carol")
