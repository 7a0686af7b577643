// What a client asks for when it enters a room (XEP-0045 §7.2): the
// <x xmlns='http://jabber.org/protocol/muc'/> of its presence, with the
// password and how much discussion history it wants (§7.2.13: maxchars,
// maxstanzas, seconds, since). Untrusted input: a malformed number or date,
// or an over-long password, is bad-request. A presence without <x/> is an
// older client's join (groupchat 1.0): default history, no password.
// Pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "muc/error.hpp"
#include "xmpp/element.hpp"
#include "xmpp/result.hpp"

namespace muc {

struct HistoryRequest {
    std::optional<std::size_t> max_stanzas;
    std::optional<std::size_t> max_chars;     // of the complete XML stanzas
    std::optional<std::int64_t> seconds;      // sent in the last `seconds`
    std::optional<std::int64_t> since;        // Unix seconds: sent at or after
    friend bool operator==(const HistoryRequest&, const HistoryRequest&) = default;
};

struct JoinRequest {
    bool has_muc_x = false;  // the presence carried <x xmlns='…muc'/>
    std::optional<std::string> password;
    HistoryRequest history;
};

inline constexpr std::size_t max_password_bytes = 1024;

xmpp::Result<JoinRequest, Error> parse_join(const xmpp::Element& presence);

}  // namespace muc
