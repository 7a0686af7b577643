// MucStore: the persistent group chat rooms (XEP-0045, muc#roomconfig_
// persistentroom) of the muc module, whatever the storage backend: each
// room's configuration, affiliations (with the nicks registered by members,
// XEP-0045 §7.10), subject and the key its occupant ids (XEP-0421) are made
// from. Occupants and discussion history are not kept:
// a restart empties the rooms, as their users' sessions end with it.
//
// Owned by the backend's Storage (storage.hpp). Calls are thread-safe and
// block on disk or network: run them on the storage executor, or at start-up
// (load()) before the workers run; never on an I/O worker.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace server::store {

struct MucRoomRow {
    std::string domain;        // the service: "conference.example.org"
    std::string name;          // the room's local part
    std::string config;        // its muc#roomconfig form (type submit), as XML
    std::string subject;       // the last subject message, as XML; empty: none set
    std::string occupant_key;  // the XEP-0421 key
    std::vector<std::pair<std::string, std::string>> affiliations;  // (bare JID, "owner"|"admin"|"member"|"outcast")
    std::vector<std::pair<std::string, std::string>> nicks;  // (bare JID, registered nick), each JID also affiliated

    friend bool operator==(const MucRoomRow&, const MucRoomRow&) = default;
};

class MucStore {
public:
    virtual ~MucStore() = default;

    // At most `max_rooms` rooms, with their affiliations.
    virtual std::vector<MucRoomRow> load(std::size_t max_rooms) = 0;
    // Writes the room whole (its affiliations replaced), in one transaction.
    virtual bool save(const MucRoomRow& room) = 0;
    virtual bool remove(const std::string& domain, const std::string& name) = 0;
};

}  // namespace server::store
