"""Helpers for the XMQ integration tests: queue configuration, SIGHUP reload, and
`Peer`, a raw-XML XMPP session (over raw_stream.RawStream) that speaks XMQ.

Every wait is bounded; failures show the peer's transcript (C: sent, S: received).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import xml.etree.ElementTree as ET

from protocol import BIND_NS, SASL_NS, STANZAS_ERR_NS, STEP_TIMEOUT
from raw_stream import RawStream
from xmqd_process import Xmqd

CLIENT = "{jabber:client}"
XMQ_COMMAND = "xmq:command"
XMQ_TOPIC = "xmq:topic"
XMQ_LOAD = "xmq:load"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
PING = "urn:xmpp:ping"

Q_ANY = "queue1.localhost"
Q_ALL = "queue2.localhost"

DEFAULT_QUEUES = (
    {"route": Q_ANY, "type": "any"},
    {"route": Q_ALL, "type": "all"},
)

_ids = itertools.count(1)


def new_id(prefix="x") -> str:
    return f"{prefix}{next(_ids)}"


# --------------------------------------------------------------------------- configuration


def xmq_toml(*, check_expires_time=3600, max_load=None, queues=DEFAULT_QUEUES) -> str:
    """The `[xmq]` part of an xmqd config (docs/xmq.md §1)."""
    out = ["[xmq]", f"check_expires_time = {check_expires_time}"]
    if max_load is not None:
        out.append(f"max_load = {max_load}")
    out.append("")
    for q in queues:
        out.append("[[xmq.queues]]")
        for key in ("route", "type", "balance"):
            if key in q:
                out.append(f"{key} = {json.dumps(q[key])}")
        for key in ("publish", "subscribe"):
            if key in q:
                out.append(f"{key} = [{', '.join(json.dumps(p) for p in q[key])}]")
        # Reliable queues (docs/xmq.md "Reliable queues").
        for key in ("delivery", "ack_timeout", "max_attempts", "prefetch", "hold", "hold_ttl", "durable",
                    "dead_letter"):
            if key in q:
                out.append(f"{key} = {json.dumps(q[key])}")
        out.append("")
    return "\n".join(out)


def configure_xmq(server: Xmqd, **settings) -> None:
    """Rewrite SERVER's config file with its own [xmq] section (see xmq_toml).

    Xmqd.write_config always ends with an [xmq] block of the two demo queues;
    everything before it (hosts, listeners, TLS, limits) is kept as written.
    The settings are remembered on the server (for restarts).
    """
    server.xmq_settings = settings
    server.write_config()
    text = server.config_path.read_text()
    head, sep, _ = text.partition("\n[xmq]\n")
    assert sep, f"no [xmq] section in {server.config_path}"
    server.config_path.write_text(head + "\n" + xmq_toml(**settings))


@contextlib.contextmanager
def started_xmq_server(make_server, name: str, **xmq_options):
    """An xmqd configured by configure_xmq(**xmq_options) and started; stopped on leaving,
    and its exit code checked when it was still running (a crash is the test's finding)."""
    server = make_server(name)
    configure_xmq(server, **xmq_options)
    server.start()
    yield server
    was_running = server.alive()
    code = server.stop()
    if was_running:
        assert code == 0, f"xmqd exited {code} on SIGTERM:\n{server.log()[-4000:]}"


def restart_if_dead(server: Xmqd) -> Xmqd:
    """Like conftest's `server` fixture, but keeping the XMQ settings."""
    if not server.alive():
        server.lines.append("--- harness: xmqd had died; restarting for the next test\n")
        server.stop()
        server.pick_ports()
        configure_xmq(server, **getattr(server, "xmq_settings", {}))
        server.start()
    return server


async def reload_config(server: Xmqd, timeout=STEP_TIMEOUT, **settings) -> str:
    """Write a new [xmq] config, send SIGHUP to this server's PID only, and wait for
    the reload to be logged. Returns the log line."""
    configure_xmq(server, **settings)
    mark = len(server.lines)
    assert server.alive(), "xmqd is not running"
    server.proc.send_signal(signal.SIGHUP)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for line in server.lines[mark:]:
            if "reload refused" in line:
                raise AssertionError(f"xmqd refused the reload: {line}\n{server.log(mark)}")
            if "configuration reloaded" in line:
                return line
        await asyncio.sleep(0.05)
    raise AssertionError(f"no 'configuration reloaded' within {timeout}s of SIGHUP:\n{server.log(mark)}")


# --------------------------------------------------------------------------- stanzas


def stanza_error(elem: ET.Element) -> tuple[str | None, str | None]:
    """(defined condition, text) of a stanza error, or (None, None)."""
    err = elem.find(f"{CLIENT}error")
    if err is None:
        return None, None
    condition = text = None
    for child in err:
        if child.tag == f"{{{STANZAS_ERR_NS}}}text":
            text = child.text or ""
        elif child.tag.startswith(f"{{{STANZAS_ERR_NS}}}"):
            condition = child.tag.split("}", 1)[1]
    return condition, text


def show(elem: ET.Element | None) -> str:
    return "None" if elem is None else ET.tostring(elem, encoding="unicode")


def topic_of(elem: ET.Element) -> str | None:
    t = elem.find(f"{{{XMQ_TOPIC}}}xmq")
    return None if t is None else t.get("topic")


def body_of(elem: ET.Element) -> str | None:
    return elem.findtext(f"{CLIENT}body")


def msg(route: str, topic: str | None, body: str, mtype: str = "chat", extra: str = "") -> str:
    t = f"<xmq xmlns='xmq:topic' topic='{topic}'/>" if topic is not None else ""
    return f"<message type='{mtype}' to='{route}'><body>{body}</body>{extra}{t}</message>"


def command(route: str, iq_id: str, **attrs) -> str:
    a = " ".join(f"{k}='{v}'" for k, v in attrs.items())
    return f"<iq type='set' id='{iq_id}' to='{route}'><xmq xmlns='xmq:command' {a}/></iq>"


# --------------------------------------------------------------------------- a raw session


class Peer:
    """One signed-in XMPP session over RawStream.

    `async with Peer(server, "alice") as alice:` signs in (STARTTLS or direct TLS,
    SASL PLAIN, bind) and closes the connection at the end. Stanzas that a wait
    did not ask for are kept (backlog) for a later wait.
    """

    def __init__(self, server: Xmqd, user: str, *, resource: str | None = None,
                 domain: str | None = None, password: str | None = None, direct_tls=False):
        self.server = server
        self.user = user
        self.domain = domain or server.domain
        self.resource = resource or new_id("r")
        self.password = password if password is not None else server.passwords[f"{user}@{self.domain}"]
        self.raw = RawStream(server, direct_tls=direct_tls)
        self.backlog: list[ET.Element] = []
        self.jid: str | None = None

    async def __aenter__(self):
        await self.raw.__aenter__()
        try:
            self.jid = await self._sign_in()
        except BaseException:
            await self.raw.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *exc):
        await self.raw.__aexit__(*exc)

    async def _sign_in(self) -> str:
        raw = self.raw
        await raw.open_stream(to=self.domain)
        await raw.features()
        if not raw.direct_tls:
            await raw.starttls()
            await raw.open_stream(to=self.domain)
            await raw.features()
        answer = await raw.auth_plain(self.user, self.password)
        assert answer.tag == f"{{{SASL_NS}}}success", f"login failed:\n{raw.conversation()}"
        raw.restart_stream()
        await raw.open_stream(to=self.domain)
        await raw.features()
        await raw.say(f"<iq type='set' id='bind1'><bind xmlns='{BIND_NS}'>"
                      f"<resource>{self.resource}</resource></bind></iq>")
        iq = await raw.expect(f"{CLIENT}iq")
        jid = iq.find(f"{{{BIND_NS}}}bind/{{{BIND_NS}}}jid")
        assert iq.get("type") == "result" and jid is not None, f"bind failed:\n{raw.conversation()}"
        return jid.text

    def transcript(self) -> str:
        return f"--- transcript of {self.jid}:\n{self.raw.conversation()}"

    # -- saying

    async def send(self, xml: str):
        await self.raw.say(xml)

    # -- hearing

    async def next(self, match=lambda e: True, timeout=STEP_TIMEOUT, what="a stanza") -> ET.Element:
        """The next stanza that MATCH accepts (from the backlog first)."""
        for i, elem in enumerate(self.backlog):
            if match(elem):
                return self.backlog.pop(i)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                break
            try:
                elem = await self.raw.next_element(left)
            except AssertionError:
                break  # RawStream's own timeout
            if elem is None:
                raise AssertionError(f"{self.jid}: stream ended while waiting for {what}\n{self.transcript()}")
            if match(elem):
                return elem
            self.backlog.append(elem)
        raise AssertionError(f"{self.jid}: no {what} within {timeout}s\n{self.transcript()}")

    async def gather(self, seconds: float, match=lambda e: True) -> list[ET.Element]:
        """Every stanza MATCH accepts that arrives within SECONDS (plus the backlog's)."""
        got = [e for e in self.backlog if match(e)]
        self.backlog = [e for e in self.backlog if not match(e)]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            left = deadline - loop.time()
            if left <= 0:
                return got
            try:
                elem = await self.raw.next_element(left)
            except AssertionError:
                return got
            if elem is None:
                return got
            (got if match(elem) else self.backlog).append(elem)

    async def next_message(self, timeout=STEP_TIMEOUT) -> ET.Element:
        return await self.next(lambda e: e.tag == f"{CLIENT}message", timeout, "message")

    async def messages(self, count: int, timeout=STEP_TIMEOUT) -> list[ET.Element]:
        return [await self.next_message(timeout) for _ in range(count)]

    async def silence(self, seconds=1.0, match=None, what="stanza"):
        """Assert that nothing (that MATCH accepts) arrives for SECONDS."""
        got = await self.gather(seconds, match or (lambda e: True))
        assert not got, (f"{self.jid} expected no {what}, got:\n" + "\n".join(show(e) for e in got)
                         + f"\n{self.transcript()}")

    # -- iq

    async def iq(self, xml: str, timeout=STEP_TIMEOUT) -> ET.Element:
        """Send an iq (its id is read from XML) and return its answer (result or error)."""
        iq_id = ET.fromstring(xml).get("id")
        assert iq_id, f"iq without id: {xml}"
        await self.send(xml)
        return await self.next(lambda e: e.tag == f"{CLIENT}iq" and e.get("id") == iq_id
                               and e.get("type") in ("result", "error"), timeout, f"answer to iq {iq_id}")

    async def command(self, route: str, **attrs) -> ET.Element:
        return await self.iq(command(route, new_id("cmd"), **attrs))

    async def sub(self, route: str, topic: str, ttl=60, load=1) -> ET.Element:
        answer = await self.command(route, command="sub", topic=topic, ttl=ttl, load=load)
        assert answer.get("type") == "result", f"sub {topic} on {route} refused: {show(answer)}"
        return answer

    async def unsub(self, route: str, topic: str | None = None) -> ET.Element:
        attrs = {"command": "del"} | ({"topic": topic} if topic is not None else {})
        answer = await self.command(route, **attrs)
        assert answer.get("type") == "result", f"del {topic} on {route} refused: {show(answer)}"
        return answer

    async def barrier(self):
        """A ping to the server, answered: every stanza this peer sent before is processed."""
        answer = await self.iq(f"<iq type='get' id='{new_id('ping')}' to='{self.domain}'>"
                               f"<ping xmlns='{PING}'/></iq>")
        assert answer.get("type") == "result", f"ping failed: {show(answer)}"

    async def publish(self, route, topic, body, **kw):
        await self.send(msg(route, topic, body, **kw))

    async def expect_error(self, condition: str, text: str | None = None, kind="message",
                           timeout=STEP_TIMEOUT) -> ET.Element:
        """The next error stanza of KIND: its condition (and text, if given) must match."""
        err = await self.next(lambda e: e.tag == f"{CLIENT}{kind}" and e.get("type") == "error",
                              timeout, f"{kind} error {condition}")
        got_condition, got_text = stanza_error(err)
        assert got_condition == condition, f"expected {condition}, got {show(err)}"
        if text is not None:
            assert got_text == text, f"expected text {text!r}, got {show(err)}"
        return err

    # -- leaving

    async def sign_out(self):
        """Close the stream and wait for the server to close the connection."""
        with contextlib.suppress(ConnectionError):
            await self.send("<presence type='unavailable'/></stream:stream>")
        await self.raw.closed()

    def cut(self):
        """Lose the connection without a goodbye."""
        self.raw.writer.transport.abort()


@contextlib.asynccontextmanager
async def signed_in_peers(server: Xmqd, *users: str, **kw):
    """`async with signed_in_peers(server, "alice", "bob") as (alice, bob):`"""
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(Peer(server, user, **kw)) for user in users]
