// Module "roster": roster management (RFC 6121 §2) with roster versioning
// (XEP-0237, RFC 6121 §2.6): get, set, remove, and pushes to every resource
// that asked for the roster. The version is a per-account counter raised by
// every change; a get with the current version is answered with an empty
// result (the client's cache is current), any other with the whole roster.
// Removing an item cancels the subscriptions both ways (§2.5.2), through the
// presence module.
#include <set>

#include "server/modules/im_context.hpp"
#include "server/modules/modules.hpp"
#include "server/modules/presence.hpp"
#include "server/router/router.hpp"
#include "server/router/session_manager.hpp"
#include "server/core/storage_executor.hpp"

namespace server::modules {

namespace {

// The answer to the account's own request: no 'from' (RFC 6121 §2.1.4 allows it).
xmpp::Element own_result(const IqRequest& request) {
    auto result = make_iq_result(request);
    result.remove_attr("from");
    return result;
}

void roster_get(ImContext& im, IqRequest& request, Router& router) {
    const xmpp::Jid& user = request.to;
    im.services.sessions->set_roster_interested(request.from);
    const xmpp::Element* query = request.iq.child("query", roster_ns);
    if (!query) return router.bounce(request.iq, xmpp::StanzaError::bad_request);
    const std::int64_t ver = im.roster.version(user.local(), user.domain());
    auto result = own_result(request);
    if (const std::string* asked = query->attr("ver"); asked && *asked == std::to_string(ver) && ver > 0) {
        router.send(result);  // §2.6.3: the cached roster is current; pushes may follow
        return;
    }
    auto& answer = result.add_child(xmpp::Element("query", std::string(roster_ns)));
    answer.set_attr("ver", std::to_string(ver));
    for (const auto& row : im.roster.rows(user.local(), user.domain()))
        if (row.in_roster) answer.add_child(roster_item(row));
    router.send(result);
}

// Checks one <item/> of a roster set (§2.3.3); the error to answer, if any.
std::optional<xmpp::StanzaError> check_item(const xmpp::Element& item, const conf::LimitsConfig& limits,
                                            std::string* text) {
    const std::string* jid = item.attr("jid");
    if (!jid || !xmpp::Jid::parse(*jid)) {
        *text = "The item needs a valid jid";
        return xmpp::StanzaError::bad_request;
    }
    if (item.attr_or("name").size() > limits.max_roster_item_name_bytes) {
        *text = "The item name is too long";
        return xmpp::StanzaError::not_acceptable;
    }
    std::set<std::string> groups;
    for (const auto& child : item.children()) {
        if (child.is_text() || child.name() != "group") continue;
        const std::string name = child.text();
        if (name.empty()) {
            *text = "An empty group name";
            return xmpp::StanzaError::not_acceptable;
        }
        if (name.size() > limits.max_roster_group_name_bytes) {
            *text = "A group name is too long";
            return xmpp::StanzaError::not_acceptable;
        }
        if (!groups.insert(name).second) {
            *text = "The same group twice";
            return xmpp::StanzaError::bad_request;
        }
    }
    if (groups.size() > limits.max_roster_item_groups) {
        *text = "Too many groups";
        return xmpp::StanzaError::not_acceptable;
    }
    return std::nullopt;
}

void roster_set(ImContext& im, IqRequest& request, Router& router) {
    const xmpp::Jid& user = request.to;
    const xmpp::Element* query = request.iq.child("query", roster_ns);
    if (!query) return router.bounce(request.iq, xmpp::StanzaError::bad_request);
    const xmpp::Element* item = nullptr;
    std::size_t items = 0;
    for (const auto& child : query->children()) {
        if (child.is_text()) continue;
        ++items;
        if (child.name() == "item" && child.xmlns() == roster_ns) item = &child;
    }
    if (items != 1 || !item)
        return router.bounce(request.iq, xmpp::StanzaError::bad_request, "A roster set carries exactly one item");
    // Limits of RFC 6121 §2.3.3 / §2.1.2, from [limits] (read once per request: reload may swap them).
    const auto config = im.services.current_config();
    std::string text;
    if (auto error = check_item(*item, config->limits, &text)) return router.bounce(request.iq, *error, text);
    const xmpp::Jid contact = *xmpp::Jid::parse(*item->attr("jid"));
    const std::string key = contact.full();

    bool existed = false;
    store::RosterRow row = im.relation(user, key, &existed);
    const bool was_in_roster = row.in_roster;

    if (item->attr_or("subscription") == "remove") {
        if (!was_in_roster) return router.bounce(request.iq, xmpp::StanzaError::item_not_found);
        // §2.5.2: cancel both directions, then forget the item.
        const xmpp::SubState state = xmpp::sub_state_from_int(row.state).value_or(xmpp::SubState::none);
        if (contact.is_bare() && !contact.local().empty())
            for (const xmpp::SubStanza kind : xmpp::cancellations(state))
                outbound_subscription(im, request.from, contact, kind, false);
        row.in_roster = false;
        row.state = xmpp::to_int(xmpp::SubState::none);
        im.save(user, row, true);
        return router.send(own_result(request));
    }

    if (!was_in_roster && im.roster.roster_size(user.local(), user.domain()) >= config->limits.max_roster_items)
        return router.bounce(request.iq, xmpp::StanzaError::not_allowed, "The roster is full");
    row.in_roster = true;
    row.name = std::string(item->attr_or("name"));
    row.groups.clear();
    for (const auto& child : item->children())
        if (!child.is_text() && child.name() == "group") row.groups.push_back(child.text());
    im.save(user, row, was_in_roster);
    router.send(own_result(request));
}

// Runs `fn` on the storage thread for a request to the requester's own
// account; another account's roster is not theirs to read (§2.1.5).
template <class Fn>
IqHandler on_own_roster(std::shared_ptr<ImContext> im, Fn fn) {
    return [im, fn](IqRequest&& request, Router& router) {
        if (request.to != request.from.bare()) return router.bounce(request.iq, xmpp::StanzaError::forbidden);
        auto work = [im, fn, request = std::move(request), &router]() mutable { fn(*im, request, router); };
        im->services.storage->post(std::move(work));
    };
}

void load_roster(ModuleHost& host, Services& services, const conf::ModuleOptions&) {
    auto im = ImContext::shared(host, services);
    host.add_stream_feature(xmpp::Element("ver", std::string(xmpp::ns::roster_versioning)));
    host.on_iq(IqTarget::account, "get", roster_ns, on_own_roster(im, roster_get));
    host.on_iq(IqTarget::account, "set", roster_ns, on_own_roster(im, roster_set));
}

}  // namespace

Module roster_module() {
    return {
        .schema = {.name = "roster"},
        .protocols = {{"RFC 6121", "XMPP IM: roster management (§2)"}, {"XEP-0237", "Roster Versioning"}},
        .needs = {Service::stores, Service::storage, Service::sessions, Service::accounts, Service::router},
        .load = load_roster,
    };
}

}  // namespace server::modules
