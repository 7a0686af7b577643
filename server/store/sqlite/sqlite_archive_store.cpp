#include "server/store/sqlite/sqlite_archive_store.hpp"

#include <algorithm>

namespace server::store {

MigrationSet SqliteArchiveStore::schema() {
    return {"archive",
            {
                {1,
                 "CREATE TABLE archive_messages ("
                 " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                 " user TEXT NOT NULL,"
                 " domain TEXT NOT NULL,"
                 " id TEXT NOT NULL,"
                 " stamp_us INTEGER NOT NULL,"  // Unix time, microseconds
                 " with_bare TEXT NOT NULL,"
                 " with_resource TEXT NOT NULL,"
                 " xml TEXT"  // NULL: a placeholder (archive_store.hpp)
                 ");"
                 // Partial: placeholders are never selected, and a count
                 // reads the index alone.
                 "CREATE INDEX archive_messages_user ON archive_messages (user, domain, seq)"
                 " WHERE xml IS NOT NULL;"
                 "CREATE UNIQUE INDEX archive_messages_id ON archive_messages (user, domain, id);"
                 "CREATE INDEX archive_messages_with ON archive_messages (user, domain, with_bare, seq)"
                 " WHERE xml IS NOT NULL;"
                 "CREATE INDEX archive_messages_stamp ON archive_messages (stamp_us);"
                 "CREATE TABLE archive_prefs ("
                 " user TEXT NOT NULL,"
                 " domain TEXT NOT NULL,"
                 " default_mode TEXT NOT NULL,"
                 " always_jids TEXT NOT NULL,"  // one JID per line
                 " never_jids TEXT NOT NULL,"
                 " PRIMARY KEY (user, domain)"
                 ");"},
            }};
}

namespace {

std::string join_lines(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += '\n';
        out += item;
    }
    return out;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t from = 0;
    while (from < text.size()) {
        std::size_t nl = text.find('\n', from);
        if (nl == std::string::npos) nl = text.size();
        if (nl > from) out.push_back(text.substr(from, nl - from));
        from = nl + 1;
    }
    return out;
}

// The WHERE clause of `range`: each bound has its own parameter number
// (?9 is the LIMIT, the ids follow from ?10), so the SQL text depends only on
// which bounds are set and the Database's statement cache keeps one plan per
// shape.
std::string where_of(const ArchiveRange& range) {
    std::string sql = " WHERE user = ?1 AND domain = ?2 AND xml IS NOT NULL";
    if (range.after_seq) sql += " AND seq > ?3";
    if (range.before_seq) sql += " AND seq < ?4";
    if (range.start_us) sql += " AND stamp_us >= ?5";
    if (range.end_us) sql += " AND stamp_us <= ?6";
    if (range.with_bare) sql += " AND with_bare = ?7";
    if (range.with_bare && range.with_resource) sql += " AND with_resource = ?8";
    if (!range.ids.empty()) {
        sql += " AND id IN (";
        for (std::size_t i = 0; i < range.ids.size(); ++i) sql += (i ? ", ?" : "?") + std::to_string(10 + i);
        sql += ")";
    }
    return sql;
}

void bind_range(Statement& s, const std::string& user, const std::string& domain, const ArchiveRange& range) {
    s.bind(1, user).bind(2, domain);
    if (range.after_seq) s.bind(3, *range.after_seq);
    if (range.before_seq) s.bind(4, *range.before_seq);
    if (range.start_us) s.bind(5, *range.start_us);
    if (range.end_us) s.bind(6, *range.end_us);
    if (range.with_bare) s.bind(7, *range.with_bare);
    if (range.with_bare && range.with_resource) s.bind(8, *range.with_resource);
    for (std::size_t i = 0; i < range.ids.size(); ++i) s.bind(static_cast<int>(10 + i), range.ids[i]);
}

}  // namespace

bool SqliteArchiveStore::add(const std::vector<ArchiveRow>& rows) {
    auto l = db_.lock();
    Database::Transaction tx(l);
    if (!tx.begun()) return false;
    {
        Statement s = l.prepare(
            "INSERT INTO archive_messages (user, domain, id, stamp_us, with_bare, with_resource, xml)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        if (!s.valid()) return false;
        for (const auto& row : rows) {
            s.bind(1, row.user).bind(2, row.domain).bind(3, row.id).bind(4, row.stamp_us);
            s.bind(5, row.with_bare).bind(6, row.with_resource);
            if (row.xml.empty())
                s.bind_null(7);
            else
                s.bind(7, row.xml);
            if (!s.run()) return false;
            s.reset();
        }
    }
    return tx.commit();
}

std::optional<std::int64_t> SqliteArchiveStore::seq_of(const std::string& user, const std::string& domain,
                                                       const std::string& id, bool& ok) {
    auto l = db_.lock();
    Statement s = l.prepare("SELECT seq FROM archive_messages WHERE user = ?1 AND domain = ?2 AND id = ?3");
    ok = s.valid();
    if (!ok) return std::nullopt;
    s.bind(1, user).bind(2, domain).bind(3, id);
    switch (s.step()) {
    case Statement::Step::row: return s.integer(0);
    case Statement::Step::done: return std::nullopt;
    case Statement::Step::error: ok = false; return std::nullopt;
    }
    return std::nullopt;
}

std::optional<std::vector<ArchivedMessage>> SqliteArchiveStore::select(const std::string& user,
                                                                       const std::string& domain,
                                                                       const ArchiveRange& range, bool from_end,
                                                                       std::size_t limit) {
    std::vector<ArchivedMessage> out;
    if (limit == 0) return out;
    auto l = db_.lock();
    Statement s = l.prepare("SELECT seq, id, stamp_us, xml FROM archive_messages" + where_of(range) +
                            (from_end ? " ORDER BY seq DESC" : " ORDER BY seq ASC") + " LIMIT ?9");
    if (!s.valid()) return std::nullopt;
    bind_range(s, user, domain, range);
    s.bind(9, static_cast<std::int64_t>(limit));
    Statement::Step step;
    while ((step = s.step()) == Statement::Step::row) out.push_back({s.integer(0), s.text(1), s.integer(2), s.text(3)});
    if (step == Statement::Step::error) return std::nullopt;
    if (from_end) std::reverse(out.begin(), out.end());
    return out;
}

std::optional<std::size_t> SqliteArchiveStore::count(const std::string& user, const std::string& domain,
                                                     const ArchiveRange& range) {
    auto l = db_.lock();
    Statement s = l.prepare("SELECT COUNT(*) FROM archive_messages" + where_of(range));
    if (!s.valid()) return std::nullopt;
    bind_range(s, user, domain, range);
    if (s.step() != Statement::Step::row) return std::nullopt;
    return static_cast<std::size_t>(s.integer(0));
}

std::vector<ArchiveRow> SqliteArchiveStore::all(const std::string& user, const std::string& domain) {
    std::vector<ArchiveRow> out;
    auto l = db_.lock();
    Statement s = l.prepare(
        "SELECT id, stamp_us, with_bare, with_resource, xml FROM archive_messages"
        " WHERE user = ?1 AND domain = ?2 AND xml IS NOT NULL ORDER BY seq");
    if (!s.valid()) return out;
    s.bind(1, user).bind(2, domain);
    while (s.step() == Statement::Step::row)
        out.push_back({user, domain, s.text(0), s.integer(1), s.text(2), s.text(3), s.text(4)});
    return out;
}

bool SqliteArchiveStore::remove_all(const std::string& user, const std::string& domain) {
    auto l = db_.lock();
    Statement s = l.prepare("DELETE FROM archive_messages WHERE user = ?1 AND domain = ?2");
    return s.valid() && s.bind(1, user).bind(2, domain).run();
}

std::optional<std::size_t> SqliteArchiveStore::remove_older_than(std::int64_t stamp_us) {
    auto l = db_.lock();
    Statement s = l.prepare("DELETE FROM archive_messages WHERE stamp_us < ?1");
    if (!s.valid() || !s.bind(1, stamp_us).run()) return std::nullopt;
    return static_cast<std::size_t>(l.changes());
}

std::optional<ArchivePrefs> SqliteArchiveStore::prefs(const std::string& user, const std::string& domain, bool& ok) {
    auto l = db_.lock();
    Statement s = l.prepare(
        "SELECT default_mode, always_jids, never_jids FROM archive_prefs WHERE user = ?1 AND domain = ?2");
    ok = s.valid();
    if (!ok) return std::nullopt;
    s.bind(1, user).bind(2, domain);
    switch (s.step()) {
    case Statement::Step::row: return ArchivePrefs{s.text(0), split_lines(s.text(1)), split_lines(s.text(2))};
    case Statement::Step::done: return std::nullopt;
    case Statement::Step::error: ok = false; return std::nullopt;
    }
    return std::nullopt;
}

bool SqliteArchiveStore::set_prefs(const std::string& user, const std::string& domain, const ArchivePrefs& prefs) {
    auto l = db_.lock();
    Statement s = l.prepare(
        "INSERT INTO archive_prefs (user, domain, default_mode, always_jids, never_jids) VALUES (?1, ?2, ?3, ?4, ?5)"
        " ON CONFLICT (user, domain) DO UPDATE SET default_mode = excluded.default_mode,"
        " always_jids = excluded.always_jids, never_jids = excluded.never_jids");
    return s.valid() && s.bind(1, user)
                            .bind(2, domain)
                            .bind(3, prefs.default_mode)
                            .bind(4, join_lines(prefs.always))
                            .bind(5, join_lines(prefs.never))
                            .run();
}

std::vector<ArchiveStore::AccountPrefs> SqliteArchiveStore::all_prefs() {
    std::vector<AccountPrefs> out;
    auto l = db_.lock();
    Statement s = l.prepare("SELECT user, domain, default_mode, always_jids, never_jids FROM archive_prefs");
    if (!s.valid()) return out;
    while (s.step() == Statement::Step::row)
        out.push_back({s.text(0), s.text(1), {s.text(2), split_lines(s.text(3)), split_lines(s.text(4))}});
    return out;
}

}  // namespace server::store
