"""Push notifications (XEP-0357) end to end: a slixmpp client registers an app server
that is an external component (a raw XEP-0114 stream here, as a real app server such
as a push gateway would be), and the component gets the notification iq when a
message arrives while the client is offline, or while its stream-management session
is hibernated. An error answer from the app server ends the registration.
"""

from __future__ import annotations

import asyncio

from raw_stream import RawStream
from xmpp_client import signed_in
from test_component import raw_handshake
from test_stream_management import enabled_session

APP = "push.localhost"
APP_SECRET = "push-secret-9"
XMQD_OPTIONS = {"components": {APP: APP_SECRET}}
PUSH = "urn:xmpp:push:0"
PUBSUB = "http://jabber.org/protocol/pubsub"
DATA = "jabber:x:data"
ENABLE = (f"<enable xmlns='{PUSH}' jid='{APP}' node='device-7'>"
          f"<x xmlns='{DATA}' type='submit'>"
          f"<field var='FORM_TYPE'><value>{PUBSUB}#publish-options</value></field>"
          f"<field var='secret'><value>tok-42</value></field></x></enable>")


class AppServer:
    """The component side: reads notification iqs and answers them."""

    def __init__(self, server):
        self.raw = RawStream(server, port=server.component_port)

    async def __aenter__(self):
        await self.raw.__aenter__()
        await raw_handshake(self.raw, APP, APP_SECRET)
        await self.raw.expect("{jabber:component:accept}handshake")
        return self

    async def __aexit__(self, *exc):
        await self.raw.__aexit__(*exc)

    async def notification(self, answer: str = "result"):
        """The next notification iq, answered `answer`."""
        iq = await self.raw.expect("{jabber:component:accept}iq")
        assert iq.get("type") == "set" and iq.find(f"{{{PUBSUB}}}pubsub") is not None, self.raw.conversation()
        reply = f"<iq type='{answer}' id='{iq.get('id')}' from='{APP}' to='{iq.get('from')}'"
        reply += ("><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                  "</error></iq>" if answer == "error" else "/>")
        await self.raw.say(reply)
        return iq

    async def nothing(self, seconds=1.0):
        try:
            elem = await asyncio.wait_for(self.raw.next_element(seconds + 1), seconds)
        except (asyncio.TimeoutError, AssertionError):
            return
        raise AssertionError(f"the app server got {elem}:\n{self.raw.conversation()}")


def summary_fields(iq) -> dict[str, str]:
    form = iq.find(f"{{{PUBSUB}}}pubsub/{{{PUBSUB}}}publish/{{{PUBSUB}}}item/{{{PUSH}}}notification/{{{DATA}}}x")
    return {f.get("var"): f.findtext(f"{{{DATA}}}value") for f in form.findall(f"{{{DATA}}}field")}


async def test_an_offline_account_pushes_to_its_app_server_until_the_app_server_refuses(server):
    async with AppServer(server) as app, signed_in(server, "bob") as bob:
        async with signed_in(server, "alice", resource="phone") as alice:
            info = await alice.iq("get", alice.bare, "<query xmlns='http://jabber.org/protocol/disco#info'/>")
            assert PUSH in [f.get("var") for f in info.xml.iter("{http://jabber.org/protocol/disco#info}feature")]
            answer = await alice.iq("set", None, ENABLE)
            assert answer["type"] == "result", answer
        bob.send_message("alice@localhost", "are you there?")
        iq = await app.notification()
        assert iq.get("from") == "alice@localhost"
        assert iq.find(f"{{{PUBSUB}}}pubsub/{{{PUBSUB}}}publish").get("node") == "device-7"
        assert summary_fields(iq) == {"FORM_TYPE": "urn:xmpp:push:summary", "message-count": "1"}
        secret = iq.find(f"{{{PUBSUB}}}pubsub/{{{PUBSUB}}}publish-options/{{{DATA}}}x")
        assert [f.findtext(f"{{{DATA}}}value") for f in secret] == [f"{PUBSUB}#publish-options", "tok-42"]
        # Answered: still registered. Refused: no more.
        bob.send_message("alice@localhost", "hello?")
        since = len(server.lines)
        await app.notification("error")
        # The server has taken the refusal (and queued the removal before any later
        # message's notification) once it logs it.
        await asyncio.to_thread(server.wait_for_log, "push: the app server refused", since)
        bob.send_message("alice@localhost", "anyone?")
        await app.nothing()


async def test_a_hibernated_session_that_enabled_push_gets_its_app_server_told(server):
    async with AppServer(server) as app, signed_in(server, "bob") as bob:
        phone, _ = await enabled_session(server, "alice", "phone2")
        try:
            await phone.say(f"<iq type='set' id='p1'>{ENABLE}</iq>")
            answer = await phone.expect("{jabber:client}iq")
            assert answer.get("type") == "result", phone.conversation()
            since = len(server.lines)
            phone.writer.transport.abort()  # the phone loses its network: the session hibernates
            await asyncio.to_thread(server.wait_for_log, "alice@localhost/phone2 hibernated", since)
            bob.send_message("alice@localhost/phone2", "wake up")
            iq = await app.notification()
            assert iq.get("to") == APP
        finally:
            await phone.__aexit__(None, None, None)
