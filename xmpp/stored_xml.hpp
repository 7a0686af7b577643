// Reading back an element the server serialized into its store (a vCard, a
// private XML document): parsed with the same hardened StreamParser as
// client input, inside a synthetic jabber:client stream. Safe from any thread.
#pragma once

#include <optional>
#include <string_view>

#include "xmpp/element.hpp"

namespace xmpp {

std::optional<xmpp::Element> parse_stored(std::string_view xml);

}  // namespace xmpp
