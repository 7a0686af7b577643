// Reads [contact_addresses], the addresses of the server's operators that
// the contact_addresses module (XEP-0157) puts in the server's disco#info:
// one list of URIs per kind (abuse, admin, feedback, sales, security,
// support). Internal to conf/: the config loader is its only user, on the
// thread that loads.
#pragma once

#include <toml++/toml.h>

#include "conf/toml_reader.hpp"
#include "xmpp/contact_addresses.hpp"

namespace conf::detail {

void read_contact_addresses(TomlReader& reader, const toml::table& root, xmpp::contact::Addresses& out);

}  // namespace conf::detail
