"""External components (XEP-0114): slixmpp's ComponentXMPP and raw streams on the
component listener.

The handshake (good secret, wrong secret, unknown domain, a second connection of a
connected domain), stanzas both ways between a local user and JIDs at the
component's domain, iq to the component, a spoofed 'from', what a local user gets
when the component is offline or the domain unknown, and the component in the
host's disco#items while it is connected. And a real component from Debian:
biboumi, the IRC gateway, against ngircd, both started here on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from slixmpp.componentxmpp import ComponentXMPP
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from protocol import STEP_TIMEOUT
from conftest import USERS
from raw_stream import RawStream
from web_helpers import XmqdWeb, http_get, metric, parse_prometheus
from xmpp_client import error_condition, signed_in

COMPONENT_NS = "jabber:component:accept"
BOT = "bot.localhost"
BOT_SECRET = "bot-secret-1"
OTHER = "other.localhost"
OTHER_SECRET = "other-secret-2"
XMQD_OPTIONS = {"components": {BOT: BOT_SECRET, OTHER: OTHER_SECRET}}


class Component:
    """A slixmpp ComponentXMPP on the test's event loop, its stanzas in queues."""

    def __init__(self, server, domain=BOT, secret=BOT_SECRET):
        self.server = server
        self.xmpp = ComponentXMPP(domain, secret, "127.0.0.1", server.component_port)
        self.xmpp.use_ipv6 = False
        self.xmpp.use_aiodns = False
        self.messages: asyncio.Queue = asyncio.Queue()
        self.iqs: asyncio.Queue = asyncio.Queue()
        self.stream_errors: asyncio.Queue = asyncio.Queue()
        self.gone = asyncio.Event()
        self.started = asyncio.get_running_loop().create_future()
        on = self.xmpp.add_event_handler
        on("session_start", lambda _: self.started.done() or self.started.set_result(True))
        on("message", self.messages.put_nowait)
        on("stream_error", lambda err: self.stream_errors.put_nowait(err["condition"]))
        on("disconnected", lambda _: self.gone.set())

    async def connect(self):
        self.xmpp.connect()
        await asyncio.wait_for(asyncio.shield(self.started), STEP_TIMEOUT)

    async def close(self):
        self.xmpp.disconnect()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.gone.wait(), 5)

    async def next_message(self):
        return await asyncio.wait_for(self.messages.get(), STEP_TIMEOUT)


@contextlib.asynccontextmanager
async def connected(server, domain=BOT, secret=BOT_SECRET):
    component = Component(server, domain, secret)
    await component.connect()
    try:
        yield component
    finally:
        await component.close()


async def open_component_stream(raw: RawStream, domain: str) -> str:
    """Opens a jabber:component:accept stream to `domain`; the server's stream id."""
    await raw.say(f"<?xml version='1.0'?><stream:stream xmlns='{COMPONENT_NS}' "
                  f"xmlns:stream='http://etherx.jabber.org/streams' to='{domain}'>")
    while raw.header is None:
        assert await raw._receive(STEP_TIMEOUT), raw.conversation()
    return raw.header.get("id", "")


async def raw_handshake(raw: RawStream, domain: str, secret: str):
    stream_id = await open_component_stream(raw, domain)
    assert raw.header.get("from") == domain, raw.conversation()
    digest = hashlib.sha1((stream_id + secret).encode()).hexdigest()
    await raw.say(f"<handshake>{digest}</handshake>")


async def disco_items(client) -> list[str]:
    answer = await client.iq("get", "localhost", "<query xmlns='http://jabber.org/protocol/disco#items'/>")
    assert answer["type"] == "result", answer
    query = answer.xml.find("{http://jabber.org/protocol/disco#items}query")
    return [item.get("jid") for item in query]


async def test_handshake_with_the_right_secret_connects(server):
    async with RawStream(server, port=server.component_port) as raw:
        await raw_handshake(raw, BOT, BOT_SECRET)
        await raw.expect(f"{{{COMPONENT_NS}}}handshake")
        assert raw.header.tag == "{http://etherx.jabber.org/streams}stream"
    assert "component connected" in server.wait_for_log("component connected")
    assert BOT_SECRET not in server.log()


async def test_wrong_secret_is_not_authorized(server):
    async with RawStream(server, port=server.component_port) as raw:
        await raw_handshake(raw, BOT, "not-the-secret")
        assert await raw.stream_error() == "not-authorized"
        await raw.closed()
    async with RawStream(server, port=server.component_port) as raw:
        await open_component_stream(raw, BOT)
        await raw.say("<message to='alice@localhost' from='bot.localhost'><body>early</body></message>")
        assert await raw.stream_error() == "not-authorized"
    assert BOT_SECRET not in server.log()


async def test_unknown_domain_is_host_unknown(server):
    async with RawStream(server, port=server.component_port) as raw:
        await open_component_stream(raw, "nobody.localhost")
        assert await raw.stream_error() == "host-unknown"
    async with RawStream(server, port=server.component_port) as raw:
        await raw.open_stream("bot.localhost", ns="jabber:client")
        assert await raw.stream_error() == "invalid-namespace"


async def test_a_second_connection_of_a_domain_gets_conflict_and_the_first_stays(server):
    async with connected(server) as bot, signed_in(server, "alice") as alice:
        async with RawStream(server, port=server.component_port) as raw:
            await raw_handshake(raw, BOT, BOT_SECRET)
            assert await raw.stream_error() == "conflict"
        alice.send_message(f"echo@{BOT}", "still there?")
        msg = await bot.next_message()
        assert msg["body"] == "still there?"


async def test_messages_both_ways_between_a_local_user_and_the_component(server):
    async with connected(server) as bot, signed_in(server, "alice") as alice:
        await alice.available()
        alice.send_message(f"echo@{BOT}", "hello component")
        msg = await bot.next_message()
        assert msg["body"] == "hello component"
        assert msg["from"].full == alice.jid
        assert msg["to"].bare == f"echo@{BOT}"
        bot.xmpp.send_message(mto=alice.jid, mfrom=f"echo@{BOT}/r", mbody="hello alice", mtype="chat")
        back = await alice.next_message()
        assert back["body"] == "hello alice"
        assert back["from"].full == f"echo@{BOT}/r"
        # To the bare JID: the account's resource gets it (RFC 6121 §8.5.2).
        bot.xmpp.send_message(mto=alice.bare, mfrom=BOT, mbody="to your account", mtype="chat")
        back = await alice.next_message()
        assert back["body"] == "to your account"
        assert back["from"].full == BOT


async def test_iq_to_the_component_and_its_answer(server):
    async with connected(server) as bot, signed_in(server, "alice") as alice:
        def version(iq):
            reply = iq.reply(clear=True)
            query = ET.SubElement(reply.xml, "{jabber:iq:version}query")
            ET.SubElement(query, "{jabber:iq:version}name").text = "test bot"
            reply.send()
        bot.xmpp.register_handler(Callback("version", MatchXPath(f"{{{COMPONENT_NS}}}iq/{{jabber:iq:version}}query"),
                                           version))
        answer = await alice.iq("get", BOT, "<query xmlns='jabber:iq:version'/>")
        assert answer["type"] == "result", answer
        assert answer["from"].full == BOT
        name = answer.xml.find("{jabber:iq:version}query/{jabber:iq:version}name")
        assert name is not None and name.text == "test bot"
        # The component asks the server: its disco#info comes back to it.
        iq = bot.xmpp.Iq(stype="get", sto="localhost", sfrom=BOT)
        iq.xml.append(ET.fromstring("<query xmlns='http://jabber.org/protocol/disco#info'/>"))
        info = await iq.send(timeout=STEP_TIMEOUT)
        assert info["type"] == "result"
        assert info.xml.find("{http://jabber.org/protocol/disco#info}query/"
                             "{http://jabber.org/protocol/disco#info}identity").get("category") == "server"


async def test_a_from_outside_the_domain_ends_the_stream_with_invalid_from(server):
    async with RawStream(server, port=server.component_port) as raw, signed_in(server, "alice") as alice:
        await raw_handshake(raw, BOT, BOT_SECRET)
        await raw.expect(f"{{{COMPONENT_NS}}}handshake")
        await raw.say(f"<message from='bob@localhost' to='{alice.jid}'><body>spoofed</body></message>")
        assert await raw.stream_error() == "invalid-from"
        await alice.silence(1.0)
    async with RawStream(server, port=server.component_port) as raw:
        await raw_handshake(raw, BOT, BOT_SECRET)
        await raw.expect(f"{{{COMPONENT_NS}}}handshake")
        await raw.say(f"<message from='x@{OTHER}' to='alice@localhost'><body>another component's</body></message>")
        assert await raw.stream_error() == "invalid-from"


async def test_component_offline_and_unknown_domains_answer_errors(server):
    async with signed_in(server, "alice") as alice:
        alice.send_message(f"echo@{BOT}", "anyone?")
        error = await alice.next_message()
        assert error["type"] == "error" and error_condition(error) == "service-unavailable"
        answer = await alice.iq("get", BOT, "<query xmlns='jabber:iq:version'/>")
        assert answer["type"] == "error" and error_condition(answer) == "service-unavailable"
        alice.send_message("someone@elsewhere.example", "far away")
        error = await alice.next_message()
        assert error["type"] == "error" and error_condition(error) == "remote-server-not-found"


async def test_the_component_reaches_errors_local_users_and_other_components(server):
    async with connected(server) as bot, connected(server, OTHER, OTHER_SECRET) as other:
        # To another connected component.
        bot.xmpp.send_message(mto=f"x@{OTHER}", mfrom=f"y@{BOT}", mbody="between components")
        msg = await other.next_message()
        assert msg["body"] == "between components" and msg["from"].full == f"y@{BOT}"
        # To a domain nobody serves: the error comes back to the component.
        bot.xmpp.send_message(mto="z@elsewhere.example", mfrom=f"y@{BOT}", mbody="lost")
        error = await bot.next_message()
        assert error["type"] == "error"
        assert error.xml.find(f"{{{COMPONENT_NS}}}error/"
                              "{urn:ietf:params:xml:ns:xmpp-stanzas}remote-server-not-found") is not None


async def test_the_host_disco_items_list_the_component_while_connected(server):
    async with signed_in(server, "alice") as alice:
        assert BOT not in await disco_items(alice)
        async with connected(server):
            assert BOT in await disco_items(alice)
        for _ in range(50):  # the disconnect reaches the server after the close
            if BOT not in await disco_items(alice):
                break
            await asyncio.sleep(0.1)
        assert BOT not in await disco_items(alice)


# --------------------------------------------------------------------------- biboumi


class IrcClient:
    """A raw IRC client socket (RFC 1459 lines) on the test's event loop."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.transcript: list[str] = []

    @classmethod
    async def connect(cls, address: str, port: int, nick: str):
        reader, writer = await asyncio.wait_for(asyncio.open_connection(address, port), STEP_TIMEOUT)
        irc = cls(reader, writer)
        await irc.say(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
        await irc.line_with(" 001 ")
        return irc

    async def say(self, *lines: str):
        for line in lines:
            self.transcript.append("> " + line)
            self.writer.write(line.encode() + b"\r\n")
        await self.writer.drain()

    async def line_with(self, text: str, timeout=STEP_TIMEOUT * 2) -> str:
        """Reads lines (answering PINGs) until one contains `text`."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"no IRC line with {text!r}:\n" + "\n".join(self.transcript[-40:]))
            try:
                raw = await asyncio.wait_for(self.reader.readline(), left)
            except asyncio.TimeoutError:
                continue
            if not raw:
                raise AssertionError("IRC server closed the connection:\n" + "\n".join(self.transcript[-40:]))
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.transcript.append("< " + line)
            if line.startswith("PING"):
                await self.say("PONG" + line[4:])
            elif text in line:
                return line

    def close(self):
        self.writer.close()


def free_irc_address() -> str:
    """A loopback address whose IRC port (6667, which biboumi dials by default) is free."""
    for _ in range(100):
        address = f"127.0.{random.randint(1, 254)}.{random.randint(2, 254)}"
        with socket.socket() as s:
            try:
                s.bind((address, 6667))
            except OSError:
                continue
            return address
    raise RuntimeError("no loopback address with a free port 6667")


@contextlib.contextmanager
def started(args: list[str], log: Path):
    """A helper process (ngircd, biboumi) stopped by its PID on exit."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


async def wait_for_text(path: Path, text: str, timeout=STEP_TIMEOUT * 2):
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {text!r} in {path}:\n{path.read_text(errors='replace')[-4000:]}")


@pytest.mark.skipif(not (shutil.which("biboumi") and shutil.which("ngircd")),
                    reason="biboumi and ngircd not installed (packaging/install-deps.sh installs them)")
async def test_biboumi_carries_a_channel_between_xmpp_and_irc(make_server, tmp_path):
    secret = "biboumi-secret-" + str(random.randrange(1 << 30))
    server = make_server("biboumi", components={"irc.localhost": secret})
    server.start()
    irc_address = free_irc_address()
    (tmp_path / "ngircd.conf").write_text(f"""\
[Global]
Name = irc.test
Info = xmqd test
AdminInfo1 = xmqd tests
AdminInfo2 = loopback
AdminEMail = root@localhost
Listen = {irc_address}
Ports = 6667
ServerUID = {os.getuid() or 65534}
ServerGID = {os.getgid() or 65534}
[Options]
PAM = no
Ident = no
DNS = no
""")
    (tmp_path / "biboumi.cfg").write_text(f"""\
hostname=irc.localhost
password={secret}
xmpp_server_ip=127.0.0.1
port={server.component_port}
db_name={tmp_path / "biboumi.sqlite"}
identd_port=0
log_level=0
realname_customization=true
realname_from_jid=false
policy_directory=/etc/biboumi/
""")
    ngircd_log, biboumi_log = tmp_path / "ngircd.log", tmp_path / "biboumi.log"
    with started(["ngircd", "-n", "-f", str(tmp_path / "ngircd.conf")], ngircd_log), \
            started(["biboumi", str(tmp_path / "biboumi.cfg")], biboumi_log):
        await wait_for_text(ngircd_log, "ready")
        await wait_for_text(biboumi_log, "Authenticated with the XMPP server")
        irc = await IrcClient.connect(irc_address, 6667, "ircbob")
        try:
            await irc.say("JOIN #test")
            await irc.line_with("JOIN")
            channel = f"#test%{irc_address}@irc.localhost"
            async with signed_in(server, "alice") as alice:
                await alice.available()  # as clients do before joining rooms
                presences: asyncio.Queue = asyncio.Queue()
                alice.xmpp.register_handler(Callback("muc presence", MatchXPath("{jabber:client}presence"),
                                                     presences.put_nowait))
                alice.send_raw(f"<presence to='{channel}/alice'>"
                               "<x xmlns='http://jabber.org/protocol/muc'/></presence>")
                # biboumi dials the IRC server, joins, and reports alice's own presence (status 110).
                while True:
                    presence = await asyncio.wait_for(presences.get(), STEP_TIMEOUT * 3)
                    assert presence["type"] != "error", f"join refused: {presence}\n{biboumi_log.read_text()}"
                    codes = presence.xml.findall("{http://jabber.org/protocol/muc#user}x/"
                                                 "{http://jabber.org/protocol/muc#user}status")
                    if presence["from"].bare == channel.lower() and any(c.get("code") == "110" for c in codes):
                        break
                await irc.line_with("JOIN")  # alice, seen from IRC
                alice.send_message(channel, "hello from xmpp", mtype="groupchat")
                line = await irc.line_with("PRIVMSG #test")
                assert line.startswith(":alice!") and line.endswith(":hello from xmpp"), line
                await irc.say("PRIVMSG #test :hello from irc")
                while True:
                    msg = await alice.next_message(timeout=STEP_TIMEOUT * 2)
                    if msg["body"] == "hello from irc":
                        break
                assert msg["type"] == "groupchat"
                assert msg["from"].full == f"{channel.lower()}/ircbob"
            # alice signed out: her directed presence to the room ends (RFC 6121
            # §4.6.3), so biboumi takes her out of the channel.
            while True:
                line = await irc.line_with(":alice!")
                if " PART " in line or " QUIT " in line:
                    break
        finally:
            irc.close()
    assert secret not in server.log()


def test_check_reports_the_component_listener_and_domains_without_secrets(server):
    r = server.admin("check")
    assert r.returncode == 0, r.stderr
    assert f"component listener 127.0.0.1:{server.component_port}" in r.stdout
    assert f"component {BOT} (secret set)" in r.stdout
    assert f"component {OTHER} (secret set)" in r.stdout
    assert BOT_SECRET not in r.stdout + r.stderr and OTHER_SECRET not in r.stdout + r.stderr


# --------------------------------------------------------------------------- limits, metrics, /status


@pytest.fixture(scope="module")
def limited(tmp_path_factory, tls_cert):
    """A server with HTTP (for /metrics and /status), a short pre-auth time and small stanzas."""
    cert, key = tls_cert
    server = XmqdWeb(tmp_path_factory.mktemp("component-limits"), cert, key, name="component-limits",
                     components={BOT: BOT_SECRET}, preauth_timeout=5, max_stanza_bytes=4096)
    for user, password in USERS.items():
        server.add_user(user, password)
    server.start()
    yield server
    assert server.stop() == 0


async def test_a_component_that_does_not_handshake_in_time_is_cut_off(limited):
    async with RawStream(limited, port=limited.component_port) as raw:
        await open_component_stream(raw, BOT)
        assert await raw.stream_error(timeout=STEP_TIMEOUT) == "connection-timeout"


async def test_a_component_stanza_over_the_size_limit_ends_its_stream(limited):
    async with RawStream(limited, port=limited.component_port) as raw:
        await raw_handshake(raw, BOT, BOT_SECRET)
        await raw.expect(f"{{{COMPONENT_NS}}}handshake")
        await raw.say(f"<message from='{BOT}' to='alice@localhost'><body>{'x' * 8192}</body></message>")
        assert await raw.stream_error() == "policy-violation"


async def test_metrics_and_status_show_the_connected_component(limited):
    async with connected(limited) as bot, signed_in(limited, "alice") as alice:
        alice.send_message(f"echo@{BOT}", "counted")
        await bot.next_message()
        status, _, body = await http_get(limited.http_port, "/metrics")
        assert status == 200, body
        series = parse_prometheus(body.decode())
        assert metric(series, "xmqd_component_connected", domain=BOT) == 1
        assert metric(series, "xmqd_component_stanzas_out_total") >= 1
        status, _, body = await http_get(limited.http_port, "/status/data.json")
        assert status == 200, body
        assert json.loads(body)["components"] == [BOT]
    for _ in range(50):  # the disconnect reaches the server after the close
        status, _, body = await http_get(limited.http_port, "/status/data.json")
        if json.loads(body)["components"] == []:
            break
        await asyncio.sleep(0.1)
    assert json.loads(body)["components"] == []


async def test_a_reload_changes_secrets_and_keeps_the_connected_component(make_server):
    from test_reload import sighup
    server = make_server("component-reload", components={BOT: BOT_SECRET})
    server.start()
    async with connected(server) as bot:
        server.components = {BOT: "new-secret", "late.localhost": "late-secret"}
        server.write_config()
        line, log = await sighup(server)
        assert "configuration reloaded" in line, log
        assert "new-secret" not in server.log() and "late-secret" not in server.log()
        async with signed_in(server, "alice") as alice:
            alice.send_message(f"echo@{BOT}", "after the reload")
            assert (await bot.next_message())["body"] == "after the reload"
    async with RawStream(server, port=server.component_port) as raw:
        await raw_handshake(raw, BOT, BOT_SECRET)
        assert await raw.stream_error() == "not-authorized"
    async with connected(server, BOT, "new-secret") as bot, connected(server, "late.localhost", "late-secret") as late:
        assert bot.started.result() and late.started.result()  # both handshakes succeeded
