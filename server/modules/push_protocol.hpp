// The wire of Push Notifications (XEP-0357, urn:xmpp:push:0), without I/O:
// a client's <enable/> and <disable/> read, a registration kept as an XML
// document (the account's user data, kind "push"), and the notification the
// server publishes to the app server: an iq set with a pubsub <publish/> of
// a urn:xmpp:push:summary form, and the client's publish-options (its
// secret) copied as given. Pure; any thread.
#pragma once

#include <optional>
#include <string>

#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/result.hpp"

namespace server::modules::push {

// Where a client's notifications go: the app server's JID and its node.
struct Registration {
    std::string service;  // the app server's JID, normalised
    std::string node;     // may be empty (XEP-0357 leaves it optional)
    std::string resource; // the session that enabled it: its hibernation sends a push
    std::optional<xmpp::Element> options;  // the publish-options form, as sent
};

// <enable jid node><x type='submit'/></enable> from `resource`; the error
// text when it is malformed (bad-request).
xmpp::Result<Registration, std::string> parse_enable(const xmpp::Element& enable, const std::string& resource);

// <disable jid [node]/>: the registration key to remove, or, without a node,
// every registration of that app server (the service alone).
struct Disable {
    std::string service;
    std::optional<std::string> node;
};
xmpp::Result<Disable, std::string> parse_disable(const xmpp::Element& disable);

// The key of its document: one registration per (service, node).
std::string document_key(const std::string& service, const std::string& node);
std::string to_document(const Registration& registration);
std::optional<Registration> from_document(const std::string& xml);

// What a notification says (the urn:xmpp:push:summary fields).
struct Summary {
    std::string last_sender;  // empty: not sent
    std::string last_body;    // empty: not sent
};

// The iq set from `account` to the registration's app server (without an id:
// the Router's request table gives it one).
xmpp::Element notification(const xmpp::Jid& account, const Registration& registration, const Summary& summary);

// Whether a message is worth waking a phone for: one with a body or an
// encrypted payload (OMEMO), not a chat state, receipt or marker alone.
bool wakes_the_device(const xmpp::Element& message);

}  // namespace server::modules::push
