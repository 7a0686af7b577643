#include "server/accounts/account_deletion.hpp"

#include "server/system/log.hpp"
#include "server/core/metrics.hpp"
#include "server/core/module_host.hpp"
#include "server/router/router.hpp"
#include "server/router/session_manager.hpp"
#include "server/core/storage_executor.hpp"
#include "server/store/storage.hpp"

namespace server {

namespace {

constexpr std::string_view closing_text = "Account deleted";

}  // namespace

AccountDeletion::AccountDeletion(Services& services) : services_(services) {}

void AccountDeletion::watch_session_ends() {
    services_.modules->hooks().session_ended.push_back([this](const xmpp::Jid& full) {
        const xmpp::Jid bare = full.bare();
        {
            std::lock_guard lock(mutex_);
            if (!waiting_.count(bare.bare_string())) return;
        }
        close_sessions(bare);  // one that bound while the others were closing
        settle(bare);
    });
}

void AccountDeletion::remove(const xmpp::Jid& bare_jid, Done done) {
    auto work = [this, bare = bare_jid.bare(), done = std::move(done)]() mutable {
        if (!services_.accounts->find(bare.local(), bare.domain())) return done(Outcome::not_found);
        {
            std::lock_guard lock(mutex_);
            auto [it, fresh] = waiting_.try_emplace(bare.bare_string());
            it->second.push_back(std::move(done));
            if (!fresh) return;  // a deletion of this account is already under way
        }
        close_sessions(bare);
        settle(bare);
    };
    services_.storage->post(std::move(work));
}

void AccountDeletion::close_sessions(const xmpp::Jid& bare) const {
    for (const auto& r : services_.sessions->resources(bare))
        r.session->close_with(xmpp::StreamError::not_authorized, std::string(closing_text));
}

void AccountDeletion::settle(const xmpp::Jid& bare) {
    std::vector<Done> waiting;
    {
        std::lock_guard lock(mutex_);
        if (!services_.sessions->resources(bare).empty()) return;  // the last one's end calls again
        auto it = waiting_.find(bare.bare_string());
        if (it == waiting_.end()) return;  // already settled by another session's end
        waiting = std::move(it->second);
        waiting_.erase(it);
    }
    auto work = [this, bare, waiting = std::move(waiting)]() mutable { finish(bare, std::move(waiting)); };
    services_.storage->post(std::move(work));
}

void AccountDeletion::finish(const xmpp::Jid& bare, std::vector<Done> waiting) {
    const Hooks& hooks = services_.modules->hooks();
    for (const auto& hook : hooks.account_removing) hook(bare);
    const auto removed = services_.stores->remove_account(bare.local(), bare.domain());
    Outcome outcome = Outcome::error;
    switch (removed.status) {
    case auth::StoreStatus::ok:
        outcome = Outcome::deleted;
        metrics::offline_messages_changed(-static_cast<std::int64_t>(removed.offline_messages));
        for (const auto& hook : hooks.account_removed) hook(bare);
        // Durable queue subscriptions outlive sessions, not the account.
        if (services_.router) services_.router->queue_account_removed(bare);
        close_sessions(bare);  // a login that raced the deletion
        XLOG(info) << "account " << bare.bare_string() << " deleted";
        break;
    case auth::StoreStatus::not_found:  // deleted by another process meanwhile
        outcome = Outcome::not_found;
        break;
    default:
        XLOG(error) << "account " << bare.bare_string() << ": deletion failed in storage";
        break;
    }
    for (auto& done : waiting) done(outcome);
}

}  // namespace server
