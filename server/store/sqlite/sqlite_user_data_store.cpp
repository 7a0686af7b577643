#include "server/store/sqlite/sqlite_user_data_store.hpp"

namespace server::store {

MigrationSet SqliteUserDataStore::schema() {
    return {"user_data",
            {
                {1,
                 "CREATE TABLE user_documents ("
                 " user TEXT NOT NULL,"
                 " domain TEXT NOT NULL,"
                 " kind TEXT NOT NULL,"  // vcard, private, push
                 " key TEXT NOT NULL,"   // '' for the vCard, the namespace for private XML
                 " xml TEXT NOT NULL,"
                 " PRIMARY KEY (user, domain, kind, key)"
                 ") WITHOUT ROWID;"
                 "CREATE TABLE last_activity ("
                 " user TEXT NOT NULL,"
                 " domain TEXT NOT NULL,"
                 " stamp INTEGER NOT NULL,"
                 " status TEXT NOT NULL,"
                 " PRIMARY KEY (user, domain)"
                 ") WITHOUT ROWID;"},
            }};
}

std::optional<std::string> SqliteUserDataStore::document(const std::string& user, const std::string& domain,
                                                         const std::string& kind, const std::string& key) {
    auto l = db_.lock();
    Statement s = l.prepare(
        "SELECT xml FROM user_documents WHERE user = ?1 AND domain = ?2 AND kind = ?3 AND key = ?4");
    if (!s.valid()) return std::nullopt;
    s.bind(1, user).bind(2, domain).bind(3, kind).bind(4, key);
    if (s.step() != Statement::Step::row) return std::nullopt;
    return s.text(0);
}

bool SqliteUserDataStore::set_document(const std::string& user, const std::string& domain, const std::string& kind,
                                       const std::string& key, const std::string& xml) {
    auto l = db_.lock();
    Statement s = l.prepare(
        "INSERT OR REPLACE INTO user_documents (user, domain, kind, key, xml) VALUES (?1, ?2, ?3, ?4, ?5)");
    return s.valid() && s.bind(1, user).bind(2, domain).bind(3, kind).bind(4, key).bind(5, xml).run();
}

bool SqliteUserDataStore::remove_document(const std::string& user, const std::string& domain,
                                          const std::string& kind, const std::string& key) {
    auto l = db_.lock();
    Statement s =
        l.prepare("DELETE FROM user_documents WHERE user = ?1 AND domain = ?2 AND kind = ?3 AND key = ?4");
    return s.valid() && s.bind(1, user).bind(2, domain).bind(3, kind).bind(4, key).run() && l.changes() > 0;
}

std::size_t SqliteUserDataStore::document_count(const std::string& user, const std::string& domain,
                                                const std::string& kind) {
    auto l = db_.lock();
    Statement s = l.prepare("SELECT COUNT(*) FROM user_documents WHERE user = ?1 AND domain = ?2 AND kind = ?3");
    if (!s.valid()) return 0;
    s.bind(1, user).bind(2, domain).bind(3, kind);
    if (s.step() != Statement::Step::row) return 0;
    return static_cast<std::size_t>(s.integer(0));
}

std::vector<std::pair<std::string, std::string>> SqliteUserDataStore::documents(const std::string& user,
                                                                                const std::string& domain,
                                                                                const std::string& kind) {
    std::vector<std::pair<std::string, std::string>> out;
    auto l = db_.lock();
    Statement s = l.prepare(
        "SELECT key, xml FROM user_documents WHERE user = ?1 AND domain = ?2 AND kind = ?3 ORDER BY key");
    if (!s.valid()) return out;
    s.bind(1, user).bind(2, domain).bind(3, kind);
    while (s.step() == Statement::Step::row) out.emplace_back(s.text(0), s.text(1));
    return out;
}

std::optional<LastActivity> SqliteUserDataStore::last_activity(const std::string& user, const std::string& domain) {
    auto l = db_.lock();
    Statement s = l.prepare("SELECT stamp, status FROM last_activity WHERE user = ?1 AND domain = ?2");
    if (!s.valid()) return std::nullopt;
    s.bind(1, user).bind(2, domain);
    if (s.step() != Statement::Step::row) return std::nullopt;
    return LastActivity{s.integer(0), s.text(1)};
}

bool SqliteUserDataStore::set_last_activity(const std::string& user, const std::string& domain,
                                            const LastActivity& last) {
    auto l = db_.lock();
    Statement s = l.prepare(
        "INSERT OR REPLACE INTO last_activity (user, domain, stamp, status) VALUES (?1, ?2, ?3, ?4)");
    return s.valid() && s.bind(1, user).bind(2, domain).bind(3, last.stamp).bind(4, last.status).run();
}

}  // namespace server::store
