"""Signing in and talking: SASL, TLS, binding, server iqs, routing between users.

Each test is a short conversation: who says what, and what the server answers.
"""

import base64

import pytest

from protocol import BIND_NS, SASL_NS, STREAM_NS, TLS_NS
from raw_stream import RawStream
from xmpp_client import Client, LoginFailed, error_condition, first_of, signed_in

MECHS = ["SCRAM-SHA-1", "SCRAM-SHA-256", "PLAIN"]
TRANSPORTS = ["starttls", "tls"]

DISCO_INFO = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
VERSION = "jabber:iq:version"
PING = "urn:xmpp:ping"


# --------------------------------------------------------------------------- sign-in and chat


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("mech", MECHS)
async def test_two_users_chat_by_full_and_bare_jid(server, mech, transport):
    resource = f"{mech}-{transport}"
    async with signed_in(server, "alice", mech=mech, transport=transport, resource=resource) as alice, \
               signed_in(server, "bob", mech=mech, transport=transport, resource=resource) as bob:
        assert alice.jid == f"alice@localhost/{resource}"
        await bob.available()

        # alice -> bob's full JID
        alice.send_message(bob.jid, "hello bob")
        msg = await bob.next_message()
        assert (msg["type"], msg["body"]) == ("chat", "hello bob")
        assert msg["from"].full == alice.jid  # stamped with the sender's full JID

        # alice -> bob's bare JID: bob's only available resource gets it
        alice.send_message("bob@localhost", "hello bare bob")
        msg = await bob.next_message()
        assert msg["body"] == "hello bare bob"
        assert msg["from"].full == alice.jid
        assert msg["to"].bare == "bob@localhost"

        # bob answers alice's full JID
        bob.send_message(alice.jid, "hi alice")
        msg = await alice.next_message()
        assert (msg["from"].full, msg["body"]) == (bob.jid, "hi alice")


async def test_client_chosen_resource_is_bound(server):
    async with signed_in(server, "carol", resource="laptop") as carol:
        assert carol.jid == "carol@localhost/laptop"


async def test_server_generates_a_resource_when_none_is_asked(server):
    async with signed_in(server, "carol", resource=None) as carol:
        assert carol.bare == "carol@localhost"
        assert carol.xmpp.boundjid.resource, "server bound no resource"


async def test_second_login_with_same_resource_kicks_the_first_with_conflict(server):
    async with signed_in(server, "dave", resource="phone") as first:
        async with signed_in(server, "dave", resource="phone") as second:
            assert await first.next_stream_error() == "conflict"
            await first.disconnected()
            await second.ping_server()  # the newcomer keeps the resource
            assert second.jid == "dave@localhost/phone"


# --------------------------------------------------------------------------- failed sign-in


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("mech", MECHS)
async def test_wrong_password_and_unknown_user_fail_the_same_way(server, mech, transport):
    with pytest.raises(LoginFailed) as wrong_password:
        await Client(server, "alice", "not-alices-password", mech=mech, transport=transport).sign_in()
    with pytest.raises(LoginFailed) as unknown_user:
        await Client(server, "nobody", "whatever", mech=mech, transport=transport).sign_in()
    assert wrong_password.value.condition == "not-authorized", str(wrong_password.value)
    assert unknown_user.value.condition == "not-authorized", str(unknown_user.value)


async def test_stream_is_closed_after_max_failures(server):
    # XMQD_OPTIONS is not set in this module: max_failures = 3
    async with RawStream(server, direct_tls=True) as c:
        await c.open_stream()
        await c.features()
        for attempt in (1, 2, 3):
            answer = await c.auth_plain("alice", f"wrong-{attempt}")
            assert answer.tag == f"{{{SASL_NS}}}failure", c.conversation()
            assert answer.find(f"{{{SASL_NS}}}not-authorized") is not None, c.conversation()
        await c.closed()


async def test_plain_is_not_offered_before_tls(server):
    async with RawStream(server) as c:
        await c.open_stream()
        features = await c.features()
        assert features.find(f"{{{TLS_NS}}}starttls") is not None, c.conversation()
        mechs = [m.text for m in features.iter(f"{{{SASL_NS}}}mechanism")]
        assert "PLAIN" not in mechs, c.conversation()

        # and asking for it anyway does not log in (a failure, a stream error, or a hang-up)
        token = base64.b64encode(b"\0alice\0alice-secret").decode()
        await c.say(f"<auth xmlns='{SASL_NS}' mechanism='PLAIN'>{token}</auth>")
        answer = await c.next_element()
        assert answer is None or answer.tag != f"{{{SASL_NS}}}success", c.conversation()


async def test_mechanisms_after_starttls(server):
    async with RawStream(server) as c:
        await c.open_stream()
        await c.features()
        await c.starttls()
        await c.open_stream()
        features = await c.features()
        mechs = {m.text for m in features.iter(f"{{{SASL_NS}}}mechanism")}
        assert {"SCRAM-SHA-1", "SCRAM-SHA-256", "PLAIN"} <= mechs, c.conversation()
        assert features.find(f"{{{TLS_NS}}}starttls") is None, "STARTTLS offered twice"


# --------------------------------------------------------------------------- the server's own iqs


async def test_ping_the_server(server):
    async with signed_in(server, "alice", resource="ping") as alice:
        answer = await alice.iq("get", "localhost", f"<ping xmlns='{PING}'/>")
        assert answer["type"] == "result"
        assert answer["from"].full == "localhost"


async def test_disco_info_on_the_domain(server):
    async with signed_in(server, "alice", resource="disco") as alice:
        answer = await alice.iq("get", "localhost", f"<query xmlns='{DISCO_INFO}'/>")
        assert answer["type"] == "result", answer
        query = answer.xml.find(f"{{{DISCO_INFO}}}query")
        features = {f.get("var") for f in query.iter(f"{{{DISCO_INFO}}}feature")}
        assert {DISCO_INFO, DISCO_ITEMS, PING, VERSION} <= features, features
        identities = [(i.get("category"), i.get("type")) for i in query.iter(f"{{{DISCO_INFO}}}identity")]
        assert ("server", "im") in identities, identities


async def test_disco_items_on_the_domain(server):
    async with signed_in(server, "alice", resource="disco") as alice:
        answer = await alice.iq("get", "localhost", f"<query xmlns='{DISCO_ITEMS}'/>")
        assert answer["type"] == "result", answer
        assert answer.xml.find(f"{{{DISCO_ITEMS}}}query") is not None


async def test_software_version_is_xmqd(server):
    async with signed_in(server, "alice", resource="version") as alice:
        answer = await alice.iq("get", "localhost", f"<query xmlns='{VERSION}'/>")
        assert answer["type"] == "result", answer
        query = answer.xml.find(f"{{{VERSION}}}query")
        assert query.findtext(f"{{{VERSION}}}name") == "xmqd"
        assert query.findtext(f"{{{VERSION}}}version"), "no version string"


async def test_unknown_namespace_to_the_server_is_service_unavailable(server):
    async with signed_in(server, "alice", resource="unknown") as alice:
        answer = await alice.iq("get", "localhost", "<query xmlns='urn:example:no-such-thing'/>")
        assert answer["type"] == "error"
        assert error_condition(answer) == "service-unavailable", answer


# --------------------------------------------------------------------------- routing


async def test_message_to_an_offline_user_is_kept_for_later(server):
    async with signed_in(server, "alice", resource="bounce") as alice:
        alice.send_message("erin@localhost", "are you there?")  # erin exists, not signed in
        await alice.silence(1.0)  # no bounce: offline storage (XEP-0160, test_offline.py)
    async with signed_in(server, "erin", resource="later") as erin:
        await erin.available()
        assert (await erin.next_message())["body"] == "are you there?"


async def test_message_to_a_nonexistent_user_bounces_service_unavailable(server):
    async with signed_in(server, "alice", resource="bounce") as alice:
        alice.send_message("nobody@localhost", "anyone?")
        bounce = await alice.next_message()
        assert bounce["type"] == "error"
        assert error_condition(bounce) == "service-unavailable", bounce


async def test_bare_jid_goes_to_the_highest_non_negative_priority(server):
    async with signed_in(server, "bob", resource="desk") as desk, \
               signed_in(server, "bob", resource="phone") as phone, \
               signed_in(server, "bob", resource="away") as away, \
               signed_in(server, "alice", resource="sender") as alice:
        await desk.available(priority=5)
        await phone.available(priority=1)
        await away.available(priority=-1)

        alice.send_message("bob@localhost", "who takes this?")
        msg = await desk.next_message()
        assert msg["body"] == "who takes this?"
        await phone.silence(1.0)
        await away.silence(0.2)


async def test_an_iq_travels_between_two_full_jids_and_back(server):
    async with signed_in(server, "alice", resource="asker") as alice, \
               signed_in(server, "bob", resource="answerer") as bob:
        bob.answers_iqs("urn:example:echo")
        answer = await alice.iq("get", bob.jid, "<query xmlns='urn:example:echo'/>")
        assert answer["type"] == "result", answer
        assert answer["from"].full == bob.jid


async def test_spoofed_from_is_not_believed(server):
    async with signed_in(server, "alice", resource="honest") as alice, \
               signed_in(server, "bob", resource="reader") as bob:
        alice.send_raw(f"<message to='{bob.jid}' from='dave@localhost/evil' type='chat'>"
                       "<body>trust me, I am dave</body></message>")
        # RFC 6120 8.1.2.1: either stamped with alice's real JID, or rejected to alice
        # (a stanza error, or the stream error invalid-from). Never delivered as dave.
        outcome = await first_of(delivered=bob.next_message(), bounced=alice.next_message(),
                                 stream_error=alice.next_stream_error())
        if "delivered" in outcome:
            assert outcome["delivered"]["from"].full == alice.jid, f"spoofed from delivered: {outcome}"
        elif "bounced" in outcome:
            assert outcome["bounced"]["type"] == "error", outcome
        else:
            assert outcome["stream_error"] == "invalid-from", outcome


async def test_an_error_is_never_answered_with_an_error(server):
    async with signed_in(server, "alice", resource="err") as alice:
        alice.send_raw("<message to='erin@localhost' type='error'>"
                       "<error type='cancel'><item-not-found "
                       "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>")
        await alice.ping_server()  # the server has handled the error message by now
        await alice.silence(1.0)


# --------------------------------------------------------------------------- stream life


async def test_whitespace_keepalive_and_legacy_session(server):
    async with RawStream(server, direct_tls=True) as c:
        jid = await c.sign_in("alice", resource="raw-keepalive")
        assert jid == "alice@localhost/raw-keepalive"

        await c.say("<iq type='set' id='sess'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>")
        answer = await c.expect("{jabber:client}iq")
        assert (answer.get("id"), answer.get("type")) == ("sess", "result"), c.conversation()

        await c.say(" ")
        await c.say("\n \n")
        await c.say("<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        answer = await c.expect("{jabber:client}iq")
        assert (answer.get("id"), answer.get("type")) == ("p1", "result"), c.conversation()


async def test_client_closes_the_stream_and_the_server_closes_too(server):
    async with RawStream(server, direct_tls=True) as c:
        await c.sign_in("alice", resource="raw-close")
        await c.say("</stream:stream>")
        await c.closed()
        assert c.closed_by_server, f"server did not send </stream:stream>:\n{c.conversation()}"


async def test_bind_is_offered_after_sasl(server):
    async with RawStream(server, direct_tls=True) as c:
        await c.open_stream()
        features = await c.features()
        assert features.find(f"{{{BIND_NS}}}bind") is None, "bind offered before SASL"
        answer = await c.auth_plain("alice", "alice-secret")
        assert answer.tag == f"{{{SASL_NS}}}success", c.conversation()
        c.restart_stream()  # SASL success: both sides restart the stream
        await c.open_stream()
        features = await c.features()
        assert features.find(f"{{{BIND_NS}}}bind") is not None, c.conversation()
        assert features.find(f"{{{SASL_NS}}}mechanisms") is None, "SASL offered twice"
        assert c.header.get("from") == "localhost", c.conversation()
        assert c.header.tag == f"{{{STREAM_NS}}}stream"
