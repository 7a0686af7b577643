"""The example scripts of examples/ (xmq_publisher.py, xmq_consumer.py) against a real
xmqd with an acked ANY queue, run as a user would run them: two workers, one of which
fails the first attempt of every second job it gets (and nacks it), and a publisher of
JOBS jobs. Every job is processed and acknowledged, each failed one comes back with
attempt 2, both workers leave cleanly on SIGINT, and `xmqd queues` ends with nothing
held or unacknowledged. And a publisher bursting into a topic that holds 3 stanzas
sends again what was refused `resource-constraint`, until a worker has done it all.
"""

import asyncio
import re
import signal
import sys

import pytest

from xmq_helpers import Q_ALL, Q_ANY, started_xmq_server
from xmqd_process import REPO

JOBS_ROUTE = "jobs.localhost"
TOPIC = "resize"
SMALL_ROUTE = "small.localhost"
JOBS = 40
WAIT = 40  # seconds: every step below is bounded by it

QUEUES = (
    {"route": Q_ANY, "type": "any"},
    {"route": Q_ALL, "type": "all"},
    {"route": JOBS_ROUTE, "type": "any", "delivery": "acked", "prefetch": 5, "hold": 1000, "max_attempts": 5},
    # A topic that holds 3 stanzas: the publisher meets resource-constraint and sends again.
    {"route": SMALL_ROUTE, "type": "any", "delivery": "acked", "prefetch": 1, "hold": 3},
)

PROCESSED = re.compile(r"^processed id=(\S+) attempt=(\d+) topic=(\S+) from=(\S+): (.*)$")
FAILED = re.compile(r"^failed id=(\S+) attempt=(\d+):")
ACKED = re.compile(r"^acked \d+: (.*)$")


class Script:
    """One example script as a subprocess; its output lines are collected as they come."""

    def __init__(self, name: str, *args: str):
        self.name, self.args = name, [sys.executable, str(REPO / "examples" / name), *args]
        self.proc: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []
        self.reader: asyncio.Task | None = None

    async def start(self):
        self.proc = await asyncio.create_subprocess_exec(*self.args, stdin=asyncio.subprocess.DEVNULL,
                                                         stdout=asyncio.subprocess.PIPE,
                                                         stderr=asyncio.subprocess.STDOUT)
        self.reader = asyncio.create_task(self._read())
        return self

    async def _read(self):
        while line := await self.proc.stdout.readline():
            self.lines.append(line.decode(errors="replace").rstrip("\n"))

    def output(self) -> str:
        return f"--- {' '.join(self.args)}:\n" + "\n".join(self.lines)

    async def wait_for_line(self, prefix: str):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while not any(line.startswith(prefix) for line in self.lines):
            assert self.proc.returncode is None, f"{self.name} exited {self.proc.returncode}\n{self.output()}"
            assert loop.time() < deadline, f"no '{prefix}' from {self.name} within {WAIT}s\n{self.output()}"
            await asyncio.sleep(0.05)

    async def exit_code(self) -> int:
        try:
            code = await asyncio.wait_for(self.proc.wait(), WAIT)
        except asyncio.TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            raise AssertionError(f"{self.name} did not exit within {WAIT}s\n{self.output()}") from None
        await self.reader
        return code

    async def stop(self):
        """Kill it if it still runs (a failed test), by its own PID."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


def queue_row(server, route: str) -> dict:
    r = server.admin("queues")
    assert r.returncode == 0, r.stdout + r.stderr
    rows = [line.split() for line in r.stdout.splitlines()]
    return {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}[route]


def login(server, user: str, resource: str, route: str = JOBS_ROUTE) -> list[str]:
    """The scripts' common options for USER's account on SERVER."""
    return ["--jid", f"{user}@{server.domain}/{resource}", "--password", server.passwords[f"{user}@{server.domain}"],
            "--host", "127.0.0.1", "--port", str(server.c2s_port), "--ca-file", str(server.cert),
            "--route", route, "--topic", TOPIC]


@pytest.fixture(scope="module")
def server(make_server):
    with started_xmq_server(make_server, "xmqexamples", check_expires_time=3600, queues=QUEUES) as server:
        yield server


async def test_example_publisher_and_workers_get_every_job_done_and_acknowledged(server):
    steady = Script("xmq_consumer.py", *login(server, "carol", "w1"), "--ack-every", "5")
    flaky = Script("xmq_consumer.py", *login(server, "dave", "w2"), "--ack-every", "3", "--fail-every", "2")
    publisher = Script("xmq_publisher.py", *login(server, "alice", "app"), "--count", str(JOBS))
    scripts = (steady, flaky, publisher)
    try:
        for worker in (steady, flaky):
            await worker.start()
            await worker.wait_for_line("subscribed to")
        await publisher.start()
        assert await publisher.exit_code() == 0, publisher.output()
        published = {m.group(1): m.group(2) for m in
                     (re.match(r"^published (\S+): (.*)$", line) for line in publisher.lines) if m}
        assert sorted(published.values()) == sorted(f"job {n}" for n in range(1, JOBS + 1)), publisher.output()

        # Wait until every job is processed and every processed delivery acknowledged.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while True:
            processed = [m.groups() for w in (steady, flaky) for m in map(PROCESSED.match, w.lines) if m]
            acked = {i for w in (steady, flaky) for m in map(ACKED.match, w.lines) if m for i in m.group(1).split()}
            done = {body for _, _, _, _, body in processed}
            if done == set(published.values()) and {d for d, *_ in processed} <= acked:
                break
            assert loop.time() < deadline, (f"after {WAIT}s: {len(done)} of {JOBS} jobs processed, "
                                            f"{len({d for d, *_ in processed} - acked)} not acked\n"
                                            + "\n".join(s.output() for s in scripts))
            await asyncio.sleep(0.1)

        for delivery_id, attempt, topic, sender, body in processed:
            assert topic == TOPIC and sender == f"alice@{server.domain}/app", (delivery_id, sender)
        # The flaky worker failed some first attempts and nacked them; each came back
        # with the same delivery id and attempt 2, and was then done.
        failed = [m.groups() for m in map(FAILED.match, flaky.lines) if m]
        assert failed, f"the flaky worker never failed a job\n{flaky.output()}"
        redone = {d: int(a) for d, a, *_ in processed if int(a) > 1}
        for delivery_id, attempt in failed:
            assert attempt == "1" and redone.get(delivery_id) == 2, \
                f"{delivery_id} failed but was not redelivered with attempt 2\n" + "\n".join(s.output() for s in scripts)

        row = queue_row(server, JOBS_ROUTE)
        assert (row["held"], row["unacked"]) == ("0", "0"), row
        assert int(row["redelivered"]) >= len(failed) and row["dead_lettered"] == "0", row

        # Ctrl-C: each worker sends what it still has to ack, unsubscribes and exits 0.
        for worker in (steady, flaky):
            worker.proc.send_signal(signal.SIGINT)
            assert await worker.exit_code() == 0, worker.output()
            assert worker.lines[-1].startswith("stopped after"), worker.output()
        assert queue_row(server, JOBS_ROUTE)["consumers"] == "0"
    finally:
        for script in scripts:
            await script.stop()


async def test_example_publisher_sends_again_what_a_full_topic_refused(server):
    # One worker taking one job at a time, a topic holding 3: most of the burst is
    # refused resource-constraint at first, and the publisher sends it again.
    worker = Script("xmq_consumer.py", *login(server, "carol", "w3", SMALL_ROUTE), "--ack-every", "1", "--count", "15")
    publisher = Script("xmq_publisher.py", *login(server, "alice", "burst", SMALL_ROUTE), "--count", "15")
    try:
        await worker.start()
        await worker.wait_for_line("subscribed to")
        await publisher.start()
        assert await publisher.exit_code() == 0, publisher.output()
        again = [line for line in publisher.lines if line.endswith(" again")]
        assert again, f"no job was refused resource-constraint\n{publisher.output()}"
        assert publisher.lines[-1].startswith(f"done: 15 published, {len(again)} sent again"), publisher.output()
        # --count 15: the worker leaves by itself once it has acknowledged all of them.
        assert await worker.exit_code() == 0, worker.output()
        bodies = sorted(m.group(5) for m in map(PROCESSED.match, worker.lines) if m)
        assert bodies == sorted(f"job {n}" for n in range(1, 16)), worker.output()
        assert worker.lines[-1] == "stopped after 15 acked", worker.output()
        row = queue_row(server, SMALL_ROUTE)
        assert (row["held"], row["unacked"], row["consumers"]) == ("0", "0", "0"), row
    finally:
        for script in (worker, publisher):
            await script.stop()
