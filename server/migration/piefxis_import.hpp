// Writing imported XEP-0227 data into xmqd's store, all of it in one
// transaction (Database::Batch): a storage error anywhere leaves the store as
// it was. The caller has read and checked the whole file first (read_pie), so
// a malformed file never reaches this point.
//
// Per user: the account with its SCRAM secrets, the ones the file holds kept
// as they are, and from a plaintext password the hashes the file lacks,
// derived as `xmqd adduser` does (a user with SCRAM-SHA-1 secrets only logs
// in with SCRAM-SHA-1 and PLAIN, not SCRAM-SHA-256, until its password is
// set again: counted, so that the operator can turn auth.allow_scram_sha256
// off); roster rows with their subscription states; the vCard; private
// XML; offline messages in order, each with a XEP-0203 delay (the import time
// when the file gave none), every one kept even past limits.max_offline_messages
// (the old server accepted them); the block list; the message archive; PEP
// nodes with their configuration, affiliations, subscriptions and items (the
// newest max_items of a node, what it keeps; 'max' keeps all of them).
//
// Hosts the configuration does not serve are skipped, and said so. An
// account that already exists is skipped, untouched, unless `replace` is
// set: then everything xmqd keeps about it is deleted first
// (store::remove_account) and the file's data takes its place.
//
// Written on the SQLite classes (store/sqlite/), not the store::Storage
// interfaces: the whole import is one SQLite transaction, which the
// interfaces do not offer. Blocks on disk: for the admin sub-command,
// single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "server/migration/piefxis.hpp"
#include "server/store/sqlite/database.hpp"
#include "xmpp/result.hpp"

namespace server::migration {

struct ImportOptions {
    bool replace = false;
    std::uint32_t scram_iterations = 4096;  // for secrets derived from a plaintext password
    std::int64_t now = 0;                   // Unix seconds: the stamp of messages without one
};

struct ImportCounts {
    std::size_t users = 0;
    std::size_t without_sha256 = 0;  // accounts with SCRAM-SHA-1 secrets only
    std::size_t replaced = 0;
    std::size_t skipped_existing = 0;
    std::size_t skipped_other_hosts = 0;  // users of hosts not served
    std::size_t contacts = 0;
    std::size_t vcards = 0;
    std::size_t private_documents = 0;
    std::size_t offline_messages = 0;
    std::size_t blocked = 0;
    std::size_t archived_messages = 0;
    std::size_t pep_nodes = 0;
    std::size_t pep_items = 0;
    std::vector<std::string> messages;  // one line per skipped host or user
};

xmpp::Result<ImportCounts, std::string> import_pie(store::Database& db, const PieData& data,
                                                   const conf::Config& config, const ImportOptions& options);

}  // namespace server::migration
