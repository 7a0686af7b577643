#include "server/migration/piefxis_export.hpp"

#include "server/core/pubsub_journal.hpp"
#include "server/migration/piefxis_reader.hpp"
#include "xmpp/datetime.hpp"
#include "server/migration/piefxis_writer.hpp"
#include "xmpp/stored_xml.hpp"
#include "server/store/sqlite/sqlite_archive_store.hpp"
#include "server/store/sqlite/sqlite_blocklist_store.hpp"
#include "server/store/sqlite/sqlite_offline_store.hpp"
#include "server/store/sqlite/sqlite_pubsub_store.hpp"
#include "server/store/sqlite/sqlite_roster_store.hpp"
#include "server/store/sqlite/sqlite_account_store.hpp"
#include "server/store/sqlite/sqlite_user_data_store.hpp"

namespace server::migration {

std::optional<PieUser> read_stored_user(store::Database& db, const std::string& user, const std::string& domain) {
    store::SqliteAccountStore accounts(db);
    auto account = accounts.find(user, domain);
    if (!account) return std::nullopt;
    PieUser u;
    u.name = user;
    u.secrets = account->secrets;
    for (auto& row : store::SqliteRosterStore(db).rows(user, domain)) {
        u.contacts.push_back(PieContact{std::move(row.contact), std::move(row.name), std::move(row.groups),
                                        static_cast<xmpp::SubState>(row.state), row.in_roster});
    }
    store::SqliteUserDataStore documents(db);
    if (auto vcard = documents.document(user, domain, "vcard", ""))
        u.vcard = xmpp::parse_stored(*vcard);
    for (const auto& [ns, xml] : documents.documents(user, domain, "private"))
        if (auto doc = xmpp::parse_stored(xml)) u.private_xml.push_back(std::move(*doc));
    for (const auto& m : store::SqliteOfflineStore(db).list(user, domain)) {
        auto message = xmpp::parse_stored(m.xml);
        if (!message) continue;
        std::int64_t stamp = 0;
        if (const auto* delay = message->child("delay", delay_ns))
            stamp = xmpp::parse_xep82(delay->attr_or("stamp")).value_or(0);
        u.offline.push_back(PieOfflineMessage{std::move(*message), stamp});
    }
    store::SqliteArchiveStore archive(db);
    for (auto& row : archive.all(user, domain))
        if (auto message = xmpp::parse_stored(row.xml))
            u.archive.push_back(PieArchivedMessage{std::move(row.id), row.stamp_us, std::move(*message)});
    bool ok = true;
    if (auto prefs = archive.prefs(user, domain, ok))
        u.archive_prefs = PieArchivePrefs{prefs->default_mode, prefs->always, prefs->never};
    // Everything stored, not what a Service would keep of it.
    constexpr std::size_t all = 1'000'000'000;
    auto nodes = store::SqlitePubsubStore(db).load(user, domain, {all, all, all});
    if (!nodes) return std::nullopt;
    for (const auto& row : *nodes) {
        auto node = node_from_row(row);
        if (!node) continue;  // a configuration this version cannot read
        PiePepNode pep{std::move(node->name), std::move(node->config), row.affiliations, std::move(node->subscribers),
                       {}};
        for (auto& item : node->items)
            pep.items.push_back(PiePepItem{std::move(item.id), std::move(item.publisher), std::move(item.payload)});
        u.pep.push_back(std::move(pep));
    }
    return u;
}

xmpp::Result<ExportCounts, std::string> export_pie(store::Database& db, const std::vector<std::string>& domains,
                                                   std::ostream& out) {
    ExportCounts counts;
    store::SqliteAccountStore accounts(db);
    // One read of the block lists for the whole export (the store lists them all at once).
    auto blocked = store::SqliteBlocklistStore(db).all();
    PieWriter writer(out);
    for (const auto& domain : domains) {
        writer.begin_host(domain);
        for (const auto& jid : accounts.list(domain)) {
            const std::string user = jid.substr(0, jid.rfind('@'));
            auto u = read_stored_user(db, user, domain);
            if (!u) return xmpp::fail("storage: cannot read " + jid);
            for (const auto& [bu, bd, bj] : blocked)
                if (bu == user && bd == domain) u->blocked.push_back(bj);
            counts.contacts += u->contacts.size();
            counts.offline_messages += u->offline.size();
            counts.archived_messages += u->archive.size();
            counts.pep_nodes += u->pep.size();
            for (const auto& node : u->pep) counts.pep_items += node.items.size();
            writer.user(*u);
            ++counts.users;
        }
        writer.end_host();
    }
    if (!writer.finish()) return xmpp::fail(std::string("cannot write the export"));
    return counts;
}

}  // namespace server::migration
