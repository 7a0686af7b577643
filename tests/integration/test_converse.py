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

SM = "urn:xmpp:sm:3"


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
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
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
