"""Helpers for the HTTP listener tests: an xmqd with http/https listeners, JS
clients run under node (tests/web), raw HTTP on a socket, a Prometheus text parser.

Every wait is bounded; node processes are ended by their own PID.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import ssl
from pathlib import Path

from xmqd_process import Xmqd, free_port, toml_str

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
NODE = shutil.which("node")


def web_tools_missing() -> str | None:
    """Why the JS-client tests cannot run here, or None."""
    if NODE is None:
        return "node is not installed (packaging/install-deps.sh)"
    if not (WEB_DIR / "node_modules" / "@xmpp" / "client").exists():
        return "tests/web/node_modules missing: run `npm ci` in tests/web (packaging/install-deps.sh)"
    return None


class XmqdWeb(Xmqd):
    """An Xmqd that also listens for HTTP (plain, loopback) and HTTPS."""

    def __init__(self, *args, http_options: dict | None = None, **kw):
        self.http_options = http_options or {}
        super().__init__(*args, **kw)

    def pick_ports(self):
        super().pick_ports()
        self.http_port = free_port({self.c2s_port, self.tls_port, self.component_port})
        self.https_port = free_port({self.c2s_port, self.tls_port, self.component_port, self.http_port})

    def write_config(self):
        super().write_config()
        extra = [f"""
[[listeners]]
kind = "http"
address = "127.0.0.1"
port = {self.http_port}

[[listeners]]
kind = "https"
address = "127.0.0.1"
port = {self.https_port}
"""]
        if self.http_options:
            extra.append("[http]")
            for k, v in self.http_options.items():
                extra.append(f"{k} = {json.dumps(v)}")
        with open(self.config_path, "a") as f:
            f.write("\n".join(extra) + "\n")

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.http_port}/xmpp-websocket"

    @property
    def wss_url(self) -> str:
        return f"wss://127.0.0.1:{self.https_port}/xmpp-websocket"


class NodeClient:
    """`node tests/web/chat.mjs ...` as a child process whose output lines we read."""

    def __init__(self, *args: str):
        self.args = args
        self.proc: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []

    async def __aenter__(self):
        env = dict(os.environ, NODE_TLS_REJECT_UNAUTHORIZED="0", NODE_NO_WARNINGS="1")
        self.proc = await asyncio.create_subprocess_exec(
            NODE, str(WEB_DIR / "chat.mjs"), *self.args, cwd=str(WEB_DIR), env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        return self

    async def __aexit__(self, *exc):
        if self.proc and self.proc.returncode is None:
            self.proc.kill()  # this child only, by its PID
            await asyncio.wait_for(self.proc.wait(), 5)

    async def line(self, prefix: str, timeout: float = 15) -> str:
        """The next output line starting with PREFIX (others are kept in self.lines)."""
        async def read():
            while True:
                raw = await self.proc.stdout.readline()
                if not raw:
                    raise AssertionError(f"node exited without {prefix!r}:\n" + "\n".join(self.lines))
                text = raw.decode(errors="replace").rstrip("\n")
                self.lines.append(text)
                if text.startswith("ERROR") or text.startswith("TIMEOUT"):
                    raise AssertionError("node client failed:\n" + "\n".join(self.lines))
                if text.startswith(prefix):
                    return text[len(prefix):].strip()
        try:
            return await asyncio.wait_for(read(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"no {prefix!r} from node in {timeout}s:\n" + "\n".join(self.lines)) from None

    async def exit_code(self, timeout: float = 10) -> int:
        return await asyncio.wait_for(self.proc.wait(), timeout)


async def http_exchange(port: int, request: bytes, *, tls: bool = False, timeout: float = 10,
                        read_all: bool = True) -> tuple[int, dict, bytes]:
    """Send raw REQUEST bytes; return (status, headers, body) of the answer."""
    ctx = None
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, ssl=ctx), timeout)
    try:
        writer.write(request)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        body = b""
        if "content-length" in headers and read_all:
            body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), timeout)
        return status, headers, body
    finally:
        writer.close()


async def http_get(port: int, path: str, *, tls: bool = False, headers: str = "") -> tuple[int, dict, bytes]:
    return await http_exchange(port, f"GET {path} HTTP/1.1\r\nHost: localhost\r\n{headers}"
                                     f"Connection: close\r\n\r\n".encode(), tls=tls)


# --------------------------------------------------------------------------- Prometheus text format

_METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
_SAMPLE = re.compile(rf"^({_METRIC_NAME})(?:\{{((?:{_LABEL})(?:,{_LABEL})*)?\}})? (\S+)(?: (-?\d+))?$")
_LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


def parse_prometheus(text: str) -> dict[tuple[str, tuple], float]:
    """Parse Prometheus text exposition 0.0.4 strictly; {(name, sorted labels): value}.

    Checks: every line is a HELP, TYPE or sample line; TYPE is known and comes
    before the family's samples, at most once; samples belong to a declared
    family (histogram/summary suffixes allowed); no series twice; values are floats.
    """
    assert text.endswith("\n"), "exposition must end with a newline"
    types: dict[str, str] = {}
    seen_samples: set[str] = set()
    series: dict[tuple[str, tuple], float] = {}
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("# HELP "):
            assert re.match(rf"^# HELP {_METRIC_NAME} ", line + " "), f"line {n}: bad HELP: {line}"
            continue
        if line.startswith("# TYPE "):
            m = re.match(rf"^# TYPE ({_METRIC_NAME}) (counter|gauge|histogram|summary|untyped)$", line)
            assert m, f"line {n}: bad TYPE: {line}"
            name = m.group(1)
            assert name not in types, f"line {n}: second TYPE for {name}"
            assert name not in seen_samples, f"line {n}: TYPE for {name} after its samples"
            types[name] = m.group(2)
            continue
        assert not line.startswith("#") or line.startswith("# "), f"line {n}: bad comment"
        if line.startswith("#") or line == "":
            continue
        m = _SAMPLE.match(line)
        assert m, f"line {n}: not a sample line: {line!r}"
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name not in types and name.endswith(suffix) and name[: -len(suffix)] in types:
                family = name[: -len(suffix)]
        assert family in types, f"line {n}: sample {name} without a TYPE"
        seen_samples.add(family)
        pairs = tuple(sorted(_LABEL_PAIR.findall(labels)))
        assert len({k for k, _ in pairs}) == len(pairs), f"line {n}: repeated label"
        key = (name, pairs)
        assert key not in series, f"line {n}: duplicate series {key}"
        series[key] = float(value)
        if types[family] == "counter":
            assert series[key] >= 0, f"line {n}: negative counter"
    return series


def metric(series: dict, name: str, **labels) -> float:
    key = (name, tuple(sorted(labels.items())))
    assert key in series, f"no series {key} in /metrics"
    return series[key]
