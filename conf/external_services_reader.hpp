// Reads [[external_services]], the STUN and TURN servers that the
// external_services module (XEP-0215) tells users about: each table's type,
// host, port, transport, name, and for a TURN server that checks coturn's
// REST credentials its shared secret and the credentials' lifetime. Internal
// to conf/: the config loader is its only user, on the thread that loads.
#pragma once

#include <toml++/toml.h>

#include <vector>

#include "conf/toml_reader.hpp"
#include "xmpp/external_services.hpp"

namespace conf::detail {

void read_external_services(TomlReader& reader, const toml::table& root, std::vector<xmpp::extdisco::Service>& out);

}  // namespace conf::detail
