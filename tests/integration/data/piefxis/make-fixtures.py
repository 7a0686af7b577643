#!/usr/bin/python3
"""Regenerate the XEP-0227 (PIEFXIS) fixtures from real ejabberd and Prosody.

Not run in CI: it needs Debian's ejabberd (23.01) and prosody (0.12.3) installed
and takes about a minute. For each server it starts a private instance in a
scratch directory (loopback, ports below 32768, our own processes, stopped by
PID), creates alice, bob and carol with the passwords below, drives them with
slixmpp to make roster items in every subscription state, a vCard, private XML,
a block-list entry and offline messages, stops the clients, exports, and copies
the export here:

    ejabberd-plain/   ejabberd 23.01, default password storage (plaintext)
    ejabberd-scram/   ejabberd 23.01, auth_password_format: scram
    prosody/          Prosody 0.12.3, internal_hashed (SCRAM-SHA-1)

Each directory holds the files exactly as the server wrote them.

Usage: tests/integration/data/piefxis/make-fixtures.py [--keep]
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import slixmpp

HERE = Path(__file__).resolve().parent
DOMAIN = "localhost"
# carol's password is not ASCII: SASLprep must agree between the servers.
PASSWORDS = {"alice": "alice-secret-1", "bob": "bob-secret-2", "carol": "carol-pässwörd-3"}


def free_port() -> int:
    while True:
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


def wait_port(port: int, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise RuntimeError(f"nothing listens on {port}")


def run(cmd, **kw):
    print("+", " ".join(map(str, cmd)), flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({r.returncode}): {r.stdout}\n{r.stderr}")
    return r.stdout


def make_cert(d: Path) -> tuple[Path, Path]:
    cert, key = d / "cert.pem", d / "key.pem"
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-keyout", key, "-out", cert])
    return cert, key


def stop(proc: subprocess.Popen):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- the conversation, the same on both servers -----------------------------------------

class User:
    def __init__(self, name: str, port: int):
        self.name = name
        self.jid = f"{name}@{DOMAIN}"
        x = slixmpp.ClientXMPP(f"{self.jid}/fixture", PASSWORDS[name])
        x.use_ipv6 = False
        x.use_aiodns = False
        import ssl
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        x.ssl_context = ctx
        # Answer subscription requests by hand, never automatically.
        x.roster.auto_authorize = None
        x.roster.auto_subscribe = False
        for plugin in ("xep_0030", "xep_0049", "xep_0054", "xep_0191", "xep_0203"):
            x.register_plugin(plugin)
        self.xmpp = x
        self.port = port
        self.requests: asyncio.Queue = asyncio.Queue()
        self.messages: asyncio.Queue = asyncio.Queue()
        x.add_event_handler("presence_subscribe", lambda p: self.requests.put_nowait(p["from"].bare))
        x.add_event_handler("message", lambda m: self.messages.put_nowait(m))

    async def connect(self):
        started = asyncio.get_running_loop().create_future()
        self.xmpp.add_event_handler("session_start", lambda _: started.done() or started.set_result(True))
        self.xmpp.add_event_handler("failed_all_auth", lambda _: started.done() or started.set_exception(
            RuntimeError(f"{self.jid}: login failed")))
        self.xmpp.connect(("127.0.0.1", self.port))
        await asyncio.wait_for(started, 30)
        await self.xmpp.get_roster()
        self.xmpp.send_presence()

    async def disconnect(self):
        gone = asyncio.get_running_loop().create_future()
        self.xmpp.add_event_handler("disconnected", lambda _: gone.done() or gone.set_result(True))
        self.xmpp.disconnect()
        await asyncio.wait_for(gone, 15)

    async def approve(self, contact: str):
        got = await asyncio.wait_for(self.requests.get(), 15)
        assert str(got) == contact, (got, contact)
        self.xmpp.send_presence(pto=contact, ptype="subscribed")


async def conversation(port: int):
    alice, bob, carol = (User(n, port) for n in ("alice", "bob", "carol"))
    for u in (alice, bob, carol):
        await u.connect()

    # alice <-> bob: both, named and grouped on alice's side.
    await alice.xmpp.update_roster(bob.jid, name="Bob", groups=["Friends"])
    alice.xmpp.send_presence(pto=bob.jid, ptype="subscribe")
    await bob.approve(alice.jid)
    bob.xmpp.send_presence(pto=alice.jid, ptype="subscribe")
    await alice.approve(bob.jid)

    # carol -> bob: carol "to" (two groups), bob "from".
    await carol.xmpp.update_roster(bob.jid, name="Bob B.", groups=["Work", "Team"])
    carol.xmpp.send_presence(pto=bob.jid, ptype="subscribe")
    await bob.approve(carol.jid)
    await asyncio.sleep(1)
    await carol.disconnect()

    # alice -> carol while carol is offline: alice none + ask=subscribe, carol
    # holds a pending inbound request.
    await alice.xmpp.update_roster(carol.jid, name="Carol", groups=["Friends", "Book club"])
    alice.xmpp.send_presence(pto=carol.jid, ptype="subscribe")
    # A remote contact with no subscription.
    await alice.xmpp.update_roster("dave@example.org", name="Dave")

    # vCard and private XML (alice), a block-list entry (bob).
    vcard = alice.xmpp["xep_0054"].make_vcard()
    vcard["FN"] = "Alice Liddell"
    vcard["NICKNAME"] = "alice"
    await alice.xmpp["xep_0054"].publish_vcard(vcard)
    prefs = slixmpp.ET.fromstring("<prefs xmlns='urn:example:prefs'><colour>blue</colour></prefs>")
    await alice.xmpp["xep_0049"].store(slixmpp.xmlstream.ElementBase(prefs))
    await bob.xmpp["xep_0191"].block("spam@example.net")

    # Two offline messages for carol, in order.
    for body in ("first offline message", "second offline message"):
        bob.xmpp.send_message(mto=carol.jid, mbody=body, mtype="chat")
        await asyncio.sleep(0.3)
    await asyncio.sleep(1)
    for u in (alice, bob):
        await u.disconnect()


# --- ejabberd -----------------------------------------------------------------------------

EJABBERD_YML = """\
hosts:
  - {domain}
loglevel: info
log_rotate_count: 0
auth_method: internal
{password_format}
certfiles:
  - "{certkey}"
listen:
  -
    port: {port}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls_required: true
acl:
  admin:
    user: admin@{domain}
access_rules:
  c2s:
    allow: all
shaper_rules:
  max_user_offline_messages: 100
modules:
  mod_blocking: {{}}
  mod_disco: {{}}
  mod_offline: {{}}
  mod_privacy: {{}}
  mod_private: {{}}
  mod_roster: {{}}
  mod_vcard: {{}}
"""


def ejabberd(work: Path, cert: Path, key: Path, scram: bool) -> Path:
    d = work / ("ejabberd-scram" if scram else "ejabberd-plain")
    d.mkdir()
    certkey = d / "certkey.pem"
    certkey.write_text(cert.read_text() + key.read_text())
    port, dist = free_port(), free_port()
    (d / "ejabberd.yml").write_text(EJABBERD_YML.format(
        domain=DOMAIN, port=port, certkey=certkey,
        password_format="auth_password_format: scram" if scram else ""))
    # ejabberdctl sources this file: our node name, a fixed distribution port
    # (so no epmd is started) and no switch to the ejabberd system user.
    (d / "ejabberdctl.cfg").write_text(
        f"ERLANG_NODE=fixture@localhost\nERL_DIST_PORT={dist}\nEXEC_CMD=as_current_user\n")
    ctl = ["/usr/sbin/ejabberdctl", "--config-dir", d, "--config", d / "ejabberd.yml", "--ctl-config",
           d / "ejabberdctl.cfg", "--spool", d / "spool", "--logs", d / "logs"]
    env = dict(os.environ, HOME=str(d))
    (d / "logs").mkdir()
    server = subprocess.Popen(ctl + ["foreground"], env=env, stdout=open(d / "stdout.log", "w"),
                              stderr=subprocess.STDOUT)
    try:
        wait_port(port)
        run(ctl + ["started"], env=env)
        for name, pw in PASSWORDS.items():
            run(ctl + ["register", name, DOMAIN, pw], env=env)
        asyncio.run(conversation(port))
        out = d / "export"
        out.mkdir()
        run(ctl + ["export_piefxis", out], env=env)
        run(ctl + ["stop"], env=env)
        server.wait(timeout=60)
    finally:
        stop(server)
    files = sorted(out.iterdir())
    print("ejabberd wrote:", [f.name for f in files])
    return out


# --- Prosody ------------------------------------------------------------------------------

PROSODY_CFG = """\
run_as_root = true
daemonize = false
pidfile = "{dir}/prosody.pid"
data_path = "{dir}/data"
log = {{ info = "{dir}/prosody.log" }}
c2s_ports = {{ {port} }}
c2s_interfaces = {{ "127.0.0.1" }}
s2s_ports = {{ }}
c2s_direct_tls_ports = {{ }}
component_ports = {{ }}
http_ports = {{ }}
https_ports = {{ }}
c2s_require_encryption = true
authentication = "internal_hashed"
storage = "internal"
ssl = {{ certificate = "{cert}"; key = "{key}" }}
modules_enabled = {{
    "disco"; "roster"; "saslauth"; "tls"; "blocklist"; "private"; "vcard"; "offline";
}}
modules_disabled = {{ "s2s"; }}
VirtualHost "{domain}"
"""

# The stores Prosody 0.12.3's xep0227 driver can write; it has no handler for
# "blocklist" or the "offline" archive (the migrator stops at them).
MIGRATOR_CFG = """\
input {{
    type = "internal";
    path = "{dir}/data";
    hosts = {{ ["{domain}"] = {{ "accounts", "roster", "vcard", "private" }} }};
}}
output {{
    type = "xep0227";
}}
"""


def prosody(work: Path, cert: Path, key: Path) -> Path:
    d = work / "prosody"
    (d / "data").mkdir(parents=True)
    port = free_port()
    cfg = d / "prosody.cfg.lua"
    cfg.write_text(PROSODY_CFG.format(dir=d, port=port, cert=cert, key=key, domain=DOMAIN))
    for name, pw in PASSWORDS.items():
        run(["/usr/bin/prosodyctl", "--config", cfg, "register", name, DOMAIN, pw])
    server = subprocess.Popen(["/usr/bin/prosody", "-F", "--config", cfg], stdout=open(d / "stdout.log", "w"),
                              stderr=subprocess.STDOUT)
    try:
        wait_port(port)
        asyncio.run(conversation(port))
    finally:
        stop(server)
    out = d / "export"
    out.mkdir()
    mcfg = d / "migrator.cfg.lua"
    mcfg.write_text(MIGRATOR_CFG.format(dir=d, domain=DOMAIN))
    # The xep0227 driver writes <user>@<host>.xml into Prosody's data directory,
    # which the migrator takes from its compiled-in default (/var/lib/prosody):
    # run it in a private mount namespace with the export directory bound there.
    # --root: stay root (the scratch files are root's), as run_as_root does for prosody.
    run(["unshare", "--mount", "sh", "-c", 'mount --bind "$0" /var/lib/prosody && exec "$@"', out,
         "/usr/bin/prosody-migrator", "--root", "--config", mcfg, "input", "output"])
    files = sorted(out.iterdir())
    print("prosody-migrator wrote:", [f.name for f in files])
    return out


def main():
    keep = "--keep" in sys.argv
    work = Path(tempfile.mkdtemp(prefix="piefxis-fixtures-"))
    try:
        cert, key = make_cert(work)
        exports = {"ejabberd-plain": ejabberd(work, cert, key, scram=False),
                   "ejabberd-scram": ejabberd(work, cert, key, scram=True),
                   "prosody": prosody(work, cert, key)}
        for name, out in exports.items():
            target = HERE / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(out, target)
            print("wrote", target)
        print("scratch directory:", work)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
