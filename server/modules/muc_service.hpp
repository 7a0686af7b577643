// MucService: the group chat service of the muc module (muc.cpp): the rooms
// of every conference.HOST domain, each a muc::Room (muc/room.hpp) behind a
// lock of its own, and the stanzas they answer delivered through the
// Router's Delivery. The Router hands it every stanza addressed to a
// conference domain or a JID under it, on the sender's worker; a session's
// end comes from the session_ended hook. Rooms are made by the first
// presence that enters them and forgotten when the last occupant leaves
// (unless configured persistent, which keeps them in memory until a
// restart) or an owner destroys them.
//
// Room archives (XEP-0313 on the room JID) live in the account archive's
// store (store::ArchiveStore, rows under the room's local part and service
// domain): the messages a room archived are written in its order, grouped
// with other writes; queries it let through are answered on the storage
// thread with the account archive's paging (mam_page.hpp); a room that is
// gone (destroyed, or temporary and empty) takes its archive with it. A
// stored room's discussion history comes back from its archive at start-up.
//
// Thread safety: any worker at once. Lock order: a room's lock, then the
// table of rooms (shared to look up, exclusive to add or remove); the table
// of joined rooms per session is locked alone, never while waiting for
// another lock. Everything a room sends is handed to the Delivery under the
// room's lock, so every occupant gets the room's stanzas in one order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "muc/room.hpp"
#include "server/core/services.hpp"
#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"

namespace server {
class Router;
}

namespace server::modules {

struct MucOptions {
    std::size_t max_rooms = 10000;         // per service domain
    std::size_t mam_default_page = 50;     // a room archive query without <max/>
    std::size_t mam_max_page = 250;        // a larger <max/> is cut down to it
    std::size_t max_rooms_per_user = 100;  // rooms one bare JID is in at once
    std::size_t history_default = 20;      // muc#maxhistoryfetch of a new room
    muc::Limits room;
};

class MucService {
public:
    MucService(Services& services, MucOptions options) : services_(services), options_(std::move(options)) {}

    // Start-up, before the workers run: the persistent rooms of the served
    // conference domains from the store. Returns how many came back.
    std::size_t load_stored(const std::vector<std::string>& domains);

    void handle(xmpp::Element&& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Router& router);
    void session_ended(const xmpp::Jid& full);
    // An account was deleted (storage thread): every room forgets it
    // (muc::Room::account_removed), stored rooms included.
    void account_removed(const xmpp::Jid& bare);

    std::size_t room_count() const;

private:
    struct Slot {
        explicit Slot(muc::Room r) : room(std::move(r)) {}
        std::mutex mutex;
        muc::Room room;
        bool gone = false;  // taken out of the table: look again
    };

    void service_iq(const xmpp::Element& iq, const xmpp::Jid& from, const xmpp::Jid& to, Router& router);
    void to_room(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Router& router);
    std::shared_ptr<Slot> find(const std::string& room) const;
    // The room for a joining presence, made when missing; null with the
    // error sent when the service is full.
    std::shared_ptr<Slot> find_or_create(const xmpp::Element& stanza, const xmpp::Jid& to, Router& router);
    // With the slot's lock held: after a stanza, keep the joined table in
    // step and drop a room nobody keeps.
    void after(Slot& slot, const std::string& room, const xmpp::Jid& session, bool was_in);
    void deliver(const muc::Outbox& out, Router& router);
    // With the slot's lock held, after a stanza: what the room archived to
    // the store, its archive queries to the storage thread.
    void archive(Slot& slot, Router& router);
    // With the slot's lock held, after a stanza: writes a persistent room
    // that changed, or deletes one that stopped being persistent or is gone.
    void persist(Slot& slot, std::uint64_t revision_before, bool persistent_before);
    std::size_t rooms_of(const xmpp::Jid& bare) const;  // with joined_mutex_ held

    Services& services_;
    const MucOptions options_;

    mutable std::shared_mutex rooms_mutex_;
    std::map<std::string, std::shared_ptr<Slot>> rooms_;  // room bare JID ->
    std::map<std::string, std::size_t> rooms_per_domain_;

    mutable std::mutex joined_mutex_;
    std::map<std::string, std::set<std::string>> joined_;  // session full JID -> rooms it is in
};

}  // namespace server::modules
