#include "server/store/sqlite/sqlite_roster_store.hpp"

namespace server::store {

namespace {

// U+001F cannot appear in XML 1.0 text, so it cannot be part of a group name.
constexpr char group_separator = '\x1f';

std::string join_groups(const std::vector<std::string>& groups) {
    std::string out;
    for (const auto& g : groups) {
        if (!out.empty()) out += group_separator;
        out += g;
    }
    return out;
}

std::vector<std::string> split_groups(const std::string& text) {
    std::vector<std::string> groups;
    if (text.empty()) return groups;
    std::size_t start = 0;
    for (;;) {
        std::size_t end = text.find(group_separator, start);
        groups.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return groups;
}

RosterRow read_row(const Statement& s) {
    RosterRow row;
    row.contact = s.text(0);
    row.name = s.text(1);
    row.groups = split_groups(s.text(2));
    row.state = static_cast<int>(s.integer(3));
    row.in_roster = s.integer(4) != 0;
    return row;
}

constexpr const char* select_columns = "SELECT contact, name, groups, state, in_roster FROM roster_items";

}  // namespace

MigrationSet SqliteRosterStore::schema() {
    return {"roster",
            {
                {1,
                 "CREATE TABLE roster_items ("
                 " user TEXT NOT NULL,"
                 " domain TEXT NOT NULL,"
                 " contact TEXT NOT NULL,"  // bare JID
                 " name TEXT NOT NULL DEFAULT '',"
                 " groups TEXT NOT NULL DEFAULT '',"  // U+001F-separated
                 " state INTEGER NOT NULL,"           // RFC 6121 Appendix A state
                 " in_roster INTEGER NOT NULL,"
                 " PRIMARY KEY (user, domain, contact)"
                 ") WITHOUT ROWID;"
                 "CREATE INDEX roster_items_contact ON roster_items (contact);"
                 "CREATE TABLE roster_versions ("
                 " user TEXT NOT NULL,"
                 " domain TEXT NOT NULL,"
                 " ver INTEGER NOT NULL,"
                 " PRIMARY KEY (user, domain)"
                 ") WITHOUT ROWID;"},
            }};
}

std::vector<RosterRow> SqliteRosterStore::rows(const std::string& user, const std::string& domain) {
    std::vector<RosterRow> out;
    auto l = db_.lock();
    Statement s = l.prepare(std::string(select_columns) + " WHERE user = ?1 AND domain = ?2 ORDER BY contact");
    if (!s.valid()) return out;
    s.bind(1, user).bind(2, domain);
    while (s.step() == Statement::Step::row) out.push_back(read_row(s));
    return out;
}

std::optional<RosterRow> SqliteRosterStore::row(const std::string& user, const std::string& domain,
                                                const std::string& contact) {
    auto l = db_.lock();
    Statement s = l.prepare(std::string(select_columns) + " WHERE user = ?1 AND domain = ?2 AND contact = ?3");
    if (!s.valid()) return std::nullopt;
    s.bind(1, user).bind(2, domain).bind(3, contact);
    if (s.step() != Statement::Step::row) return std::nullopt;
    return read_row(s);
}

std::size_t SqliteRosterStore::roster_size(const std::string& user, const std::string& domain) {
    auto l = db_.lock();
    Statement s = l.prepare("SELECT COUNT(*) FROM roster_items WHERE user = ?1 AND domain = ?2 AND in_roster = 1");
    if (!s.valid()) return 0;
    s.bind(1, user).bind(2, domain);
    if (s.step() != Statement::Step::row) return 0;
    return static_cast<std::size_t>(s.integer(0));
}

std::optional<std::int64_t> SqliteRosterStore::bump(Database::Lock& l, const std::string& user,
                                                    const std::string& domain) {
    Statement up = l.prepare(
        "INSERT INTO roster_versions (user, domain, ver) VALUES (?1, ?2, 1)"
        " ON CONFLICT (user, domain) DO UPDATE SET ver = ver + 1");
    if (!up.valid() || !up.bind(1, user).bind(2, domain).run()) return std::nullopt;
    Statement get = l.prepare("SELECT ver FROM roster_versions WHERE user = ?1 AND domain = ?2");
    if (!get.valid()) return std::nullopt;
    get.bind(1, user).bind(2, domain);
    if (get.step() != Statement::Step::row) return std::nullopt;
    return get.integer(0);
}

std::optional<std::int64_t> SqliteRosterStore::put(const std::string& user, const std::string& domain,
                                                   const RosterRow& row) {
    auto l = db_.lock();
    Database::Transaction tx(l);
    if (!tx.begun()) return std::nullopt;
    Statement s = l.prepare(
        "INSERT OR REPLACE INTO roster_items (user, domain, contact, name, groups, state, in_roster)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!s.valid()) return std::nullopt;
    s.bind(1, user).bind(2, domain).bind(3, row.contact).bind(4, row.name).bind(5, join_groups(row.groups));
    s.bind(6, static_cast<std::int64_t>(row.state)).bind(7, static_cast<std::int64_t>(row.in_roster ? 1 : 0));
    if (!s.run()) return std::nullopt;
    auto ver = bump(l, user, domain);
    if (!ver || !tx.commit()) return std::nullopt;
    return ver;
}

std::optional<std::int64_t> SqliteRosterStore::remove(const std::string& user, const std::string& domain,
                                                      const std::string& contact) {
    auto l = db_.lock();
    Database::Transaction tx(l);
    if (!tx.begun()) return std::nullopt;
    Statement s = l.prepare("DELETE FROM roster_items WHERE user = ?1 AND domain = ?2 AND contact = ?3");
    if (!s.valid() || !s.bind(1, user).bind(2, domain).bind(3, contact).run()) return std::nullopt;
    auto ver = bump(l, user, domain);
    if (!ver || !tx.commit()) return std::nullopt;
    return ver;
}

std::int64_t SqliteRosterStore::version(const std::string& user, const std::string& domain) {
    auto l = db_.lock();
    Statement s = l.prepare("SELECT ver FROM roster_versions WHERE user = ?1 AND domain = ?2");
    if (!s.valid()) return 0;
    s.bind(1, user).bind(2, domain);
    if (s.step() != Statement::Step::row) return 0;
    return s.integer(0);
}

}  // namespace server::store
