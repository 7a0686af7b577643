// Registering a nick with a room (XEP-0045 §7.10): the jabber:iq:register
// query a user sends the room, read as a request, and the muc#register form
// the room describes the registration with. A registered nick is reserved
// in that room for its user (others entering with it get conflict) and makes
// the user a member (as Prosody does; ejabberd reserves nicks service-wide
// instead). Untrusted input: a malformed form is bad-request, a missing or
// unusable nick not-acceptable. Pure functions; any thread.
#pragma once

#include <optional>
#include <string>

#include "muc/error.hpp"
#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/result.hpp"

namespace muc {

struct RegistrationRequest {
    enum class Kind { register_nick, cancel, remove };
    Kind kind = Kind::register_nick;
    std::string nick;  // register_nick: resourceprep'd (RFC 7622), within the bound
};

// `query`: the <query xmlns='jabber:iq:register'/> of an iq set to `room`.
xmpp::Result<RegistrationRequest, Error> parse_registration(const xmpp::Element& query, const xmpp::Jid& room,
                                                            std::size_t max_nick_bytes);

// The <query xmlns='jabber:iq:register'/> of the answer to a get: the
// muc#register form, with <registered/> and the nick when `nick` is set.
xmpp::Element registration_query(const std::optional<std::string>& nick);

}  // namespace muc
