// Module "last", Last Activity (XEP-0012): asked of the server, its uptime;
// asked of an account (by the account itself or by a contact it lets see its
// presence, RFC 6121 subscription 'from' or 'both'; anyone else gets
// <forbidden/>), 0 seconds while it has an available resource, else the
// seconds since its last resource went away and the status it left with. The
// moment is written when the last available resource of an account goes
// unavailable or ends.
#include <chrono>
#include <memory>

#include "server/modules/modules.hpp"
#include "xmpp/subscription_state.hpp"
#include "server/router/router.hpp"
#include "server/router/session_manager.hpp"
#include "server/core/storage_executor.hpp"
#include "server/store/storage.hpp"
#include "xmpp/datetime.hpp"
#include "xmpp/namespaces.hpp"

namespace server::modules {

namespace {

constexpr std::string_view last_ns = xmpp::ns::last;

struct Last {
    Last(Services& s, store::Storage& stores)
        : services(s), store(stores.user_data()), roster(stores.roster()) {}
    Services& services;
    store::UserDataStore& store;
    store::RosterStore& roster;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

    // Storage thread.
    void went_away(const xmpp::Jid& full, const std::string& status) {
        if (services.sessions->has_available(full.bare())) return;
        store.set_last_activity(full.local(), full.domain(), {xmpp::unix_seconds_now(), status});
    }
};

xmpp::Element answer(const IqRequest& request, std::int64_t seconds, const std::string& status) {
    auto result = make_iq_result(request);
    auto& query = result.add_child(xmpp::Element("query", std::string(last_ns)));
    query.set_attr("seconds", std::to_string(seconds));
    if (!status.empty()) query.add_text(status);
    return result;
}

void account_last(Last& l, IqRequest& request, Router& router) {
    const xmpp::Jid& owner = request.to;
    if (!l.services.accounts->find(owner.local(), owner.domain()))
        return router.bounce(request.iq, xmpp::StanzaError::service_unavailable);
    if (request.from.bare() != owner) {
        auto row = l.roster.row(owner.local(), owner.domain(), request.from.bare_string());
        if (!row || !xmpp::has_from(xmpp::sub_state_from_int(row->state).value_or(xmpp::SubState::none)))
            return router.bounce(request.iq, xmpp::StanzaError::forbidden);
    }
    if (l.services.sessions->has_available(owner)) return router.send(answer(request, 0, {}));
    auto last = l.store.last_activity(owner.local(), owner.domain());
    if (!last) return router.bounce(request.iq, xmpp::StanzaError::item_not_found);
    router.send(answer(request, std::max<std::int64_t>(0, xmpp::unix_seconds_now() - last->stamp), last->status));
}

void load_last(ModuleHost& host, Services& services, const conf::ModuleOptions&) {
    host.add_feature(IqTarget::host, std::string(last_ns));
    auto l = std::make_shared<Last>(services, *services.stores);

    host.on_iq(IqTarget::host, "get", last_ns, [l](IqRequest&& request, Router& router) {
        const auto up = std::chrono::steady_clock::now() - l->started;
        router.send(answer(request, std::chrono::duration_cast<std::chrono::seconds>(up).count(), {}));
    });
    host.on_iq(IqTarget::account, "get", last_ns, [l](IqRequest&& request, Router& router) {
        auto work = [l, request = std::move(request), &router]() mutable { account_last(*l, request, router); };
        l->services.storage->post(std::move(work));
    });
    host.hooks().own_presence.push_back([l](const xmpp::Element& presence, const xmpp::Jid& from, bool) {
        if (presence.attr_or("type") != "unavailable") return;
        auto work = [l, from, status = presence.child_text("status", xmpp::ns::client)] { l->went_away(from, status); };
        l->services.storage->post(std::move(work));
    });
    host.hooks().session_ended.push_back([l](const xmpp::Jid& full) {
        auto work = [l, full] { l->went_away(full, {}); };
        l->services.storage->post(std::move(work));
    });
}

}  // namespace

Module last_module() {
    return {
        .schema = {.name = "last"},
        .protocols = {{"XEP-0012", "Last Activity"}},
        .needs = {Service::stores, Service::storage, Service::sessions, Service::accounts},
        .load = load_last,
    };
}

}  // namespace server::modules
