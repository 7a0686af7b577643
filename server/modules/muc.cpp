// Module "muc", Multi-User Chat (XEP-0045): a group chat service on
// conference.HOST for every served host, or the [[hosts]] entry's
// muc_domain (conf/config.hpp; "" for none on that host),
// listed in the host's disco#items, with rooms made by whoever enters them
// first (MucService, muc_service.hpp; the rooms themselves are muc/room.hpp);
// persistent rooms are stored (store::MucStore) and loaded at start-up.
// Occupant ids (XEP-0421) and self-ping (XEP-0410) are the rooms' own.
// XEP-0249 direct invitations are messages between users, routed as any
// other. Switch the service off with modules_disabled = ["muc"].
//
// [modules.muc] options bound what users can make it hold: rooms per
// service, occupants per room, history, nick length, rooms per user, and
// the message rate per occupant.
#include <memory>
#include <string>
#include <vector>

#include "server/modules/modules.hpp"
#include "server/modules/muc_service.hpp"
#include "server/router/router.hpp"
#include "server/system/log.hpp"

namespace server::modules {

namespace {

void load_muc(ModuleHost& host, Services& services, const conf::ModuleOptions& options) {
    MucOptions o;
    o.max_rooms = static_cast<std::size_t>(options.integer("max_rooms"));
    o.max_rooms_per_user = static_cast<std::size_t>(options.integer("max_rooms_per_user"));
    o.room.config.max_users = static_cast<std::size_t>(options.integer("max_occupants"));
    o.room.config.max_history = static_cast<std::size_t>(options.integer("history_max"));
    o.history_default = std::min(static_cast<std::size_t>(options.integer("history_default")), o.room.config.max_history);
    o.room.max_nick_bytes = static_cast<std::size_t>(options.integer("max_nick_length"));
    o.room.message_rate = static_cast<double>(options.integer("message_rate"));
    o.room.message_burst = static_cast<std::size_t>(options.integer("message_burst"));
    auto service = std::make_shared<MucService>(services, std::move(o));

    // Each host's service domain, in the order of the hosts.
    std::vector<std::pair<std::string, std::string>> served;  // (service domain, host)
    for (const auto& h : services.current_config()->hosts)
        if (std::string domain = h.muc_domain.value_or("conference." + h.domain); !domain.empty())
            served.emplace_back(std::move(domain), h.domain);
    std::vector<std::string> domains;
    for (const auto& [domain, h] : served) domains.push_back(domain);
    if (const std::size_t loaded = service->load_stored(domains)) {
        XLOG(info) << "muc: " << loaded << " persistent rooms loaded";
    }
    for (const auto& [domain, h] : served)
        host.add_service_domain({domain, h, "Chat rooms",
                                 [service](xmpp::Element&& stanza, const xmpp::Jid& from, const xmpp::Jid& to,
                                           Router& router) { service->handle(std::move(stanza), from, to, router); }});
    host.hooks().session_ended.push_back([service](const xmpp::Jid& full) { service->session_ended(full); });
    host.hooks().account_removed.push_back([service](const xmpp::Jid& bare) { service->account_removed(bare); });
}

}  // namespace

Module muc_module() {
    return {
        .schema = {.name = "muc",
                   .options = {{"max_rooms", 10000, 1, 10000000},
                               {"max_occupants", 200, 1, 100000},
                               {"history_default", 20, 0, 1000},
                               {"history_max", 50, 0, 1000},
                               {"max_nick_length", 64, 1, 1023},
                               {"max_rooms_per_user", 100, 1, 100000},
                               {"message_rate", 5, 0, 100000},
                               {"message_burst", 20, 1, 100000}}},
        .protocols = {{"XEP-0045", "Multi-User Chat: rooms on conference.HOST (see README, Group chat)"},
                      {"XEP-0421", "Anonymous unique occupant identifiers for MUCs"},
                      {"XEP-0410", "MUC Self-Ping (answered by the room)"}},
        .needs = {Service::router, Service::sessions, Service::stores, Service::storage},
        .load = load_muc,
    };
}

}  // namespace server::modules
