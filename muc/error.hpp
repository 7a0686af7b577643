// The error a MUC request is refused with: an RFC 6120 stanza condition, the
// type XEP-0045 names for it where that differs from RFC 6120's usual one
// (a full room is service-unavailable of type 'wait'), and a text for the
// user. Plain value; any thread.
#pragma once

#include <optional>
#include <string>

#include "xmpp/errors.hpp"

namespace muc {

struct Error {
    xmpp::StanzaError condition = xmpp::StanzaError::bad_request;
    std::string text = {};
    std::optional<xmpp::ErrorType> type = std::nullopt;  // nullopt: RFC 6120's usual type
};

}  // namespace muc
