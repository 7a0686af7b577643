#include "pubsub/error.hpp"

#include "xmpp/namespaces.hpp"

namespace pubsub {

std::string_view to_string(Condition c) {
    switch (c) {
    case Condition::none: return {};
    case Condition::closed_node: return "closed-node";
    case Condition::configuration_required: return "configuration-required";
    case Condition::invalid_jid: return "invalid-jid";
    case Condition::invalid_options: return "invalid-options";
    case Condition::invalid_payload: return "invalid-payload";
    case Condition::item_forbidden: return "item-forbidden";
    case Condition::item_required: return "item-required";
    case Condition::jid_required: return "jid-required";
    case Condition::max_items_exceeded: return "max-items-exceeded";
    case Condition::max_nodes_exceeded: return "max-nodes-exceeded";
    case Condition::nodeid_required: return "nodeid-required";
    case Condition::not_in_roster_group: return "not-in-roster-group";
    case Condition::not_subscribed: return "not-subscribed";
    case Condition::payload_required: return "payload-required";
    case Condition::payload_too_big: return "payload-too-big";
    case Condition::precondition_not_met: return "precondition-not-met";
    case Condition::presence_subscription_required: return "presence-subscription-required";
    case Condition::too_many_subscriptions: return "too-many-subscriptions";
    case Condition::unsupported: return "unsupported";
    case Condition::unsupported_access_model: return "unsupported-access-model";
    }
    return {};
}

Error make_error(xmpp::StanzaError condition, Condition pubsub, std::string text) {
    return Error{condition, pubsub, {}, std::move(text)};
}

Error unsupported(xmpp::StanzaError condition, std::string feature, std::string text) {
    return Error{condition, Condition::unsupported, std::move(feature), std::move(text)};
}

xmpp::Element error_element(const Error& error) {
    xmpp::Element element = xmpp::stanza_error_element(error.condition, error.text);
    if (error.pubsub != Condition::none) {
        xmpp::Element specific(std::string(to_string(error.pubsub)), std::string(xmpp::ns::pubsub_errors));
        if (!error.feature.empty()) specific.set_attr("feature", error.feature);
        // Right after the defined condition, as in the XEP-0060 examples.
        auto& children = element.children();
        children.insert(children.begin() + 1, std::move(specific));
    }
    return element;
}

}  // namespace pubsub
