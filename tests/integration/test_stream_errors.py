"""Stream errors (RFC 6120 4.9): what a misbehaving client says, and what the server answers.

Each conversation runs on a bare socket. The server must open its own stream if it
has not yet, send exactly one <stream:error/> with the expected condition, close
the stream and the connection, and stay up: a fresh login works afterwards.
"""

import pytest

from protocol import STREAM_NS
from raw_stream import RawStream
from xmpp_client import assert_can_sign_in

XMQD_OPTIONS = {"max_stanza_bytes": 65536}
LIMIT = XMQD_OPTIONS["max_stanza_bytes"]

PROLOG = "<?xml version='1.0'?>"
STREAM = (f"<stream:stream xmlns='jabber:client' xmlns:stream='{STREAM_NS}' "
          "to='localhost' version='1.0'>")
HEADER = PROLOG + STREAM


def stream_with(**attrs) -> str:
    base = {"xmlns": "jabber:client", "xmlns:stream": STREAM_NS, "to": "localhost", "version": "1.0"}
    base.update(attrs)
    return PROLOG + "<stream:stream " + " ".join(f"{k}='{v}'" for k, v in base.items() if v) + ">"


# (what the client says, chunk by chunk) -> the condition the server answers with
CONVERSATIONS = {
    "wrong stream namespace": (
        [stream_with(**{"xmlns:stream": "http://example.com/not-streams"})], "invalid-namespace"),
    "wrong content namespace": (
        [stream_with(xmlns="urn:example:not-jabber-client")], "invalid-namespace"),
    "unknown domain": (
        [stream_with(to="no-such-domain.example")], "host-unknown"),
    "version 2.0": (
        [stream_with(version="2.0")], "unsupported-version"),
    "DOCTYPE": (
        [PROLOG + "<!DOCTYPE stream:stream>" + STREAM], "restricted-xml"),
    "entity declaration": (
        [PROLOG + "<!DOCTYPE stream:stream [<!ENTITY boom 'boom'>]>" + STREAM], "restricted-xml"),
    "comment": (
        [HEADER, "<!-- a comment -->"], "restricted-xml"),
    "processing instruction": (
        [HEADER, "<?xmqd-test please?>"], "restricted-xml"),
    "mismatched end tag": (
        [HEADER, "<message to='alice@localhost'><body>hi</wrong></message>"], "not-well-formed"),
    "invalid UTF-8": (
        [HEADER, b"<message to='alice@localhost'><body>\xff\xfe\xfd</body></message>"], "not-well-formed"),
    "message before SASL": (
        [HEADER, "<message to='alice@localhost' type='chat'><body>hi</body></message>"], "not-authorized"),
    "iq before SASL": (
        [HEADER, "<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>"], "not-authorized"),
    "oversized stanza before SASL": (
        [HEADER, "<message to='alice@localhost'><body>" + "a" * (LIMIT + 1024)], "policy-violation"),
}


@pytest.mark.parametrize("client_says, server_answers", CONVERSATIONS.values(), ids=CONVERSATIONS.keys())
async def test_stream_error(server, client_says, server_answers):
    async with RawStream(server) as c:
        for chunk in client_says:
            await c.say(chunk)
        condition = await c.stream_error()
        assert condition == server_answers, c.conversation()
        await c.closed()
    await assert_can_sign_in(server)


async def test_oversized_stanza_after_login_is_a_policy_violation(server):
    async with RawStream(server, direct_tls=True) as c:
        me = await c.sign_in("alice", resource="big")

        # just under the limit: delivered (to myself)
        body = "x" * (LIMIT // 2)
        await c.say(f"<message to='{me}' type='chat' id='small'><body>{body}</body></message>")
        echo = await c.expect("{jabber:client}message")
        assert echo.get("id") == "small" and echo.findtext("{jabber:client}body") == body

        # over the limit: the stream ends with policy-violation
        await c.say(f"<message to='{me}' type='chat' id='big'><body>{'y' * (LIMIT + 1)}</body></message>")
        assert await c.stream_error() == "policy-violation", c.conversation()
        await c.closed()
    await assert_can_sign_in(server)


async def test_stream_error_on_the_direct_tls_port_too(server):
    async with RawStream(server, direct_tls=True) as c:
        await c.say(stream_with(to="no-such-domain.example"))
        assert await c.stream_error() == "host-unknown", c.conversation()
        await c.closed()
    await assert_can_sign_in(server, transport="tls")
