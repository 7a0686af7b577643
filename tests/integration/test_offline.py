"""Offline messages (XEP-0160) and messages to accounts that do not exist (RFC 6121 §8.5).

A message for an account with no available resource waits on disk and arrives,
in order and with a XEP-0203 delay stamp, at the account's next available
presence; it survives a restart and a kill -9 once the sender has been told
anything after it. A message for an account that does not exist is refused.
"""

import asyncio

from im_helpers import make_both, watched
from xmpp_client import error_condition

DELAY_NS = "urn:xmpp:delay"
XMQD_OPTIONS = {"users": {"amy": "amy-pw", "zed": "zed-pw", "yan": "yan-pw"}}


async def next_error(client, timeout=10):
    msg = await client.next_message(timeout)
    assert msg["type"] == "error", f"expected an error, got {msg}"
    return msg


async def test_message_to_a_missing_account_is_service_unavailable(server):
    async with watched(server, "amy") as amy:
        await amy.available()
        amy.send_message("nobody@localhost", "anyone?")
        err = await next_error(amy)
        assert error_condition(err) == "service-unavailable" and err["from"].bare == "nobody@localhost"
        amy.send_message("nobody@localhost/phone", "anyone there?")
        assert error_condition(await next_error(amy)) == "service-unavailable"
        amy.send_message("nobody@localhost", "news", mtype="headline")
        assert error_condition(await next_error(amy)) == "service-unavailable"
        # An existing account that is offline: no error, the message is kept.
        amy.send_message("zed@localhost", "kept")
        await amy.silence(1.0)
    async with watched(server, "zed") as zed:
        zed.presence()
        msg = await zed.next_message()
        assert msg["body"] == "kept"


async def test_offline_messages_arrive_in_order_with_delay_at_available_presence(server):
    async with watched(server, "amy") as amy:
        await amy.available()
        for i in range(3):
            amy.send_message("yan@localhost", f"m{i}")
        amy.send_message("yan@localhost", "flash", mtype="headline")  # headlines are not kept
        amy.send_raw("<message xmlns='jabber:client' to='yan@localhost' type='chat'>"
                      "<active xmlns='http://jabber.org/protocol/chatstates'/></message>")
        await amy.ping_server()
    async with watched(server, "yan") as yan:
        await yan.ping_server()
        await yan.silence(1.0)  # nothing before the initial presence
        yan.presence(extra="<priority>-1</priority>")  # negative priority: still offline for bare JIDs
        await yan.ping_server()
        await yan.silence(1.0)
        yan.presence()
        bodies = []
        for _ in range(3):
            msg = await yan.next_message()
            delay = msg.xml.find(f"{{{DELAY_NS}}}delay")
            assert delay is not None and delay.get("from") == "localhost" and delay.get("stamp").endswith("Z")
            assert msg["from"].bare == "amy@localhost"
            bodies.append(msg["body"])
        assert bodies == ["m0", "m1", "m2"]
        await yan.silence(1.0)
    async with watched(server, "yan") as yan:  # delivered once only
        await yan.available()
        await yan.silence(1.0)


async def test_the_offline_cap_answers_resource_constraint(make_server):
    server = make_server("offline-cap", users={"amy": "amy-pw", "zed": "zed-pw"})
    server.extra_config["limits"] = {"max_offline_messages": 2}
    server.write_config()
    server.start()
    async with watched(server, "amy") as amy:
        await amy.available()
        amy.send_message("zed@localhost", "one")
        amy.send_message("zed@localhost", "two")
        await amy.silence(1.0)
        amy.send_message("zed@localhost", "three")
        assert error_condition(await next_error(amy)) == "resource-constraint"
    async with watched(server, "zed") as zed:
        zed.presence()
        assert [(await zed.next_message())["body"] for _ in range(2)] == ["one", "two"]
        await zed.silence(1.0)
    server.stop()


def restart(server, *, kill: bool):
    if kill:
        server.proc.kill()  # SIGKILL to our own xmqd's PID
        server.wait()
    else:
        assert server.stop() == 0
    server.pick_ports()  # the old ports may still linger in TIME_WAIT
    server.write_config()
    server.start()


async def test_everything_survives_restart_and_kill_9(make_server):
    server = make_server("im-restart", users={"amy": "amy-pw", "zed": "zed-pw", "yan": "yan-pw"})
    server.start()
    async with watched(server, "amy") as amy, watched(server, "yan") as yan:
        await amy.available()
        await yan.available()
        await make_both(amy, yan)
        await amy.iq("set", None, "<query xmlns='jabber:iq:roster'><item jid='zed@localhost' name='Zed'>"
                                  "<group>Later</group></item></query>")
        amy.send_message("zed@localhost", "before restart")
        await amy.ping_server()

    restart(server, kill=False)
    async with watched(server, "amy") as amy:
        await amy.available()
        items, _, _ = await amy.roster()
        assert items["yan@localhost"][0] == "both"
        assert items["zed@localhost"] == ("none", None, "Zed", ["Later"])
        amy.send_message("zed@localhost", "before kill")
        await amy.ping_server()  # the answer comes after the message is on disk
        restart(server, kill=True)

    async with watched(server, "zed") as zed:
        zed.presence()
        assert [(await zed.next_message())["body"] for _ in range(2)] == ["before restart", "before kill"]
    async with watched(server, "yan") as yan:
        await yan.available()
        assert await yan.subscription("amy@localhost") == ("both", None)
    server.stop()
