// Stanza and stream errors with the conditions of RFC 6120 §4.9.3 and §8.3.3,
// and builders for the XML that carries them. Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "xmpp/element.hpp"

namespace xmpp {

enum class StreamError {
    bad_format, bad_namespace_prefix, conflict, connection_timeout, host_gone, host_unknown,
    improper_addressing, internal_server_error, invalid_from, invalid_namespace, invalid_xml,
    not_authorized, not_well_formed, policy_violation, remote_connection_failed, reset,
    resource_constraint, restricted_xml, see_other_host, system_shutdown, undefined_condition,
    unsupported_encoding, unsupported_feature, unsupported_stanza_type, unsupported_version,
};

enum class StanzaError {
    bad_request, conflict, feature_not_implemented, forbidden, gone, internal_server_error,
    item_not_found, jid_malformed, not_acceptable, not_allowed, not_authorized, policy_violation,
    recipient_unavailable, redirect, registration_required, remote_server_not_found,
    remote_server_timeout, resource_constraint, service_unavailable, subscription_required,
    undefined_condition, unexpected_request,
};

enum class ErrorType { auth, cancel, continue_, modify, wait };

std::string_view to_string(StreamError);
std::string_view to_string(StanzaError);
std::string_view to_string(ErrorType);
std::optional<StanzaError> stanza_error_from_string(std::string_view);
// The error type RFC 6120 §8.3.3 gives as usual for a condition.
ErrorType default_type(StanzaError);

// "<stream:error><cond xmlns='...streams'/><text ...>text</text></stream:error>"
// (text omitted when empty). Written inside a stream whose prefix "stream" is bound.
std::string stream_error_xml(StreamError, std::string_view text = {});

// The <error/> child element alone.
Element stanza_error_element(StanzaError, std::string_view text = {},
                             std::optional<ErrorType> type = std::nullopt);

// An error reply to `stanza`: same name and id, to/from swapped, type='error',
// the original children kept (RFC 6120 §8.3.1 allows it; clients use them to
// match), plus the <error/> element. The caller must not answer a stanza that
// is itself of type 'error' (see is_error_reply_allowed).
Element make_error_reply(const Element& stanza, StanzaError, std::string_view text = {},
                         std::optional<ErrorType> type = std::nullopt);

// False for stanzas that must never be answered with an error: type='error'
// of any kind, and iq of type 'result'.
bool is_error_reply_allowed(const Element& stanza);

}  // namespace xmpp
