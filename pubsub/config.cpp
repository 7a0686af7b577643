#include "pubsub/config.hpp"

#include <charconv>
#include <set>

#include "xmpp/data_form.hpp"
#include "xmpp/namespaces.hpp"

namespace pubsub {

namespace {

using xmpp::form::add_option;
using xmpp::form::add_value;
using xmpp::form::field;
using xmpp::form::parse_boolean;

using xmpp::StanzaError;

constexpr std::string_view kMaxItems = "pubsub#max_items";
constexpr std::string_view kAccessModel = "pubsub#access_model";
constexpr std::string_view kPublishModel = "pubsub#publish_model";
constexpr std::string_view kPersistItems = "pubsub#persist_items";
constexpr std::string_view kDeliverPayloads = "pubsub#deliver_payloads";
constexpr std::string_view kNotifyRetract = "pubsub#notify_retract";
constexpr std::string_view kNotifyDelete = "pubsub#notify_delete";
constexpr std::string_view kSendLast = "pubsub#send_last_published_item";
constexpr std::string_view kRosterGroups = "pubsub#roster_groups_allowed";
constexpr std::string_view kTitle = "pubsub#title";
constexpr std::string_view kType = "pubsub#type";

Error invalid(std::string_view var, std::string_view why) {
    return make_error(StanzaError::bad_request, Condition::invalid_options, std::string(var) + ": " + std::string(why));
}

std::optional<AccessModel> parse_access(std::string_view v) {
    if (v == "open") return AccessModel::open;
    if (v == "presence") return AccessModel::presence;
    if (v == "roster") return AccessModel::roster;
    if (v == "whitelist") return AccessModel::whitelist;
    return std::nullopt;
}

std::optional<PublishModel> parse_publish(std::string_view v) {
    if (v == "publishers") return PublishModel::publishers;
    if (v == "subscribers") return PublishModel::subscribers;
    if (v == "open") return PublishModel::open;
    return std::nullopt;
}

std::optional<SendLastPublished> parse_send_last(std::string_view v) {
    if (v == "never") return SendLastPublished::never;
    if (v == "on_sub") return SendLastPublished::on_sub;
    if (v == "on_sub_and_presence") return SendLastPublished::on_sub_and_presence;
    return std::nullopt;
}

// "max", or a decimal count without sign (at most 9 digits: no overflow).
std::optional<std::optional<std::size_t>> parse_max_items(std::string_view v) {
    if (v == "max") return std::optional<std::size_t>{};
    if (v.empty() || v.size() > 9) return std::nullopt;
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || end != v.data() + v.size()) return std::nullopt;
    return std::optional<std::size_t>{n};
}

// The one value of a single-valued field, or an error.
xmpp::Result<std::string, Error> single(std::string_view var, const std::vector<std::string>& values,
                                        bool empty_allowed) {
    if (values.size() > 1) return xmpp::fail(invalid(var, "more than one value"));
    if (values.empty()) {
        if (empty_allowed) return std::string{};
        return xmpp::fail(invalid(var, "no value"));
    }
    return values.front();
}

template <class T, class Parse>
std::optional<Error> set_enum(std::optional<T>& out, std::string_view var, const std::vector<std::string>& values,
                              Parse parse) {
    auto value = single(var, values, false);
    if (!value) return value.error();
    auto parsed = parse(*value);
    if (!parsed) return invalid(var, "unknown value '" + *value + "'");
    out = *parsed;
    return std::nullopt;
}

std::optional<Error> set_field(ConfigPatch& patch, std::string_view var, const std::vector<std::string>& values) {
    if (var == kMaxItems) {
        auto value = single(var, values, false);
        if (!value) return value.error();
        auto parsed = parse_max_items(*value);
        if (!parsed) return invalid(var, "not a count or 'max'");
        patch.max_items = *parsed;
        return std::nullopt;
    }
    if (var == kAccessModel) {
        if (values.size() == 1 && values.front() == "authorize") {
            return make_error(StanzaError::not_acceptable, Condition::unsupported_access_model,
                              "the authorize access model is not supported");
        }
        return set_enum(patch.access_model, var, values, parse_access);
    }
    if (var == kPublishModel) return set_enum(patch.publish_model, var, values, parse_publish);
    if (var == kSendLast) return set_enum(patch.send_last_published_item, var, values, parse_send_last);
    if (var == kPersistItems) return set_enum(patch.persist_items, var, values, parse_boolean);
    if (var == kDeliverPayloads) return set_enum(patch.deliver_payloads, var, values, parse_boolean);
    if (var == kNotifyRetract) return set_enum(patch.notify_retract, var, values, parse_boolean);
    if (var == kNotifyDelete) return set_enum(patch.notify_delete, var, values, parse_boolean);
    if (var == kRosterGroups) {
        patch.roster_groups_allowed = values;
        return std::nullopt;
    }
    if (var == kTitle || var == kType) {
        auto value = single(var, values, true);
        if (!value) return value.error();
        (var == kTitle ? patch.title : patch.type) = std::move(*value);
        return std::nullopt;
    }
    patch.unknown.emplace_back(var);
    return std::nullopt;
}

xmpp::Element bool_field(std::string_view var, std::string_view label, bool value) {
    xmpp::Element f = field(var, "boolean", label);
    add_value(f, value ? "1" : "0");
    return f;
}

}  // namespace

std::string_view to_string(AccessModel m) {
    switch (m) {
    case AccessModel::open: return "open";
    case AccessModel::presence: return "presence";
    case AccessModel::roster: return "roster";
    case AccessModel::whitelist: return "whitelist";
    }
    return {};
}

std::string_view to_string(PublishModel m) {
    switch (m) {
    case PublishModel::publishers: return "publishers";
    case PublishModel::subscribers: return "subscribers";
    case PublishModel::open: return "open";
    }
    return {};
}

std::string_view to_string(SendLastPublished s) {
    switch (s) {
    case SendLastPublished::never: return "never";
    case SendLastPublished::on_sub: return "on_sub";
    case SendLastPublished::on_sub_and_presence: return "on_sub_and_presence";
    }
    return {};
}

xmpp::Result<ConfigPatch, Error> parse_config_form(const xmpp::Element& x, std::string_view form_type,
                                                   const FormLimits& limits, bool form_type_optional) {
    if (x.name() != "x" || x.xmlns() != xmpp::ns::data_forms) {
        return xmpp::fail(make_error(StanzaError::bad_request, Condition::none, "not a data form"));
    }
    if (x.attr_or("type") != "submit") {
        return xmpp::fail(make_error(StanzaError::bad_request, Condition::none, "the form is not of type submit"));
    }
    ConfigPatch patch;
    std::set<std::string, std::less<>> seen;
    bool form_type_seen = false;
    std::size_t fields = 0;
    for (const auto& child : x.children()) {
        if (child.is_text() || child.name() != "field" || child.xmlns() != xmpp::ns::data_forms) continue;
        if (++fields > limits.max_fields) {
            return xmpp::fail(make_error(StanzaError::not_acceptable, Condition::invalid_options, "too many fields"));
        }
        const std::string* var = child.attr("var");
        if (!var || var->empty()) {
            return xmpp::fail(make_error(StanzaError::bad_request, Condition::none, "a field without var"));
        }
        if (var->size() > limits.max_value_bytes || !seen.insert(*var).second) {
            return xmpp::fail(make_error(StanzaError::bad_request, Condition::invalid_options,
                                         "a field given twice or with an over-long name"));
        }
        std::vector<std::string> values;
        for (const auto& v : child.children()) {
            if (v.is_text() || v.name() != "value" || v.xmlns() != xmpp::ns::data_forms) continue;
            if (values.size() == limits.max_values) {
                return xmpp::fail(
                    make_error(StanzaError::not_acceptable, Condition::invalid_options, *var + ": too many values"));
            }
            std::string text = v.text();
            if (text.size() > limits.max_value_bytes) {
                return xmpp::fail(
                    make_error(StanzaError::not_acceptable, Condition::invalid_options, *var + ": value too long"));
            }
            values.push_back(std::move(text));
        }
        if (*var == "FORM_TYPE") {
            if (values.size() != 1 || values.front() != form_type) {
                return xmpp::fail(make_error(StanzaError::bad_request, Condition::invalid_options,
                                             "FORM_TYPE is not " + std::string(form_type)));
            }
            form_type_seen = true;
            continue;
        }
        if (auto error = set_field(patch, *var, values)) return xmpp::fail(std::move(*error));
    }
    if (!form_type_seen && !form_type_optional) {
        return xmpp::fail(make_error(StanzaError::bad_request, Condition::invalid_options, "FORM_TYPE missing"));
    }
    return patch;
}

NodeConfig apply(NodeConfig config, const ConfigPatch& patch) {
    if (patch.max_items) config.max_items = *patch.max_items;
    if (patch.access_model) config.access_model = *patch.access_model;
    if (patch.publish_model) config.publish_model = *patch.publish_model;
    if (patch.persist_items) config.persist_items = *patch.persist_items;
    if (patch.deliver_payloads) config.deliver_payloads = *patch.deliver_payloads;
    if (patch.notify_retract) config.notify_retract = *patch.notify_retract;
    if (patch.notify_delete) config.notify_delete = *patch.notify_delete;
    if (patch.send_last_published_item) config.send_last_published_item = *patch.send_last_published_item;
    if (patch.roster_groups_allowed) config.roster_groups_allowed = *patch.roster_groups_allowed;
    if (patch.title) config.title = *patch.title;
    if (patch.type) config.type = *patch.type;
    return config;
}

bool satisfies(const NodeConfig& config, const ConfigPatch& patch) {
    if (!patch.unknown.empty()) return false;
    // Equal to the configuration the patch would make: every value it sets is
    // already there (groups compared as sets, order being no part of a list-multi).
    NodeConfig wanted = apply(config, patch);
    std::set<std::string> have(config.roster_groups_allowed.begin(), config.roster_groups_allowed.end());
    std::set<std::string> want(wanted.roster_groups_allowed.begin(), wanted.roster_groups_allowed.end());
    wanted.roster_groups_allowed = config.roster_groups_allowed;
    return have == want && wanted == config;
}

xmpp::Element config_form(const NodeConfig& config) {
    xmpp::Element x("x", std::string(xmpp::ns::data_forms));
    x.append_attr("type", "form");
    xmpp::Element form_type = field("FORM_TYPE", "hidden", {});
    add_value(form_type, xmpp::ns::pubsub_node_config);
    x.add_child(std::move(form_type));

    xmpp::Element max_items = field(kMaxItems, "text-single", "Maximum number of items to persist");
    add_value(max_items, config.max_items ? std::to_string(*config.max_items) : "max");
    x.add_child(std::move(max_items));

    xmpp::Element access = field(kAccessModel, "list-single", "Who may subscribe and retrieve items");
    add_value(access, to_string(config.access_model));
    for (auto m : {AccessModel::open, AccessModel::presence, AccessModel::roster, AccessModel::whitelist}) {
        add_option(access, to_string(m));
    }
    x.add_child(std::move(access));

    xmpp::Element publish = field(kPublishModel, "list-single", "Who may publish items");
    add_value(publish, to_string(config.publish_model));
    for (auto m : {PublishModel::publishers, PublishModel::subscribers, PublishModel::open}) {
        add_option(publish, to_string(m));
    }
    x.add_child(std::move(publish));

    x.add_child(bool_field(kPersistItems, "Persist items", config.persist_items));
    x.add_child(bool_field(kDeliverPayloads, "Deliver payloads with event notifications", config.deliver_payloads));
    x.add_child(bool_field(kNotifyRetract, "Notify subscribers when items are removed", config.notify_retract));
    x.add_child(bool_field(kNotifyDelete, "Notify subscribers when the node is deleted", config.notify_delete));

    xmpp::Element send_last = field(kSendLast, "list-single", "When to send the last published item");
    add_value(send_last, to_string(config.send_last_published_item));
    for (auto s : {SendLastPublished::never, SendLastPublished::on_sub, SendLastPublished::on_sub_and_presence}) {
        add_option(send_last, to_string(s));
    }
    x.add_child(std::move(send_last));

    xmpp::Element groups = field(kRosterGroups, "list-multi", "Roster groups allowed to subscribe");
    for (const auto& group : config.roster_groups_allowed) add_value(groups, group);
    x.add_child(std::move(groups));

    xmpp::Element title = field(kTitle, "text-single", "A friendly name for the node");
    add_value(title, config.title);
    x.add_child(std::move(title));
    xmpp::Element type = field(kType, "text-single", "The type of node data, usually a namespace");
    add_value(type, config.type);
    x.add_child(std::move(type));
    return x;
}

}  // namespace pubsub
