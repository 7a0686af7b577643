"""A real XMPP client (slixmpp) signed in to xmqd, driven from the test's event loop.

`Client` wraps one slixmpp session: messages and stream errors land in queues the
test reads with a timeout; iqs return their answer, result or error.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from protocol import STANZAS_ERR_NS, STEP_TIMEOUT, client_tls_context
from xmqd_process import Xmqd


class LoginFailed(Exception):
    def __init__(self, reason: str, condition: str | None = None):
        super().__init__(reason)
        self.condition = condition


class Client:
    """A slixmpp client session on the test's event loop.

    transport: "starttls" (c2s port) or "tls" (direct TLS port, XEP-0368).
    """

    def __init__(self, server: Xmqd, user: str, password: str | None = None, *,
                 resource: str | None = "test", mech: str | None = "SCRAM-SHA-256",
                 transport: str = "starttls", verify: bool = True):
        self.server = server
        bare = user if "@" in user else f"{user}@{server.domain}"
        if password is None:
            password = server.passwords[bare]
        jid = f"{bare}/{resource}" if resource else bare
        self.xmpp = slixmpp.ClientXMPP(jid, password, sasl_mech=mech)
        self._without_channel_binding()
        self.xmpp.use_ipv6 = False
        self.xmpp.use_aiodns = False
        self.xmpp.ssl_context = client_tls_context(server.cert if verify else None)
        self.transport = transport
        self.messages: asyncio.Queue = asyncio.Queue()
        self.stream_errors: asyncio.Queue = asyncio.Queue()
        self.auth_failures: list[str] = []
        self.gone = asyncio.Event()
        self._session = asyncio.get_running_loop().create_future()
        self.xmpp.register_handler(Callback("every message", MatchXPath("{jabber:client}message"),
                                            self.messages.put_nowait))
        on = self.xmpp.add_event_handler
        on("session_start", lambda _: self._settle(None))
        on("failed_auth", lambda f: self.auth_failures.append(f["condition"]))
        on("failed_all_auth", lambda _: self._settle(LoginFailed(
            "SASL failed", self.auth_failures[-1] if self.auth_failures else None)))
        on("stream_error", self._on_stream_error)
        on("connection_failed", self._on_connection_failed)
        on("disconnected", self._on_disconnected)

    def _without_channel_binding(self):
        """Choose SCRAM without channel binding, and say so ("n,,").

        Over TLS slixmpp otherwise sends the GS2 flag "y" (client supports binding,
        thinks the server does not); since xmqd offers SCRAM-*-PLUS, a correct
        server refuses "y" as a downgrade (RFC 5802 section 6).
        """
        mechanisms = self.xmpp["feature_mechanisms"]
        credentials = mechanisms.sasl_callback

        def no_binding(required, optional):
            found = credentials(required, optional)
            found.pop("channel_binding", None)
            return found

        mechanisms.sasl_callback = no_binding

    # -- events

    def _settle(self, error: Exception | None):
        if not self._session.done():
            if error is None:
                self._session.set_result(True)
            else:
                self._session.set_exception(error)

    def _on_stream_error(self, err):
        self.stream_errors.put_nowait(err["condition"])
        self._settle(LoginFailed(f"stream error {err['condition']}", err["condition"]))

    def _on_connection_failed(self, err):
        self.xmpp.cancel_connection_attempt()
        self._settle(LoginFailed(f"connection failed: {err}"))

    def _on_disconnected(self, reason):
        self.gone.set()
        self._settle(LoginFailed(f"disconnected before the session started: {reason}"))

    # -- the conversation

    @property
    def jid(self) -> str:
        return self.xmpp.boundjid.full

    @property
    def bare(self) -> str:
        return self.xmpp.boundjid.bare

    async def sign_in(self, timeout=STEP_TIMEOUT):
        port = self.server.tls_port if self.transport == "tls" else self.server.c2s_port
        self.xmpp.connect(("127.0.0.1", port), use_ssl=self.transport == "tls",
                          force_starttls=self.transport != "tls")
        try:
            await asyncio.wait_for(asyncio.shield(self._session), timeout)
        except asyncio.TimeoutError:
            await self._hang_up()
            raise LoginFailed(f"no session within {timeout}s") from None
        except LoginFailed:
            await self._hang_up()
            raise

    async def _hang_up(self):
        """After a failed sign-in: let slixmpp finish its own disconnect, else cut the line."""
        self.xmpp.cancel_connection_attempt()
        try:
            await asyncio.wait_for(self.gone.wait(), 3)
        except asyncio.TimeoutError:
            with contextlib.suppress(Exception):
                self.xmpp.abort()

    async def sign_out(self):
        if self.gone.is_set():
            return
        self.xmpp.disconnect(wait=2)
        try:
            await asyncio.wait_for(self.gone.wait(), 5)
        except asyncio.TimeoutError:
            with contextlib.suppress(Exception):
                self.xmpp.abort()

    def send_message(self, to: str, body: str, mtype: str = "chat"):
        self.xmpp.send_message(mto=to, mbody=body, mtype=mtype)

    def send_raw(self, xml: str):
        self.xmpp.send_raw(xml)

    async def next_message(self, timeout=STEP_TIMEOUT):
        try:
            return await asyncio.wait_for(self.messages.get(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"{self.jid} received no message within {timeout}s") from None

    async def silence(self, seconds=1.0):
        """Assert that no message arrives for `seconds`."""
        try:
            msg = await asyncio.wait_for(self.messages.get(), seconds)
        except asyncio.TimeoutError:
            return
        raise AssertionError(f"{self.jid} expected no message, got {msg}")

    async def iq(self, itype: str, to: str | None, payload: str, timeout=STEP_TIMEOUT):
        """Send an iq with one payload element; return the answer (result or error)."""
        iq = self.xmpp.Iq()
        iq["type"] = itype
        if to:
            iq["to"] = to
        iq.xml.append(ET.fromstring(payload))
        try:
            return await iq.send(timeout=timeout)
        except IqError as e:
            return e.iq
        except IqTimeout:
            raise AssertionError(f"no answer to {payload} within {timeout}s") from None

    def answers_iqs(self, namespace: str):
        """From now on, answer every iq whose payload is in `namespace` with an empty result."""
        def reply(iq):
            if iq["type"] in ("get", "set"):
                iq.reply(clear=True).send()
        self.xmpp.register_handler(Callback(f"answer {namespace}",
                                            MatchXPath(f"{{jabber:client}}iq/{{{namespace}}}query"), reply))

    async def ping_server(self):
        answer = await self.iq("get", self.server.domain, "<ping xmlns='urn:xmpp:ping'/>")
        assert answer["type"] == "result", f"server ping failed: {answer}"

    async def available(self, priority: int = 0):
        """Send initial presence; the following ping proves the server has processed it."""
        self.xmpp.send_presence(ppriority=priority)
        await self.ping_server()

    async def next_stream_error(self, timeout=STEP_TIMEOUT) -> str:
        try:
            return await asyncio.wait_for(self.stream_errors.get(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"{self.jid}: no stream error within {timeout}s") from None

    async def disconnected(self, timeout=STEP_TIMEOUT):
        try:
            await asyncio.wait_for(self.gone.wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"{self.jid}: still connected after {timeout}s") from None


@contextlib.asynccontextmanager
async def signed_in(server: Xmqd, user: str, password: str | None = None, **kw):
    """`async with signed_in(server, "alice") as alice:` — a session, closed on exit."""
    client = Client(server, user, password, **kw)
    await client.sign_in()
    try:
        yield client
    finally:
        await client.sign_out()


async def assert_can_sign_in(server: Xmqd, user: str = "alice", **kw):
    """The server is still up and serving: a fresh login works and the server answers a ping."""
    assert server.alive(), f"xmqd is gone (exit {server.proc.poll()})"
    async with signed_in(server, user, resource=f"fresh-{random.randrange(1 << 30)}", **kw) as c:
        await c.ping_server()


async def first_of(timeout=STEP_TIMEOUT, **waits) -> dict:
    """Wait for whichever named wait finishes first: {name: result}. The others are cancelled."""
    tasks = {asyncio.ensure_future(w): name for name, w in waits.items()}
    pending = set(tasks)
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        while pending:
            left = deadline - asyncio.get_running_loop().time()
            done, pending = await asyncio.wait(pending, timeout=max(left, 0),
                                               return_when=asyncio.FIRST_COMPLETED)
            if not done:
                break
            for task in done:
                if task.exception() is None:
                    return {tasks[task]: task.result()}
    finally:
        for task in tasks:
            task.cancel()
    raise AssertionError(f"none of {list(waits)} happened within {timeout}s")


def error_condition(stanza) -> str | None:
    """The defined condition of a stanza error (slixmpp stanza)."""
    err = stanza.xml.find("{jabber:client}error")
    if err is None:
        return None
    for child in err:
        if child.tag.startswith("{%s}" % STANZAS_ERR_NS) and not child.tag.endswith("}text"):
            return child.tag.split("}", 1)[1]
    return None
