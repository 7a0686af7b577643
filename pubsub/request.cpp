#include "pubsub/request.hpp"

#include <charconv>

#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

namespace pubsub {

namespace {

using xmpp::fail;
using xmpp::StanzaError;
using Parsed = xmpp::Result<Request, Error>;

Error bad(std::string text, Condition c = Condition::none) {
    return make_error(StanzaError::bad_request, c, std::move(text));
}

// The element children of `e`, text runs skipped.
std::vector<const xmpp::Element*> elements(const xmpp::Element& e) {
    std::vector<const xmpp::Element*> out;
    for (const auto& child : e.children()) {
        if (!child.is_text()) out.push_back(&child);
    }
    return out;
}

// The required 'node' attribute of a request element.
xmpp::Result<std::string, Error> node_of(const xmpp::Element& e, const ParseLimits& limits) {
    std::string node(e.attr_or("node"));
    if (node.empty()) return fail(bad("a node is required", Condition::nodeid_required));
    if (node.size() > limits.max_node_bytes) {
        return fail(make_error(StanzaError::not_acceptable, Condition::none, "node name too long"));
    }
    return node;
}

std::optional<std::string> optional_node(const xmpp::Element& e) {
    if (const std::string* node = e.attr("node"); node && !node->empty()) return *node;
    return std::nullopt;
}

xmpp::Result<std::string, Error> item_id_of(const xmpp::Element& item, const ParseLimits& limits, bool required) {
    std::string id(item.attr_or("id"));
    if (id.empty() && required) return fail(bad("an item id is required", Condition::item_required));
    if (id.size() > limits.max_node_bytes) {
        return fail(make_error(StanzaError::not_acceptable, Condition::none, "item id too long"));
    }
    return id;
}

Parsed parse_publish(const xmpp::Element& publish, const xmpp::Element* options, const ParseLimits& limits) {
    auto node = node_of(publish, limits);
    if (!node) return fail(node.error());
    Publish request{*node, std::nullopt, std::nullopt};
    auto children = elements(publish);
    if (children.size() > 1) return fail(bad("one item per publish", Condition::invalid_payload));
    if (!children.empty()) {
        const xmpp::Element& item = *children.front();
        if (item.name() != "item" || item.xmlns() != xmpp::ns::pubsub) {
            return fail(bad("publish holds an item", Condition::invalid_payload));
        }
        auto id = item_id_of(item, limits, false);
        if (!id) return fail(id.error());
        PublishItem published{*id, std::nullopt, 0};
        auto payload = elements(item);
        if (payload.size() > 1) return fail(bad("one payload per item", Condition::invalid_payload));
        if (!payload.empty()) {
            published.bytes = xmpp::to_string(*payload.front(), xmpp::ns::pubsub).size();
            if (published.bytes > limits.max_payload_bytes) {
                return fail(make_error(StanzaError::not_acceptable, Condition::payload_too_big));
            }
            published.payload = *payload.front();
        }
        request.item = std::move(published);
    }
    if (options) {
        auto forms = elements(*options);
        if (forms.size() > 1) return fail(bad("one form in publish-options"));
        if (!forms.empty()) {
            auto patch = parse_config_form(*forms.front(), xmpp::ns::pubsub_publish_options, limits.form, true);
            if (!patch) return fail(patch.error());
            request.options = std::move(*patch);
        }
    }
    return Request{std::move(request)};
}

Parsed parse_retract(const xmpp::Element& retract, const ParseLimits& limits) {
    auto node = node_of(retract, limits);
    if (!node) return fail(node.error());
    Retract request{*node, {}, std::nullopt};
    if (const std::string* notify = retract.attr("notify")) {
        const bool yes = *notify == "1" || *notify == "true";
        if (!yes && *notify != "0" && *notify != "false") return fail(bad("notify is a boolean"));
        request.notify = yes;
    }
    auto children = elements(retract);
    if (children.empty()) return fail(bad("retract names an item", Condition::item_required));
    if (children.size() > 1) return fail(bad("one item per retract"));
    if (children.front()->name() != "item") return fail(bad("retract names an item", Condition::item_required));
    auto id = item_id_of(*children.front(), limits, true);
    if (!id) return fail(id.error());
    request.item_id = *id;
    return Request{std::move(request)};
}

Parsed parse_items(const xmpp::Element& items, const ParseLimits& limits) {
    auto node = node_of(items, limits);
    if (!node) return fail(node.error());
    GetItems request{*node, std::nullopt, {}};
    if (const std::string* max = items.attr("max_items")) {
        std::size_t n = 0;
        auto [end, ec] = std::from_chars(max->data(), max->data() + max->size(), n);
        if (max->empty() || max->size() > 9 || ec != std::errc{} || end != max->data() + max->size() || n == 0) {
            return fail(bad("max_items is a positive integer"));
        }
        request.max_items = n;
    }
    for (const auto* item : elements(items)) {
        if (item->name() != "item") return fail(bad("items holds only items"));
        if (request.ids.size() == limits.max_ids) {
            return fail(make_error(StanzaError::not_acceptable, Condition::none, "too many item ids"));
        }
        auto id = item_id_of(*item, limits, true);
        if (!id) return fail(bad("an item id is required"));
        request.ids.push_back(*id);
    }
    return Request{std::move(request)};
}

xmpp::Result<std::pair<std::string, std::string>, Error> node_and_jid(const xmpp::Element& e,
                                                                      const ParseLimits& limits) {
    auto node = node_of(e, limits);
    if (!node) return fail(node.error());
    std::string jid(e.attr_or("jid"));
    if (jid.empty()) return fail(bad("a jid is required", Condition::jid_required));
    if (jid.size() > 3 * 1024 + 2) return fail(bad("jid too long", Condition::invalid_jid));
    return std::pair{*node, jid};
}

xmpp::Result<std::optional<ConfigPatch>, Error> configure_form(const xmpp::Element* configure,
                                                               const ParseLimits& limits) {
    if (!configure) return std::optional<ConfigPatch>{};
    auto forms = elements(*configure);
    if (forms.empty()) return std::optional<ConfigPatch>{};
    if (forms.size() > 1) return fail(bad("one form in configure"));
    auto patch = parse_config_form(*forms.front(), xmpp::ns::pubsub_node_config, limits.form);
    if (!patch) return fail(patch.error());
    return std::optional<ConfigPatch>{std::move(*patch)};
}

Parsed parse_user(const std::vector<const xmpp::Element*>& children, bool is_set, const ParseLimits& limits) {
    const xmpp::Element* action = nullptr;
    const xmpp::Element* companion = nullptr;  // publish-options, configure (of create), options (of subscribe)
    for (const auto* child : children) {
        if (child->xmlns() != xmpp::ns::pubsub) return fail(bad("a foreign element in pubsub"));
        const auto& name = child->name();
        if (name == "publish-options" || name == "configure" || (name == "options" && children.size() > 1)) {
            if (companion) return fail(bad("more than one option element"));
            companion = child;
        } else {
            if (action) return fail(bad("more than one action in pubsub"));
            action = child;
        }
    }
    if (!action) return fail(bad("no action in pubsub"));
    const std::string& name = action->name();
    auto companion_is = [&](std::string_view allowed) { return !companion || companion->name() == allowed; };
    auto wrong_type = [&] { return fail(bad(name + " in an iq of the wrong type")); };
    if (name == "publish") {
        if (!is_set) return wrong_type();
        if (!companion_is("publish-options")) return fail(bad("publish takes only publish-options"));
        return parse_publish(*action, companion, limits);
    }
    if (name == "create") {
        if (!is_set) return wrong_type();
        if (!companion_is("configure")) return fail(bad("create takes only configure"));
        std::string node(action->attr_or("node"));
        if (node.empty()) {
            return fail(
                make_error(StanzaError::not_acceptable, Condition::nodeid_required, "instant nodes are not supported"));
        }
        if (node.size() > limits.max_node_bytes) {
            return fail(make_error(StanzaError::not_acceptable, Condition::none, "node name too long"));
        }
        auto config = configure_form(companion, limits);
        if (!config) return fail(config.error());
        return Request{Create{std::move(node), std::move(*config)}};
    }
    if (name == "subscribe") {
        if (!is_set) return wrong_type();
        // Subscription options are not offered; options sent along are ignored
        // (XEP-0060 §6.3.7: a subscribe with options the service cannot honour
        // still subscribes with its defaults).
        if (!companion_is("options")) return fail(bad("subscribe takes only options"));
        auto target = node_and_jid(*action, limits);
        if (!target) return fail(target.error());
        return Request{Subscribe{target->first, target->second}};
    }
    if (companion) return fail(bad(companion->name() + " without its action"));
    if (name == "retract") return is_set ? parse_retract(*action, limits) : wrong_type();
    if (name == "unsubscribe") {
        if (!is_set) return wrong_type();
        auto target = node_and_jid(*action, limits);
        if (!target) return fail(target.error());
        return Request{Unsubscribe{target->first, target->second}};
    }
    if (name == "items") return is_set ? wrong_type() : parse_items(*action, limits);
    if (name == "subscriptions")
        return is_set ? wrong_type() : Parsed(Request{GetSubscriptions{optional_node(*action)}});
    if (name == "affiliations") return is_set ? wrong_type() : Parsed(Request{GetAffiliations{optional_node(*action)}});
    if (name == "options") {
        return fail(unsupported(StanzaError::feature_not_implemented, "subscription-options"));
    }
    if (name == "default") {
        return fail(unsupported(StanzaError::feature_not_implemented, "retrieve-default-sub"));
    }
    return fail(make_error(StanzaError::feature_not_implemented, Condition::none, "unknown pubsub request " + name));
}

Parsed parse_owner(const std::vector<const xmpp::Element*>& children, bool is_set, const ParseLimits& limits) {
    if (children.size() != 1) return fail(bad("one action in pubsub#owner"));
    const xmpp::Element& action = *children.front();
    if (action.xmlns() != xmpp::ns::pubsub_owner) return fail(bad("a foreign element in pubsub#owner"));
    const std::string& name = action.name();
    auto wrong_type = [&] { return fail(bad(name + " in an iq of the wrong type")); };
    if (name == "default") return is_set ? wrong_type() : Parsed(Request{GetDefault{}});
    if (name == "configure") {
        auto node = node_of(action, limits);
        if (!node) return fail(node.error());
        if (!is_set) return Request{ConfigureGet{*node}};
        auto forms = elements(action);
        if (forms.size() != 1) return fail(bad("configure set holds one form"));
        if (forms.front()->name() == "x" && forms.front()->xmlns() == xmpp::ns::data_forms &&
            forms.front()->attr_or("type") == "cancel") {
            return Request{ConfigureSet{*node, std::nullopt, true}};
        }
        auto config = configure_form(&action, limits);
        if (!config) return fail(config.error());
        return Request{ConfigureSet{*node, std::move(*config), false}};
    }
    if (name == "delete" || name == "purge") {
        if (!is_set) return wrong_type();
        auto node = node_of(action, limits);
        if (!node) return fail(node.error());
        if (name == "purge") return Request{Purge{*node}};
        std::string redirect;
        if (const xmpp::Element* r = action.child("redirect", xmpp::ns::pubsub_owner)) {
            redirect = r->attr_or("uri");
            if (redirect.size() > limits.form.max_value_bytes) return fail(bad("redirect too long"));
        }
        return Request{Delete{*node, std::move(redirect)}};
    }
    if (name == "subscriptions") {
        if (is_set) return fail(unsupported(StanzaError::feature_not_implemented, "manage-subscriptions"));
        auto node = node_of(action, limits);
        if (!node) return fail(node.error());
        return Request{OwnerGetSubscriptions{*node}};
    }
    if (name == "affiliations") {
        auto node = node_of(action, limits);
        if (!node) return fail(node.error());
        if (!is_set) return Request{OwnerGetAffiliations{*node}};
        OwnerSetAffiliations request{*node, {}};
        for (const auto* entry : elements(action)) {
            if (entry->name() != "affiliation") return fail(bad("affiliations holds affiliation elements"));
            if (request.changes.size() == limits.max_ids) {
                return fail(make_error(StanzaError::not_acceptable, Condition::none, "too many affiliations"));
            }
            std::string jid(entry->attr_or("jid"));
            if (jid.empty()) return fail(bad("an affiliation names a jid", Condition::jid_required));
            auto affiliation = affiliation_from_string(entry->attr_or("affiliation"));
            if (!affiliation) return fail(bad("unknown affiliation"));
            request.changes.emplace_back(std::move(jid), *affiliation);
        }
        if (request.changes.empty()) return fail(bad("no affiliation to change"));
        return Request{std::move(request)};
    }
    return fail(
        make_error(StanzaError::feature_not_implemented, Condition::none, "unknown pubsub#owner request " + name));
}

}  // namespace

std::string_view to_string(Affiliation a) {
    switch (a) {
    case Affiliation::none: return "none";
    case Affiliation::owner: return "owner";
    case Affiliation::publisher: return "publisher";
    case Affiliation::member: return "member";
    case Affiliation::outcast: return "outcast";
    }
    return {};
}

std::optional<Affiliation> affiliation_from_string(std::string_view s) {
    for (auto a :
         {Affiliation::none, Affiliation::owner, Affiliation::publisher, Affiliation::member, Affiliation::outcast}) {
        if (s == to_string(a)) return a;
    }
    return std::nullopt;
}

xmpp::Result<Request, Error> parse_request(const xmpp::Element& pubsub, bool is_set, const ParseLimits& limits) {
    if (pubsub.name() != "pubsub") return fail(bad("not a pubsub element"));
    auto children = elements(pubsub);
    if (pubsub.xmlns() == xmpp::ns::pubsub) return parse_user(children, is_set, limits);
    if (pubsub.xmlns() == xmpp::ns::pubsub_owner) return parse_owner(children, is_set, limits);
    return fail(bad("not a pubsub namespace"));
}

}  // namespace pubsub
