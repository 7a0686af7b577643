// Reading the user data out of a XEP-0227 element tree (see piefxis.hpp for
// the format). The root is <server-data> (or a lone <host>, as ejabberd's
// per-host files are) in urn:xmpp:pie:0 or the pre-1.0 namespace.
//
// Strict where a mistake would lose or corrupt data: a host or user without a
// valid name, a roster item without a valid JID, an unknown subscription
// value, SCRAM credentials that do not decode, a user twice in one host, a
// message that is not a message: each fails the whole read with a message
// naming the host, the user and the problem. Lenient where the data has no
// home here: other children (PEP, archives, privacy rules other than blocking
// a JID) are counted in PieData::notes and skipped.
//
// SCRAM credentials as ejabberd 23.01 exports them carry salt and keys
// base64-encoded twice (it encodes its stored base64 text again); keys whose
// decoded length is not the hash's but whose second decoding is are read that
// way, and the salt with them. Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "server/migration/piefxis.hpp"
#include "xmpp/result.hpp"

namespace server::migration {

xmpp::Result<PieData, std::string> read_pie(const xmpp::Element& root);

// Adds the hosts and notes of `more` to `into`, merging hosts of the same name
// (Prosody writes one file per user); a user in both is an error.
std::optional<std::string> merge_pie(PieData& into, PieData&& more);

}  // namespace server::migration
