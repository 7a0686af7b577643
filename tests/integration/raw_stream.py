"""XMPP byte by byte on a bare socket, for what a client library refuses to send."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
import xml.etree.ElementTree as ET

from protocol import (BIND_NS, SASL_NS, STEP_TIMEOUT, STREAM_NS, STREAMS_ERR_NS, TLS_NS,
                      client_tls_context)
from xmqd_process import Xmqd


class RawStream:
    """XMPP over a bare socket, byte by byte, for protocol violations.

    Keeps a transcript (C: what we said, S: what the server answered) for failure messages.
    """

    def __init__(self, server: Xmqd, *, direct_tls: bool = False, port: int | None = None):
        self.server = server
        self.direct_tls = direct_tls
        self.port = port  # another listener's (a component's); default: c2s, or direct TLS
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.transcript: list[str] = []
        self.eof = False
        self.restart_stream()

    def restart_stream(self):
        self._parser = ET.XMLPullParser(events=("start", "end"))
        self._depth = 0
        self._pending: list[ET.Element] = []
        self.header: ET.Element | None = None
        self.closed_by_server = False

    async def __aenter__(self):
        ctx = client_tls_context(self.server.cert) if self.direct_tls else None
        port = self.port or (self.server.tls_port if self.direct_tls else self.server.c2s_port)
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port, ssl=ctx,
                                    server_hostname="localhost" if ctx else None),
            STEP_TIMEOUT)
        return self

    async def __aexit__(self, *exc):
        if self.writer:
            self.writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.writer.wait_closed(), 2)

    def conversation(self) -> str:
        return "\n".join(self.transcript)

    # -- saying

    async def say(self, data: str | bytes):
        raw = data.encode() if isinstance(data, str) else data
        self.transcript.append("C: " + raw.decode("utf-8", "replace")[:400])
        self.writer.write(raw)
        with contextlib.suppress(ConnectionError):
            await asyncio.wait_for(self.writer.drain(), STEP_TIMEOUT)

    async def open_stream(self, to: str | None = "localhost", *, version: str | None = "1.0",
                          ns: str = "jabber:client", stream_ns: str = STREAM_NS,
                          prolog: str = "<?xml version='1.0'?>"):
        attrs = [f"xmlns='{ns}'", f"xmlns:stream='{stream_ns}'"]
        if to is not None:
            attrs.append(f"to='{to}'")
        if version is not None:
            attrs.append(f"version='{version}'")
        await self.say(f"{prolog}<stream:stream {' '.join(attrs)}>")

    # -- hearing

    async def _receive(self, timeout) -> bool:
        """Read one chunk into the parser; False at end of stream."""
        if self.eof:
            return False
        try:
            chunk = await asyncio.wait_for(self.reader.read(65536), timeout)
        except (ConnectionError, ssl.SSLError):
            chunk = b""
        if not chunk:
            self.eof = True
            self.transcript.append("S: <connection closed>")
            return False
        self.transcript.append("S: " + chunk.decode("utf-8", "replace")[:2000])
        try:
            self._parser.feed(chunk)
            for event, elem in self._parser.read_events():
                if event == "start":
                    self._depth += 1
                    if self._depth == 1:
                        self.header = elem
                else:
                    self._depth -= 1
                    if self._depth == 1:
                        self._pending.append(elem)
                    elif self._depth == 0:
                        self.closed_by_server = True
        except ET.ParseError as e:
            raise AssertionError(f"server sent malformed XML ({e}):\n{self.conversation()}") from None
        return True

    async def next_element(self, timeout=STEP_TIMEOUT) -> ET.Element | None:
        """The next top-level element the server sends, or None if the stream ends first."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not self._pending:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"server said nothing for {timeout}s:\n{self.conversation()}")
            try:
                if not await self._receive(left):
                    return None
            except asyncio.TimeoutError:
                raise AssertionError(f"server said nothing for {timeout}s:\n{self.conversation()}") from None
        return self._pending.pop(0)

    async def expect(self, tag: str, timeout=STEP_TIMEOUT) -> ET.Element:
        elem = await self.next_element(timeout)
        assert elem is not None and elem.tag == tag, (
            f"expected {tag}, got {None if elem is None else elem.tag}:\n{self.conversation()}")
        return elem

    async def features(self) -> ET.Element:
        return await self.expect(f"{{{STREAM_NS}}}features")

    async def stream_error(self, timeout=STEP_TIMEOUT) -> str:
        """Read until <stream:error/>; return its defined condition.

        RFC 6120 4.9.1.2: the server opens a stream before reporting an error on it.
        """
        while True:
            elem = await self.next_element(timeout)
            assert elem is not None, f"stream ended without a stream error:\n{self.conversation()}"
            if elem.tag == f"{{{STREAM_NS}}}error":
                break
        assert self.header is not None and self.header.tag == f"{{{STREAM_NS}}}stream", (
            f"stream error without a stream header:\n{self.conversation()}")
        conditions = [c.tag.split("}", 1)[1] for c in elem
                      if c.tag.startswith(f"{{{STREAMS_ERR_NS}}}") and not c.tag.endswith("}text")]
        assert len(conditions) == 1, f"stream error needs one condition, got {conditions}:\n{self.conversation()}"
        return conditions[0]

    async def closed(self, timeout=STEP_TIMEOUT):
        """The server closes the stream (</stream:stream>) and the connection."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.eof:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            try:
                await self._receive(left)
            except asyncio.TimeoutError:
                break
        assert self.eof, f"connection still open {timeout}s later:\n{self.conversation()}"

    # -- negotiation shortcuts

    async def starttls(self):
        await self.say(f"<starttls xmlns='{TLS_NS}'/>")
        await self.expect(f"{{{TLS_NS}}}proceed")
        await asyncio.wait_for(self.writer.start_tls(client_tls_context(self.server.cert),
                                                     server_hostname="localhost"), STEP_TIMEOUT)
        self.transcript.append("-- TLS established")
        self.restart_stream()

    async def auth_plain(self, user: str, password: str) -> ET.Element:
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        await self.say(f"<auth xmlns='{SASL_NS}' mechanism='PLAIN'>{token}</auth>")
        elem = await self.next_element()
        assert elem is not None, f"stream ended during SASL:\n{self.conversation()}"
        return elem

    async def sign_in(self, user: str, password: str | None = None, resource="raw") -> str:
        """TLS (STARTTLS unless direct), SASL PLAIN, bind. Returns the bound full JID."""
        bare = f"{user}@{self.server.domain}"
        password = password if password is not None else self.server.passwords[bare]
        await self.open_stream()
        await self.features()
        if not self.direct_tls:
            await self.starttls()
            await self.open_stream()
            await self.features()
        answer = await self.auth_plain(user, password)
        assert answer.tag == f"{{{SASL_NS}}}success", f"login failed:\n{self.conversation()}"
        self.restart_stream()
        await self.open_stream()
        await self.features()
        await self.say(f"<iq type='set' id='bind1'><bind xmlns='{BIND_NS}'>"
                       f"<resource>{resource}</resource></bind></iq>")
        iq = await self.expect("{jabber:client}iq")
        jid = iq.find(f"{{{BIND_NS}}}bind/{{{BIND_NS}}}jid")
        assert iq.get("type") == "result" and jid is not None, f"bind failed:\n{self.conversation()}"
        return jid.text
