#include "server/store/sqlite/database.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <system_error>
#include <utility>

namespace server::store {

// ---- Statement -------------------------------------------------------------

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), home_(std::exchange(other.home_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        release();
        stmt_ = std::exchange(other.stmt_, nullptr);
        home_ = std::exchange(other.home_, nullptr);
    }
    return *this;
}

Statement::~Statement() { release(); }

void Statement::release() {
    if (home_ && !*home_) {
        reset();  // ends its read, drops its bindings
        *home_ = stmt_;
    } else {
        sqlite3_finalize(stmt_);
    }
    stmt_ = nullptr;
    home_ = nullptr;
}

Statement& Statement::bind(int index, std::string_view text) {
    sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
    sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind_null(int index) {
    sqlite3_bind_null(stmt_, index);
    return *this;
}

Statement::Step Statement::step() {
    if (!stmt_) return Step::error;
    switch (sqlite3_step(stmt_)) {
        case SQLITE_ROW: return Step::row;
        case SQLITE_DONE: return Step::done;
        default: return Step::error;
    }
}

bool Statement::run() {
    Step s;
    while ((s = step()) == Step::row) {
    }
    return s == Step::done;
}

void Statement::reset() {
    if (!stmt_) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::string Statement::text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    if (!p) return {};
    return {reinterpret_cast<const char*>(p),
            static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::blob(int column) const {
    const void* p = sqlite3_column_blob(stmt_, column);
    if (!p) return {};
    return {static_cast<const char*>(p),
            static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

// ---- Lock and Transaction ---------------------------------------------------

Statement Database::Lock::prepare(std::string_view sql) {
    auto slot = statements_.find(std::string(sql));
    if (slot != statements_.end() && slot->second)
        return Statement{std::exchange(slot->second, nullptr), &slot->second};
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                           nullptr) != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return Statement{};
    }
    if (slot == statements_.end() && statements_.size() < kMaxCachedStatements)
        slot = statements_.emplace(std::string(sql), nullptr).first;
    return Statement{stmt, slot != statements_.end() ? &slot->second : nullptr};
}

bool Database::Lock::exec(std::string_view sql) {
    const std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
    return sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
}

std::int64_t Database::Lock::changes() const { return sqlite3_changes64(db_); }

std::string Database::Lock::error() const { return sqlite3_errmsg(db_); }

int Database::Lock::error_code() const { return sqlite3_extended_errcode(db_); }

Database::Lock Database::lock() { return Lock(*this); }

Database::Transaction::Transaction(Lock& lock) : lock_(lock) {
    // Not in autocommit mode: a Batch holds a transaction open on this connection.
    nested_ = sqlite3_get_autocommit(lock_.handle()) == 0;
    begun_ = lock_.exec(nested_ ? "SAVEPOINT store_call" : "BEGIN IMMEDIATE");
}

Database::Transaction::~Transaction() {
    if (!begun_ || done_) return;
    if (nested_) {
        lock_.exec("ROLLBACK TO store_call");
        lock_.exec("RELEASE store_call");
    } else {
        lock_.exec("ROLLBACK");
    }
}

bool Database::Transaction::commit() {
    if (!begun_ || done_) return false;
    if (!lock_.exec(nested_ ? "RELEASE store_call" : "COMMIT")) return false;  // the destructor rolls back
    done_ = true;
    return true;
}

Database::Batch::Batch(Database& db) : db_(db) {
    auto l = db_.lock();
    begun_ = sqlite3_get_autocommit(l.handle()) != 0 && l.exec("BEGIN IMMEDIATE");
}

Database::Batch::~Batch() {
    if (!begun_ || done_) return;
    auto l = db_.lock();
    l.exec("ROLLBACK");
}

bool Database::Batch::begin_part() {
    if (!begun_ || done_) return false;
    auto l = db_.lock();
    return l.exec("SAVEPOINT batch_part");
}

void Database::Batch::end_part(bool keep) {
    if (!begun_ || done_) return;
    auto l = db_.lock();
    if (!keep) l.exec("ROLLBACK TO batch_part");
    l.exec("RELEASE batch_part");
}

bool Database::Batch::intact() {
    if (!begun_ || done_) return false;
    auto l = db_.lock();
    return sqlite3_get_autocommit(l.handle()) == 0;
}

bool Database::Batch::commit() {
    if (!begun_ || done_) return false;
    auto l = db_.lock();
    if (!l.exec("COMMIT")) return false;
    done_ = true;
    return true;
}

// ---- Database ---------------------------------------------------------------

xmpp::Result<std::unique_ptr<Database>, std::string> Database::open(
    const std::filesystem::path& directory, const std::vector<MigrationSet>& schema) {
    std::error_code ec;
    std::filesystem::create_directories(directory, ec);
    if (ec) {
        return xmpp::fail("cannot create data directory " + directory.string() + ": " +
                          ec.message());
    }
    const std::filesystem::path path = directory / kFileName;
    const bool created = !std::filesystem::exists(path, ec);
    auto db = open_path(path, schema);
    if (db && created) {
        // SCRAM secrets invite offline guessing: owner only. SQLite gives the
        // -wal and -shm files the database file's permissions.
        std::filesystem::permissions(
            path, std::filesystem::perms::group_all | std::filesystem::perms::others_all,
            std::filesystem::perm_options::remove, ec);
    }
    return db;
}

xmpp::Result<std::unique_ptr<Database>, std::string> Database::open_in_memory(const std::vector<MigrationSet>& schema) {
    return open_path(":memory:", schema);
}

xmpp::Result<std::unique_ptr<Database>, std::string> Database::open_path(const std::filesystem::path& path,
                                                                         const std::vector<MigrationSet>& schema) {
    const bool in_memory = path == ":memory:";
    sqlite3* raw = nullptr;
    // NOMUTEX: our own mutex serialises every use of the connection.
    const int rc = sqlite3_open_v2(
        path.c_str(), &raw,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
        nullptr);
    if (rc != SQLITE_OK) {
        std::string why = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
        sqlite3_close(raw);
        return xmpp::fail("cannot open database " + path.string() + ": " + why);
    }
    auto db = std::make_unique<Database>(Token{}, raw, path);
    if (auto err = db->configure(in_memory)) {
        return xmpp::fail("database " + path.string() + ": " + *err);
    }
    for (const MigrationSet& set : schema) {
        if (auto err = db->apply(set)) {
            return xmpp::fail("database " + path.string() + ": " + *err);
        }
    }
    return db;
}

Database::~Database() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
}

std::optional<std::string> Database::configure(bool in_memory) {
    Lock l = lock();
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    sqlite3_commit_hook(
        db_,
        [](void* counter) {
            static_cast<std::atomic<std::uint64_t>*>(counter)->fetch_add(1, std::memory_order_relaxed);
            return 0;  // 0: let the commit go on
        },
        &commits_);
    sqlite3_extended_result_codes(db_, 1);
    // A database in memory has no journal file to keep and nothing to make durable.
    if (!in_memory) {
        Statement wal = l.prepare("PRAGMA journal_mode=WAL");
        if (!wal.valid() || wal.step() != Statement::Step::row || wal.text(0) != "wal") {
            return "cannot switch to WAL journal mode: " + l.error();
        }
    }
    // synchronous=FULL: every commit reaches the disk before it returns. With
    // NORMAL, WAL stays consistent but a power cut may drop the last commits,
    // and what we commit is what we have promised: an offline message or a
    // queue item is acknowledged to its sender once stored, an account once
    // created. The cost is one fsync of the WAL per commit, shared: the
    // storage executor commits all the jobs queued at a moment as one Batch,
    // and a bulk import is one Batch too.
    if (!l.exec("PRAGMA synchronous=FULL") || !l.exec("PRAGMA foreign_keys=ON")) {
        return l.error();
    }
    if (!l.exec("CREATE TABLE IF NOT EXISTS schema_version ("
                " module TEXT PRIMARY KEY NOT NULL,"
                " version INTEGER NOT NULL)")) {
        return "cannot create schema_version: " + l.error();
    }
    return std::nullopt;
}

int Database::schema_version(std::string_view module) {
    Lock l = lock();
    Statement q = l.prepare("SELECT version FROM schema_version WHERE module = ?1");
    if (!q.valid()) return 0;
    q.bind(1, module);
    return q.step() == Statement::Step::row ? static_cast<int>(q.integer(0)) : 0;
}

std::optional<std::string> Database::apply(const MigrationSet& set) {
    for (std::size_t i = 0; i < set.migrations.size(); ++i) {
        if (set.migrations[i].version != static_cast<int>(i) + 1) {
            return "migrations of module " + set.module + " must be numbered 1, 2, 3 ...";
        }
    }
    const int known = static_cast<int>(set.migrations.size());
    Lock l = lock();
    auto version = [&]() -> std::optional<int> {
        Statement q = l.prepare("SELECT version FROM schema_version WHERE module = ?1");
        if (!q.valid()) return std::nullopt;
        q.bind(1, set.module);
        switch (q.step()) {
            case Statement::Step::row: return static_cast<int>(q.integer(0));
            case Statement::Step::done: return 0;
            case Statement::Step::error: return std::nullopt;
        }
        return std::nullopt;
    };
    auto current = version();
    if (!current) return "cannot read the schema version of " + set.module + ": " + l.error();
    // Up to date (the usual case) costs one read and takes no write lock.
    for (auto m = set.migrations.begin() + std::min(*current, known); m != set.migrations.end();
         ++m) {
        // Re-read inside the write transaction: another process opening the
        // same file at the same time must not apply a step twice.
        Transaction tx(l);
        if (!tx.begun()) return "cannot begin migration of " + set.module + ": " + l.error();
        current = version();
        if (!current) return "cannot read the schema version of " + set.module + ": " + l.error();
        if (*current >= m->version) continue;
        if (!l.exec(m->sql)) {
            return "migration " + set.module + " #" + std::to_string(m->version) +
                   " failed: " + l.error();
        }
        Statement up = l.prepare(
            "INSERT INTO schema_version (module, version) VALUES (?1, ?2)"
            " ON CONFLICT (module) DO UPDATE SET version = excluded.version");
        if (!up.valid() || !up.bind(1, set.module).bind(2, std::int64_t{m->version}).run()) {
            return "cannot record migration " + set.module + " #" + std::to_string(m->version) +
                   ": " + l.error();
        }
        up = Statement{};
        if (!tx.commit()) {
            return "cannot commit migration " + set.module + " #" + std::to_string(m->version) +
                   ": " + l.error();
        }
        *current = m->version;
    }
    if (*current > known) {
        return "schema of module " + set.module + " is at version " + std::to_string(*current) +
               ", newer than this xmqd knows (" + std::to_string(known) + ")";
    }
    return std::nullopt;
}

}  // namespace server::store
