"""Entity capabilities (XEP-0115) with real clients.

slixmpp's xep_0115 plugin annotates its presence with <c/> and answers the
server's disco#info on NODE#VER: the server asks once for a ver, however many
clients announce it, and caches it only when the answer hashes to it (the
/metrics counters say so). A raw stream answers with a forged disco#info, and
checks the server's own <c/> in its stream features against its disco#info.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import xml.etree.ElementTree as ET

import pytest

from conftest import USERS
from protocol import STEP_TIMEOUT
from raw_stream import RawStream
from web_helpers import XmqdWeb, http_get, metric, parse_prometheus
from xmpp_client import Client

CAPS = "http://jabber.org/protocol/caps"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
DATA = "jabber:x:data"


@pytest.fixture(scope="module")
def caps_web(tmp_path_factory, tls_cert):
    cert, key = tls_cert
    server = XmqdWeb(tmp_path_factory.mktemp("caps"), cert, key, name="caps")
    for user, password in USERS.items():
        server.add_user(user, password)
    server.start()
    yield server
    assert server.stop() == 0


async def counters(server) -> dict:
    status, _, body = await http_get(server.http_port, "/metrics")
    assert status == 200, body
    series = parse_prometheus(body.decode())
    return {name: metric(series, f"xmqd_caps_{name}_total") for name in ("queries", "verified", "rejected")}


async def until_counted(server, name: str, at_least: float) -> dict:
    """The caps counters once `name` reached `at_least` (bounded in rounds and time)."""
    for _ in range(100):
        now = await counters(server)
        if now[name] >= at_least:
            return now
        await asyncio.sleep(0.05)
    raise AssertionError(f"xmqd_caps_{name}_total stayed below {at_least}: {now}")


def ver_of(query: ET.Element) -> str:
    """XEP-0115 §5.1, written here independently of the server's code."""
    s = ""
    ids = sorted((i.get("category", ""), i.get("type", ""), i.get("{http://www.w3.org/XML/1998/namespace}lang", ""),
                  i.get("name", "")) for i in query.findall(f"{{{DISCO_INFO}}}identity"))
    s += "".join("/".join(i) + "<" for i in ids)
    s += "".join(f + "<" for f in sorted(f.get("var") for f in query.findall(f"{{{DISCO_INFO}}}feature")))
    forms = []
    for x in query.findall(f"{{{DATA}}}x"):
        fields = {f.get("var"): sorted(v.text or "" for v in f.findall(f"{{{DATA}}}value"))
                  for f in x.findall(f"{{{DATA}}}field")}
        if "FORM_TYPE" in fields:
            forms.append((fields.pop("FORM_TYPE")[0], fields))
    for form_type, fields in sorted(forms):
        s += form_type + "<" + "".join(var + "<" + "".join(v + "<" for v in fields[var]) for var in sorted(fields))
    return base64.b64encode(hashlib.sha1(s.encode()).digest()).decode()


async def next_iq(raw: RawStream) -> ET.Element:
    """The next iq, past the session's own presence coming back (bounded)."""
    for _ in range(10):
        element = await raw.next_element()
        assert element is not None, raw.conversation()
        if element.tag == "{jabber:client}iq":
            return element
    raise AssertionError(f"no iq:\n{raw.conversation()}")


class CapsClient(Client):
    def __init__(self, server, user, resource, feature):
        super().__init__(server, user, resource=resource)
        self.xmpp.register_plugin("xep_0030")
        self.xmpp.register_plugin("xep_0115")
        self.xmpp["xep_0030"].add_feature(feature)

    async def sign_in(self, timeout=STEP_TIMEOUT):
        await super().sign_in(timeout)
        # The plugin annotates presence once it has hashed its own disco#info.
        await asyncio.wait_for(self.xmpp["xep_0115"].update_caps(broadcast=False), timeout)


async def test_one_query_per_ver_and_the_verified_answer_is_cached(caps_web):
    before = await counters(caps_web)
    feature = "urn:xmpp:test:caps-one-query+notify"
    clients = [CapsClient(caps_web, user, "caps", feature) for user in ("alice", "bob")]
    try:
        for c in clients:
            await c.sign_in()
        # Both announce the same ver (same software, same features).
        for c in clients:
            await c.available()
        after = await until_counted(caps_web, "verified", before["verified"] + 1)
        assert after["queries"] == before["queries"] + 1, after
        assert after["rejected"] == before["rejected"], after
        # A third session with that ver: already known, not asked.
        third = CapsClient(caps_web, "alice", "caps2", feature)
        clients.append(third)
        await third.sign_in()
        await third.available()
        await third.ping_server()
        assert (await counters(caps_web))["queries"] == after["queries"]
    finally:
        for c in clients:
            await c.sign_out()


async def test_a_forged_answer_is_not_cached(caps_web):
    before = await counters(caps_web)
    forged_for = ("<query xmlns='http://jabber.org/protocol/disco#info'><identity category='client' type='pc'/>"
                  "<feature var='urn:xmpp:test:forged-a+notify'/></query>")
    ver = ver_of(ET.fromstring(forged_for))
    async with RawStream(caps_web) as raw:
        jid = await raw.sign_in("carol")
        await raw.say(f"<presence><c xmlns='{CAPS}' hash='sha-1' node='https://test.example' ver='{ver}'/></presence>")
        iq = await next_iq(raw)
        assert iq.get("type") == "get" and iq.get("from") == "localhost" and iq.get("to") == jid
        assert iq.find(f"{{{DISCO_INFO}}}query").get("node") == f"https://test.example#{ver}"
        # Another feature than the ver says.
        await raw.say(f"<iq type='result' id='{iq.get('id')}' to='localhost'>"
                      "<query xmlns='http://jabber.org/protocol/disco#info'><identity category='client' type='pc'/>"
                      "<feature var='urn:xmpp:test:forged-b+notify'/></query></iq>")
        after = await until_counted(caps_web, "rejected", before["rejected"] + 1)
        assert after["verified"] == before["verified"]
        # The same resource, the same ver: not asked again.
        await raw.say(f"<presence><c xmlns='{CAPS}' hash='sha-1' node='https://test.example' ver='{ver}'/></presence>")
        await raw.say("<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        pong = await next_iq(raw)
        assert pong.get("id") == "p1", raw.conversation()
        assert (await counters(caps_web))["queries"] == after["queries"]


async def test_the_server_caps_in_stream_features_hash_its_disco_info(caps_web):
    async with RawStream(caps_web) as raw:
        await raw.open_stream()
        await raw.features()
        await raw.starttls()
        await raw.open_stream()
        await raw.features()
        assert (await raw.auth_plain("dave", caps_web.passwords["dave@localhost"])).tag.endswith("success")
        raw.restart_stream()
        await raw.open_stream()
        features = await raw.features()
        c = features.find(f"{{{CAPS}}}c")
        assert c is not None, ET.tostring(features)
        assert c.get("hash") == "sha-1" and c.get("node") == "https://xmqd.org"
        await raw.say("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
        await raw.expect("{jabber:client}iq")
        await raw.say(f"<iq type='get' id='d1' to='localhost'><query xmlns='{DISCO_INFO}'/></iq>")
        info = (await raw.expect("{jabber:client}iq")).find(f"{{{DISCO_INFO}}}query")
        assert ver_of(info) == c.get("ver")
        node = f"https://xmqd.org#{c.get('ver')}"
        await raw.say(f"<iq type='get' id='d2' to='localhost'><query xmlns='{DISCO_INFO}' node='{node}'/></iq>")
        on_node = await raw.expect("{jabber:client}iq")
        assert on_node.get("type") == "result"
        assert on_node.find(f"{{{DISCO_INFO}}}query").get("node") == node
        assert ver_of(on_node.find(f"{{{DISCO_INFO}}}query")) == c.get("ver")
