#!/usr/bin/python3
"""xmq_rate: a loopback rate probe for XMQ queues (not a test; CI does not run it).

Starts its own xmqd (build/server/xmqd, or --bin / $XMQD_BIN) on free loopback
ports below 32768 with a temporary config, certificate and users, signs in one
publisher and up to 10 consumers over direct TLS (SASL PLAIN, raw XML, no XMPP
library), and for an ANY and an ALL queue publishes N messages with a bounded
window of messages in flight, printing deliveries per second, the publisher's
send rate and the client's own CPU time.

    /usr/bin/python3 tests/bench/xmq_rate.py [-n 20000] [--window 200] [--budget 60]

Bounded: N <= 20000, all runs together publish for at most --budget (<= 60) s.
Only the server this script started is signalled, by its PID.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MAX_N = 20000
MAX_BUDGET = 60.0
STEP = 10.0          # seconds any single login/sub step may take
READY_TIMEOUT = 15.0
PASSWORD = "bench-secret"
Q_ANY, Q_ALL = "queue1.localhost", "queue2.localhost"
RUNS = [("any", Q_ANY, 1), ("any", Q_ANY, 3), ("all", Q_ALL, 1), ("all", Q_ALL, 3), ("all", Q_ALL, 10)]
END_MESSAGE = b"</message>"


# --------------------------------------------------------------------------- the server


def free_port(taken=()) -> int:
    for _ in range(200):
        port = random.randint(20000, 32000)
        if port in taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free loopback port below 32768")


class Server:
    def __init__(self, binary: Path, workdir: Path):
        self.binary, self.workdir = binary, workdir
        self.c2s_port = free_port()
        self.tls_port = free_port({self.c2s_port})
        self.cert, self.key = workdir / "cert.pem", workdir / "key.pem"
        self.config = workdir / "xmqd.toml"
        self.proc: subprocess.Popen | None = None
        self.lines: list[str] = []
        self.ready = threading.Event()

    def prepare(self, users):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(self.key),
                        "-out", str(self.cert), "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True, timeout=60)
        self.config.write_text(f"""\
data_dir = "{self.workdir / 'data'}"

[[hosts]]
domain = "localhost"

[[listeners]]
kind = "c2s"
address = "127.0.0.1"
port = {self.c2s_port}

[[listeners]]
kind = "c2s_tls"
address = "127.0.0.1"
port = {self.tls_port}

[tls]
certificate = "{self.cert}"
key = "{self.key}"

[log]
level = "info"

[limits]
idle_timeout = 600

[xmq]
check_expires_time = 3600

[[xmq.queues]]
route = "{Q_ANY}"
type = "any"

[[xmq.queues]]
route = "{Q_ALL}"
type = "all"
""")
        for user in users:
            r = subprocess.run([str(self.binary), "adduser", f"{user}@localhost", "--password", PASSWORD,
                                "-c", str(self.config)], capture_output=True, text=True, timeout=30)
            if r.returncode != 0:
                raise RuntimeError(f"adduser {user} failed: {r.stdout}{r.stderr}")

    def start(self):
        self.proc = subprocess.Popen([str(self.binary), "run", "-c", str(self.config)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + READY_TIMEOUT
        while not self.ready.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("xmqd did not become ready:\n" + "".join(self.lines[-30:]))

    def _read(self):
        for line in self.proc.stderr:
            if len(self.lines) < 2000:
                self.lines.append(line)
            if "xmqd ready" in line:
                self.ready.set()

    def cpu_seconds(self) -> float:
        """utime + stime of the server process (Linux /proc)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return float("nan")

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # our own PID only
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


# --------------------------------------------------------------------------- a raw client


class Conn:
    """One signed-in session; after sign-in it only counts incoming </message> ends."""

    def __init__(self, server: Server, user: str, ctx: ssl.SSLContext):
        self.server, self.user, self.ctx = server, user, ctx
        self.buf = b""
        self.count = 0                # messages received since reset
        self.changed: asyncio.Event | None = None
        self.reader_task: asyncio.Task | None = None

    async def connect(self):
        self.reader, self.writer = await asyncio.wait_for(asyncio.open_connection(
            "127.0.0.1", self.server.tls_port, ssl=self.ctx, server_hostname="localhost", limit=1 << 20), STEP)

    async def until(self, marker: bytes) -> bytes:
        deadline = time.monotonic() + STEP
        while marker not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"{self.user}: no {marker!r}; got {self.buf[-300:]!r}")
            chunk = await asyncio.wait_for(self.reader.read(65536), left)
            if not chunk:
                raise RuntimeError(f"{self.user}: connection closed; got {self.buf[-300:]!r}")
            self.buf += chunk
        head, _, self.buf = self.buf.partition(marker)
        return head + marker

    def send(self, data: str | bytes):
        self.writer.write(data.encode() if isinstance(data, str) else data)

    async def sign_in(self):
        header = ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>")
        self.send(header)
        await self.until(b"</stream:features>")
        token = base64.b64encode(f"\0{self.user}\0{PASSWORD}".encode()).decode()
        self.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{token}</auth>")
        answer = await self.until(b"/>")
        if b"success" not in answer:
            raise RuntimeError(f"{self.user}: auth failed: {answer!r}")
        self.send(header)
        await self.until(b"</stream:features>")
        self.send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                  "<resource>bench</resource></bind></iq>")
        await self.until(b"</iq>")

    async def sub(self, route: str, topic: str):
        self.send(f"<iq type='set' id='sub-{topic}' to='{route}'><xmq xmlns='xmq:command' command='sub' "
                  f"topic='{topic}' ttl='3600' load='1'/></iq>")
        answer = await self.until(b"/>")
        if b"type='result'" not in answer and b'type="result"' not in answer:
            raise RuntimeError(f"{self.user}: sub refused: {answer!r}")

    def start_counting(self, changed: asyncio.Event):
        self.changed = changed
        self.reader_task = asyncio.create_task(self._count())

    async def _count(self):
        tail = self.buf
        self.buf = b""
        keep = len(END_MESSAGE) - 1
        while True:
            chunk = await self.reader.read(1 << 18)
            if not chunk:
                return
            data = tail + chunk
            n = data.count(END_MESSAGE)
            tail = data[-keep:]
            if n:
                self.count += n
                self.changed.set()

    async def close(self):
        if self.reader_task:
            self.reader_task.cancel()
        try:
            self.send("</stream:stream>")
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), 2)
        except Exception:
            pass


# --------------------------------------------------------------------------- the runs


async def run_one(kind, route, consumers, publisher, n, window, limit, topic):
    copies = len(consumers) if kind == "all" else 1
    expected = n * copies
    changed = asyncio.Event()
    for c in consumers + [publisher]:
        c.count = 0
        c.changed = changed

    def delivered():
        return sum(c.count for c in consumers)

    msg = (f"<message type='normal' to='{route}'><body>payload</body>"
           f"<xmq xmlns='xmq:topic' topic='{topic}'/></message>")
    cpu0, ru0 = time.process_time(), resource.getrusage(resource.RUSAGE_SELF)
    srv0 = publisher.server.cpu_seconds()
    t0 = time.monotonic()
    deadline = t0 + limit
    sent, t_sent = 0, None
    while time.monotonic() < deadline:
        got = delivered()
        if got >= expected:
            break
        in_flight = sent - got // copies
        if sent < n and in_flight < window:
            batch = min(window - in_flight, n - sent, 100)
            publisher.send(msg * batch)
            sent += batch
            await publisher.writer.drain()
            if sent == n:
                t_sent = time.monotonic()
            continue
        changed.clear()
        try:
            await asyncio.wait_for(changed.wait(), max(0.0, min(1.0, deadline - time.monotonic())))
        except asyncio.TimeoutError:
            pass
    t1 = time.monotonic()
    cpu1, ru1 = time.process_time(), resource.getrusage(resource.RUSAGE_SELF)
    srv1 = publisher.server.cpu_seconds()
    got = delivered()
    elapsed = t1 - t0
    per_consumer = sorted(c.count for c in consumers)
    timed_out = got < expected
    if timed_out:
        await asyncio.sleep(0.5)  # let stragglers land before the next run resets counters
    return {
        "kind": kind, "C": len(consumers), "N": sent, "expected": expected, "delivered": got,
        "errors": publisher.count, "elapsed": elapsed, "rate": got / elapsed if elapsed else 0.0,
        "send_rate": sent / ((t_sent or t1) - t0) if sent else 0.0,
        "client_cpu": cpu1 - cpu0, "client_ru": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
        "server_cpu": srv1 - srv0, "spread": (per_consumer[0], per_consumer[-1]), "timed_out": timed_out,
    }


async def main_async(args, server: Server):
    ctx = ssl.create_default_context(cafile=str(server.cert))
    max_c = max(c for _, _, c in RUNS)
    publisher = Conn(server, "pub", ctx)
    consumers = [Conn(server, f"c{i}", ctx) for i in range(max_c)]
    conns = [publisher] + consumers
    try:
        for c in conns:
            await c.connect()
            await c.sign_in()
        # Every run has its own topic, subscribed before any counting starts.
        for kind, route, count in RUNS:
            for c in consumers[:count]:
                await c.sub(route, f"bench-{kind}-{count}")
        for c in conns:
            c.start_counting(asyncio.Event())
        budget_left = args.budget
        results = []
        for i, (kind, route, count) in enumerate(RUNS):
            topic = f"bench-{kind}-{count}"
            limit = budget_left / (len(RUNS) - i)
            r = await run_one(kind, route, consumers[:count], publisher, args.n, args.window, limit, topic)
            budget_left -= r["elapsed"]
            results.append(r)
            print(f"{kind.upper():3} C={r['C']:2}  N={r['N']:5}  delivered {r['delivered']:6}/{r['expected']:<6} "
                  f"in {r['elapsed']:5.2f}s  {r['rate']:9.0f} deliveries/s  publisher sent {r['send_rate']:8.0f} msg/s  "
                  f"client CPU {r['client_cpu']:5.2f}s (rusage {r['client_ru']:5.2f}s)  server CPU {r['server_cpu']:5.2f}s  "
                  f"per-consumer min/max {r['spread'][0]}/{r['spread'][1]}  errors {r['errors']}"
                  + ("  TIMED OUT" if r["timed_out"] else ""), flush=True)
        return results
    finally:
        for c in conns:
            await c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=20000, help=f"messages per run (<= {MAX_N})")
    ap.add_argument("--window", type=int, default=200, help="messages in flight at most")
    ap.add_argument("--budget", type=float, default=MAX_BUDGET, help=f"seconds of publishing in all (<= {MAX_BUDGET:.0f})")
    ap.add_argument("--bin", default=os.environ.get("XMQD_BIN", str(REPO / "build" / "server" / "xmqd")))
    args = ap.parse_args()
    args.n = max(1, min(args.n, MAX_N))
    args.budget = max(1.0, min(args.budget, MAX_BUDGET))
    args.window = max(1, args.window)
    binary = Path(args.bin)
    if not binary.exists():
        sys.exit(f"no xmqd binary at {binary}")

    workdir = Path(tempfile.mkdtemp(prefix="xmq-rate-"))
    server = Server(binary, workdir)
    try:
        server.prepare(["pub"] + [f"c{i}" for i in range(max(c for _, _, c in RUNS))])
        server.start()
        print(f"xmqd pid {server.proc.pid} on 127.0.0.1:{server.tls_port} (direct TLS); "
              f"N={args.n} window={args.window} budget={args.budget:.0f}s; {os.cpu_count()} CPUs", flush=True)
        asyncio.run(main_async(args, server))
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
