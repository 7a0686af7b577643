// SqliteArchiveStore: ArchiveStore over the server's SQLite Database.
//
// Tables (module "archive"): archive_messages(seq, user, domain, id,
// stamp_us, with_bare, with_resource, xml), seq the INTEGER PRIMARY KEY
// (the paging order), indexed by (user, domain, seq) for a page of an
// account's archive, (user, domain, id) unique for resolving archive ids,
// (user, domain, with_bare, seq) for a page of one conversation, and
// stamp_us for the retention sweep; archive_prefs(user, domain,
// default_mode, always_jids, never_jids). A query reads the page's rows and
// one more through the index, whatever the archive's size. The store
// borrows the Database, which must outlive it. Calls are thread-safe (the
// Database serialises them) and block on disk: run them on the storage
// executor or in an admin sub-command.
#pragma once

#include "server/store/archive_store.hpp"
#include "server/store/sqlite/database.hpp"

namespace server::store {

class SqliteArchiveStore final : public ArchiveStore {
public:
    explicit SqliteArchiveStore(Database& db) : db_(db) {}

    static MigrationSet schema();

    bool add(const std::vector<ArchiveRow>& rows) override;
    std::optional<std::int64_t> seq_of(const std::string& user, const std::string& domain, const std::string& id,
                                       bool& ok) override;
    std::optional<std::vector<ArchivedMessage>> select(const std::string& user, const std::string& domain,
                                                       const ArchiveRange& range, bool from_end,
                                                       std::size_t limit) override;
    std::optional<std::size_t> count(const std::string& user, const std::string& domain,
                                     const ArchiveRange& range) override;
    std::vector<ArchiveRow> all(const std::string& user, const std::string& domain) override;
    bool remove_all(const std::string& user, const std::string& domain) override;
    std::optional<std::size_t> remove_older_than(std::int64_t stamp_us) override;

    std::optional<ArchivePrefs> prefs(const std::string& user, const std::string& domain, bool& ok) override;
    bool set_prefs(const std::string& user, const std::string& domain, const ArchivePrefs& prefs) override;
    std::vector<AccountPrefs> all_prefs() override;

private:
    Database& db_;
};

}  // namespace server::store
