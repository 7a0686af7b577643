// Every XML namespace the server speaks, in one place.
#pragma once

#include <string_view>

namespace xmpp::ns {

inline constexpr std::string_view client = "jabber:client";
inline constexpr std::string_view server = "jabber:server";
inline constexpr std::string_view stream = "http://etherx.jabber.org/streams";
inline constexpr std::string_view streams = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr std::string_view stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr std::string_view tls = "urn:ietf:params:xml:ns:xmpp-tls";
inline constexpr std::string_view sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
inline constexpr std::string_view bind = "urn:ietf:params:xml:ns:xmpp-bind";
inline constexpr std::string_view session = "urn:ietf:params:xml:ns:xmpp-session";
inline constexpr std::string_view framing = "urn:ietf:params:xml:ns:xmpp-framing";
inline constexpr std::string_view xml = "http://www.w3.org/XML/1998/namespace";

inline constexpr std::string_view disco_info = "http://jabber.org/protocol/disco#info";
inline constexpr std::string_view disco_items = "http://jabber.org/protocol/disco#items";
inline constexpr std::string_view ping = "urn:xmpp:ping";
inline constexpr std::string_view version = "jabber:iq:version";

inline constexpr std::string_view xmq_command = "xmq:command";
inline constexpr std::string_view xmq_topic = "xmq:topic";
inline constexpr std::string_view xmq_load = "xmq:load";

}  // namespace xmpp::ns
