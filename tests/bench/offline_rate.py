#!/usr/bin/env python3
"""Offline storage write rate: how many messages to offline accounts xmqd accepts per second.

Not a test (nothing is asserted about speed). S senders log in over real c2s
connections (STARTTLS, SASL PLAIN) and each sends M chat messages to R recipients
who never log in, so every message is written to offline storage; each sender ends
with a ping, whose result comes once all its messages are stored (the session's
storage fence). The figure is messages / (time from the first send to the last ping
result). With --count-syncs the run is repeated under `strace -c` (fsync and
fdatasync of the server process) to count disk flushes per message; strace slows
the server, so that run's rate is not the one to report.

    tests/bench/offline_rate.py [--xmqd build/server/xmqd] [--senders 16] [--messages 200]
                                [--recipients 16] [--reps 3] [--count-syncs]

Everything runs on loopback with ports below 32768, in a temporary directory that is
removed afterwards; the server and strace are stopped by their PIDs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))

from raw_stream import RawStream  # noqa: E402
from xmqd_process import Xmqd, make_certificate  # noqa: E402

TIMEOUT = 120.0  # seconds a sender may wait for its ping result


async def sender(server: Xmqd, name: str, recipients: list[str], count: int, start: asyncio.Event) -> int:
    """Logs in, waits for the start, sends `count` chats and a ping; returns the errors seen."""
    async with RawStream(server) as stream:
        await stream.sign_in(name, resource="bench")
        body = "x" * 100
        stanzas = "".join(
            f"<message to='{recipients[i % len(recipients)]}@{server.domain}' type='chat' id='{name}-{i}'>"
            f"<body>{body}</body></message>" for i in range(count))
        ping = f"<iq type='get' id='done-{name}' to='{server.domain}'><ping xmlns='urn:xmpp:ping'/></iq>"
        await start.wait()
        await stream.say(stanzas + ping)
        errors = 0
        deadline = time.monotonic() + TIMEOUT
        while True:
            elem = await stream.next_element(max(1.0, deadline - time.monotonic()))
            if elem is None:
                raise RuntimeError(f"{name}: stream ended early")
            if elem.get("type") == "error":
                errors += 1
            if elem.tag == "{jabber:client}iq" and elem.get("id") == f"done-{name}":
                return errors


async def one_run(server: Xmqd, senders: list[str], recipients: list[str], count: int) -> tuple[float, int]:
    start = asyncio.Event()
    tasks = [asyncio.ensure_future(sender(server, s, recipients, count, start)) for s in senders]
    await asyncio.sleep(0.5)  # every sender signed in (sign_in is quick on loopback)
    t0 = time.monotonic()
    start.set()
    errors = sum(await asyncio.gather(*tasks))
    return time.monotonic() - t0, errors


def count_syncs(summary: str) -> int:
    total = 0
    for line in summary.splitlines():
        m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(fsync|fdatasync)\s*$", line)
        if m:
            total += int(m.group(1))
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xmqd", default=str(HERE.parent.parent / "build" / "server" / "xmqd"))
    ap.add_argument("--senders", type=int, default=16)
    ap.add_argument("--recipients", type=int, default=16)
    ap.add_argument("--messages", type=int, default=200, help="per sender")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--count-syncs", action="store_true")
    args = ap.parse_args()
    os.environ["XMQD_BIN"] = str(Path(args.xmqd).resolve())

    with tempfile.TemporaryDirectory(prefix="xmqd-offline-rate-") as tmp:
        work = Path(tmp)
        cert, key = make_certificate(work)
        server = Xmqd(work / "server", cert, key, name="offline-rate")
        server.extra_config.setdefault("limits", {}).update(
            {"max_offline_messages": 1000000, "inbound_rate": 0, "max_connections_per_ip": 0})
        server.write_config()
        senders = [f"s{i}" for i in range(args.senders)]
        recipients = [f"r{i}" for i in range(args.recipients)]
        for user in senders + recipients:
            server.add_user(user, "secret")
        server.start()
        results = []
        try:
            for rep in range(args.reps + (1 if args.count_syncs else 0)):
                traced = args.count_syncs and rep == args.reps
                strace = None
                if traced:
                    strace = subprocess.Popen(
                        ["strace", "-f", "-c", "-e", "trace=fsync,fdatasync", "-p", str(server.proc.pid)],
                        stderr=subprocess.PIPE, text=True)
                    time.sleep(1.0)  # attached to every thread
                load_before = os.getloadavg()[0]
                elapsed, errors = asyncio.run(one_run(server, senders, recipients, args.messages))
                messages = args.senders * args.messages
                row = {"run": rep + 1, "messages": messages, "elapsed_s": round(elapsed, 3),
                       "msgs_per_s": round(messages / elapsed, 1), "errors": errors,
                       "load1_before": load_before, "load1_after": os.getloadavg()[0]}
                if strace:
                    strace.send_signal(signal.SIGINT)
                    _, summary = strace.communicate(timeout=30)
                    syncs = count_syncs(summary)
                    row.update({"traced": True, "syncs": syncs, "syncs_per_msg": round(syncs / messages, 4)})
                results.append(row)
                print(json.dumps(row), flush=True)
        finally:
            server.stop()
        rates = [r["msgs_per_s"] for r in results if not r.get("traced")]
        print(json.dumps({"binary": args.xmqd, "senders": args.senders, "recipients": args.recipients,
                          "messages_per_sender": args.messages, "runs": len(rates),
                          "median_msgs_per_s": statistics.median(rates) if rates else None}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
