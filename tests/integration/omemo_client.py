"""OMEMO over a real XMPP session: python-omemo (Debian's python3-omemo with its
backends python3-twomemo, OMEMO 2 `urn:xmpp:omemo:2`, and python3-oldmemo, legacy
OMEMO `eu.siacs.conversations.axolotl`) joined to a slixmpp `Client`.

python-omemo does the cryptography (X3DH, double ratchet) and leaves the transport
to its user: publishing and fetching bundles and device lists, and sending the
encrypted message. This module is that transport, over PEP as XEP-0384 says:

- OMEMO 2: device list in node `urn:xmpp:omemo:2:devices` (item `current`),
  bundles in `urn:xmpp:omemo:2:bundles` (item id = device id, max_items = max);
- legacy: device list in `eu.siacs.conversations.axolotl.devicelist` (item
  `current`), each bundle in its own node `eu.siacs.conversations.axolotl.bundles:ID`;
- every node published with publish-options access_model = open, so that a
  sender who is not a contact can fetch the keys (what Conversations insists on).

Keys live in memory (`MemoryStorage`); every device is trusted blindly (the
tests check transport, not trust UI).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import oldmemo
import oldmemo.etree
import omemo
import twomemo
import twomemo.etree

PUBSUB = "http://jabber.org/protocol/pubsub"
PUBSUB_EVENT = "http://jabber.org/protocol/pubsub#event"
DATA = "jabber:x:data"
SCE = "urn:xmpp:sce:1"

TWO = twomemo.twomemo.NAMESPACE
OLD = oldmemo.oldmemo.NAMESPACE
DEVICES_NODE = {TWO: f"{TWO}:devices", OLD: f"{OLD}.devicelist"}


def bundle_node(namespace: str, device_id: int) -> str:
    return f"{TWO}:bundles" if namespace == TWO else f"{OLD}.bundles:{device_id}"


def bundle_item_id(namespace: str, device_id: int) -> str:
    return str(device_id) if namespace == TWO else "current"


class PepFailed(Exception):
    pass


class MemoryStorage(omemo.Storage):
    def __init__(self):
        super().__init__()
        self.data: dict = {}

    async def _load(self, key):
        return omemo.Just(self.data[key]) if key in self.data else omemo.Nothing()

    async def _store(self, key, value):
        self.data[key] = value

    async def _delete(self, key):
        self.data.pop(key, None)


def publish_options(**fields: str) -> str:
    values = "".join(f"<field var='pubsub#{k}'><value>{v}</value></field>" for k, v in fields.items())
    return (f"<publish-options><x xmlns='{DATA}' type='submit'>"
            f"<field var='FORM_TYPE' type='hidden'><value>{PUBSUB}#publish-options</value></field>"
            f"{values}</x></publish-options>")


class Pep:
    """The PEP requests the OMEMO transport makes, over one slixmpp `Client`."""

    def __init__(self, client):
        self.client = client

    async def publish(self, node: str, item_id: str, payload: ET.Element, **options: str):
        xml = (f"<pubsub xmlns='{PUBSUB}'><publish node='{node}'><item id='{item_id}'>"
               f"{ET.tostring(payload, encoding='unicode')}</item></publish>"
               f"{publish_options(**options)}</pubsub>")
        answer = await self.client.iq("set", None, xml)
        if answer["type"] != "result":
            raise PepFailed(f"publish to {node} refused: {answer}")

    async def items(self, owner: str, node: str, item_id: str | None = None) -> list[ET.Element]:
        """The payloads of `node` at `owner`; [] when the node does not exist."""
        wanted = f"<item id='{item_id}'/>" if item_id else ""
        answer = await self.client.iq("get", owner, f"<pubsub xmlns='{PUBSUB}'><items node='{node}'>{wanted}</items></pubsub>")
        if answer["type"] != "result":
            if answer.xml.find(".//{urn:ietf:params:xml:ns:xmpp-stanzas}item-not-found") is not None:
                return []
            raise PepFailed(f"items of {node} at {owner} refused: {answer}")
        return [list(item)[0] for item in answer.xml.iter(f"{{{PUBSUB}}}item") if len(item)]

    async def retract(self, node: str, item_id: str):
        answer = await self.client.iq("set", None, f"<pubsub xmlns='{PUBSUB}'><retract node='{node}' notify='true'>"
                                                   f"<item id='{item_id}'/></retract></pubsub>")
        if answer["type"] != "result":
            raise PepFailed(f"retract from {node} refused: {answer}")


def session_manager_class(pep: Pep):
    """A python-omemo SessionManager whose transport is `pep` (one class per client:
    the library declares the transport methods static)."""

    class Manager(omemo.SessionManager):
        @staticmethod
        async def _upload_bundle(bundle):
            ns = bundle.namespace
            serialize = twomemo.etree.serialize_bundle if ns == TWO else oldmemo.etree.serialize_bundle
            options = {"access_model": "open"}
            if ns == TWO:
                options["max_items"] = "max"
            await pep.publish(bundle_node(ns, bundle.device_id), bundle_item_id(ns, bundle.device_id),
                              serialize(bundle), **options)

        @staticmethod
        async def _download_bundle(namespace, bare_jid, device_id):
            found = await pep.items(bare_jid, bundle_node(namespace, device_id), bundle_item_id(namespace, device_id))
            if not found:
                raise omemo.BundleNotFound(f"no bundle {device_id} of {bare_jid} in {namespace}")
            parse = twomemo.etree.parse_bundle if namespace == TWO else oldmemo.etree.parse_bundle
            return parse(found[0], bare_jid, device_id)

        @staticmethod
        async def _delete_bundle(namespace, device_id):
            if namespace == TWO:
                await pep.retract(bundle_node(namespace, device_id), str(device_id))

        @staticmethod
        async def _upload_device_list(namespace, device_list):
            serialize = twomemo.etree.serialize_device_list if namespace == TWO else oldmemo.etree.serialize_device_list
            await pep.publish(DEVICES_NODE[namespace], "current", serialize(device_list), access_model="open")

        @staticmethod
        async def _download_device_list(namespace, bare_jid):
            found = await pep.items(bare_jid, DEVICES_NODE[namespace], "current")
            if not found:
                return {}
            parse = twomemo.etree.parse_device_list if namespace == TWO else oldmemo.etree.parse_device_list
            return parse(found[0])

        async def _evaluate_custom_trust_level(self, device):
            return omemo.TrustLevel.TRUSTED

        async def _make_trust_decision(self, undecided, identifier):
            for device in undecided:
                await self.set_trust(device.bare_jid, device.identity_key, "trusted")

        @staticmethod
        async def _send_message(message, bare_jid):
            # Empty messages (session repair, heartbeats): sent without body.
            pep.client.send_raw(encrypted_stanza(message, bare_jid))

    return Manager


def sce_envelope(body: str) -> bytes:
    return (f"<envelope xmlns='{SCE}'><content><body xmlns='jabber:client'>{body}</body></content>"
            f"</envelope>").encode()


def body_of_envelope(plaintext: bytes) -> str:
    return ET.fromstring(plaintext).find(f"{{{SCE}}}content/{{jabber:client}}body").text


def encrypted_stanza(message: omemo.Message, to: str) -> str:
    serialize = twomemo.etree.serialize_message if message.namespace == TWO else oldmemo.etree.serialize_message
    encrypted = ET.tostring(serialize(message), encoding="unicode")
    return (f"<message xmlns='jabber:client' to='{to}' type='chat'>{encrypted}"
            f"<store xmlns='urn:xmpp:hints'/></message>")


class OmemoDevice:
    """One OMEMO device: a signed-in `Client` plus a python-omemo session manager
    with both backends (OMEMO 2 preferred)."""

    def __init__(self, client, manager):
        self.client = client
        self.manager = manager

    @classmethod
    async def create(cls, client, namespaces=(TWO, OLD)) -> "OmemoDevice":
        storage = MemoryStorage()
        backends = [twomemo.Twomemo(storage) if ns == TWO else oldmemo.Oldmemo(storage) for ns in namespaces]
        manager = await session_manager_class(Pep(client)).create(
            backends, storage, client.bare, "xmqd test", "undecided")
        await manager.after_history_sync()
        return cls(client, manager)

    async def device_id(self) -> int:
        own, _ = await self.manager.get_own_device_information()
        return own.device_id

    async def send(self, to: str, body: str, namespace: str = TWO):
        """Encrypt `body` for every device of `to` (and our own others) and send it."""
        plaintext = {TWO: sce_envelope(body), OLD: body.encode()}
        # A client fetches a new contact's device list before its first message.
        await self.manager.refresh_device_list(namespace, to)
        messages, errors = await self.manager.encrypt(frozenset({to}), plaintext, backend_priority_order=[namespace])
        assert not errors, f"encryption errors: {errors}"
        for message in messages:
            self.client.send_raw(encrypted_stanza(message, to))

    async def receive(self, sender: str) -> tuple[str, str]:
        """(namespace, body) of the next encrypted chat message from `sender`."""
        while True:
            stanza = await self.client.next_message()
            if stanza["from"].bare != sender:
                continue
            for namespace in (TWO, OLD):
                element = stanza.xml.find(f"{{{namespace}}}encrypted")
                if element is None:
                    continue
                if namespace == TWO:
                    message = twomemo.etree.parse_message(element, sender)
                else:
                    message = await oldmemo.etree.parse_message(element, sender, self.client.bare, self.manager)
                plaintext, _, _ = await self.manager.decrypt(message)
                if plaintext is None:  # an empty message (key exchange only)
                    break
                return namespace, body_of_envelope(plaintext) if namespace == TWO else plaintext.decode()

    async def device_list_update(self, sender: str, namespace: str = TWO) -> dict[int, str | None]:
        """The next PEP notification of `sender`'s device list in `namespace`, handed to
        python-omemo as a client does; returns the list."""
        node = DEVICES_NODE[namespace]
        parse = twomemo.etree.parse_device_list if namespace == TWO else oldmemo.etree.parse_device_list
        while True:
            stanza = await self.client.next_message()
            if stanza["from"].bare != sender:
                continue
            items = stanza.xml.find(f"{{{PUBSUB_EVENT}}}event/{{{PUBSUB_EVENT}}}items[@node='{node}']")
            if items is None:
                continue
            item = items.find(f"{{{PUBSUB_EVENT}}}item")
            device_list = parse(list(item)[0])
            await self.manager.update_device_list(namespace, sender, device_list)
            return device_list
