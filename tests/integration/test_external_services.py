"""External services (XEP-0215) with a real client and a real TURN server.

A slixmpp client asks xmqd for its STUN and TURN servers (raw iqs: Debian's
slixmpp has no XEP-0215 plugin) and allocates a relay on a local coturn with
the credentials xmqd handed out, as Conversations or Dino do before a call.
coturn refuses a wrong password and an expired credential. The shared secret
is never on the wire, in xmqd's log or in `xmqd check`.
"""

from __future__ import annotations

import re
import time

import pytest

from coturn import Coturn, turn_password
from xmpp_client import Client, error_condition

EXTDISCO = "urn:xmpp:extdisco:2"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
SECRET = "extdisco-test-secret-7f3c"


@pytest.fixture(scope="module")
def coturn(tmp_path_factory):
    turn = Coturn(tmp_path_factory.mktemp("coturn"), SECRET)
    turn.start()
    yield turn
    turn.stop()


@pytest.fixture(scope="module")
def turn_server(make_server, coturn):
    """xmqd configured with coturn as its STUN and TURN server."""
    server = make_server("extdisco")
    server.extra_toml = f"""
[[external_services]]
type = "stun"
host = "127.0.0.1"
port = {coturn.port}

[[external_services]]
type = "turn"
host = "127.0.0.1"
port = {coturn.port}
transport = "udp"
name = "Loopback relay"
secret = "{SECRET}"
credentials_ttl = 600
"""
    server.write_config()
    server.start()
    yield server
    assert server.stop() == 0


def services_of(answer) -> list[dict]:
    found = answer.xml.find(f"{{{EXTDISCO}}}services")
    assert found is not None, answer
    return [dict(service.attrib) for service in found.findall(f"{{{EXTDISCO}}}service")]


def relayed(uclient_output: str) -> int:
    """How many packets went through the relays (every one sent came back)."""
    sent = re.search(r"start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)", uclient_output)
    assert sent, uclient_output
    assert sent.group(1) == sent.group(2), uclient_output
    return int(sent.group(2))


async def test_credentials_from_xmqd_allocate_a_relay_on_coturn(turn_server, coturn):
    client = Client(turn_server, "alice")
    await client.sign_in()
    try:
        info = await client.iq("get", turn_server.domain, f"<query xmlns='{DISCO_INFO}'/>")
        features = [f.get("var") for f in info.xml.iter(f"{{{DISCO_INFO}}}feature")]
        assert EXTDISCO in features

        before = int(time.time())
        answer = await client.iq("get", turn_server.domain, f"<services xmlns='{EXTDISCO}'/>")
        assert answer["type"] == "result"
        assert SECRET not in str(answer)
        stun, turn = services_of(answer)
        assert stun == {"host": "127.0.0.1", "port": str(coturn.port), "transport": "udp", "type": "stun",
                        "restricted": "false"}
        assert turn["type"] == "turn" and turn["name"] == "Loopback relay" and turn["restricted"] == "true"
        expiry, user = turn["username"].split(":", 1)
        assert user == "alice@localhost"
        assert before + 600 <= int(expiry) <= int(time.time()) + 600

        relay = coturn.allocate(turn["host"], int(turn["port"]), turn["username"], turn["password"])
        assert relay.returncode == 0, f"{relay.stdout}{relay.stderr}\n{coturn.log()[-3000:]}"
        assert relayed(relay.stdout) > 0, relay.stdout

        # The same through a credentials request (XEP-0215 §3.3).
        answer = await client.iq("get", turn_server.domain,
                                 f"<credentials xmlns='{EXTDISCO}'>"
                                 f"<service host='127.0.0.1' type='turn' port='{coturn.port}'/></credentials>")
        assert answer["type"] == "result"
        service = answer.xml.find(f"{{{EXTDISCO}}}credentials/{{{EXTDISCO}}}service")
        relay = coturn.allocate("127.0.0.1", coturn.port, service.get("username"), service.get("password"))
        assert relay.returncode == 0, f"{relay.stdout}{relay.stderr}"
    finally:
        await client.sign_out()


async def test_coturn_refuses_a_wrong_or_expired_credential(turn_server, coturn):
    client = Client(turn_server, "bob")
    await client.sign_in()
    try:
        turn = services_of(await client.iq("get", turn_server.domain,
                                           f"<services xmlns='{EXTDISCO}' type='turn'/>"))
        assert len(turn) == 1
        turn = turn[0]
    finally:
        await client.sign_out()
    wrong = coturn.allocate("127.0.0.1", coturn.port, turn["username"], turn["password"][:-2] + "AA")
    assert wrong.returncode != 0
    assert "Cannot complete Allocation" in wrong.stdout + wrong.stderr
    # Signed with the right secret, but its time is up: coturn checks the expiry in the username.
    expired = f"{int(time.time()) - 60}:bob@localhost"
    refused = coturn.allocate("127.0.0.1", coturn.port, expired, turn_password(SECRET, expired))
    assert refused.returncode != 0
    assert "Cannot complete Allocation" in refused.stdout + refused.stderr
    # A fresh one signed the same way is taken: what differs above is the password, and the time.
    fresh = f"{int(time.time()) + 60}:bob@localhost"
    assert coturn.allocate("127.0.0.1", coturn.port, fresh, turn_password(SECRET, fresh)).returncode == 0


async def test_errors_as_the_xep_says(turn_server):
    client = Client(turn_server, "carol")
    await client.sign_in()
    try:
        unknown = await client.iq("get", turn_server.domain,
                                  f"<credentials xmlns='{EXTDISCO}'><service host='turn.example.net' type='turn'/>"
                                  "</credentials>")
        assert error_condition(unknown) == "item-not-found"
        stun = await client.iq("get", turn_server.domain,
                               f"<credentials xmlns='{EXTDISCO}'>"
                               "<service host='127.0.0.1' type='stun'/></credentials>")
        assert error_condition(stun) == "item-not-found"
        bad = await client.iq("get", turn_server.domain, f"<credentials xmlns='{EXTDISCO}'/>")
        assert error_condition(bad) == "bad-request"
        turns = await client.iq("get", turn_server.domain, f"<services xmlns='{EXTDISCO}' type='turns'/>")
        assert services_of(turns) == []
    finally:
        await client.sign_out()


def test_the_secret_is_never_logged_nor_reported(turn_server):
    assert SECRET not in turn_server.log()
    check = turn_server.admin("check")
    assert check.returncode == 0, check.stderr
    assert "turn 127.0.0.1:" in check.stdout and "credentials valid 600 s" in check.stdout
    assert "stun 127.0.0.1:" in check.stdout
    assert SECRET not in check.stdout + check.stderr


async def test_not_configured_not_advertised(server):
    client = Client(server, "dave")
    await client.sign_in()
    try:
        info = await client.iq("get", server.domain, f"<query xmlns='{DISCO_INFO}'/>")
        assert EXTDISCO not in [f.get("var") for f in info.xml.iter(f"{{{DISCO_INFO}}}feature")]
        assert error_condition(await client.iq("get", server.domain, f"<services xmlns='{EXTDISCO}'/>")) \
            == "service-unavailable"
    finally:
        await client.sign_out()
    check = server.admin("check")
    assert "external services (XEP-0215): none" in check.stdout
