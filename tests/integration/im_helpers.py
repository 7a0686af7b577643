"""Shared steps of the IM tests (rosters, presence, offline messages).

`Watched` wraps a slixmpp `Client` with queues for presence and roster pushes and
turns slixmpp's own subscription automation off, so each test says every step
itself. `AioClient` is an aioxmpp session for the tests that use a second library.
"""

from __future__ import annotations

import asyncio
import contextlib
import xml.etree.ElementTree as ET

from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from protocol import STEP_TIMEOUT
from xmpp_client import Client

ROSTER_NS = "jabber:iq:roster"


class Watched:
    """A signed-in slixmpp client whose presence and roster pushes the test reads."""

    def __init__(self, client: Client):
        self.client = client
        self.presences: asyncio.Queue = asyncio.Queue()
        self.pushes: asyncio.Queue = asyncio.Queue()
        xmpp = client.xmpp
        xmpp.auto_authorize = None  # manual: the test approves or denies
        xmpp.auto_subscribe = False
        xmpp.register_handler(Callback("test presence", MatchXPath("{jabber:client}presence"),
                                       self.presences.put_nowait))
        xmpp.register_handler(Callback("test push", MatchXPath(f"{{jabber:client}}iq/{{{ROSTER_NS}}}query"),
                                       self._on_push))

    def _on_push(self, iq):
        if iq["type"] == "set":
            item = iq.xml.find(f"{{{ROSTER_NS}}}query/{{{ROSTER_NS}}}item")
            self.pushes.put_nowait(item)

    def __getattr__(self, name):
        return getattr(self.client, name)

    async def roster(self, ver: str | None = None):
        """Roster get: ({jid: (subscription, ask, name, groups)}, ver attribute, raw answer)."""
        query = f"<query xmlns='{ROSTER_NS}'" + (f" ver='{ver}'" if ver is not None else "") + "/>"
        answer = await self.client.iq("get", None, query)
        assert answer["type"] == "result", f"roster get failed: {answer}"
        q = answer.xml.find(f"{{{ROSTER_NS}}}query")
        if q is None:
            return None, None, answer
        items = {}
        for item in q.findall(f"{{{ROSTER_NS}}}item"):
            groups = sorted(g.text or "" for g in item.findall(f"{{{ROSTER_NS}}}group"))
            items[item.get("jid")] = (item.get("subscription"), item.get("ask"), item.get("name"), groups)
        return items, q.get("ver"), answer

    async def subscription(self, jid: str):
        items, _, _ = await self.roster()
        entry = items.get(jid)
        return (entry[0], entry[1]) if entry else None

    def presence(self, to: str | None = None, ptype: str | None = None, extra: str = ""):
        attrs = (f" to='{to}'" if to else "") + (f" type='{ptype}'" if ptype else "")
        self.client.send_raw(f"<presence xmlns='jabber:client'{attrs}>{extra}</presence>")

    async def next_presence(self, timeout=STEP_TIMEOUT, *, sender: str | None = None, ptype=None):
        """The next presence (optionally: from `sender`'s bare or full JID, of `ptype`); others skipped."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            try:
                p = await asyncio.wait_for(self.presences.get(), max(left, 0.01))
            except asyncio.TimeoutError:
                raise AssertionError(f"{self.client.jid}: no presence from {sender} "
                                     f"type {ptype} within {timeout}s") from None
            if sender and sender not in (p["from"].bare, p["from"].full):
                continue
            if ptype is not None and (p.xml.get("type") or "available") != ptype:
                continue
            return p

    async def no_presence(self, seconds=1.0, *, sender: str | None = None):
        """Assert no presence (from `sender`, when given) arrives within `seconds`."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return
            try:
                p = await asyncio.wait_for(self.presences.get(), left)
            except asyncio.TimeoutError:
                return
            if sender is None or sender in (p["from"].bare, p["from"].full):
                raise AssertionError(f"{self.client.jid}: unexpected presence {p}")

    def drain(self):
        """Forget the presence and pushes received so far."""
        for q in (self.presences, self.pushes):
            while not q.empty():
                q.get_nowait()

    async def next_push(self, timeout=STEP_TIMEOUT):
        try:
            return await asyncio.wait_for(self.pushes.get(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"{self.client.jid}: no roster push within {timeout}s") from None

    async def no_push(self, seconds=1.0):
        try:
            item = await asyncio.wait_for(self.pushes.get(), seconds)
        except asyncio.TimeoutError:
            return
        raise AssertionError(f"{self.client.jid}: unexpected roster push {ET.tostring(item)}")


@contextlib.asynccontextmanager
async def watched(server, user: str, **kw):
    """`async with watched(server, "alice") as alice:` — a signed-in, watched slixmpp session."""
    client = Client(server, user, **kw)
    w = Watched(client)
    await client.sign_in()
    try:
        yield w
    finally:
        await client.sign_out()


async def make_both(a: Watched, b: Watched):
    """The full handshake in both directions; both rosters end in 'both'."""
    a.presence(b.bare, "subscribe")
    await b.next_presence(sender=a.bare, ptype="subscribe")
    b.presence(a.bare, "subscribed")
    b.presence(a.bare, "subscribe")
    await a.next_presence(sender=b.bare, ptype="subscribe")
    a.presence(b.bare, "subscribed")
    await a.ping_server()
    await b.ping_server()
    assert (await a.subscription(b.bare))[0] == "both"
    assert (await b.subscription(a.bare))[0] == "both"


# --------------------------------------------------------------------------- aioxmpp


class AioClient:
    """An aioxmpp session (STARTTLS on the c2s port, or on `port` such as a test's proxy;
    our certificate not checked)."""

    def __init__(self, server, user: str, resource: str = "aio", services=(), port: int | None = None):
        import aioxmpp
        import aioxmpp.connector

        self.aioxmpp = aioxmpp
        bare = user if "@" in user else f"{user}@{server.domain}"
        self.jid = aioxmpp.JID.fromstr(f"{bare}/{resource}")
        self.bare = bare
        password = server.passwords[bare]
        self.client = aioxmpp.PresenceManagedClient(
            self.jid,
            aioxmpp.make_security_layer(password, no_verify=True),
            override_peer=[("127.0.0.1", port or server.c2s_port, aioxmpp.connector.STARTTLSConnector())],
        )
        # Summoned before the stream starts, so that e.g. the RosterClient asks
        # for the roster at login (and so receives roster pushes).
        self.services = {name: self.client.summon(getattr(aioxmpp, name)) for name in services}
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self):
        await asyncio.wait_for(self._stack.enter_async_context(self.client.connected()), STEP_TIMEOUT)
        return self

    async def __aexit__(self, *exc):
        await asyncio.wait_for(self._stack.aclose(), STEP_TIMEOUT)
