"""In-band registration and password change (XEP-0077), with slixmpp, aioxmpp and raw streams.

A host offers registration only when its [[hosts]] entry says `registration = true`,
and only on an encrypted stream; a new account then signs in like any other; one
address gets one account per `auth.registration_interval`; a signed-in user changes
its own password, never another's.
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET

import pytest
from slixmpp.exceptions import IqError

from protocol import STEP_TIMEOUT
from raw_stream import RawStream
from xmpp_client import Client, LoginFailed, assert_can_sign_in, error_condition, signed_in

REGISTER_NS = "jabber:iq:register"
FEATURE_NS = "http://jabber.org/features/iq-register"
STANZAS_NS = "urn:ietf:params:xml:ns:xmpp-stanzas"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
MECHS = ["SCRAM-SHA-1", "SCRAM-SHA-256", "PLAIN"]


def registering_server(make_server, name: str, interval: int):
    server = make_server(name)
    server.host_config["localhost"] = {"registration": True}
    server.extra_config["auth"]["registration_interval"] = interval
    server.write_config()
    server.start()
    return server


@pytest.fixture(scope="module")
def open_server(make_server):
    """Registration on for localhost, no per-address limit (each test registers)."""
    server = registering_server(make_server, "register_open", 0)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def closed_server(make_server):
    """The default: registration off."""
    server = make_server("register_closed")
    server.start()
    yield server
    server.stop()


# --------------------------------------------------------------------------- raw helpers


async def encrypted_features(s: RawStream) -> ET.Element:
    """Features before TLS, then STARTTLS; returns the features after TLS."""
    await s.open_stream()
    before = await s.features()
    assert before.find(f"{{{FEATURE_NS}}}register") is None, "registration offered before TLS"
    await s.starttls()
    await s.open_stream()
    return await s.features()


async def ask(s: RawStream, xml: str) -> ET.Element:
    await s.say(xml)
    return await s.expect("{jabber:client}iq")


def condition(iq: ET.Element) -> str | None:
    error = iq.find("{jabber:client}error")
    if error is None:
        return None
    return next((c.tag.split("}", 1)[1] for c in error
                 if c.tag.startswith(f"{{{STANZAS_NS}}}") and not c.tag.endswith("}text")), None)


def register_set(user: str, password: str, iq_id: str = "reg2") -> str:
    return (f"<iq type='set' id='{iq_id}'><query xmlns='{REGISTER_NS}'>"
            f"<username>{user}</username><password>{password}</password></query></iq>")


GET_FORM = f"<iq type='get' id='reg1' to='localhost'><query xmlns='{REGISTER_NS}'/></iq>"


# --------------------------------------------------------------------------- slixmpp


async def slixmpp_register(server, user: str, password: str) -> str | None:
    """Register with slixmpp's XEP-0077 flow (form, then fields) and sign in on the same stream.

    Returns None when the account was created and the session started, else the
    registration's error condition.
    """
    client = Client(server, user, password, mech="SCRAM-SHA-256")
    client.xmpp.register_plugin("xep_0077")
    # slixmpp 1.8 holds back every stanza until the session starts, the
    # pre-auth iqs of its own XEP-0077 plugin included; this switch lets them out.
    client.xmpp._always_send_everything = True
    outcome: list[str | None] = []

    async def on_register(form):
        # The server's form names what to fill in: username and password.
        assert form["register"].xml.find(f"{{{REGISTER_NS}}}username") is not None
        iq = client.xmpp.Iq()
        iq["type"] = "set"
        iq["register"]["username"] = user
        iq["register"]["password"] = password
        try:
            await iq.send(timeout=STEP_TIMEOUT)
            outcome.append(None)
        except IqError as e:
            outcome.append(error_condition(e.iq))

    client.xmpp.add_event_handler("register", on_register)
    try:
        await client.sign_in()
    except LoginFailed:
        assert outcome and outcome[0] is not None, "registration succeeded but the login failed"
        return outcome[0]
    await client.sign_out()
    assert outcome == [None], f"no registration happened: {outcome}"
    return None


async def test_slixmpp_registers_and_the_account_signs_in_with_every_mechanism(open_server):
    assert await slixmpp_register(open_server, "romeo", "wherefore-art-thou") is None
    for mech in MECHS:
        async with signed_in(open_server, "romeo", "wherefore-art-thou", mech=mech, resource=mech) as romeo:
            assert romeo.bare == "romeo@localhost"
            await romeo.ping_server()


async def test_registering_a_taken_name_is_a_conflict(open_server):
    assert await slixmpp_register(open_server, "alice", "not-alices") == "conflict"
    await assert_can_sign_in(open_server, "alice")  # her password is untouched


async def test_aioxmpp_reads_the_form_and_registers(open_server):
    import aioxmpp
    import aioxmpp.connector
    import aioxmpp.ibr
    import aioxmpp.node

    jid = aioxmpp.JID.fromstr("benvolio@localhost")
    _, stream, _ = await asyncio.wait_for(aioxmpp.node.connect_xmlstream(
        jid, aioxmpp.make_security_layer(None, no_verify=True),
        override_peer=[("127.0.0.1", open_server.c2s_port, aioxmpp.connector.STARTTLSConnector())]),
        STEP_TIMEOUT)
    try:
        form = await aioxmpp.ibr.get_registration_fields(stream, timeout=STEP_TIMEOUT)
        assert {name for _, name in aioxmpp.ibr.get_used_fields(form)} >= {"username", "password"}
        assert not form.registered  # not signed in: a new registration
        await aioxmpp.ibr.register(stream, aioxmpp.ibr.Query("benvolio", "peace-keeper"), timeout=STEP_TIMEOUT)
    finally:
        stream.abort()
    await assert_can_sign_in(open_server, "benvolio", password="peace-keeper", mech="SCRAM-SHA-1")


# --------------------------------------------------------------------------- raw streams


async def test_open_host_offers_registration_after_tls_and_answers_the_form(open_server):
    async with RawStream(open_server) as s:
        features = await encrypted_features(s)
        assert features.find(f"{{{FEATURE_NS}}}register") is not None, s.conversation()
        form = await ask(s, GET_FORM)
        assert form.get("type") == "result" and form.get("id") == "reg1", s.conversation()
        query = form.find(f"{{{REGISTER_NS}}}query")
        for field in ("instructions", "username", "password"):
            assert query.find(f"{{{REGISTER_NS}}}{field}") is not None, s.conversation()

        for bad, expected in [(register_set("tybalt", ""), "not-acceptable"),
                              (register_set("ty@balt", "x"), "jid-malformed"),
                              (f"<iq type='set' id='r'><query xmlns='{REGISTER_NS}'><remove/></query></iq>",
                               "unexpected-request")]:
            answer = await ask(s, bad)
            assert condition(answer) == expected, s.conversation()
            assert answer.find(f"{{{REGISTER_NS}}}query") is None  # the request is not echoed


async def test_closed_host_offers_nothing_and_answers_service_unavailable(closed_server):
    async with RawStream(closed_server) as s:
        features = await encrypted_features(s)
        assert features.find(f"{{{FEATURE_NS}}}register") is None, s.conversation()
        assert condition(await ask(s, GET_FORM)) == "service-unavailable", s.conversation()
        assert condition(await ask(s, register_set("mallory", "x"))) == "service-unavailable"
        # The stream goes on: the client may still sign in.
        answer = await s.auth_plain("alice", closed_server.passwords["alice@localhost"])
        assert answer.tag.endswith("}success"), s.conversation()
    with pytest.raises(LoginFailed):
        await assert_can_sign_in(closed_server, "mallory", password="x")


async def test_one_registration_per_address_per_interval(make_server):
    server = registering_server(make_server, "register_limited", 600)
    try:
        assert await slixmpp_register(server, "paris", "county-paris") is None
        assert await slixmpp_register(server, "juliet", "again") == "resource-constraint"
        async with RawStream(server) as s:
            await encrypted_features(s)
            answer = await ask(s, register_set("nurse", "x"))
            assert condition(answer) == "resource-constraint", s.conversation()
            assert answer.find("{jabber:client}error").get("type") == "wait"
        # Existing and new users still sign in.
        await assert_can_sign_in(server, "alice")
        await assert_can_sign_in(server, "paris", password="county-paris")
    finally:
        server.stop()


# --------------------------------------------------------------------------- password change


async def test_signed_in_user_changes_its_password_on_a_closed_host(closed_server):
    bob = Client(closed_server, "bob")
    bob.xmpp.register_plugin("xep_0077")
    await bob.sign_in()
    try:
        info = await bob.iq("get", "localhost", f"<query xmlns='{DISCO_INFO}'/>")
        features = {f.get("var") for f in info.xml.iter(f"{{{DISCO_INFO}}}feature")}
        assert REGISTER_NS in features

        registered = await bob.iq("get", "localhost", f"<query xmlns='{REGISTER_NS}'/>")
        query = registered.xml.find(f"{{{REGISTER_NS}}}query")
        assert query.find(f"{{{REGISTER_NS}}}registered") is not None
        assert query.findtext(f"{{{REGISTER_NS}}}username") == "bob"

        # slixmpp's change_password sends the iq without 'to' (to the account itself).
        answer = await bob.xmpp["xep_0077"].change_password("bob-new-secret", timeout=STEP_TIMEOUT)
        assert answer["type"] == "result"
    finally:
        await bob.sign_out()

    closed_server.passwords["bob@localhost"] = "bob-new-secret"
    for mech in MECHS:
        await assert_can_sign_in(closed_server, "bob", mech=mech)
    with pytest.raises(LoginFailed):
        await assert_can_sign_in(closed_server, "bob", password="bob-secret")


async def test_aioxmpp_changes_its_password(closed_server):
    import aioxmpp.ibr
    from im_helpers import AioClient

    async with AioClient(closed_server, "carol") as carol:
        service = carol.client.summon(aioxmpp.ibr.RegistrationService)
        await asyncio.wait_for(service.change_pass("carol-new-secret"), STEP_TIMEOUT)
    closed_server.passwords["carol@localhost"] = "carol-new-secret"
    await assert_can_sign_in(closed_server, "carol", mech="SCRAM-SHA-1")


async def test_nobody_changes_another_users_password(closed_server):
    async with signed_in(closed_server, "dave") as dave:
        for to, expected in (("localhost", "not-authorized"), ("erin@localhost", "service-unavailable")):
            answer = await dave.iq("set", to, f"<query xmlns='{REGISTER_NS}'><username>erin</username>"
                                              f"<password>pwned</password></query>")
            assert error_condition(answer) == expected, answer
        empty = await dave.iq("set", "localhost", f"<query xmlns='{REGISTER_NS}'><username>dave</username>"
                                                  f"<password/></query>")
        assert error_condition(empty) == "bad-request"
        removal = await dave.iq("set", "localhost", f"<query xmlns='{REGISTER_NS}'><remove/><username>dave"
                                                    f"</username></query>")
        assert error_condition(removal) == "bad-request"  # <remove/> comes alone (XEP-0077 §3.2)
    await assert_can_sign_in(closed_server, "erin")
    await assert_can_sign_in(closed_server, "dave")
    with pytest.raises(LoginFailed):
        await assert_can_sign_in(closed_server, "erin", password="pwned")


async def test_a_user_cancels_its_registration_in_band(open_server):
    """XEP-0077 §3.2: the result, then <not-authorized/> ends the session; the account is gone."""
    assert await slixmpp_register(open_server, "mercutio", "queen-mab") is None
    async with signed_in(open_server, "mercutio", "queen-mab") as mercutio:
        removal = await mercutio.iq("set", None, f"<query xmlns='{REGISTER_NS}'><remove/></query>")
        assert removal["type"] == "result", removal
        assert await mercutio.next_stream_error() == "not-authorized"
    with pytest.raises(LoginFailed):
        await assert_can_sign_in(open_server, "mercutio", password="queen-mab")
    # The name is free again: registering it anew works.
    assert await slixmpp_register(open_server, "mercutio", "a-plague") is None
