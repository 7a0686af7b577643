#include "server/store/sqlite/sqlite_blocklist_store.hpp"

namespace server::store {

MigrationSet SqliteBlocklistStore::schema() {
    return {"blocklist",
            {
                {1,
                 "CREATE TABLE blocklist ("
                 " user TEXT NOT NULL,"
                 " domain TEXT NOT NULL,"
                 " jid TEXT NOT NULL,"
                 " PRIMARY KEY (user, domain, jid)"
                 ") WITHOUT ROWID;"},
            }};
}

std::vector<std::tuple<std::string, std::string, std::string>> SqliteBlocklistStore::all() {
    std::vector<std::tuple<std::string, std::string, std::string>> out;
    auto l = db_.lock();
    Statement s = l.prepare("SELECT user, domain, jid FROM blocklist");
    if (!s.valid()) return out;
    while (s.step() == Statement::Step::row) out.emplace_back(s.text(0), s.text(1), s.text(2));
    return out;
}

namespace {

// One statement of (user, domain, jid) run for each of `jids`.
bool run_per_jid(Database::Lock& l, const char* sql, const std::string& user, const std::string& domain,
                 const std::vector<std::string>& jids) {
    Statement s = l.prepare(sql);
    if (!s.valid()) return false;
    for (const auto& jid : jids) {
        s.reset();
        s.bind(1, user).bind(2, domain).bind(3, jid);
        if (!s.run()) return false;
    }
    return true;
}

}  // namespace

bool SqliteBlocklistStore::add(const std::string& user, const std::string& domain,
                               const std::vector<std::string>& jids) {
    auto l = db_.lock();
    Database::Transaction tx(l);
    if (!tx.begun()) return false;
    return run_per_jid(l, "INSERT OR IGNORE INTO blocklist (user, domain, jid) VALUES (?1, ?2, ?3)", user, domain,
                       jids) &&
           tx.commit();
}

bool SqliteBlocklistStore::remove(const std::string& user, const std::string& domain,
                                  const std::vector<std::string>& jids) {
    auto l = db_.lock();
    Database::Transaction tx(l);
    if (!tx.begun()) return false;
    if (jids.empty()) {
        Statement s = l.prepare("DELETE FROM blocklist WHERE user = ?1 AND domain = ?2");
        if (!s.valid() || !s.bind(1, user).bind(2, domain).run()) return false;
        return tx.commit();
    }
    return run_per_jid(l, "DELETE FROM blocklist WHERE user = ?1 AND domain = ?2 AND jid = ?3", user, domain, jids) &&
           tx.commit();
}

}  // namespace server::store
