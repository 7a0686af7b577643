// The ids an archive gives the messages it keeps (XEP-0359 <stanza-id/>,
// XEP-0313 result ids): 96 random bits, base64url (16 characters), so they
// are unique within an archive without asking the disk and cannot be guessed
// from the ids a client has seen. Used by the account archive (module mam)
// and the room archive (muc/room.hpp). Any thread (OpenSSL's RAND_bytes).
#pragma once

#include <string>

namespace xmpp {

// Throws std::runtime_error when the system has no random bytes to give.
std::string new_stanza_id();

}  // namespace xmpp
