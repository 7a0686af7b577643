// Database: the server's one SQLite file, opened in WAL mode with its schema
// brought up to date by numbered migrations.
//
// Each module that keeps tables declares a MigrationSet (its name and its
// migrations, numbered from 1, in order) and lists it in store_schema()
// (schema.cpp), which open() applies by default; a module may also bring its
// own set up later with apply(). The schema_version table remembers how far
// each module's schema has come; the missing steps run in order, each in its
// own transaction. A module adds a table or a column by appending a
// migration, never by editing a published one. A file whose schema is newer
// than this binary knows is refused.
//
// Thread-safety: a Database may be shared by threads. It owns one connection,
// guarded by a mutex: lock() returns a Lock that holds the mutex for its
// lifetime, and every statement runs through a Lock. Calls block on disk, so
// they belong on the storage executor or in an admin sub-command, never on an
// I/O worker. Several processes may open the same file (an admin command next
// to the running server): WAL lets readers proceed, and a writer waits up to
// the busy timeout for another process's write to finish.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "xmpp/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace server::store {

struct Migration {
    int version;      // 1, 2, 3 ... within its module
    std::string sql;  // one or more statements
};

struct MigrationSet {
    std::string module;  // e.g. "accounts"
    std::vector<Migration> migrations;
};

// Every store module's MigrationSet; open() applies these by default.
std::vector<MigrationSet> store_schema();

// One prepared statement. Used under a Lock only, and destroyed under the
// Lock that prepared it (declared after it): on destruction it is reset and
// goes back to its Database's cache for the next prepare() of the same SQL.
class Statement {
public:
    enum class Step { row, done, error };

    Statement() = default;
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    bool valid() const { return stmt_ != nullptr; }

    // Parameters are numbered from 1; text and blobs are copied.
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, std::int64_t value);
    Statement& bind_blob(int index, std::string_view bytes);
    Statement& bind_null(int index);

    Step step();
    // Runs the statement to completion; false on error.
    bool run();
    void reset();

    std::string text(int column) const;  // empty for NULL
    std::int64_t integer(int column) const;
    std::string blob(int column) const;
    bool is_null(int column) const;

private:
    friend class Database;
    Statement(sqlite3_stmt* stmt, sqlite3_stmt** home) : stmt_(stmt), home_(home) {}
    void release();  // back to home_ when that is empty, else finalized
    sqlite3_stmt* stmt_ = nullptr;
    sqlite3_stmt** home_ = nullptr;  // its slot in the cache; null: not cached
};

class Database {
public:
    static constexpr std::string_view kFileName = "xmqd.sqlite";
    static constexpr int kBusyTimeoutMs = 5000;

    // Opens (creating directory and file when missing) <directory>/xmqd.sqlite
    // and applies the given modules' pending migrations. The error is a
    // human-readable sentence naming the file.
    static xmpp::Result<std::unique_ptr<Database>, std::string> open(
        const std::filesystem::path& directory,
        const std::vector<MigrationSet>& schema = store_schema());

    // A database in memory, with the same schema, gone with the object: for
    // tests and fuzz targets that run the real modules without a disk.
    static xmpp::Result<std::unique_ptr<Database>, std::string> open_in_memory(
        const std::vector<MigrationSet>& schema = store_schema());

    // Applies one module's pending migrations; the error names the step.
    std::optional<std::string> apply(const MigrationSet& set);

    struct Token {  // only open() makes a Database
    private:
        friend class Database;
        Token() = default;
    };
    Database(Token, sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Exclusive use of the connection while the Lock lives.
    class Lock {
    public:
        Statement prepare(std::string_view sql);  // invalid Statement on error
        bool exec(std::string_view sql);          // statements without results
        std::int64_t changes() const;             // rows changed by the last statement
        std::string error() const;                // the last error message
        int error_code() const;                   // the last extended result code
        sqlite3* handle() const { return db_; }

    private:
        friend class Database;
        explicit Lock(Database& d) : guard_(d.mutex_), db_(d.db_), statements_(d.statements_) {}
        std::unique_lock<std::mutex> guard_;
        sqlite3* db_;
        std::unordered_map<std::string, sqlite3_stmt*>& statements_;
    };
    Lock lock();

    // A write transaction (BEGIN IMMEDIATE: the write lock is taken up front,
    // so two writers never deadlock upgrading from read to write). Rolled back
    // unless commit() succeeded. Inside a Batch it is a savepoint instead:
    // commit() releases it into the batch, and the batch decides.
    class Transaction {
    public:
        explicit Transaction(Lock& lock);
        ~Transaction();
        Transaction(const Transaction&) = delete;
        Transaction& operator=(const Transaction&) = delete;
        bool begun() const { return begun_; }
        bool commit();

    private:
        Lock& lock_;
        bool nested_ = false;
        bool begun_ = false;
        bool done_ = false;
    };

    // One write transaction around many store calls, so that they all take
    // effect or none does (xmqd import), or so that many jobs share one commit
    // (the storage executor's group commit: SqliteStorage::begin_group). Each
    // store call's own Transaction becomes a savepoint inside it, and so does
    // each part (begin_part/end_part: one job of a group, undone alone). While
    // a Batch is open, every statement on this Database joins it, whichever
    // thread runs it: only the thread that opened it may use the Database
    // meanwhile (an admin command's, or the storage executor's). Rolled back
    // unless commit() succeeded.
    class Batch {
    public:
        explicit Batch(Database& db);
        ~Batch();
        Batch(const Batch&) = delete;
        Batch& operator=(const Batch&) = delete;
        bool begun() const { return begun_; }
        bool begin_part();
        void end_part(bool keep);  // keep = false: undo the part
        // false once SQLite ended the transaction early (it does on disk
        // full, I/O errors, out of memory): everything in it is lost.
        bool intact();
        bool commit();

    private:
        Database& db_;
        bool begun_ = false;
        bool done_ = false;
    };

    // Transactions committed on this connection so far, counted by SQLite's
    // commit hook (each one fsync of the WAL on a file): for tests.
    std::uint64_t commits() const { return commits_.load(); }

    const std::filesystem::path& path() const { return path_; }
    // The schema version a module has reached in this file (0 when none).
    int schema_version(std::string_view module);

private:
    static xmpp::Result<std::unique_ptr<Database>, std::string> open_path(const std::filesystem::path& path,
                                                                          const std::vector<MigrationSet>& schema);
    std::optional<std::string> configure(bool in_memory);

    std::mutex mutex_;
    std::atomic<std::uint64_t> commits_{0};
    sqlite3* db_;
    std::filesystem::path path_;
    // Prepared statements by SQL text, for reuse (SQLite parses and plans a
    // statement on every prepare: 6% of a login's server CPU before). A slot
    // is empty while its statement is in use. At most kMaxCachedStatements.
    static constexpr std::size_t kMaxCachedStatements = 128;
    std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace server::store
