"""Hardening limits (issue 8): each limit is hit, the RFC's error comes back, and the
server keeps serving everyone else.

Clients that hit a per-IP limit connect from 127.0.0.2 (any 127/8 address is loopback
on Linux); the "everyone else" clients come from 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import time

import pytest

from protocol import BIND_NS, SASL_NS, STANZAS_ERR_NS, STEP_TIMEOUT, STREAM_NS, client_tls_context
from raw_stream import RawStream
from xmpp_client import assert_can_sign_in

XMQ_NS = "xmq:command"


class RawFrom(RawStream):
    """A RawStream from a chosen loopback source address, optionally with a tiny receive buffer."""

    def __init__(self, server, source="127.0.0.2", rcvbuf: int | None = None, **kw):
        super().__init__(server, **kw)
        self.source = source
        self.rcvbuf = rcvbuf

    async def __aenter__(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if self.rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        sock.bind((self.source, 0))
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        await asyncio.wait_for(loop.sock_connect(sock, ("127.0.0.1", self.server.c2s_port)), STEP_TIMEOUT)
        self.reader, self.writer = await asyncio.open_connection(sock=sock)
        return self


def start(make_server, name, options=None, **sections):
    """An xmqd (harness options, e.g. max_failures) whose [auth], [limits] and [xmq] get extra keys."""
    server = make_server(name, **(options or {}))
    for section, keys in sections.items():
        server.extra_config.setdefault(section, {}).update(keys)
    server.write_config()
    server.start()
    return server


async def ping(stream: RawStream, ident="ping1"):
    """The server answers a ping on this stream (it has read everything sent before)."""
    await stream.say(f"<iq type='get' id='{ident}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
    skipped = []
    while True:
        elem = await stream.next_element(30)
        assert elem is not None, f"stream ended before the ping answer:\n{stream.conversation()}"
        if elem.tag == "{jabber:client}iq" and elem.get("id") == ident:
            assert elem.get("type") == "result"
            stream._pending[0:0] = skipped  # what came before stays to be read
            return
        skipped.append(elem)


async def authenticated(stream: RawStream, user, password):
    """STARTTLS and SASL PLAIN, up to the features of the restarted stream."""
    await stream.open_stream()
    await stream.features()
    await stream.starttls()
    await stream.open_stream()
    await stream.features()
    answer = await stream.auth_plain(user, password)
    assert answer.tag == f"{{{SASL_NS}}}success", stream.conversation()
    stream.restart_stream()
    await stream.open_stream()
    await stream.features()


def stanza_error(elem) -> tuple[str | None, str | None]:
    err = elem.find("{jabber:client}error")
    if err is None:
        return None, None
    conditions = [c.tag.split("}", 1)[1] for c in err if c.tag.startswith(f"{{{STANZAS_ERR_NS}}}")
                  and not c.tag.endswith("}text")]
    return err.get("type"), conditions[0] if conditions else None


# --------------------------------------------------------------------------- connections per IP


async def test_connections_per_ip_past_the_limit_get_policy_violation(make_server):
    server = start(make_server, "conn-per-ip", limits={"max_connections_per_ip": 3})
    streams = [RawFrom(server) for _ in range(3)]
    for s in streams:
        await s.__aenter__()
        await s.open_stream()
        await s.features()
    try:
        async with RawFrom(server) as fourth:
            assert await fourth.stream_error() == "policy-violation"
            await fourth.closed()
        # Another address is not affected.
        await assert_can_sign_in(server, "alice")
        # A closed connection frees its place.
        await streams[0].__aexit__(None, None, None)
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            async with RawFrom(server) as again:
                await again.open_stream()
                elem = await again.next_element()
                if elem is not None and elem.tag == f"{{{STREAM_NS}}}features":
                    break
            assert time.monotonic() < deadline, "the closed connection's place was never freed"
            await asyncio.sleep(0.2)
    finally:
        for s in streams[1:]:
            await s.__aexit__(None, None, None)
    server.wait_for_log("refused a connection from 127.0.0.2")


# --------------------------------------------------------------------------- sessions per account


async def bind(stream: RawStream, resource: str):
    await stream.say(f"<iq type='set' id='bind-{resource}'><bind xmlns='{BIND_NS}'>"
                     f"<resource>{resource}</resource></bind></iq>")
    return await stream.expect("{jabber:client}iq")


async def test_sessions_per_account_past_the_limit_get_resource_constraint(make_server):
    server = start(make_server, "sessions", limits={"max_sessions_per_account": 2})
    a, b, c = RawStream(server), RawStream(server), RawStream(server)
    async with a, b, c:
        await a.sign_in("alice", resource="one")
        await b.sign_in("alice", resource="two")
        await authenticated(c, "alice", server.passwords["alice@localhost"])
        answer = await bind(c, "three")
        # RFC 6120 §7.6.2.1: the account has reached its limit of connected resources.
        assert answer.get("type") == "error", c.conversation()
        assert stanza_error(answer) == ("wait", "resource-constraint"), c.conversation()
        # The stream stays usable: once a session ends, the bind succeeds.
        await a.say("</stream:stream>")
        await a.closed()
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            answer = await bind(c, "three")
            if answer.get("type") == "result":
                break
            assert time.monotonic() < deadline, c.conversation()
            await asyncio.sleep(0.2)
        # Other accounts are not affected.
        await assert_can_sign_in(server, "bob")


# --------------------------------------------------------------------------- SASL failures per IP


async def timed_failure(stream: RawStream) -> float:
    started = time.monotonic()
    answer = await stream.auth_plain("alice", "wrong-password")
    assert answer.tag == f"{{{SASL_NS}}}failure", stream.conversation()
    assert answer.find(f"{{{SASL_NS}}}not-authorized") is not None
    return time.monotonic() - started


async def test_sasl_failures_from_one_ip_are_answered_ever_later(make_server):
    server = start(make_server, "sasl-delay",
                   options={"max_failures": 10},
                   auth={"failure_delay_ms": 400, "max_failure_delay_ms": 1600})
    async with RawFrom(server) as guesser:
        await guesser.open_stream()
        await guesser.features()
        await guesser.starttls()
        await guesser.open_stream()
        await guesser.features()
        delays = [await timed_failure(guesser) for _ in range(3)]
        # 0.4 s, 0.8 s, 1.6 s (the cap), give or take scheduling.
        assert 0.35 <= delays[0] < 0.8, delays
        assert 0.75 <= delays[1] < 1.4, delays
        assert 1.5 <= delays[2] < 2.6, delays
        # A new connection from the same address does not start afresh...
        async with RawFrom(server) as again:
            await again.open_stream()
            await again.features()
            await again.starttls()
            await again.open_stream()
            await again.features()
            # ...and while it waits, everyone else is served at once.
            waiting = asyncio.ensure_future(timed_failure(again))
            started = time.monotonic()
            await assert_can_sign_in(server, "bob")
            assert time.monotonic() - started < 1.5
            assert await waiting >= 1.5
    # Another address starts at the base delay.
    async with RawFrom(server, source="127.0.0.3") as other:
        await other.open_stream()
        await other.features()
        await other.starttls()
        await other.open_stream()
        await other.features()
        assert await timed_failure(other) < 0.8


# --------------------------------------------------------------------------- inbound shaper


async def test_inbound_shaper_slows_a_fast_sender_and_drops_nothing(make_server):
    rate = 8192
    server = start(make_server, "shaper", limits={"inbound_rate": rate, "inbound_burst": 4096})
    async with RawStream(server) as sender, RawStream(server) as bob:
        await sender.sign_in("alice", resource="fast")
        bob_jid = await bob.sign_in("bob", resource="slow")
        body = "x" * 900
        count = 40  # ~40 KB: several seconds at 8 KB/s
        started = time.monotonic()
        await sender.say("".join(f"<message to='{bob_jid}' type='chat' id='m{i}'><body>{body}</body></message>"
                                 for i in range(count)))
        # Meanwhile another connection is not slowed.
        t = time.monotonic()
        await ping(bob, "bob-ping")
        assert time.monotonic() - t < 1.5
        await ping(sender, "after-burst")
        elapsed = time.monotonic() - started
        sent = count * (len(body) + 70)
        assert elapsed >= (sent - 4096 - 4096) / rate * 0.8, elapsed
        got = 0
        while got < count:
            elem = await bob.next_element(STEP_TIMEOUT)
            assert elem is not None, bob.conversation()
            if elem.tag == "{jabber:client}message":
                assert elem.get("id") == f"m{got}"
                got += 1


# --------------------------------------------------------------------------- pre-auth timeout


async def test_preauth_timeout_closes_a_silent_stream_with_connection_timeout(make_server):
    server = start(make_server, "preauth", options={"preauth_timeout": 5})
    async with RawStream(server) as slow:
        await slow.open_stream()
        await slow.features()
        started = time.monotonic()
        # Meanwhile others log in and are served.
        await assert_can_sign_in(server, "alice")
        assert await slow.stream_error(timeout=15) == "connection-timeout"
        await slow.closed()
        assert 3.5 <= time.monotonic() - started < 12


# --------------------------------------------------------------------------- output queue


async def test_a_client_that_stops_reading_is_disconnected_with_policy_violation(make_server):
    server = start(make_server, "output-queue",
                   limits={"max_output_bytes": 65536, "inbound_rate": 0})
    async with RawFrom(server, source="127.0.0.1", rcvbuf=4096) as sleeper, RawStream(server) as sender:
        sleeper_jid = await sleeper.sign_in("bob", resource="asleep")
        await sender.sign_in("alice", resource="talker")
        # bob stops reading; alice sends him more than the socket buffers hold, in small
        # bursts, each confirmed by a ping (alice reads between bursts: once bob is gone,
        # what she still sends him may come back to her as errors).
        body = "y" * 4000
        deadline = time.monotonic() + 60
        burst = 0
        while "Output queue limit reached" not in server.log():
            assert time.monotonic() < deadline, "the output limit was never hit"
            await sender.say("".join(f"<message to='{sleeper_jid}' type='chat'><body>{body}</body></message>"
                                     for _ in range(8)))
            burst += 1
            await ping(sender, f"burst{burst}")
            sender._pending.clear()
        assert f"{sleeper_jid} stream error policy-violation: Output queue limit reached" in server.log()
        assert "alice@localhost/talker stream error" not in server.log()
        # bob's connection ends (after what was already in flight, the stream error).
        errors = []
        while True:
            elem = await sleeper.next_element(30)
            if elem is None:
                break
            if elem.tag == f"{{{STREAM_NS}}}error":
                errors.append([c.tag.split("}", 1)[1] for c in elem][0])
        assert sleeper.eof
        assert errors in ([], ["policy-violation"]), errors
        # The sender and everyone else are still served.
        await ping(sender, "still-here")
    await assert_can_sign_in(server, "carol")


# --------------------------------------------------------------------------- XMQ subscriptions


async def test_xmq_subscriptions_past_the_limit_get_resource_constraint(make_server):
    server = start(make_server, "xmq-subs", xmq={"max_subscriptions_per_client": 2})
    async with RawStream(server) as alice, RawStream(server) as bob:
        await alice.sign_in("alice", resource="consumer")
        await bob.sign_in("bob", resource="consumer")

        async def sub(stream, topic):
            await stream.say(f"<iq type='set' id='sub-{topic}' to='queue1.localhost'>"
                             f"<xmq xmlns='{XMQ_NS}' command='sub' topic='{topic}' ttl='60' load='1'/></iq>")
            return await stream.expect("{jabber:client}iq")

        assert (await sub(alice, "t1")).get("type") == "result"
        assert (await sub(alice, "t2")).get("type") == "result"
        third = await sub(alice, "t3")
        assert third.get("type") == "error", alice.conversation()
        assert stanza_error(third)[1] == "resource-constraint", alice.conversation()
        # Renewing an existing subscription is not a new one; other clients are not affected.
        assert (await sub(alice, "t1")).get("type") == "result"
        assert (await sub(bob, "t3")).get("type") == "result"


async def test_messages_a_client_that_stops_reading_never_got_go_to_offline_storage(make_server):
    server = start(make_server, "output-offline",
                   limits={"max_output_bytes": 65536, "inbound_rate": 0, "max_offline_messages": 5000})
    sent: list[str] = []
    body = "z" * 3000
    async with RawFrom(server, source="127.0.0.1", rcvbuf=4096) as sleeper, RawStream(server) as sender:
        sleeper_jid = await sleeper.sign_in("bob", resource="asleep")
        await sleeper.say("<presence/>")
        await sender.sign_in("alice", resource="talker")

        async def burst(count):
            """alice sends `count` chats, to bob's full and bare JID in turn, and pings."""
            stanzas = []
            for _ in range(count):
                n = len(sent)
                to = sleeper_jid if n % 2 == 0 else "bob@localhost"
                stanzas.append(f"<message to='{to}' type='chat' id='m{n}'><body>{n} {body}</body></message>")
                sent.append(f"m{n}")
            await sender.say("".join(stanzas))
            await ping(sender, f"after-{len(sent)}")
            sender._pending.clear()

        # bob stops reading; alice sends until his output queue overflows...
        deadline = time.monotonic() + 60
        while "Output queue limit reached" not in server.log():
            assert time.monotonic() < deadline, "the output limit was never hit"
            await burst(8)
        # ...and more while his stream is ending, and after it ended.
        for _ in range(3):
            await burst(4)
        deadline = time.monotonic() + 30
        while f"{sleeper_jid} ended" not in server.log():
            assert time.monotonic() < deadline, server.log()[-3000:]
            await asyncio.sleep(0.2)
        assert "unwritten messages handed to offline storage" in server.log()
        await burst(4)
        # What bob's first session did get: everything its socket still holds.
        first = []
        while (elem := await sleeper.next_element(30)) is not None:
            if elem.tag == "{jabber:client}message":
                first.append(elem.get("id"))
    assert 0 < len(first) < len(sent)

    # bob's backlog is more than the tiny output limit: his next session gets the
    # default limit (SIGHUP; a reload applies to new sessions).
    server.extra_config["limits"]["max_output_bytes"] = 4 * 1024 * 1024
    server.write_config()
    mark = len(server.lines)
    server.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + STEP_TIMEOUT
    while "configuration reloaded" not in server.log(mark):
        assert time.monotonic() < deadline, server.log(mark)
        await asyncio.sleep(0.1)

    async with RawStream(server) as again:
        await again.sign_in("bob", resource="back")
        await again.say("<presence/>")
        second = []
        while len(first) + len(second) < len(sent):
            elem = await again.next_element(STEP_TIMEOUT)
            assert elem is not None, again.conversation()[-3000:]
            if elem.tag == "{jabber:client}message":
                assert elem.find("{urn:xmpp:delay}delay") is not None
                second.append(elem.get("id"))
        await ping(again, "nothing-more")
        assert not [e for e in again._pending if e.tag == "{jabber:client}message"], "a message came twice"
    # Every message exactly once over both sessions, in the order sent.
    assert first + second == sent, (first, second)


async def test_concurrent_binds_of_one_account_never_pass_the_session_limit(make_server):
    limit = 3
    server = start(make_server, "bind-race", limits={"max_sessions_per_account": limit})
    streams = [RawStream(server) for _ in range(12)]
    try:
        for s in streams:
            await s.__aenter__()
        await asyncio.gather(*(authenticated(s, "alice", server.passwords["alice@localhost"]) for s in streams))
        # Every stream asks at once: the server (two workers) decides each bind.
        for s, i in zip(streams, range(len(streams))):
            s.writer.write(f"<iq type='set' id='bind-r{i}'><bind xmlns='{BIND_NS}'>"
                           f"<resource>r{i}</resource></bind></iq>".encode())
        await asyncio.gather(*(s.writer.drain() for s in streams))
        answers = await asyncio.gather(*(s.expect("{jabber:client}iq") for s in streams))
        bound = [a for a in answers if a.get("type") == "result"]
        refused = [a for a in answers if stanza_error(a) == ("wait", "resource-constraint")]
        assert len(bound) == limit and len(refused) == len(streams) - limit, [a.attrib for a in answers]
        refusals = len(streams) - limit
        assert server.wait_for_log_count("refused bind of alice@localhost/", refusals) == refusals
    finally:
        for s in streams:
            await s.__aexit__(None, None, None)
    await assert_can_sign_in(server, "bob")


# --------------------------------------------------------------------------- HTTP and WebSocket


@contextlib.asynccontextmanager
async def web_server(tmp_path_factory, tls_cert, name, **limits):
    from conftest import USERS
    from web_helpers import XmqdWeb
    cert, key = tls_cert
    server = XmqdWeb(tmp_path_factory.mktemp(name), cert, key, name=name)
    server.extra_config.setdefault("limits", {}).update(limits)
    server.write_config()
    for user, password in USERS.items():
        server.add_user(user, password)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def http_from(server, source="127.0.0.2"):
    """An HTTP/1.1 keep-alive connection from `source`, after one answered request."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    sock.setblocking(False)
    await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.http_port)),
                           STEP_TIMEOUT)
    reader, writer = await asyncio.open_connection(sock=sock)
    writer.write(b"GET /.well-known/host-meta HTTP/1.1\r\nHost: localhost\r\n\r\n")
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), STEP_TIMEOUT)
    return int(head.split(b" ")[1]), reader, writer


async def ws_from(server, source="127.0.0.2"):
    import websockets
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", server.http_port))
    return await asyncio.wait_for(websockets.connect(server.ws_url, subprotocols=["xmpp"], sock=sock),
                                  STEP_TIMEOUT)


FRAMING_NS = "urn:ietf:params:xml:ns:xmpp-framing"


async def ws_sign_in(ws, user, password, resource):
    """RFC 7395 framing: open, SASL PLAIN (plain ws on loopback counts as secure), bind."""
    import base64
    import xml.etree.ElementTree as ET

    async def recv():
        return ET.fromstring(await asyncio.wait_for(ws.recv(), STEP_TIMEOUT))

    async def open_stream():
        await ws.send(f"<open xmlns='{FRAMING_NS}' to='localhost' version='1.0'/>")
        assert (await recv()).tag == f"{{{FRAMING_NS}}}open"
        assert (await recv()).tag == f"{{{STREAM_NS}}}features"

    await open_stream()
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    await ws.send(f"<auth xmlns='{SASL_NS}' mechanism='PLAIN'>{token}</auth>")
    assert (await recv()).tag == f"{{{SASL_NS}}}success"
    await open_stream()
    await ws.send(f"<iq type='set' id='b1' xmlns='jabber:client'><bind xmlns='{BIND_NS}'>"
                  f"<resource>{resource}</resource></bind></iq>")
    answer = await recv()
    assert answer.get("type") == "result"
    return recv


async def test_http_and_websocket_connections_count_toward_the_per_ip_limit(tmp_path_factory, tls_cert):
    async with web_server(tmp_path_factory, tls_cert, "http-per-ip", max_connections_per_ip=3) as server:
        c2s = RawFrom(server)
        await c2s.__aenter__()
        await c2s.open_stream()
        await c2s.features()
        status, reader, writer = await http_from(server)
        assert status == 200
        ws = await ws_from(server)  # the third connection: a WebSocket XMPP stream
        try:
            recv = await ws_sign_in(ws, "carol", server.passwords["carol@localhost"], "web")
            # A fourth connection from that address, HTTP or c2s, is turned away.
            status, r4, w4 = await http_from(server)
            assert status == 429
            w4.close()
            async with RawFrom(server) as fourth:
                assert await fourth.stream_error() == "policy-violation"
            # Another address is served; the WebSocket stream still works.
            status, r5, w5 = await http_from(server, source="127.0.0.1")
            assert status == 200
            w5.close()
            await ws.send("<iq type='get' id='p1' to='localhost' xmlns='jabber:client'>"
                          "<ping xmlns='urn:xmpp:ping'/></iq>")
            assert (await recv()).get("type") == "result"
        finally:
            await ws.close()
            writer.close()
            await c2s.__aexit__(None, None, None)
        # Closed connections free their places.
        deadline = time.monotonic() + STEP_TIMEOUT
        while (status := (await http_from(server))[0]) != 200:
            assert time.monotonic() < deadline, "the closed connections' places were never freed"
            await asyncio.sleep(0.2)


async def test_inbound_shaper_slows_a_websocket_stream_and_drops_nothing(tmp_path_factory, tls_cert):
    rate = 8192
    async with web_server(tmp_path_factory, tls_cert, "ws-shaper", inbound_rate=rate, inbound_burst=4096) as server:
        ws = await ws_from(server, source="127.0.0.1")
        try:
            recv = await ws_sign_in(ws, "alice", server.passwords["alice@localhost"], "fast")
            async with RawStream(server) as bob:
                bob_jid = await bob.sign_in("bob", resource="slow")
                body = "x" * 900
                count = 40  # ~40 KB: several seconds at 8 KB/s
                started = time.monotonic()
                for i in range(count):
                    await ws.send(f"<message xmlns='jabber:client' to='{bob_jid}' type='chat' id='w{i}'>"
                                  f"<body>{body}</body></message>")
                await ws.send("<iq type='get' id='after' to='localhost' xmlns='jabber:client'>"
                              "<ping xmlns='urn:xmpp:ping'/></iq>")
                # Meanwhile another connection is not slowed.
                t = time.monotonic()
                await ping(bob, "bob-ping")
                assert time.monotonic() - t < 1.5
                while (await recv()).get("id") != "after":
                    pass
                elapsed = time.monotonic() - started
                assert elapsed >= (count * (len(body) + 70) - 4096 - 4096) / rate * 0.8, elapsed
                got = 0
                while got < count:
                    elem = await bob.next_element(STEP_TIMEOUT)
                    assert elem is not None, bob.conversation()
                    if elem.tag == "{jabber:client}message":
                        assert elem.get("id") == f"w{got}"
                        got += 1
        finally:
            await ws.close()
