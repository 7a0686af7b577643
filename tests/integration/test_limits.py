"""Hardening limits (issue 8): each limit is hit, the RFC's error comes back, and the
server keeps serving everyone else.

Clients that hit a per-IP limit connect from 127.0.0.2 (any 127/8 address is loopback
on Linux); the "everyone else" clients come from 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
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
    assert "refused a connection from 127.0.0.2" in server.log()


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
