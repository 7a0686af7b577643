#!/usr/bin/env python3
"""A publisher of jobs to an xmqd queue (slixmpp).

It sends --count messages to one topic of a queue, then makes sure the server
has taken each of them: a topic whose hold is full answers
`resource-constraint` (type wait), and the publisher sends that job again after
a pause; any other error is reported and the job counted as refused.

    python3 xmq_publisher.py --jid app@localhost/web --password secret \\
        --route jobs.localhost --topic resize --count 100

Publishing needs nothing beyond XMQ's plain `<message/>` with an
`<xmq xmlns='xmq:topic'/>` element: acknowledgements are the consumers' business.
See README.md in this directory and docs/xmq.md.
"""

import argparse
import asyncio
import logging
import secrets
import signal
import ssl
import sys

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream import ET


class Publisher(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.run = secrets.token_hex(3)  # makes message ids unique across runs
        self.bodies = {}  # message id -> body, for the jobs sent in the current round
        self.again = []  # ids refused with resource-constraint: send again
        self.refused = 0
        self.retried = 0
        self.exit_code = 130  # until every job is taken: Ctrl-C before that is a failure
        self.stopping = False
        self.finished = asyncio.Event()
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("message_error", self.on_error)
        self.add_event_handler("disconnected", self.on_disconnected)
        self.add_event_handler("connection_failed", self.on_connection_failed)
        self.add_event_handler("failed_all_auth", self.on_failed_auth)

    def publish(self, msg_id, body):
        msg = self.make_message(mto=self.args.route, mbody=body, mtype="chat")
        msg["id"] = msg_id
        msg.append(ET.Element("{xmq:topic}xmq", topic=self.args.topic))
        msg.send()

    async def on_session_start(self, _):
        a = self.args
        round_ = {}
        for n in range(1, a.count + 1):
            if self.stopping:
                return
            msg_id, body = f"{self.run}-{n}", a.body.format(n=n)
            round_[msg_id] = body
            self.bodies[msg_id] = body
            self.publish(msg_id, body)
            print(f"published {msg_id}: {body}", flush=True)
            if a.interval:
                await asyncio.sleep(a.interval)
        pause = 0.2
        while not self.stopping:
            # A round trip to the server: the queue has now answered every message
            # sent before it, so an error not received yet will not come.
            if not await self.barrier():
                return
            if not self.again:
                break
            await asyncio.sleep(pause)  # the topic is full: give the workers time
            pause = min(pause * 2, 5.0)
            ids, self.again = self.again, []
            for msg_id in ids:
                self.retried += 1
                self.publish(msg_id, self.bodies[msg_id])
                print(f"published {msg_id} again", flush=True)
        print(f"done: {a.count} published, {self.retried} sent again after resource-constraint, "
              f"{self.refused} refused", flush=True)
        self.exit_code = 1 if self.refused else 0
        await self.stop()

    async def barrier(self):
        iq = self.make_iq_get(ito=self.boundjid.domain)
        iq.append(ET.Element("{urn:xmpp:ping}ping"))
        try:
            await iq.send(timeout=30)
        except IqError:
            pass  # answered, even if with an error: the round trip is what counts
        except IqTimeout:
            print("the server does not answer", file=sys.stderr, flush=True)
            self.exit_code = 1
            await self.stop()
            return False
        return True

    def on_error(self, msg):
        err = msg["error"]
        msg_id = msg["id"]
        if msg_id not in self.bodies:
            return
        if err["condition"] == "resource-constraint":
            # The topic holds as many jobs as the queue's `hold` allows: retry later.
            self.again.append(msg_id)
            return
        # not-acceptable: nobody consumes and the queue holds nothing ("No recipients
        # found"), or no topic; forbidden: the queue's publish list excludes us.
        self.refused += 1
        text = f" ({err['text']})" if err["text"] else ""
        print(f"refused {msg_id}: {err['condition']}{text}", file=sys.stderr, flush=True)

    async def stop(self):
        if self.stopping:
            return
        self.stopping = True
        if self.is_connected():
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


def tls_context(args):
    ctx = ssl.create_default_context(cafile=args.ca_file)
    if args.insecure:  # a test server with a self-signed certificate
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--route", required=True, help="the queue, e.g. jobs.localhost")
    p.add_argument("--topic", required=True)
    p.add_argument("--host", help="server address (default: the JID's domain, via DNS SRV)")
    p.add_argument("--port", type=int, default=5222)
    p.add_argument("--count", type=int, default=10, help="jobs to publish (default 10)")
    p.add_argument("--body", default="job {n}", help="message body; {n} is the job's number (default 'job {n}')")
    p.add_argument("--interval", type=float, default=0, help="seconds between two jobs (default 0)")
    p.add_argument("--ca-file", help="trust this CA or certificate (PEM) for the server's TLS")
    p.add_argument("--insecure", action="store_true", help="do not verify the server's certificate")
    p.add_argument("--debug", action="store_true")
    args = p.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING)

    xmpp = Publisher(args)
    xmpp.ssl_context = tls_context(args)
    loop = asyncio.get_event_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(xmpp.stop()))
    xmpp.connect((args.host, args.port) if args.host else None)
    loop.run_until_complete(xmpp.finished.wait())
    sys.exit(xmpp.exit_code)


if __name__ == "__main__":
    main()
