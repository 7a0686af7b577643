// ArchiveStore: each local account's message archive (XEP-0313) and its
// archiving preferences, whatever the storage backend. A row is one message
// as the account sent or received it, under the archive id the server gave
// it (its XEP-0359 stanza-id, unique within the account's archive), with its
// time, the other party (bare JID and resource) and the stanza as stored.
// Rows are ordered by a sequence number the store assigns as it inserts them:
// paging walks that order, never the time stamps (several messages may share
// a stamp). A row without a stanza (`xml` empty) is a placeholder: its id
// stays known as a paging anchor, but it is never returned (a message the
// account's preferences kept out of the archive after its id had gone out on
// the live message).
//
// Owned by the backend's Storage (storage.hpp). Calls are thread-safe and
// block on disk or network: run them on the storage executor or in an admin
// sub-command, never on an I/O worker. add() is one transaction: once it
// returns true, every row it was given is durable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace server::store {

struct ArchiveRow {
    std::string user;
    std::string domain;
    std::string id;             // the archive id (stanza-id)
    std::int64_t stamp_us = 0;  // Unix time, microseconds
    std::string with_bare;      // the other party
    std::string with_resource;  // its resource, when the message named one
    std::string xml;            // the message; empty: a placeholder
};

struct ArchivedMessage {
    std::int64_t seq = 0;  // the store's order
    std::string id;
    std::int64_t stamp_us = 0;
    std::string xml;
};

// Which of an account's rows a query selects. Bounds are exclusive
// sequence numbers; stamps are inclusive.
struct ArchiveRange {
    std::optional<std::int64_t> after_seq;
    std::optional<std::int64_t> before_seq;
    std::optional<std::int64_t> start_us;
    std::optional<std::int64_t> end_us;
    std::optional<std::string> with_bare;
    std::optional<std::string> with_resource;  // only with with_bare
    std::vector<std::string> ids;               // when not empty: only these
};

struct ArchivePrefs {
    std::string default_mode;  // "always", "never", "roster"
    std::vector<std::string> always;
    std::vector<std::string> never;
};

class ArchiveStore {
public:
    virtual ~ArchiveStore() = default;

    // Inserts the rows in one transaction; false (and nothing inserted) on
    // an error, a duplicate id among them.
    virtual bool add(const std::vector<ArchiveRow>& rows) = 0;
    // The sequence number of an archive id, nullopt when the account has no
    // such row. `ok` is set false on a storage error.
    virtual std::optional<std::int64_t> seq_of(const std::string& user, const std::string& domain,
                                               const std::string& id, bool& ok) = 0;
    // Up to `limit` rows of `range` (placeholders left out): the first ones
    // in sequence order, or with `from_end` the last ones; either way
    // returned in sequence order. nullopt on a storage error.
    virtual std::optional<std::vector<ArchivedMessage>> select(const std::string& user, const std::string& domain,
                                                               const ArchiveRange& range, bool from_end,
                                                               std::size_t limit) = 0;
    // How many rows `range` selects (placeholders left out); nullopt on error.
    virtual std::optional<std::size_t> count(const std::string& user, const std::string& domain,
                                             const ArchiveRange& range) = 0;
    // Every row of the account (placeholders left out), oldest first, as
    // rows to add() again (the XEP-0227 export).
    virtual std::vector<ArchiveRow> all(const std::string& user, const std::string& domain) = 0;
    // Deletes every row of one archive (a room that is gone); false on error.
    virtual bool remove_all(const std::string& user, const std::string& domain) = 0;
    // Deletes every row older than `stamp_us` (retention); how many went.
    virtual std::optional<std::size_t> remove_older_than(std::int64_t stamp_us) = 0;

    // The account's preferences; nullopt when it never set any (the
    // server's default applies) or on a storage error (`ok` false).
    virtual std::optional<ArchivePrefs> prefs(const std::string& user, const std::string& domain, bool& ok) = 0;
    virtual bool set_prefs(const std::string& user, const std::string& domain, const ArchivePrefs& prefs) = 0;
    // Every account's preferences (loaded into memory at start-up):
    // (user, domain, prefs).
    struct AccountPrefs {
        std::string user;
        std::string domain;
        ArchivePrefs prefs;
    };
    virtual std::vector<AccountPrefs> all_prefs() = 0;
};

}  // namespace server::store
