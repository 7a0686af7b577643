// In-band registration (XEP-0077) without I/O: which stanzas are
// registration requests, what a jabber:iq:register query asks for and
// whether it may, and the elements the server answers with. Used by the
// pre-auth half in the c2s session (c2s_registration.cpp: new accounts) and
// by the register module (modules/register.cpp: password change of
// an authenticated user). Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "xmpp/element.hpp"
#include "xmpp/errors.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/result.hpp"

namespace xmpp::ibr {

inline constexpr std::string_view register_ns = ns::register_query;
inline constexpr std::string_view feature_ns = ns::register_feature;

// A stanza error to answer with.
struct Refusal {
    xmpp::StanzaError condition;
    std::string text;
    std::optional<xmpp::ErrorType> type = std::nullopt;  // the condition's usual type when unset
};

// An iq get or set (in jabber:client) whose payload is a jabber:iq:register <query/>.
bool is_registration_request(const xmpp::Element& stanza);
// The payload of such an iq.
const xmpp::Element& query_of(const xmpp::Element& iq);

// An iq set asking to cancel the registration (<remove/>).
bool wants_removal(const xmpp::Element& query);

struct NewAccount {
    std::string user;  // nodeprep'd
    std::string password;
};
// The fields of a registration: <not-acceptable/> when the username or the
// password is missing or empty (XEP-0077 §3.1), <jid-malformed/> when the
// username is not a valid localpart (RFC 7622: nodeprep fails, too long).
xmpp::Result<NewAccount, Refusal> new_account(const xmpp::Element& query);

// The new password of a password change by `requester` (XEP-0077 §3.3):
// <bad-request/> when the username or the password is missing or empty (the
// password is then kept, never set to nothing), <not-authorized/> when the
// username is not the requester's own.
xmpp::Result<std::string, Refusal> new_password(const xmpp::Element& query, const xmpp::Jid& requester);

// <query/> answering a get before authentication: instructions and the empty
// fields to fill (username, password).
xmpp::Element registration_form();
// <query/> answering a get from the authenticated `user`: <registered/>, its
// username, and an empty password field (the password is not on file).
xmpp::Element registered_info(std::string_view user);
// <register xmlns='http://jabber.org/features/iq-register'/>.
xmpp::Element stream_feature();

// An error reply to `iq` that leaves out its payload: the request may carry
// a password, which is never sent back (XEP-0077 §3.3 says the same of
// password changes).
xmpp::Element error_reply(const xmpp::Element& iq, const Refusal& refusal);

}  // namespace xmpp::ibr
