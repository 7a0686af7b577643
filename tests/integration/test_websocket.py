"""The HTTP listener (issue 5): XMPP over WebSocket (RFC 7395) with real JS
clients talking to TCP clients, XMQ over WebSocket, host-meta (XEP-0156),
Prometheus /metrics, and how bad HTTP input is answered.

The JS clients are @xmpp/client and stanza under node (tests/web/chat.mjs).
"""

from __future__ import annotations

import asyncio
import ssl

import pytest
import websockets
import websockets.exceptions  # loaded lazily by websockets 10: imported here, not by whichever test ran first
import xml.etree.ElementTree as ET

from conftest import USERS
from web_helpers import (NodeClient, XmqdWeb, http_exchange, http_get, metric, parse_prometheus,
                         web_tools_missing)
from xmpp_client import signed_in
from xmq_helpers import Q_ANY, Peer, body_of, new_id

FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"
STREAM_NS = "http://etherx.jabber.org/streams"
STREAMS_ERR = "urn:ietf:params:xml:ns:xmpp-streams"

needs_node = pytest.mark.skipif(web_tools_missing() is not None, reason=str(web_tools_missing()))


def start_web_server(tmp_path_factory, tls_cert, name, **http_options) -> XmqdWeb:
    cert, key = tls_cert
    server = XmqdWeb(tmp_path_factory.mktemp(name), cert, key, name=name, http_options=http_options)
    for user, password in USERS.items():
        server.add_user(user, password)
    server.start()
    return server


@pytest.fixture(scope="module")
def web(tmp_path_factory, tls_cert):
    """xmqd with http (loopback, plain ws allowed by default) and https listeners."""
    server = start_web_server(tmp_path_factory, tls_cert, "web")
    yield server
    assert server.stop() == 0


@pytest.fixture(scope="module")
def strict_web(tmp_path_factory, tls_cert):
    """xmqd that refuses plain ws:// even on loopback and checks the Origin."""
    server = start_web_server(tmp_path_factory, tls_cert, "strictweb", plain_websocket="never",
                              origins=["https://chat.example.com"])
    yield server
    assert server.stop() == 0


def insecure_ssl() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def metrics(server) -> dict:
    status, headers, body = await http_get(server.http_port, "/metrics")
    assert status == 200, body
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse_prometheus(body.decode())


# --------------------------------------------------------------------------- real JS clients


@needs_node
async def test_xmppjs_over_ws_chats_with_a_tcp_client(web):
    before = await metrics(web)
    async with signed_in(web, "alice") as alice:
        async with NodeClient("xmpp.js", web.ws_url, "bob@localhost/web", USERS["bob"]) as bob:
            bob_jid = await bob.line("ONLINE")
            assert bob_jid == "bob@localhost/web"
            # alice (TCP, STARTTLS) says hello; bob (WebSocket) answers.
            alice.send_message(bob_jid, "hello over tcp")
            assert await bob.line("GOT") == f"{alice.jid} hello over tcp"
            echo = await alice.next_message()
            assert echo["body"] == "echo: hello over tcp" and echo["from"].full == bob_jid
            alice.send_message(bob_jid, "bye")
            assert await bob.exit_code() == 0
    log = web.log()
    assert "bob@localhost authenticated with SCRAM-SHA-1" in log or "bob@localhost authenticated with SCRAM-SHA-256" in log, log[-3000:]
    after = await metrics(web)
    assert metric(after, "xmqd_connections_total", transport="websocket") > \
        metric(before, "xmqd_connections_total", transport="websocket")
    assert metric(after, "xmqd_logins_total") >= metric(before, "xmqd_logins_total") + 2
    assert metric(after, "xmqd_stanzas_in_total", kind="message") >= \
        metric(before, "xmqd_stanzas_in_total", kind="message") + 3
    assert metric(after, "xmqd_stanzas_out_total", kind="message") >= \
        metric(before, "xmqd_stanzas_out_total", kind="message") + 3


@needs_node
async def test_stanza_over_wss_chats_with_a_tcp_client(web):
    async with signed_in(web, "alice", resource="tcp2") as alice:
        async with NodeClient("stanza", web.wss_url, "carol@localhost/stanza", USERS["carol"]) as carol:
            carol_jid = await carol.line("ONLINE")
            assert carol_jid == "carol@localhost/stanza"
            alice.send_message(carol_jid, "hi stanza.js")
            assert await carol.line("GOT") == f"{alice.jid} hi stanza.js"
            echo = await alice.next_message()
            assert echo["body"] == "echo: hi stanza.js"
            alice.send_message(carol_jid, "bye")
            assert await carol.exit_code() == 0
    assert "carol@localhost authenticated with SCRAM-" in web.log()


@needs_node
async def test_xmq_any_round_trip_over_websocket(web):
    jobs, replies = new_id("jobs"), new_id("replies")
    async with Peer(web, "dave") as dave, Peer(web, "erin") as erin:
        await dave.sub(Q_ANY, replies)
        async with NodeClient("xmpp.js", web.ws_url, "bob@localhost/worker", USERS["bob"],
                              Q_ANY, jobs, Q_ANY, replies) as worker:
            await worker.line("SUBSCRIBED")
            await worker.line("ONLINE")
            # erin (TCP) publishes a job; the WebSocket worker is the ANY queue's only consumer.
            await erin.publish(Q_ANY, jobs, "job 1")
            assert await worker.line("QUEUE") == "job 1"
            # its answer goes through the queue to dave, the reply topic's consumer.
            reply = await dave.next_message()
            assert body_of(reply) == "re: job 1"
    series = await metrics(web)
    assert metric(series, "xmqd_xmq_published_total", route=Q_ANY) >= 2
    assert metric(series, "xmqd_xmq_delivered_total", route=Q_ANY) >= 2


# --------------------------------------------------------------------------- RFC 7395 on the wire


async def ws_open(server, url=None, **kw):
    url = url or server.ws_url
    if url.startswith("wss"):
        kw.setdefault("ssl", insecure_ssl())
    return await asyncio.wait_for(websockets.connect(url, subprotocols=["xmpp"], **kw), 10)


async def recv_xml(ws) -> ET.Element:
    text = await asyncio.wait_for(ws.recv(), 10)
    assert isinstance(text, str), "XMPP frames are text messages"
    return ET.fromstring(text)


async def test_open_answered_with_open_and_namespaced_features(web):
    ws = await ws_open(web)
    try:
        assert ws.subprotocol == "xmpp"
        await ws.send(f"<open xmlns='{FRAMING}' to='localhost' version='1.0'/>")
        opened = await recv_xml(ws)
        assert opened.tag == f"{{{FRAMING}}}open"
        assert opened.get("from") == "localhost" and opened.get("version") == "1.0" and opened.get("id")
        features = await recv_xml(ws)  # parses alone: its stream prefix is declared in the message
        assert features.tag == f"{{{STREAM_NS}}}features"
        assert features.find("{urn:ietf:params:xml:ns:xmpp-tls}starttls") is None, "no STARTTLS over WebSocket"
        mechs = [m.text for m in features.iter("{urn:ietf:params:xml:ns:xmpp-sasl}mechanism")]
        assert any(m.startswith("SCRAM-") for m in mechs), mechs
        await ws.send(f"<close xmlns='{FRAMING}'/>")
        closed = await recv_xml(ws)
        assert closed.tag == f"{{{FRAMING}}}close"
        await asyncio.wait_for(ws.wait_closed(), 10)
    finally:
        await ws.close()


async def test_two_stanzas_in_one_message_is_a_stream_error(web):
    ws = await ws_open(web)
    try:
        await ws.send(f"<open xmlns='{FRAMING}' to='localhost' version='1.0'/>")
        await recv_xml(ws)
        await recv_xml(ws)
        await ws.send("<iq xmlns='jabber:client' type='get' id='a'/><iq xmlns='jabber:client' type='get' id='b'/>")
        error = await recv_xml(ws)
        assert error.tag == f"{{{STREAM_NS}}}error"
        assert error.find(f"{{{STREAMS_ERR}}}not-well-formed") is not None, ET.tostring(error)
        assert (await recv_xml(ws)).tag == f"{{{FRAMING}}}close"
        await asyncio.wait_for(ws.wait_closed(), 10)
    finally:
        await ws.close()


async def test_wrong_open_namespace_is_invalid_namespace(web):
    ws = await ws_open(web)
    try:
        await ws.send("<open xmlns='urn:example:not-framing' to='localhost' version='1.0'/>")
        assert (await recv_xml(ws)).tag == f"{{{FRAMING}}}open"
        error = await recv_xml(ws)
        assert error.find(f"{{{STREAMS_ERR}}}invalid-namespace") is not None, ET.tostring(error)
    finally:
        await ws.close()


async def test_upgrade_without_xmpp_subprotocol_is_refused(web):
    with pytest.raises(websockets.exceptions.InvalidStatusCode) as refused:
        await asyncio.wait_for(websockets.connect(web.ws_url), 10)
    assert refused.value.status_code == 400


async def test_plain_ws_refused_where_config_says_never_but_wss_works(strict_web):
    with pytest.raises(websockets.exceptions.InvalidStatusCode) as refused:
        await ws_open(strict_web, origin="https://chat.example.com")
    assert refused.value.status_code == 403
    ws = await ws_open(strict_web, strict_web.wss_url, origin="https://chat.example.com")
    await ws.close()


async def test_origin_outside_the_allowed_list_is_refused(strict_web):
    with pytest.raises(websockets.exceptions.InvalidStatusCode) as refused:
        await ws_open(strict_web, strict_web.wss_url, origin="https://evil.example.net")
    assert refused.value.status_code == 403


# --------------------------------------------------------------------------- host-meta, metrics


async def test_host_meta_names_the_websocket_endpoint(web):
    status, headers, body = await http_get(web.https_port, "/.well-known/host-meta", tls=True)
    assert status == 200 and headers["content-type"] == "application/xrd+xml"
    assert headers["access-control-allow-origin"] == "*"
    xrd = ET.fromstring(body)
    links = [(l.get("rel"), l.get("href")) for l in xrd.iter("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")]
    assert links == [("urn:xmpp:alt-connections:websocket", "wss://localhost/xmpp-websocket")]
    status, headers, body = await http_get(web.http_port, "/.well-known/host-meta.json")
    import json
    assert status == 200 and headers["content-type"] == "application/json"
    assert json.loads(body) == {"links": [{"rel": "urn:xmpp:alt-connections:websocket",
                                           "href": "ws://localhost/xmpp-websocket"}]}


async def test_metrics_parse_and_count_auth_failures_and_routing_errors(web):
    before = await metrics(web)
    for name in ("xmqd_connections_open", "xmqd_connections_total"):
        for transport in ("tcp", "tls", "websocket"):
            metric(before, name, transport=transport)
    metric(before, "xmqd_xmq_consumers", route=Q_ANY)
    metric(before, "xmqd_xmq_rejected_total", route=Q_ANY, reason="no_topic")
    with pytest.raises(Exception):
        async with signed_in(web, "alice", "wrong-password", resource="bad"):
            pass
    async with signed_in(web, "alice", resource="router") as alice:
        alice.send_message("nobody@localhost", "to no one")  # no such account: an error back
        await alice.next_message()
    after = await metrics(web)
    assert metric(after, "xmqd_auth_failures_total") > metric(before, "xmqd_auth_failures_total")
    assert metric(after, "xmqd_routing_errors_total") > metric(before, "xmqd_routing_errors_total")
    assert metric(after, "xmqd_connections_total", transport="tcp") >= \
        metric(before, "xmqd_connections_total", transport="tcp") + 2


async def test_metrics_gauge_offline_messages_while_they_wait(web):
    # To erin: no other test of this module leaves messages for her (bob's
    # xmpp.js client signs out without acknowledging its last message, which
    # stream management then keeps offline for him).
    before = metric(await metrics(web), "xmqd_offline_messages")
    async with signed_in(web, "alice", resource="offline-gauge") as alice:
        alice.send_message("erin@localhost", "kept for erin")
        await alice.ping_server()  # answered after the message was stored
    assert metric(await metrics(web), "xmqd_offline_messages") == before + 1
    async with signed_in(web, "erin", resource="offline-gauge") as erin:
        await erin.available()
        assert (await erin.next_message())["body"] == "kept for erin"
        await erin.ping_server()
    assert metric(await metrics(web), "xmqd_offline_messages") == before


# --------------------------------------------------------------------------- bad HTTP input


async def test_unknown_path_bad_method_and_plain_get_on_the_endpoint(web):
    assert (await http_get(web.http_port, "/nothing-here"))[0] == 404
    status, headers, _ = await http_exchange(
        web.http_port, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    assert status == 405 and headers["allow"] == "GET, HEAD"
    assert (await http_get(web.http_port, "/xmpp-websocket"))[0] == 426
    assert (await http_exchange(web.http_port, b"NOT HTTP AT ALL\r\n\r\n"))[0] == 400


async def test_oversized_headers_get_431_and_big_bodies_413(web):
    big = "X-Filler: " + "a" * 20000 + "\r\n"
    status, _, _ = await http_exchange(web.http_port, f"GET / HTTP/1.1\r\nHost: x\r\n{big}\r\n".encode(),
                                       read_all=False)
    assert status == 431
    status, _, _ = await http_exchange(
        web.http_port, b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", read_all=False)
    assert status == 413


@pytest.fixture(scope="module")
def quick_timeout_web(tmp_path_factory, tls_cert):
    server = start_web_server(tmp_path_factory, tls_cert, "slowweb", request_timeout=2)
    yield server
    assert server.stop() == 0


async def test_slow_client_gets_408_while_others_are_served(quick_timeout_web):
    web = quick_timeout_web
    reader, writer = await asyncio.open_connection("127.0.0.1", web.http_port)
    try:
        writer.write(b"GET /.well-known/host-meta HTTP/1.1\r\nHost: x\r\n")  # never finished
        await writer.drain()
        # Others are served at once meanwhile.
        started = asyncio.get_running_loop().time()
        assert (await http_get(web.http_port, "/.well-known/host-meta"))[0] == 200
        assert asyncio.get_running_loop().time() - started < 1.5
        answer = await asyncio.wait_for(reader.read(4096), 8)
        assert answer.startswith(b"HTTP/1.1 408"), answer
    finally:
        writer.close()


# --------------------------------------------------------------------------- operators over HTTP auth


@pytest.fixture(scope="module")
def admin_web(tmp_path_factory, tls_cert):
    """xmqd whose operator pages need an admin login even from loopback."""
    server = start_web_server(tmp_path_factory, tls_cert, "adminweb", operator_loopback=False,
                              admins=["dave@localhost"])
    yield server
    assert server.stop() == 0


def basic(user: str, password: str) -> str:
    import base64
    return "Authorization: Basic " + base64.b64encode(f"{user}:{password}".encode()).decode() + "\r\n"


async def test_operator_pages_need_an_admin_login(admin_web):
    port = admin_web.https_port
    status, headers, _ = await http_get(port, "/metrics", tls=True)
    assert status == 401 and headers["www-authenticate"].startswith("Basic realm=")
    assert (await http_get(port, "/metrics", tls=True, headers=basic("dave", "wrong")))[0] == 401
    # alice's password is right, but she is not an admin.
    assert (await http_get(port, "/metrics", tls=True, headers=basic("alice", USERS["alice"])))[0] == 401
    status, _, body = await http_get(port, "/metrics", tls=True, headers=basic("dave", USERS["dave"]))
    assert status == 200
    parse_prometheus(body.decode())
    status, headers, body = await http_get(port, "/status/data.json", tls=True,
                                           headers=basic("dave@localhost", USERS["dave"]))
    import json
    assert status == 200 and "queues" in json.loads(body)
