// A leaf node's configuration (XEP-0060 §8.2, the pubsub#node_config form),
// the partial configuration a client submits (a configure form, the config
// of a create, or publish-options, §7.1.5), how one is checked against the
// other, and the form the owner is shown. Which values a service allows
// beyond their syntax (the max_items bound) is the Service's business.
// Plain values and pure functions; any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pubsub/error.hpp"
#include "xmpp/element.hpp"
#include "xmpp/result.hpp"

namespace pubsub {

// 'authorize' is not offered: a form asking for it gets not-acceptable with
// <unsupported-access-model/>.
enum class AccessModel { open, presence, roster, whitelist };
enum class PublishModel { publishers, subscribers, open };
enum class SendLastPublished { never, on_sub, on_sub_and_presence };

std::string_view to_string(AccessModel);
std::string_view to_string(PublishModel);
std::string_view to_string(SendLastPublished);

struct NodeConfig {
    // nullopt is the value "max": as many items as the service allows.
    std::optional<std::size_t> max_items = 1;
    AccessModel access_model = AccessModel::presence;
    PublishModel publish_model = PublishModel::publishers;
    bool persist_items = true;
    bool deliver_payloads = true;
    bool notify_retract = true;
    bool notify_delete = true;
    SendLastPublished send_last_published_item = SendLastPublished::on_sub_and_presence;
    std::vector<std::string> roster_groups_allowed;  // for access_model roster
    std::string title;
    std::string type;  // the payload namespace, informational

    friend bool operator==(const NodeConfig&, const NodeConfig&) = default;
};

// The fields a form set; nullopt for those it left out.
struct ConfigPatch {
    std::optional<std::optional<std::size_t>> max_items;  // inner nullopt: "max"
    std::optional<AccessModel> access_model;
    std::optional<PublishModel> publish_model;
    std::optional<bool> persist_items;
    std::optional<bool> deliver_payloads;
    std::optional<bool> notify_retract;
    std::optional<bool> notify_delete;
    std::optional<SendLastPublished> send_last_published_item;
    std::optional<std::vector<std::string>> roster_groups_allowed;
    std::optional<std::string> title;
    std::optional<std::string> type;
    // Fields of no meaning here (var names), kept so that publish-options can
    // refuse a precondition it cannot check; a configure form ignores them.
    std::vector<std::string> unknown;

    friend bool operator==(const ConfigPatch&, const ConfigPatch&) = default;
};

// Bounds on a form, so that a hostile one costs little.
struct FormLimits {
    std::size_t max_fields = 64;
    std::size_t max_values = 64;  // per field
    std::size_t max_value_bytes = 1024;
};

// Reads an <x xmlns='jabber:x:data'/> of type 'submit' whose FORM_TYPE is
// `form_type` (a missing FORM_TYPE is accepted only when `form_type_optional`,
// as publish-options written by older clients have none). Errors: a malformed
// form is bad-request; a value out of a field's syntax (an unknown access model,
// "yes" for a boolean, a negative max_items) is bad-request with
// <invalid-options/>; 'authorize' is not-acceptable with
// <unsupported-access-model/>.
xmpp::Result<ConfigPatch, Error> parse_config_form(const xmpp::Element& x, std::string_view form_type,
                                                   const FormLimits& = {}, bool form_type_optional = false);

NodeConfig apply(NodeConfig config, const ConfigPatch& patch);

// Whether `config` already has every value `patch` sets (unknown fields never
// match): the publish-options precondition of XEP-0060 §7.1.5.
bool satisfies(const NodeConfig& config, const ConfigPatch& patch);

// The pubsub#node_config form (type 'form') with the current values and the
// options of each list, for configure get and default.
xmpp::Element config_form(const NodeConfig&);

}  // namespace pubsub
