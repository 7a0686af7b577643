#include "server/store/sqlite/sqlite_offline_store.hpp"

namespace server::store {

MigrationSet SqliteOfflineStore::schema() {
    return {"offline",
            {
                {1,
                 "CREATE TABLE offline_messages ("
                 " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                 " user TEXT NOT NULL,"
                 " domain TEXT NOT NULL,"
                 " stamp INTEGER NOT NULL,"  // Unix time, seconds
                 " xml TEXT NOT NULL"
                 ");"
                 "CREATE INDEX offline_messages_user ON offline_messages (user, domain, id);"},
            }};
}

namespace {

std::size_t count_locked(Database::Lock& l, const std::string& user, const std::string& domain) {
    Statement s = l.prepare("SELECT COUNT(*) FROM offline_messages WHERE user = ?1 AND domain = ?2");
    if (!s.valid()) return 0;
    s.bind(1, user).bind(2, domain);
    if (s.step() != Statement::Step::row) return 0;
    return static_cast<std::size_t>(s.integer(0));
}

}  // namespace

SqliteOfflineStore::AddStatus SqliteOfflineStore::add(const std::string& user, const std::string& domain,
                                                      std::int64_t stamp, const std::string& xml, std::size_t cap) {
    auto l = db_.lock();
    Database::Transaction tx(l);
    if (!tx.begun()) return AddStatus::error;
    if (count_locked(l, user, domain) >= cap) return AddStatus::full;
    Statement s = l.prepare("INSERT INTO offline_messages (user, domain, stamp, xml) VALUES (?1, ?2, ?3, ?4)");
    if (!s.valid()) return AddStatus::error;
    s.bind(1, user).bind(2, domain).bind(3, stamp).bind(4, xml);
    if (!s.run()) return AddStatus::error;
    return tx.commit() ? AddStatus::ok : AddStatus::error;
}

std::vector<OfflineMessage> SqliteOfflineStore::list(const std::string& user, const std::string& domain) {
    std::vector<OfflineMessage> out;
    auto l = db_.lock();
    Statement s = l.prepare("SELECT id, xml FROM offline_messages WHERE user = ?1 AND domain = ?2 ORDER BY id");
    if (!s.valid()) return out;
    s.bind(1, user).bind(2, domain);
    while (s.step() == Statement::Step::row) out.push_back({s.integer(0), s.text(1)});
    return out;
}

bool SqliteOfflineStore::remove_through(const std::string& user, const std::string& domain, std::int64_t last_id) {
    auto l = db_.lock();
    Statement s = l.prepare("DELETE FROM offline_messages WHERE user = ?1 AND domain = ?2 AND id <= ?3");
    return s.valid() && s.bind(1, user).bind(2, domain).bind(3, last_id).run();
}

std::size_t SqliteOfflineStore::count(const std::string& user, const std::string& domain) {
    auto l = db_.lock();
    return count_locked(l, user, domain);
}

std::size_t SqliteOfflineStore::total() {
    auto l = db_.lock();
    Statement s = l.prepare("SELECT COUNT(*) FROM offline_messages");
    if (!s.valid() || s.step() != Statement::Step::row) return 0;
    return static_cast<std::size_t>(s.integer(0));
}

}  // namespace server::store
