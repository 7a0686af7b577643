#include "server/modules/im_context.hpp"

#include <memory>

#include "server/router/router.hpp"

namespace server::modules {

std::shared_ptr<ImContext> ImContext::shared(ModuleHost& host, Services& services) {
    return host.shared<ImContext>([&] { return std::make_shared<ImContext>(services, *services.stores); });
}

bool ImContext::account_exists(const xmpp::Jid& bare) const {
    return services.accounts && services.accounts->find(bare.local(), bare.domain()).has_value();
}

store::RosterRow ImContext::relation(const xmpp::Jid& owner, const std::string& contact, bool* existed) {
    auto row = roster.row(owner.local(), owner.domain(), contact);
    if (existed) *existed = row.has_value();
    if (row) return *row;
    store::RosterRow fresh;
    fresh.contact = contact;
    fresh.state = xmpp::to_int(xmpp::SubState::none);
    fresh.in_roster = false;
    return fresh;
}

void ImContext::save(const xmpp::Jid& owner, const store::RosterRow& row, bool was_in_roster) {
    const bool empty = !row.in_roster && row.state == xmpp::to_int(xmpp::SubState::none);
    auto ver = empty ? roster.remove(owner.local(), owner.domain(), row.contact)
                     : roster.put(owner.local(), owner.domain(), row);
    if (!ver) return;
    if (row.in_roster) {
        push(owner, roster_item(row), *ver);
    } else if (was_in_roster) {
        xmpp::Element item("item", std::string(roster_ns));
        item.set_attr("jid", row.contact);
        item.set_attr("subscription", "remove");
        push(owner, item, *ver);
    }
}

void ImContext::push(const xmpp::Jid& owner, const xmpp::Element& item, std::int64_t ver) {
    xmpp::Element iq("iq", std::string(xmpp::ns::client));
    iq.set_attr("type", "set");
    iq.set_attr("id", "push" + std::to_string(next_push++));
    auto& query = iq.add_child(xmpp::Element("query", std::string(roster_ns)));
    query.set_attr("ver", std::to_string(ver));
    query.add_child(item);
    delivery().roster_push(iq, owner);
}

Delivery& ImContext::delivery() const { return services.router->delivery(); }

xmpp::Element roster_item(const store::RosterRow& row) {
    xmpp::Element item("item", std::string(roster_ns));
    item.set_attr("jid", row.contact);
    if (!row.name.empty()) item.set_attr("name", row.name);
    const xmpp::SubState state = xmpp::sub_state_from_int(row.state).value_or(xmpp::SubState::none);
    item.set_attr("subscription", std::string(xmpp::subscription_attr(state)));
    if (xmpp::has_pending_out(state)) item.set_attr("ask", "subscribe");
    for (const auto& group : row.groups)
        item.add_child(xmpp::Element("group", std::string(roster_ns))).add_text(group);
    return item;
}

}  // namespace server::modules
