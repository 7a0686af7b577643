#include "server/store/sqlite/account_removal.hpp"

namespace server::store {

const std::vector<std::string_view>& account_tables() {
    // account_secrets before accounts: it refers to it.
    static const std::vector<std::string_view> tables = {
        "account_secrets", "accounts",       "roster_items",  "roster_versions",
        "offline_messages", "user_documents", "last_activity", "blocklist",
        "archive_messages", "archive_prefs",
        // PEP: the account's own pubsub service (pubsub_store.hpp)
        "pubsub_items", "pubsub_affiliations", "pubsub_subscriptions", "pubsub_nodes",
    };
    return tables;
}

RemovedAccount remove_account(Database& db, const std::string& user, const std::string& domain) {
    RemovedAccount out;
    auto l = db.lock();
    Database::Transaction tx(l);
    if (!tx.begun()) return out;
    Statement exists = l.prepare("SELECT 1 FROM accounts WHERE user = ?1 AND domain = ?2");
    if (!exists.valid()) return out;
    exists.bind(1, user).bind(2, domain);
    switch (exists.step()) {
    case Statement::Step::row: break;
    case Statement::Step::done: out.status = auth::StoreStatus::not_found; return out;
    case Statement::Step::error: return out;
    }
    exists = Statement{};
    Statement count = l.prepare("SELECT COUNT(*) FROM offline_messages WHERE user = ?1 AND domain = ?2");
    if (!count.valid()) return out;
    count.bind(1, user).bind(2, domain);
    if (count.step() != Statement::Step::row) return out;
    const auto offline = static_cast<std::size_t>(count.integer(0));
    count = Statement{};
    for (const std::string_view table : account_tables()) {
        Statement del = l.prepare("DELETE FROM " + std::string(table) + " WHERE user = ?1 AND domain = ?2");
        if (!del.valid() || !del.bind(1, user).bind(2, domain).run()) return out;
    }
    if (!tx.commit()) return out;
    out.status = auth::StoreStatus::ok;
    out.offline_messages = offline;
    return out;
}

}  // namespace server::store
