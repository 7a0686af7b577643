#include "server/store/sqlite/sqlite_pubsub_store.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace server::store {

MigrationSet SqlitePubsubStore::schema() {
    return {"pubsub",
            {
                {1,
                 "CREATE TABLE pubsub_nodes ("
                 " user TEXT NOT NULL,"  // '' for a service that is a domain
                 " domain TEXT NOT NULL,"
                 " node TEXT NOT NULL,"
                 " config TEXT NOT NULL,"
                 " PRIMARY KEY (user, domain, node)"
                 ");"
                 "CREATE TABLE pubsub_items ("
                 " seq INTEGER PRIMARY KEY AUTOINCREMENT,"  // the order within a node
                 " user TEXT NOT NULL,"
                 " domain TEXT NOT NULL,"
                 " node TEXT NOT NULL,"
                 " id TEXT NOT NULL,"
                 " publisher TEXT NOT NULL,"
                 " stamp_us INTEGER NOT NULL,"
                 " xml TEXT NOT NULL"  // '': an item without payload
                 ");"
                 "CREATE UNIQUE INDEX pubsub_items_id ON pubsub_items (user, domain, node, id);"
                 "CREATE INDEX pubsub_items_order ON pubsub_items (user, domain, node, seq);"
                 "CREATE TABLE pubsub_affiliations ("
                 " user TEXT NOT NULL,"
                 " domain TEXT NOT NULL,"
                 " node TEXT NOT NULL,"
                 " jid TEXT NOT NULL,"
                 " affiliation TEXT NOT NULL,"
                 " PRIMARY KEY (user, domain, node, jid)"
                 ");"
                 "CREATE TABLE pubsub_subscriptions ("
                 " user TEXT NOT NULL,"
                 " domain TEXT NOT NULL,"
                 " node TEXT NOT NULL,"
                 " jid TEXT NOT NULL,"
                 " PRIMARY KEY (user, domain, node, jid)"
                 ");"},
            }};
}

namespace {

constexpr std::array<std::string_view, 4> kNodeTables = {"pubsub_items", "pubsub_affiliations",
                                                        "pubsub_subscriptions", "pubsub_nodes"};

// Only rows of a node that is stored: a batch may carry changes to a node it
// also deleted.
constexpr std::string_view kNodeExists =
    " WHERE EXISTS (SELECT 1 FROM pubsub_nodes WHERE user = ?1 AND domain = ?2 AND node = ?3)";

bool delete_node(Database::Lock& l, const std::string& user, const std::string& domain, const std::string& node) {
    for (const std::string_view table : kNodeTables) {
        Statement s =
            l.prepare("DELETE FROM " + std::string(table) + " WHERE user = ?1 AND domain = ?2 AND node = ?3");
        if (!s.valid() || !s.bind(1, user).bind(2, domain).bind(3, node).run()) return false;
    }
    return true;
}

bool apply_one(Database::Lock& l, const std::string& user, const std::string& domain, const PubsubChange& c) {
    using Kind = PubsubChange::Kind;
    auto run = [&](std::string_view sql, auto&& bind_rest) {
        Statement s = l.prepare(sql);
        if (!s.valid()) return false;
        s.bind(1, user).bind(2, domain).bind(3, c.node);
        bind_rest(s);
        return s.run();
    };
    switch (c.kind) {
    case Kind::node_created:
        if (!delete_node(l, user, domain, c.node)) return false;
        return run("INSERT INTO pubsub_nodes (user, domain, node, config) VALUES (?1, ?2, ?3, ?4)",
                   [&](Statement& s) { s.bind(4, c.config); });
    case Kind::node_configured:
        return run("UPDATE pubsub_nodes SET config = ?4 WHERE user = ?1 AND domain = ?2 AND node = ?3",
                   [&](Statement& s) { s.bind(4, c.config); });
    case Kind::node_deleted: return delete_node(l, user, domain, c.node);
    case Kind::item_stored:
        // REPLACE deletes the row of the same id and inserts a new one: it
        // takes the next seq, the newest place.
        return run("INSERT OR REPLACE INTO pubsub_items (user, domain, node, id, publisher, stamp_us, xml)"
                   " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7" +
                       std::string(kNodeExists),
                   [&](Statement& s) {
                       s.bind(4, c.item.id).bind(5, c.item.publisher).bind(6, c.item.stamp_us).bind(7, c.item.xml);
                   });
    case Kind::item_removed:
        return run("DELETE FROM pubsub_items WHERE user = ?1 AND domain = ?2 AND node = ?3 AND id = ?4",
                   [&](Statement& s) { s.bind(4, c.item.id); });
    case Kind::affiliation_set:
        if (c.affiliation.empty()) {
            return run("DELETE FROM pubsub_affiliations WHERE user = ?1 AND domain = ?2 AND node = ?3 AND jid = ?4",
                       [&](Statement& s) { s.bind(4, c.jid); });
        }
        return run("INSERT OR REPLACE INTO pubsub_affiliations (user, domain, node, jid, affiliation)"
                   " SELECT ?1, ?2, ?3, ?4, ?5" +
                       std::string(kNodeExists),
                   [&](Statement& s) { s.bind(4, c.jid).bind(5, c.affiliation); });
    case Kind::subscribed:
        return run("INSERT OR IGNORE INTO pubsub_subscriptions (user, domain, node, jid)"
                   " SELECT ?1, ?2, ?3, ?4" +
                       std::string(kNodeExists),
                   [&](Statement& s) { s.bind(4, c.jid); });
    case Kind::unsubscribed:
        return run("DELETE FROM pubsub_subscriptions WHERE user = ?1 AND domain = ?2 AND node = ?3 AND jid = ?4",
                   [&](Statement& s) { s.bind(4, c.jid); });
    }
    return false;
}

}  // namespace

std::optional<std::vector<PubsubNodeRow>> SqlitePubsubStore::load(const std::string& user, const std::string& domain,
                                                                  const PubsubLoadBounds& bounds) {
    std::vector<PubsubNodeRow> out;
    const auto members = static_cast<std::int64_t>(bounds.max_members_per_node);
    auto l = db_.lock();
    {
        Statement s = l.prepare(
            "SELECT node, config FROM pubsub_nodes WHERE user = ?1 AND domain = ?2 ORDER BY node LIMIT ?3");
        if (!s.valid()) return std::nullopt;
        s.bind(1, user).bind(2, domain).bind(3, static_cast<std::int64_t>(bounds.max_nodes));
        Statement::Step step;
        while ((step = s.step()) == Statement::Step::row) out.push_back({s.text(0), s.text(1), {}, {}, {}});
        if (step == Statement::Step::error) return std::nullopt;
    }
    for (auto& node : out) {
        Statement a = l.prepare(
            "SELECT jid, affiliation FROM pubsub_affiliations WHERE user = ?1 AND domain = ?2 AND node = ?3"
            " ORDER BY jid LIMIT ?4");
        if (!a.valid()) return std::nullopt;
        a.bind(1, user).bind(2, domain).bind(3, node.name).bind(4, members);
        Statement::Step step;
        while ((step = a.step()) == Statement::Step::row) node.affiliations.emplace_back(a.text(0), a.text(1));
        if (step == Statement::Step::error) return std::nullopt;
        a = Statement{};

        Statement s = l.prepare(
            "SELECT jid FROM pubsub_subscriptions WHERE user = ?1 AND domain = ?2 AND node = ?3 ORDER BY jid LIMIT ?4");
        if (!s.valid()) return std::nullopt;
        s.bind(1, user).bind(2, domain).bind(3, node.name).bind(4, members);
        while ((step = s.step()) == Statement::Step::row) node.subscribers.push_back(s.text(0));
        if (step == Statement::Step::error) return std::nullopt;
        s = Statement{};

        Statement i = l.prepare(
            "SELECT id, publisher, stamp_us, xml FROM pubsub_items WHERE user = ?1 AND domain = ?2 AND node = ?3"
            " ORDER BY seq DESC LIMIT ?4");
        if (!i.valid()) return std::nullopt;
        i.bind(1, user).bind(2, domain).bind(3, node.name);
        i.bind(4, static_cast<std::int64_t>(bounds.max_items_per_node));
        while ((step = i.step()) == Statement::Step::row)
            node.items.push_back({i.text(0), i.text(1), i.integer(2), i.text(3)});
        if (step == Statement::Step::error) return std::nullopt;
        std::reverse(node.items.begin(), node.items.end());
    }
    return out;
}

bool SqlitePubsubStore::apply(const std::string& user, const std::string& domain,
                              const std::vector<PubsubChange>& changes) {
    if (changes.empty()) return true;
    auto l = db_.lock();
    Database::Transaction tx(l);
    if (!tx.begun()) return false;
    for (const auto& change : changes)
        if (!apply_one(l, user, domain, change)) return false;
    return tx.commit();
}

bool SqlitePubsubStore::remove_service(const std::string& user, const std::string& domain) {
    auto l = db_.lock();
    Database::Transaction tx(l);
    if (!tx.begun()) return false;
    for (const std::string_view table : kNodeTables) {
        Statement s = l.prepare("DELETE FROM " + std::string(table) + " WHERE user = ?1 AND domain = ?2");
        if (!s.valid() || !s.bind(1, user).bind(2, domain).run()) return false;
    }
    return tx.commit();
}

std::optional<std::vector<PubsubServiceKey>> SqlitePubsubStore::services() {
    std::vector<PubsubServiceKey> out;
    auto l = db_.lock();
    Statement s = l.prepare("SELECT DISTINCT user, domain FROM pubsub_nodes ORDER BY domain, user");
    if (!s.valid()) return std::nullopt;
    Statement::Step step;
    while ((step = s.step()) == Statement::Step::row) out.push_back({s.text(0), s.text(1)});
    if (step == Statement::Step::error) return std::nullopt;
    return out;
}

}  // namespace server::store
