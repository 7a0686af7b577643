"""Contact addresses (XEP-0157) with a real client.

slixmpp's service discovery with its XEP-0128 plugin reads the
http://jabber.org/network/serverinfo form in the server's disco#info, as a
client showing "contact the operators" or the XMPP Providers crawler does; a
server without [contact_addresses] has no such form.
"""

from __future__ import annotations

import json

import pytest

from xmpp_client import Client

SERVERINFO = "http://jabber.org/network/serverinfo"

ADDRESSES = {
    "abuse": ["mailto:abuse@localhost"],
    "admin": ["xmpp:admin@localhost", "mailto:admin@localhost"],
    "security": ["mailto:security@localhost"],
    "support": ["xmpp:support@conference.localhost?join", "https://localhost/help"],
}


@pytest.fixture(scope="module")
def contact_server(make_server):
    server = make_server("contact")
    server.extra_toml = "\n[contact_addresses]\n" + "".join(
        f"{kind} = {json.dumps(uris)}\n" for kind, uris in ADDRESSES.items())
    server.write_config()
    server.start()
    yield server
    assert server.stop() == 0


async def serverinfo_forms(server, user: str) -> list[dict]:
    client = Client(server, user)
    client.xmpp.register_plugin("xep_0030")
    client.xmpp.register_plugin("xep_0128")
    await client.sign_in()
    try:
        info = await client.xmpp["xep_0030"].get_info(jid=server.domain, local=False, timeout=10)
    finally:
        await client.sign_out()
    forms = []
    for form in info["disco_info"].iterables:
        if form.name != "x":
            continue
        values = form.get_values()
        if values.get("FORM_TYPE") in (SERVERINFO, [SERVERINFO]):
            forms.append(values)
    return forms


async def test_slixmpp_reads_the_contact_addresses(contact_server):
    forms = await serverinfo_forms(contact_server, "alice")
    assert len(forms) == 1
    values = forms[0]
    for kind, uris in ADDRESSES.items():
        assert values[f"{kind}-addresses"] == uris
    assert "sales-addresses" not in values and "feedback-addresses" not in values
    check = contact_server.admin("check")
    assert check.returncode == 0, check.stderr
    assert "  abuse: mailto:abuse@localhost\n" in check.stdout


async def test_no_addresses_configured_no_form(server):
    assert await serverinfo_forms(server, "bob") == []
