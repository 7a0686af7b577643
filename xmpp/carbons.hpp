// Message Carbons (XEP-0280) as pure protocol: which messages a server
// copies to an account's other resources, the wrapped copy itself, and the
// <private/> mark a delivered original loses. The module that keeps the
// per-resource state and sends the copies is server/modules/carbons.cpp.
// Pure functions, safe from any thread.
#pragma once

#include <string_view>

#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"

namespace xmpp::carbons {

// Which side of a message the copy is for: the account that sent it (its
// other resources see what it said, <sent/>) or the account it is for (its
// resources that did not get the original, <received/>).
enum class Direction { sent, received };

std::string_view element_name(Direction direction);  // "sent", "received"

// Whether `message` is copied (XEP-0280 §6, as ejabberd and Prosody apply
// it): a chat message, or a normal one with a <body/>; never a message
// marked <private xmlns='urn:xmpp:carbons:2'/> or
// <no-copy xmlns='urn:xmpp:hints'/> (XEP-0334), never a carbon copy itself,
// never groupchat, headline or error. A private message from a MUC
// occupant (it carries <x xmlns='http://jabber.org/protocol/muc#user'/>) is
// not copied to the recipient's other resources, which are not in the room;
// the sender's other resources do get the copy of one it sent.
bool eligible(const Element& message, Direction direction);

// The copy for `to` (a full JID of `account`), XEP-0280 §7 and §8:
// <message from=account to=to type=same><sent|received><forwarded
// xmlns='urn:xmpp:forward:0'>original</forwarded></sent|received></message>.
Element wrap(const Element& message, Direction direction, const Jid& account, const Jid& to);

// Removes <private xmlns='urn:xmpp:carbons:2'/> from a message about to be
// delivered (§9: the receiving server SHOULD remove it). True if there was one.
bool strip_private(Element& message);

}  // namespace xmpp::carbons
