#!/usr/bin/env python3
"""An acknowledging worker for an xmqd queue with delivery = "acked" (slixmpp).

It subscribes to one topic of an ANY queue, processes every job it is given
(here: prints it), and settles each delivery: `ack` when the work is done,
`nack` with requeue when it failed, so that the server gives the job to a
worker again (the redelivery carries the same id and attempt + 1). A worker
that vanishes without settling loses nothing either: the server redelivers
what it held after its session ends or after the queue's ack_timeout.

    python3 xmq_consumer.py --jid worker1@localhost/w1 --password secret \\
        --route jobs.localhost --topic resize

Delivery is at least once, so the worker remembers the ids it has finished and
does not do a job twice. Ctrl-C (or SIGTERM) sends the acks still pending,
unsubscribes and signs out; anything left unacknowledged is redelivered to
another worker. See README.md in this directory and docs/xmq.md section 8.
"""

import argparse
import asyncio
import collections
import logging
import re
import signal
import ssl
import sys

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream import ET

DELIVERY = "{xmq:delivery}xmq"
TOPIC = "{xmq:topic}xmq"


class Consumer(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.pending_acks = []  # finished jobs whose ack is not sent yet
        self.ack_timer = None
        # Ids already done, so that a redelivery of finished work is acked, not redone.
        # Bounded: a redelivery comes within minutes, not after millions of jobs.
        self.done = collections.OrderedDict()
        self.seen = 0  # first deliveries, for --fail-every
        self.acked = 0
        self.stopping = False
        self.finished = asyncio.Event()
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("disconnected", self.on_disconnected)
        self.add_event_handler("connection_failed", self.on_connection_failed)
        self.add_event_handler("failed_all_auth", self.on_failed_auth)
        self.exit_code = 0

    # -- subscribing

    async def command(self, **attrs):
        """Send one xmq:command to the route; raises IqError if it is refused."""
        iq = self.make_iq_set(ito=self.args.route)
        iq.append(ET.Element("{xmq:command}xmq", {k: str(v) for k, v in attrs.items()}))
        return await iq.send(timeout=30)

    async def on_session_start(self, _):
        a = self.args
        try:
            await self.command(command="sub", topic=a.topic, ttl=a.ttl, load=0)
        except (IqError, IqTimeout) as e:
            print(f"subscribe refused: {describe(e)}", file=sys.stderr, flush=True)
            self.exit_code, self.stopping = 1, True
            self.disconnect()
            return
        print(f"subscribed to {a.topic} on {a.route} as {self.boundjid.full}", flush=True)
        # A subscription lives `ttl` seconds unless renewed: a directed presence
        # to the route renews every subscription of this session there.
        while not self.stopping and self.is_connected():
            await asyncio.sleep(a.ttl / 3)
            if not self.stopping:
                self.send_presence(pto=a.route)

    # -- working

    async def on_message(self, msg):
        tag = msg.xml.find(DELIVERY)
        if tag is None or self.stopping:
            return  # not a queue delivery (or we are leaving: the server redelivers it)
        delivery_id, attempt = tag.get("id"), int(tag.get("attempt", "1"))
        if delivery_id in self.done:
            # Finished before, but our ack did not arrive in time (ack_timeout,
            # lost connection): settle it again without redoing the work.
            print(f"duplicate id={delivery_id} attempt={attempt}: already done, acking", flush=True)
            self.queue_ack(delivery_id)
            return
        if attempt == 1:
            self.seen += 1
        else:
            # Another worker (or we) failed or vanished; a real worker might log
            # this, or give up early on a job that keeps failing.
            print(f"redelivery id={delivery_id} attempt={attempt}", flush=True)
        try:
            await self.process(msg, delivery_id, attempt)
        except Exception as e:  # the job failed: hand it back for another try
            print(f"failed id={delivery_id} attempt={attempt}: {e}; nack (requeue)", flush=True)
            try:
                await self.command(command="nack", id=delivery_id, requeue="true")
            except (IqError, IqTimeout) as refused:
                # Not ours any more (ack_timeout passed and it went elsewhere).
                print(f"nack {delivery_id} refused: {describe(refused)}", file=sys.stderr, flush=True)
            return
        self.done[delivery_id] = True
        if len(self.done) > 100_000:
            self.done.popitem(last=False)
        self.queue_ack(delivery_id)

    async def process(self, msg, delivery_id, attempt):
        """The job itself. Replace with your work; raise to have the job retried."""
        n = self.args.fail_every
        if n and attempt == 1 and self.seen % n == 0:
            raise RuntimeError("simulated failure (--fail-every)")
        topic = msg.xml.find(TOPIC)
        print(f"processed id={delivery_id} attempt={attempt} topic={topic.get('topic') if topic is not None else '?'}"
              f" from={msg['from']}: {msg['body']}", flush=True)

    # -- acknowledging, in batches as a busy worker would

    def queue_ack(self, delivery_id):
        self.pending_acks.append(delivery_id)
        if len(self.pending_acks) >= self.args.ack_every:
            asyncio.ensure_future(self.flush_acks())
        elif self.ack_timer is None:
            # Never sit on a partial batch: unacked deliveries count toward the
            # queue's prefetch, so a quiet moment must not stall the worker.
            self.ack_timer = asyncio.get_running_loop().call_later(
                self.args.ack_delay, lambda: asyncio.ensure_future(self.flush_acks()))

    async def flush_acks(self):
        if self.ack_timer is not None:
            self.ack_timer.cancel()
            self.ack_timer = None
        ids, self.pending_acks = self.pending_acks, []
        while ids:
            try:
                await self.command(command="ack", id=" ".join(ids))
            except IqError as e:
                # One unknown id refuses the whole batch and settles nothing; the
                # error names it (a delivery that timed out and went to another
                # worker). Drop that one and ack the rest again.
                bad = re.search(r"'([^']*)'", e.iq["error"]["text"] or "")
                if e.iq["error"]["condition"] != "item-not-found" or not bad or bad.group(1) not in ids:
                    print(f"ack refused: {describe(e)}", file=sys.stderr, flush=True)
                    return
                print(f"ack of {bad.group(1)} refused: no longer ours", file=sys.stderr, flush=True)
                ids.remove(bad.group(1))
                continue
            except IqTimeout:
                print(f"no answer to the ack of {len(ids)} ids", file=sys.stderr, flush=True)
                return
            self.acked += len(ids)
            print(f"acked {len(ids)}: {' '.join(ids)}", flush=True)
            ids = []
            if self.args.count and self.acked >= self.args.count:
                asyncio.ensure_future(self.stop())

    # -- leaving

    async def stop(self):
        if self.stopping:
            return
        self.stopping = True
        if self.is_connected():
            await self.flush_acks()
            try:
                await self.command(command="del", topic=self.args.topic)
            except (IqError, IqTimeout):
                pass  # the session's end removes the subscription anyway
            self.disconnect()
        else:
            self.cancel_connection_attempt()
            self.finished.set()

    def on_disconnected(self, _):
        if not self.stopping:
            print("disconnected by the server", file=sys.stderr, flush=True)
            self.exit_code = 1
        self.finished.set()

    def on_connection_failed(self, error):
        print(f"cannot connect: {error}", file=sys.stderr, flush=True)
        self.exit_code = 1
        self.cancel_connection_attempt()  # slixmpp would retry for ever
        self.finished.set()

    def on_failed_auth(self, _):
        print("authentication failed", file=sys.stderr, flush=True)
        self.exit_code, self.stopping = 1, True
        self.disconnect()


def describe(e):
    if isinstance(e, IqTimeout):
        return "no answer"
    err = e.iq["error"]
    return f"{err['condition']} ({err['text']})" if err["text"] else err["condition"]


def tls_context(args):
    ctx = ssl.create_default_context(cafile=args.ca_file)
    if args.insecure:  # a test server with a self-signed certificate
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--jid", required=True, help="the worker's JID; give a resource to tell workers apart")
    p.add_argument("--password", required=True)
    p.add_argument("--route", required=True, help="the queue, e.g. jobs.localhost")
    p.add_argument("--topic", required=True)
    p.add_argument("--host", help="server address (default: the JID's domain, via DNS SRV)")
    p.add_argument("--port", type=int, default=5222)
    p.add_argument("--ttl", type=int, default=60, help="subscription lifetime in s, renewed every ttl/3")
    p.add_argument("--ack-every", type=int, default=10, help="send acks in batches of N (default 10)")
    p.add_argument("--ack-delay", type=float, default=0.2,
                   help="or after this many seconds, whichever comes first (default 0.2)")
    p.add_argument("--fail-every", type=int, default=0,
                   help="simulate a failure on the first attempt of every Nth job (nack, requeue)")
    p.add_argument("--count", type=int, default=0, help="exit after acknowledging N jobs (default: run until Ctrl-C)")
    p.add_argument("--ca-file", help="trust this CA or certificate (PEM) for the server's TLS")
    p.add_argument("--insecure", action="store_true", help="do not verify the server's certificate")
    p.add_argument("--debug", action="store_true")
    args = p.parse_args()
    if args.ack_every < 1:
        p.error("--ack-every must be at least 1")
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING)

    xmpp = Consumer(args)
    xmpp.ssl_context = tls_context(args)
    loop = asyncio.get_event_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(xmpp.stop()))
    xmpp.connect((args.host, args.port) if args.host else None)
    loop.run_until_complete(xmpp.finished.wait())
    print(f"stopped after {xmpp.acked} acked", flush=True)
    sys.exit(xmpp.exit_code)


if __name__ == "__main__":
    main()
