"""A real browser (Debian's chromium, headless, driven by playwright-core from
tests/web/browser.mjs): a page logs in over wss with the browser build of
@xmpp/client and receives a message from a TCP client; the /status dashboard
draws charts with data from live traffic.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from conftest import USERS
from web_helpers import WEB_DIR, XmqdWeb, web_tools_missing
from xmqd_process import free_port
from xmpp_client import signed_in


def browser_missing() -> str | None:
    if web_tools_missing():
        return web_tools_missing()
    if not Path("/usr/bin/chromium").exists():
        return "chromium is not installed (packaging/install-deps.sh)"
    return None


pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))


class Browser:
    """`node tests/web/browser.mjs ...` as a child process; its output lines are read."""

    def __init__(self, *args: str):
        self.args = args
        self.lines: list[str] = []

    async def __aenter__(self):
        self.proc = await asyncio.create_subprocess_exec(
            shutil.which("node"), str(WEB_DIR / "browser.mjs"), *self.args, cwd=str(WEB_DIR),
            env=dict(os.environ, NODE_NO_WARNINGS="1"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        return self

    async def __aexit__(self, *exc):
        if self.proc.returncode is None:
            self.proc.kill()  # the node driver, by its PID; it owns its chromium
            await asyncio.wait_for(self.proc.wait(), 10)

    async def line(self, prefix: str, timeout: float = 30) -> str:
        async def read():
            while True:
                raw = await self.proc.stdout.readline()
                if not raw:
                    raise AssertionError(f"browser driver exited without {prefix!r}:\n" + "\n".join(self.lines))
                text = raw.decode(errors="replace").rstrip("\n")
                self.lines.append(text)
                if text.startswith(("ERROR", "TIMEOUT")):
                    raise AssertionError("browser driver failed:\n" + "\n".join(self.lines))
                if text.startswith(prefix):
                    return text[len(prefix):].strip()
        try:
            return await asyncio.wait_for(read(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"no {prefix!r} in {timeout}s:\n" + "\n".join(self.lines)) from None


@pytest.fixture(scope="module")
def web(tmp_path_factory, tls_cert):
    cert, key = tls_cert
    server = XmqdWeb(tmp_path_factory.mktemp("browser"), cert, key, name="browser")
    for user, password in USERS.items():
        server.add_user(user, password)
    server.start()
    yield server
    assert server.stop() == 0


async def test_browser_logs_in_over_wss_and_receives_a_message(web):
    page_port = free_port({web.c2s_port, web.tls_port, web.http_port, web.https_port})
    async with Browser("chat", web.wss_url, "localhost", "bob", USERS["bob"], "browser", str(page_port)) as browser:
        jid = await browser.line("ONLINE")
        assert jid == "bob@localhost/browser"
        async with signed_in(web, "alice") as alice:
            alice.send_message(jid, "hello, browser")
            assert await browser.line("GOT") == f"{alice.jid} hello, browser"
        assert await asyncio.wait_for(browser.proc.wait(), 15) == 0
    # The browser bundle of @xmpp/client picks PLAIN (TLS-protected here: wss).
    assert "bob@localhost authenticated with " in web.log()


async def test_status_dashboard_draws_charts_of_live_traffic(web, tmp_path):
    png = tmp_path / "status.png"
    async with signed_in(web, "alice", resource="traffic") as alice, \
            signed_in(web, "carol", resource="traffic") as carol:
        stop = asyncio.Event()

        async def traffic():
            n = 0
            while not stop.is_set():
                for _ in range(20):
                    alice.send_message(carol.jid, f"m{n}")
                    n += 1
                await asyncio.sleep(0.2)

        sender = asyncio.create_task(traffic())
        try:
            async with Browser("status", f"http://127.0.0.1:{web.http_port}/status", str(png), "4") as browser:
                points = int(await browser.line("POINTS"))
                rate = float(await browser.line("RATE"))
                canvases = int(await browser.line("CANVASES"))
                await browser.line("SAVED")
        finally:
            stop.set()
            await sender
    assert points >= 4
    assert rate > 10, f"the stanza chart saw no traffic (max rate {rate}/s)"
    assert canvases >= 4  # connections, stanzas, and one per queue
    assert png.stat().st_size > 10000
    if os.environ.get("XMQD_KEEP_SCREENSHOT"):
        shutil.copy(png, os.environ["XMQD_KEEP_SCREENSHOT"])
