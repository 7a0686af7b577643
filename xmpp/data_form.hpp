// Building XEP-0004 data forms: the <field/>, <value/> and <option/> elements
// that the forms the server sends are made of (pubsub node configuration,
// room configuration, the serverinfo form), and the boolean value syntax.
// Reading forms stays with each form's own parser, which knows its fields
// and bounds. Pure; any thread.
#pragma once

#include <optional>
#include <string_view>

#include "xmpp/element.hpp"

namespace xmpp::form {

// <field var type [label]/>.
Element field(std::string_view var, std::string_view type, std::string_view label = {});
// Appends <value>value</value> (an empty one for an empty value).
void add_value(Element& field, std::string_view value);
// Appends <option [label]><value>value</value></option>.
void add_option(Element& field, std::string_view value, std::string_view label = {});

// The value of a boolean field ("1"/"true", "0"/"false"); nullopt for anything else.
std::optional<bool> parse_boolean(std::string_view value);

}  // namespace xmpp::form
