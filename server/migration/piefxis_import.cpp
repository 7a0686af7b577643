#include "server/migration/piefxis_import.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <limits>

#include "auth/scram.hpp"
#include "server/core/pubsub_journal.hpp"
#include "server/store/sqlite/account_removal.hpp"
#include "server/store/sqlite/sqlite_archive_store.hpp"
#include "server/store/sqlite/sqlite_blocklist_store.hpp"
#include "server/store/sqlite/sqlite_offline_store.hpp"
#include "server/store/sqlite/sqlite_pubsub_store.hpp"
#include "server/store/sqlite/sqlite_roster_store.hpp"
#include "server/store/sqlite/sqlite_account_store.hpp"
#include "server/store/sqlite/sqlite_user_data_store.hpp"
#include "xmpp/datetime.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/serializer.hpp"

namespace server::migration {

namespace {

// The file's secrets as they are, plus what a plaintext password gives for
// the hashes it lacks.
std::vector<auth::ScramSecret> secrets_of(const PieUser& user, std::uint32_t iterations) {
    std::vector<auth::ScramSecret> secrets = user.secrets;
    if (!user.password || user.password->empty()) return secrets;
    for (auto& derived : auth::make_scram_secrets(*user.password, iterations)) {
        bool have = false;
        for (const auto& s : secrets) have = have || s.hash == derived.hash;
        if (!have) secrets.push_back(std::move(derived));
    }
    return secrets;
}

struct Stores {
    explicit Stores(store::Database& db)
        : accounts(db), roster(db), user_data(db), offline(db), blocklist(db), archive(db), pubsub(db) {}
    store::SqliteAccountStore accounts;
    store::SqliteRosterStore roster;
    store::SqliteUserDataStore user_data;
    store::SqliteOfflineStore offline;
    store::SqliteBlocklistStore blocklist;
    store::SqliteArchiveStore archive;
    store::SqlitePubsubStore pubsub;
};

// One node as the changes that create it, oldest item first: the newest
// max_items of them, what the node keeps (a Service restoring more would drop
// the older ones without a trace in the store).
std::vector<store::PubsubChange> pep_changes(const PiePepNode& node, std::int64_t stamp_us) {
    using Kind = store::PubsubChange::Kind;
    std::vector<store::PubsubChange> changes;
    store::PubsubChange created;
    created.kind = Kind::node_created;
    created.node = node.name;
    created.config = stored_config(node.config);
    changes.push_back(std::move(created));
    for (const auto& [jid, affiliation] : node.affiliations) {
        store::PubsubChange c;
        c.kind = Kind::affiliation_set;
        c.node = node.name;
        c.jid = jid;
        c.affiliation = affiliation;
        changes.push_back(std::move(c));
    }
    for (const auto& jid : node.subscribers) {
        store::PubsubChange c;
        c.kind = Kind::subscribed;
        c.node = node.name;
        c.jid = jid;
        changes.push_back(std::move(c));
    }
    const std::size_t kept = std::min(node.items.size(), node.config.max_items.value_or(node.items.size()));
    for (auto item_it = node.items.end() - static_cast<std::ptrdiff_t>(kept); item_it != node.items.end(); ++item_it) {
        const PiePepItem& item = *item_it;
        store::PubsubChange c;
        c.kind = Kind::item_stored;
        c.node = node.name;
        c.item = item_row(pubsub::Item{item.id, item.payload, item.publisher, 0}, stamp_us);
        changes.push_back(std::move(c));
    }
    return changes;
}

// The archive rows of a user's messages: the other party is whoever of
// 'from' and 'to' is not the user.
std::vector<store::ArchiveRow> archive_rows(const PieUser& user, const std::string& domain) {
    const std::string self = user.name + "@" + domain;
    std::vector<store::ArchiveRow> rows;
    std::size_t n = 0;
    for (const auto& m : user.archive) {
        auto from = xmpp::Jid::parse(m.message.attr_or("from"));
        auto to = xmpp::Jid::parse(m.message.attr_or("to"));
        const auto& other = from && from->bare_string() != self ? from : to;
        std::string id = m.id.empty() ? "import-" + std::to_string(++n) : m.id;
        rows.push_back({user.name, domain, std::move(id), m.stamp_us, other ? other->bare_string() : std::string(),
                        other ? other->resource() : std::string(), xmpp::to_string(m.message)});
    }
    return rows;
}

std::optional<std::string> import_user(Stores& s, const PieUser& user, const std::string& domain,
                                       const ImportOptions& options, ImportCounts& counts) {
    const std::string jid = user.name + "@" + domain;
    auto secrets = secrets_of(user, options.scram_iterations);
    if (user.password && !user.password->empty() && secrets.size() < 2)
        return jid + ": could not derive SCRAM secrets from the password";
    if (s.accounts.create(auth::Account{user.name, domain, secrets}) != auth::StoreStatus::ok)
        return jid + ": cannot create the account";
    const bool has_sha256 = std::any_of(secrets.begin(), secrets.end(),
                                        [](const auth::ScramSecret& x) { return x.hash == auth::ScramHash::sha256; });
    if (!secrets.empty() && !has_sha256) ++counts.without_sha256;
    if (secrets.empty()) counts.messages.push_back(jid + ": no password or SCRAM credentials in the file; "
                                                   "set one with: xmqd passwd " + jid);
    for (const auto& c : user.contacts) {
        store::RosterRow row{c.jid, c.name, c.groups, static_cast<int>(c.state), c.in_roster};
        if (!s.roster.put(user.name, domain, row)) return jid + ": cannot store roster item " + c.jid;
        ++counts.contacts;
    }
    if (user.vcard) {
        if (!s.user_data.set_document(user.name, domain, "vcard", "", xmpp::to_string(*user.vcard)))
            return jid + ": cannot store the vCard";
        ++counts.vcards;
    }
    for (const auto& doc : user.private_xml) {
        if (!s.user_data.set_document(user.name, domain, "private", doc.xmlns(), xmpp::to_string(doc)))
            return jid + ": cannot store private XML " + doc.xmlns();
        ++counts.private_documents;
    }
    for (const auto& m : user.offline) {
        xmpp::Element message = m.message;
        std::int64_t stamp = m.stamp;
        if (!message.child("delay", delay_ns)) {
            stamp = options.now;
            xmpp::Element delay("delay", std::string(delay_ns));
            delay.set_attr("from", domain);
            delay.set_attr("stamp", xmpp::xep82_datetime(stamp));
            delay.add_text("Offline storage");
            message.add_child(std::move(delay));
        }
        const auto status = s.offline.add(user.name, domain, stamp, xmpp::to_string(message),
                                          std::numeric_limits<std::size_t>::max());
        if (status != store::SqliteOfflineStore::AddStatus::ok) return jid + ": cannot store an offline message";
        ++counts.offline_messages;
    }
    if (!user.blocked.empty()) {
        if (!s.blocklist.add(user.name, domain, user.blocked)) return jid + ": cannot store the block list";
        counts.blocked += user.blocked.size();
    }
    if (!user.archive.empty()) {
        if (!s.archive.add(archive_rows(user, domain)))
            return jid + ": cannot store the message archive (an id appears twice?)";
        counts.archived_messages += user.archive.size();
    }
    if (const auto& p = user.archive_prefs)
        if (!s.archive.set_prefs(user.name, domain, {p->default_mode, p->always, p->never}))
            return jid + ": cannot store the archiving preferences";
    for (const auto& node : user.pep) {
        if (!s.pubsub.apply(user.name, domain, pep_changes(node, options.now * 1'000'000)))
            return jid + ": cannot store PEP node " + node.name;
        ++counts.pep_nodes;
        counts.pep_items += std::min(node.items.size(), node.config.max_items.value_or(node.items.size()));
    }
    ++counts.users;
    return std::nullopt;
}

}  // namespace

xmpp::Result<ImportCounts, std::string> import_pie(store::Database& db, const PieData& data,
                                                   const conf::Config& config, const ImportOptions& options) {
    ImportCounts counts;
    Stores stores(db);
    store::Database::Batch batch(db);
    if (!batch.begun()) return xmpp::fail(std::string("storage: cannot begin the import transaction"));
    for (const auto& host : data.hosts) {
        if (!config.serves_host(host.domain)) {
            counts.skipped_other_hosts += host.users.size();
            counts.messages.push_back("host " + host.domain + " is not served by this configuration (" +
                                      config.source + "): its " + std::to_string(host.users.size()) +
                                      " user(s) skipped");
            continue;
        }
        for (const auto& user : host.users) {
            const std::string jid = user.name + "@" + host.domain;
            if (stores.accounts.find(user.name, host.domain)) {
                if (!options.replace) {
                    ++counts.skipped_existing;
                    counts.messages.push_back(jid + " exists: skipped (--replace to overwrite)");
                    continue;
                }
                if (store::remove_account(db, user.name, host.domain).status != auth::StoreStatus::ok)
                    return xmpp::fail("storage: cannot remove the existing account " + jid);
                ++counts.replaced;
            }
            if (auto err = import_user(stores, user, host.domain, options, counts))
                return xmpp::fail("storage: " + *err + "; nothing was imported");
        }
    }
    if (!batch.commit()) return xmpp::fail(std::string("storage: cannot commit the import; nothing was imported"));
    return counts;
}

}  // namespace server::migration
