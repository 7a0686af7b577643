#include "server/store/sqlite/sqlite_account_store.hpp"
#include "xmpp/datetime.hpp"

#include <sqlite3.h>

#include <chrono>

namespace server::store {
namespace {

using auth::StoreStatus;

// Replaces the account's secrets; inside the caller's transaction.
bool write_secrets(Database::Lock& l, const std::string& user, const std::string& domain,
                   const std::vector<auth::ScramSecret>& secrets) {
    Statement del = l.prepare("DELETE FROM account_secrets WHERE user = ?1 AND domain = ?2");
    if (!del.valid() || !del.bind(1, user).bind(2, domain).run()) return false;
    Statement ins = l.prepare(
        "INSERT OR REPLACE INTO account_secrets (user, domain, mechanism, auth_password)"
        " VALUES (?1, ?2, ?3, ?4)");
    if (!ins.valid()) return false;
    for (const auth::ScramSecret& s : secrets) {
        ins.reset();
        ins.bind(1, user).bind(2, domain).bind(3, auth::mechanism_name(s.hash));
        ins.bind(4, auth::to_auth_password(s));
        if (!ins.run()) return false;
    }
    return true;
}

}  // namespace

MigrationSet SqliteAccountStore::schema() {
    return {"accounts",
            {
                {1,
                 "CREATE TABLE accounts ("
                 " user TEXT NOT NULL,"
                 " domain TEXT NOT NULL,"
                 " created INTEGER NOT NULL,"  // Unix time, seconds
                 " PRIMARY KEY (user, domain)"
                 ") WITHOUT ROWID;"
                 "CREATE TABLE account_secrets ("
                 " user TEXT NOT NULL,"
                 " domain TEXT NOT NULL,"
                 " mechanism TEXT NOT NULL,"      // SCRAM-SHA-1, SCRAM-SHA-256
                 " auth_password TEXT NOT NULL,"  // RFC 5803 form
                 " PRIMARY KEY (user, domain, mechanism),"
                 " FOREIGN KEY (user, domain) REFERENCES accounts (user, domain)"
                 "  ON DELETE CASCADE"
                 ") WITHOUT ROWID;"},
            }};
}

auth::AccountLookup SqliteAccountStore::lookup(const std::string& user, const std::string& domain) {
    const auth::AccountLookup failed{StoreStatus::error, std::nullopt};
    auto l = db_.lock();
    Statement acc = l.prepare("SELECT 1 FROM accounts WHERE user = ?1 AND domain = ?2");
    if (!acc.valid()) return failed;
    acc.bind(1, user).bind(2, domain);
    const Statement::Step found = acc.step();
    if (found == Statement::Step::error) return failed;
    if (found != Statement::Step::row) return {StoreStatus::not_found, std::nullopt};

    auth::Account account{user, domain, {}};
    Statement sec = l.prepare(
        "SELECT auth_password FROM account_secrets WHERE user = ?1 AND domain = ?2"
        " ORDER BY mechanism");
    if (!sec.valid()) return failed;
    sec.bind(1, user).bind(2, domain);
    Statement::Step step;
    while ((step = sec.step()) == Statement::Step::row) {
        // A damaged value is left out: that hash then fails like a wrong password.
        if (auto secret = auth::parse_auth_password(sec.text(0))) {
            account.secrets.push_back(std::move(*secret));
        }
    }
    if (step == Statement::Step::error) return failed;
    return {StoreStatus::ok, std::move(account)};
}

auth::StoreStatus SqliteAccountStore::create(const auth::Account& account) {
    if (account.user.empty() || account.domain.empty()) return StoreStatus::error;
    auto l = db_.lock();
    Database::Transaction tx(l);
    if (!tx.begun()) return StoreStatus::error;
    Statement ins = l.prepare("INSERT INTO accounts (user, domain, created) VALUES (?1, ?2, ?3)");
    if (!ins.valid()) return StoreStatus::error;
    ins.bind(1, account.user).bind(2, account.domain).bind(3, xmpp::unix_seconds_now());
    if (!ins.run()) {
        const int code = l.error_code();
        return code == SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLITE_CONSTRAINT_UNIQUE
                   ? StoreStatus::exists
                   : StoreStatus::error;
    }
    if (!write_secrets(l, account.user, account.domain, account.secrets)) {
        return StoreStatus::error;
    }
    return tx.commit() ? StoreStatus::ok : StoreStatus::error;
}

auth::StoreStatus SqliteAccountStore::set_secrets(const std::string& user,
                                                  const std::string& domain,
                                                  const std::vector<auth::ScramSecret>& secrets) {
    auto l = db_.lock();
    Database::Transaction tx(l);
    if (!tx.begun()) return StoreStatus::error;
    Statement acc = l.prepare("SELECT 1 FROM accounts WHERE user = ?1 AND domain = ?2");
    if (!acc.valid()) return StoreStatus::error;
    acc.bind(1, user).bind(2, domain);
    switch (acc.step()) {
        case Statement::Step::row: break;
        case Statement::Step::done: return StoreStatus::not_found;
        case Statement::Step::error: return StoreStatus::error;
    }
    acc = Statement{};
    if (!write_secrets(l, user, domain, secrets)) return StoreStatus::error;
    return tx.commit() ? StoreStatus::ok : StoreStatus::error;
}

auth::StoreStatus SqliteAccountStore::remove(const std::string& user, const std::string& domain) {
    auto l = db_.lock();
    Database::Transaction tx(l);
    if (!tx.begun()) return StoreStatus::error;
    // Secrets go with the account (ON DELETE CASCADE); deleted explicitly as
    // well, so a connection without foreign_keys cannot leave them behind.
    Statement sec = l.prepare("DELETE FROM account_secrets WHERE user = ?1 AND domain = ?2");
    if (!sec.valid() || !sec.bind(1, user).bind(2, domain).run()) return StoreStatus::error;
    Statement del = l.prepare("DELETE FROM accounts WHERE user = ?1 AND domain = ?2");
    if (!del.valid() || !del.bind(1, user).bind(2, domain).run()) return StoreStatus::error;
    if (l.changes() == 0) return StoreStatus::not_found;
    return tx.commit() ? StoreStatus::ok : StoreStatus::error;
}

std::vector<std::string> SqliteAccountStore::list(const std::string& domain) {
    std::vector<std::string> users;
    auto l = db_.lock();
    Statement q =
        domain.empty()
            ? l.prepare("SELECT user, domain FROM accounts ORDER BY domain, user")
            : l.prepare("SELECT user, domain FROM accounts WHERE domain = ?1 ORDER BY user");
    if (!q.valid()) return users;
    if (!domain.empty()) q.bind(1, domain);
    while (q.step() == Statement::Step::row) users.push_back(q.text(0) + "@" + q.text(1));
    return users;
}

}  // namespace server::store
