"""A TCP proxy on loopback that the test owns, to break a client's network the way
a phone loses it: no clean close, no FIN.

`LinkProxy` forwards every connection to the server. `blackhole()` makes the open
connections go silent (bytes from either side are read and thrown away, nothing
is closed, as when a radio drops); `cut()` then resets them (RST: SO_LINGER 0),
as when the phone's address changes and the old TCP connection is gone. New
connections are forwarded as usual. Runs on the test's event loop only.

A proxy rather than the browser's offline emulation: Chromium's (playwright's
setOffline) leaves an open WebSocket open, it only stops handing frames to the
page; neither end ever sees the connection break (microsoft/playwright#4910).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct


class _Link:
    """One client connection and its upstream connection."""

    def __init__(self, client: tuple, upstream: tuple):
        self.client_reader, self.client_writer = client
        self.upstream_reader, self.upstream_writer = upstream
        self.silent = False
        self.tasks: list[asyncio.Task] = []

    async def pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                if self.silent:
                    continue  # the network swallows it
                writer.write(data)
                await writer.drain()
            if not self.silent:
                writer.write_eof()

    def reset(self):
        for writer in (self.client_writer, self.upstream_writer):
            sock = writer.get_extra_info("socket")
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        for task in self.tasks:
            task.cancel()


class LinkProxy:
    def __init__(self, port: int, upstream_port: int):
        self.port = port
        self.upstream_port = upstream_port
        self.links: list[_Link] = []
        self.server: asyncio.base_events.Server | None = None

    async def __aenter__(self):
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc):
        self.server.close()
        for link in self.links:
            link.reset()
        await self.server.wait_closed()

    @property
    def accepted(self) -> int:
        """How many connections the proxy has taken so far."""
        return len(self.links)

    async def _accept(self, reader, writer):
        upstream = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        link = _Link((reader, writer), upstream)
        self.links.append(link)
        link.tasks = [asyncio.create_task(link.pump(reader, upstream[1])),
                      asyncio.create_task(link.pump(upstream[0], writer))]
        await asyncio.gather(*link.tasks, return_exceptions=True)

    def blackhole(self):
        """The open connections go silent both ways; nothing is closed."""
        for link in self.links:
            link.silent = True

    def cut(self):
        """Every open connection is reset (RST to both ends)."""
        for link in self.links:
            link.reset()
