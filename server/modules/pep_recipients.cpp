#include "server/modules/pep_recipients.hpp"

#include <map>
#include <set>

#include "xmpp/subscription_state.hpp"

namespace server::modules {

pubsub::Requester pep_requester(const xmpp::Jid& owner, const std::string& who, const store::RosterRow* row) {
    pubsub::Requester r;
    r.jid = who;
    if (who == owner.bare_string()) {
        r.service_owner = true;
        return r;
    }
    if (!row || !row->in_roster) return r;
    r.in_roster = true;
    r.roster_groups = row->groups;
    auto state = xmpp::sub_state_from_int(row->state);
    r.presence_subscribed = state && xmpp::has_from(*state);
    return r;
}

std::vector<xmpp::Jid> pep_recipients(const xmpp::Jid& owner, const pubsub::Notification& notification,
                                      const std::vector<store::RosterRow>& owner_roster, const PepPresence& presence) {
    std::map<std::string, const store::RosterRow*> rows;
    for (const auto& row : owner_roster) rows.emplace(row.contact, &row);
    auto admitted = [&](const std::string& bare) {
        auto it = rows.find(bare);
        return notification.access.admits(pep_requester(owner, bare, it == rows.end() ? nullptr : it->second));
    };

    std::vector<xmpp::Jid> out;
    std::set<std::string> reached;
    auto add = [&](const xmpp::Jid& full) {
        if (reached.insert(full.full()).second) out.push_back(full);
    };
    auto interested = [&](const xmpp::Jid& bare) {
        for (const auto& full : presence.available(bare))
            if (presence.wants_notify(full, notification.node)) add(full);
    };

    if (notification.owner_contacts) {
        if (admitted(owner.bare_string())) interested(owner.bare());
        for (const auto& row : owner_roster) {
            auto state = xmpp::sub_state_from_int(row.state);
            if (!row.in_roster || !state || !xmpp::has_from(*state)) continue;
            auto contact = xmpp::Jid::parse(row.contact);
            if (!contact || !contact->is_bare() || *contact == owner.bare() || !admitted(row.contact)) continue;
            interested(*contact);
        }
    }
    for (const auto& subscriber : notification.subscribers) {
        auto jid = xmpp::Jid::parse(subscriber);
        if (!jid || !admitted(jid->bare_string())) continue;
        for (const auto& full : presence.available(jid->bare()))
            if (jid->is_bare() || full == *jid) add(full);
    }
    return out;
}

}  // namespace server::modules
