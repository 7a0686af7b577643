#include "server/store/sqlite/sqlite_muc_store.hpp"

#include <map>

namespace server::store {

MigrationSet SqliteMucStore::schema() {
    return {"muc",
            {
                {1,
                 "CREATE TABLE muc_rooms ("
                 " domain TEXT NOT NULL,"
                 " name TEXT NOT NULL,"
                 " config TEXT NOT NULL,"
                 " subject TEXT NOT NULL,"
                 " occupant_key TEXT NOT NULL,"
                 " PRIMARY KEY (domain, name)"
                 ") WITHOUT ROWID;"
                 "CREATE TABLE muc_affiliations ("
                 " domain TEXT NOT NULL,"
                 " name TEXT NOT NULL,"
                 " jid TEXT NOT NULL,"
                 " affiliation TEXT NOT NULL,"
                 " PRIMARY KEY (domain, name, jid)"
                 ") WITHOUT ROWID;"},
                // Nicks registered with a room (XEP-0045 §7.10); '': none.
                {2, "ALTER TABLE muc_affiliations ADD COLUMN nick TEXT NOT NULL DEFAULT '';"},
            }};
}

std::vector<MucRoomRow> SqliteMucStore::load(std::size_t max_rooms) {
    std::vector<MucRoomRow> out;
    auto l = db_.lock();
    Statement rooms = l.prepare(
        "SELECT domain, name, config, subject, occupant_key FROM muc_rooms ORDER BY domain, name LIMIT ?1");
    if (!rooms.valid()) return out;
    rooms.bind(1, static_cast<std::int64_t>(max_rooms));
    std::map<std::pair<std::string, std::string>, std::size_t> index;
    while (rooms.step() == Statement::Step::row) {
        index[{rooms.text(0), rooms.text(1)}] = out.size();
        out.push_back({rooms.text(0), rooms.text(1), rooms.text(2), rooms.text(3), rooms.text(4), {}, {}});
    }
    Statement affiliations = l.prepare("SELECT domain, name, jid, affiliation, nick FROM muc_affiliations");
    if (!affiliations.valid()) return out;
    while (affiliations.step() == Statement::Step::row) {
        auto it = index.find({affiliations.text(0), affiliations.text(1)});
        if (it == index.end()) continue;
        out[it->second].affiliations.emplace_back(affiliations.text(2), affiliations.text(3));
        if (std::string nick = affiliations.text(4); !nick.empty())
            out[it->second].nicks.emplace_back(affiliations.text(2), std::move(nick));
    }
    return out;
}

bool SqliteMucStore::save(const MucRoomRow& room) {
    auto l = db_.lock();
    Database::Transaction tx(l);
    if (!tx.begun()) return false;
    Statement upsert = l.prepare(
        "INSERT OR REPLACE INTO muc_rooms (domain, name, config, subject, occupant_key) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!upsert.valid() || !upsert.bind(1, room.domain)
                                .bind(2, room.name)
                                .bind(3, room.config)
                                .bind(4, room.subject)
                                .bind(5, room.occupant_key)
                                .run())
        return false;
    Statement clear = l.prepare("DELETE FROM muc_affiliations WHERE domain = ?1 AND name = ?2");
    if (!clear.valid() || !clear.bind(1, room.domain).bind(2, room.name).run()) return false;
    Statement insert = l.prepare(
        "INSERT OR REPLACE INTO muc_affiliations (domain, name, jid, affiliation, nick) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!insert.valid()) return false;
    const std::map<std::string, std::string> nicks(room.nicks.begin(), room.nicks.end());
    for (const auto& [jid, affiliation] : room.affiliations) {
        insert.reset();
        auto nick = nicks.find(jid);
        if (!insert.bind(1, room.domain)
                 .bind(2, room.name)
                 .bind(3, jid)
                 .bind(4, affiliation)
                 .bind(5, nick == nicks.end() ? std::string() : nick->second)
                 .run())
            return false;
    }
    return tx.commit();
}

bool SqliteMucStore::remove(const std::string& domain, const std::string& name) {
    auto l = db_.lock();
    Database::Transaction tx(l);
    if (!tx.begun()) return false;
    for (const char* sql : {"DELETE FROM muc_rooms WHERE domain = ?1 AND name = ?2",
                            "DELETE FROM muc_affiliations WHERE domain = ?1 AND name = ?2"}) {
        Statement s = l.prepare(sql);
        if (!s.valid() || !s.bind(1, domain).bind(2, name).run()) return false;
    }
    return tx.commit();
}

}  // namespace server::store
