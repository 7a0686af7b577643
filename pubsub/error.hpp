// The errors a XEP-0060 request is answered with: an RFC 6120 stanza error
// condition plus, where XEP-0060 §7-8 names one, the application-specific
// condition of the pubsub#errors namespace (<precondition-not-met/>,
// <unsupported feature='…'/>, …), and the <error/> element that carries them.
// Plain values and pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

#include "xmpp/element.hpp"
#include "xmpp/errors.hpp"

namespace pubsub {

enum class Condition {
    none,
    closed_node,
    configuration_required,
    invalid_jid,
    invalid_options,
    invalid_payload,
    item_forbidden,
    item_required,
    jid_required,
    max_items_exceeded,
    max_nodes_exceeded,
    nodeid_required,
    not_in_roster_group,
    not_subscribed,
    payload_required,
    payload_too_big,
    precondition_not_met,
    presence_subscription_required,
    too_many_subscriptions,
    unsupported,  // with Error::feature
    unsupported_access_model,
};

struct Error {
    xmpp::StanzaError condition = xmpp::StanzaError::bad_request;
    Condition pubsub = Condition::none;
    std::string feature;  // the pubsub feature of <unsupported feature='…'/>
    std::string text;     // for people; optional

    friend bool operator==(const Error&, const Error&) = default;
};

// "precondition-not-met"; empty for Condition::none.
std::string_view to_string(Condition);

Error make_error(xmpp::StanzaError, Condition = Condition::none, std::string text = {});
Error unsupported(xmpp::StanzaError, std::string feature, std::string text = {});

// <error type='…'><condition xmlns='…stanzas'/><pubsub-condition
// xmlns='…pubsub#errors'/><text/></error>, the type the condition usually has.
xmpp::Element error_element(const Error&);

}  // namespace pubsub
