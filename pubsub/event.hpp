// Builders of the XEP-0060 §7 event notifications: the <event/> element
// (http://jabber.org/protocol/pubsub#event) a headline message carries to
// subscribers. Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "xmpp/element.hpp"

namespace pubsub {

// <event><items node='…'><item id='…'>payload</item></items></event>; the
// payload left out when null (deliver_payloads false).
xmpp::Element items_event(std::string_view node, std::string_view id, const xmpp::Element* payload);
// <event><items node='…'><retract id='…'/></items></event>
xmpp::Element retract_event(std::string_view node, std::string_view id);
// <event><purge node='…'/></event>
xmpp::Element purge_event(std::string_view node);
// <event><delete node='…'><redirect uri='…'/></delete></event> (no redirect when empty)
xmpp::Element delete_event(std::string_view node, std::string_view redirect);

}  // namespace pubsub
