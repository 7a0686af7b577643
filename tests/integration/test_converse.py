"""Converse.js, a real web client (npm, pinned in tests/web/package-lock.json), in
headless Chromium over WebSocket (tests/web/converse.mjs drives it with
playwright-core): it logs in, chats with a slixmpp contact through its UI, loses
its network without a clean close and resumes its stream (XEP-0198) with what
was sent meanwhile, and after a reload with empty browser storage finds the
conversation again in the archive (XEP-0313).

The browser reaches xmqd's wss listener through a LinkProxy the test owns, so the
test can silence and reset the page's TCP connection.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import USERS
from im_helpers import make_both, watched
from link_proxy import LinkProxy
from web_helpers import WEB_DIR, XmqdWeb, web_tools_missing
from xmqd_process import free_port
from xmpp_client import signed_in

# The driver answers each command with one JSON line; "wire" holds the whole
# session's XML (the server's disco#info and stream features alone are several
# KiB), which outgrew asyncio's default line limit of 64 KiB.
WIRE_LINE_LIMIT = 16 * 1024 * 1024

SM = "urn:xmpp:sm:3"
MAM = "urn:xmpp:mam:2"
FORWARD = "urn:xmpp:forward:0"


def converse_missing() -> str | None:
    if web_tools_missing():
        return web_tools_missing()
    if not (WEB_DIR / "node_modules" / "converse.js" / "dist" / "converse.min.js").exists():
        return "tests/web/node_modules has no converse.js: run `npm ci` in tests/web (packaging/install-deps.sh)"
    if not Path("/usr/bin/chromium").exists():
        return "chromium is not installed (packaging/install-deps.sh)"
    return None


pytestmark = pytest.mark.skipif(converse_missing() is not None, reason=str(converse_missing()))


class Converse:
    """`node tests/web/converse.mjs PORT`: one command line in, one RESULT line out."""

    def __init__(self, page_port: int):
        self.page_port = page_port
        self.lines: list[str] = []

    async def __aenter__(self):
        self.proc = await asyncio.create_subprocess_exec(
            shutil.which("node"), str(WEB_DIR / "converse.mjs"), str(self.page_port), cwd=str(WEB_DIR),
            env=dict(os.environ, NODE_NO_WARNINGS="1"), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            limit=WIRE_LINE_LIMIT)
        await self._line("READY")
        return self

    async def __aexit__(self, *exc):
        if self.proc.returncode is None:
            self.proc.kill()  # the node driver, by its PID; it owns its chromium
            await asyncio.wait_for(self.proc.wait(), 10)

    async def _line(self, prefix: str, timeout: float = 30) -> str:
        async def read():
            while True:
                raw = await self.proc.stdout.readline()
                if not raw:
                    raise AssertionError(f"converse driver exited without {prefix!r}:\n" + self.transcript())
                text = raw.decode(errors="replace").rstrip("\n")
                self.lines.append(text)
                if text.startswith("ERROR"):
                    raise AssertionError("converse driver failed:\n" + self.transcript())
                if text.startswith(prefix):
                    return text[len(prefix):].strip()
        try:
            return await asyncio.wait_for(read(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"no {prefix!r} in {timeout}s:\n" + self.transcript()) from None

    def transcript(self) -> str:
        return "\n".join(line[:400] for line in self.lines[-200:])

    async def do(self, cmd: str, **args) -> dict:
        self.proc.stdin.write((json.dumps({"cmd": cmd, **args}) + "\n").encode())
        await self.proc.stdin.drain()
        return json.loads(await self._line("RESULT"))

    async def quit(self):
        """Close the browser; the driver must exit 0."""
        self.proc.stdin.write(b'{"cmd": "quit"}\n')
        await self.proc.stdin.drain()
        code = await asyncio.wait_for(self.proc.wait(), 15)
        assert code == 0, f"converse driver exited {code}:\n" + self.transcript()

    async def wire(self) -> list[tuple[str, ET.Element]]:
        """Every element the page sent ("out") and received ("in"), parsed."""
        return [(w["dir"], ET.fromstring(w["xml"])) for w in (await self.do("wire"))["wire"]]


@pytest.fixture(scope="module")
def web(tmp_path_factory, tls_cert):
    cert, key = tls_cert
    server = XmqdWeb(tmp_path_factory.mktemp("converse"), cert, key, name="converse")
    for user, password in USERS.items():
        server.add_user(user, password)
    server.start()
    yield server
    assert server.stop() == 0


async def contacts(web, a: str, b: str):
    """A and B in each other's roster with subscription both (Converse.js shows
    only messages from roster contacts)."""
    async with watched(web, a, resource="seed") as wa, watched(web, b, resource="seed") as wb:
        for w in (wa, wb):
            await w.available()
            await w.roster()
        await make_both(wa, wb)


async def next_body(client, timeout: float = 10):
    """The next message with a body (Converse.js also sends chat states, XEP-0085, without one)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        msg = await client.next_message(timeout=max(left, 0.01))
        if msg["body"]:
            return msg


def login_args(web, proxy: LinkProxy, user: str) -> dict:
    return {"websocket_url": f"wss://127.0.0.1:{proxy.port}/xmpp-websocket",
            "jid": f"{user}@{web.domain}/converse", "password": USERS[user]}


def page_port(web) -> int:
    return free_port({web.c2s_port, web.tls_port, web.http_port, web.https_port})


def proxy_port(web, taken: int) -> int:
    return free_port({web.c2s_port, web.tls_port, web.http_port, web.https_port, taken})


async def test_converse_logs_in_and_chats_through_its_ui(web):
    await contacts(web, "alice", "bob")
    page = page_port(web)
    async with LinkProxy(proxy_port(web, page), web.https_port) as proxy, \
            signed_in(web, "alice", resource="contact") as alice, Converse(page) as converse:
        await alice.available()  # a message to the bare JID goes to available resources
        logged_in = await converse.do("login", **login_args(web, proxy, "bob"))
        assert logged_in["jid"] == "bob@localhost/converse"
        await converse.do("open_chat", jid=alice.bare)
        await converse.do("send", jid=alice.bare, body="hello from Converse.js")
        got = await next_body(alice)
        assert (str(got["from"]), got["body"]) == ("bob@localhost/converse", "hello from Converse.js")
        alice.send_message(str(got["from"]), "hello, browser")
        shown = await converse.do("wait_messages", jid=alice.bare,
                                  bodies=["hello from Converse.js", "hello, browser"])
        assert shown["shown"] == {"hello from Converse.js": 1, "hello, browser": 1}
        senders = {m["body"]: m["sender"] for m in shown["messages"]}
        assert senders == {"hello from Converse.js": "me", "hello, browser": "them"}
        await converse.quit()


def sm_elements(wire, direction: str, name: str) -> list[ET.Element]:
    return [e for d, e in wire if d == direction and e.tag == f"{{{SM}}}{name}"]


def live_bodies(wire) -> list[str]:
    """Bodies of the chat messages the page received on its streams (not archive results)."""
    return [e.findtext("{jabber:client}body") for d, e in wire
            if d == "in" and e.tag == "{jabber:client}message" and e.find("{jabber:client}body") is not None]


def archived_bodies(wire) -> list[str]:
    """Bodies of the messages the page received as archive (XEP-0313) results."""
    path = f"{{{MAM}}}result/{{{FORWARD}}}forwarded/{{jabber:client}}message/{{jabber:client}}body"
    return [e.findtext(path) for d, e in wire
            if d == "in" and e.tag == "{jabber:client}message" and e.find(path) is not None]


AWAY = ["while away 1", "while away 2", "while away 3"]


async def chat_drop_and_resume(web, converse: Converse, proxy: LinkProxy, contact, user: str, *,
                               ws_scheme: str = "wss") -> dict:
    """Log in, chat, lose the network, resume; returns the login arguments and the bound JID."""
    args = login_args(web, proxy, user)
    args["websocket_url"] = f"{ws_scheme}://127.0.0.1:{proxy.port}/xmpp-websocket"
    bound = (await converse.do("login", **args))["jid"]
    await converse.do("open_chat", jid=contact.bare)
    await converse.do("send", jid=contact.bare, body="before the drop")
    got = await next_body(contact)
    assert (str(got["from"]), got["body"]) == (bound, "before the drop")
    contact.send_message(bound, "seen before the drop")
    await converse.do("wait_messages", jid=contact.bare, bodies=["seen before the drop"])
    wire = await converse.wire()
    enabled = sm_elements(wire, "in", "enabled")
    assert len(enabled) == 1 and enabled[0].get("resume") in ("true", "1"), "stream management not enabled"
    connections = proxy.accepted

    # The network goes silent (nothing is closed) and the contact writes
    # meanwhile; the server answers its ping after it has routed the three.
    proxy.blackhole()
    for body in AWAY:
        contact.send_message(bound, body)
    await contact.ping_server()
    # Then the old TCP connection is gone (RST both ways); Converse.js reconnects
    # through the proxy, which forwards new connections, and resumes.
    proxy.cut()
    await converse.do("wait_reconnected", count=1)
    shown = await converse.do("wait_messages", jid=contact.bare, bodies=AWAY)
    assert shown["shown"] == {body: 1 for body in AWAY}
    assert proxy.accepted == connections + 1
    wire = await converse.wire()
    resume = sm_elements(wire, "out", "resume")
    assert len(resume) == 1 and resume[0].get("previd") == enabled[0].get("id")
    assert len(sm_elements(wire, "in", "resumed")) == 1
    assert not sm_elements(wire, "in", "failed")
    # Each message sent meanwhile reached the page once on the wire: what the
    # silent network swallowed was resent after <resumed/>, nothing twice.
    live = live_bodies(wire)
    assert [live.count(body) for body in AWAY] == [1, 1, 1], live
    # The resumed stream carries new messages both ways.
    await converse.do("send", jid=contact.bare, body="after the resumption")
    got = await next_body(contact)
    assert (str(got["from"]), got["body"]) == (bound, "after the resumption")
    return {"args": args, "jid": bound}


async def reload_and_find_the_archive(converse: Converse, contact, session: dict):
    """Reload with every browser store emptied: the conversation of
    chat_drop_and_resume comes back from the server's archive, once each."""
    assert (await converse.do("reload_fresh", **session["args"]))["jid"] == session["jid"]
    await converse.do("open_chat", jid=contact.bare)
    everything = ["before the drop", "seen before the drop", *AWAY, "after the resumption"]
    shown = await converse.do("wait_messages", jid=contact.bare, bodies=everything)
    assert shown["shown"] == {body: 1 for body in everything}
    by_body = {m["body"]: m for m in shown["messages"]}
    assert all(by_body[body]["is_archived"] for body in everything), shown["messages"]
    # The page's wire since the reload: every body came in an archive result, none live.
    wire = await converse.wire()
    archived = archived_bodies(wire)
    assert [archived.count(body) for body in everything] == [1] * len(everything), archived
    assert not set(live_bodies(wire)) & set(everything)
    assert by_body["before the drop"]["sender"] == "me" and by_body["while away 1"]["sender"] == "them"


async def test_converse_resumes_its_stream_after_a_network_drop(web):
    await contacts(web, "carol", "dave")
    page = page_port(web)
    async with LinkProxy(proxy_port(web, page), web.https_port) as proxy, \
            signed_in(web, "carol", resource="contact") as carol, Converse(page) as converse:
        await carol.available()
        mark = len(web.lines)
        session = await chat_drop_and_resume(web, converse, proxy, carol, "dave")
        # On xmqd's side: the page's resource was bound once; its session
        # hibernated when the connection was reset and the new stream took it over.
        web.wait_for_log(f"{session['jid']} hibernated", since=mark)
        web.wait_for_log(f"{session['jid']} attached to stream", since=mark)
        assert web.log(mark).count(f"{session['jid']} bound") == 1, web.log(mark)
        await converse.quit()


async def test_converse_finds_the_conversation_in_the_archive_after_a_drop_and_a_reload(web):
    await contacts(web, "erin", "bob")
    page = page_port(web)
    async with LinkProxy(proxy_port(web, page), web.https_port) as proxy, \
            signed_in(web, "erin", resource="contact") as erin, Converse(page) as converse:
        await erin.available()
        session = await chat_drop_and_resume(web, converse, proxy, erin, "bob")
        await reload_and_find_the_archive(converse, erin, session)
        await converse.quit()
