"""SIGTERM: every stream hears <system-shutdown/>, then the process exits 0."""

import asyncio
import socket

from raw_stream import RawStream
from xmpp_client import Client


async def test_sigterm_tells_every_stream_system_shutdown_and_exits_0(fresh_server):
    server = fresh_server
    alice = Client(server, "alice", resource="starttls", transport="starttls")
    bob = Client(server, "bob", resource="direct", transport="tls")
    await alice.sign_in()
    await bob.sign_in()
    async with RawStream(server) as stranger, RawStream(server, direct_tls=True) as carol:
        await stranger.open_stream()       # connected, never authenticated
        await stranger.features()
        await carol.sign_in("carol", resource="raw")

        server.terminate()

        assert await alice.next_stream_error() == "system-shutdown"
        assert await bob.next_stream_error() == "system-shutdown"
        assert await stranger.stream_error() == "system-shutdown", stranger.conversation()
        assert await carol.stream_error() == "system-shutdown", carol.conversation()
        await carol.closed()
        assert carol.closed_by_server, f"no </stream:stream>:\n{carol.conversation()}"
        await stranger.closed()
        await alice.disconnected()
        await bob.disconnected()

    assert await asyncio.to_thread(server.wait) == 0


async def test_sigterm_with_no_clients_exits_0_and_frees_the_ports(fresh_server):
    server = fresh_server
    server.terminate()
    assert await asyncio.to_thread(server.wait) == 0
    for port in (server.c2s_port, server.tls_port):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still accepts"
