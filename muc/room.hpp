// Room: one XEP-0045 chat room as pure state, without sockets or threads.
// It holds the configuration (config.hpp), affiliations by bare JID,
// occupants by nick (one occupant may be several sessions, the full JIDs of
// one bare JID that joined with the same nick: multi-session nicks), roles,
// the subject and the discussion history (history.hpp). handle() takes a
// stanza addressed to the room (room@service) or to an occupant
// (room@service/nick), as its sender's session sent it ('from' stamped), and
// appends what the room sends in answer to an Outbox, in the order it must
// go out: every occupant gets the room's stanzas in the same order.
//
// Joins, nick changes, presence updates and leaving (§7.2-§7.14), groupchat
// messages and the subject (§7.4, §8.1), private messages (§7.5), mediated
// invitations (§7.8.2), the owner's configuration and destruction (§10), the
// admin list and role changes (§8, §9: kick, ban, voice, membership,
// moderator, admin, owner), voice requests (§7.13), nick registration (§7.10, registration.hpp:
// a registered nick is reserved in the room, its user a member), queries passed on between occupants, self-ping
// (XEP-0410) and occupant ids (XEP-0421). The room's archive (XEP-0313 on
// the room JID) is the service's: the room stamps each groupchat message it
// archives with its <stanza-id by='room'/> (XEP-0359), hands it over
// (take_archived()), checks who may read the archive and hands over the
// queries it let through (take_archive_requests()) for the service to answer
// from the store.
//
// The owner of a Room (the muc module keeps one per room behind a lock)
// calls it from one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "muc/config.hpp"
#include "muc/history.hpp"
#include "muc/roles.hpp"
#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/mam_query.hpp"

namespace muc {

using Clock = std::chrono::system_clock;

// The service's bounds on one room.
struct Limits {
    std::size_t max_nick_bytes = 64;
    std::size_t max_sessions_per_nick = 10;
    std::size_t max_affiliations = 1000;  // listed JIDs (owners, admins, members, outcasts)
    std::size_t max_admin_items = 50;     // items in one admin request
    std::size_t max_invites = 10;         // invitations in one message
    std::size_t max_pending_iqs = 64;     // queries passed on to occupants and not yet answered
    std::chrono::seconds iq_timeout{60};  // after which an unanswered one is forgotten
    // Groupchat and private messages per occupant: `message_burst` at once,
    // refilled at `message_rate` per second; 0: unlimited.
    double message_rate = 0;
    std::size_t message_burst = 10;
    ConfigLimits config;
};

// A stanza the room sends: 'from' set; 'to' left for the delivery to stamp
// (one element is shared by every recipient of a broadcast).
struct Outgoing {
    xmpp::Jid from;
    xmpp::Jid to;
    std::shared_ptr<const xmpp::Element> stanza;
};
using Outbox = std::vector<Outgoing>;

// What a persistent room keeps across restarts (the muc module stores it):
// no occupants, no history.
struct RoomState {
    RoomConfig config;
    std::vector<std::pair<std::string, Affiliation>> affiliations;  // bare JID -> other than none
    std::optional<xmpp::Element> subject;                           // the last subject message
    std::vector<std::pair<std::string, std::string>> nicks;         // bare JID -> registered nick (§7.10)
};

// A groupchat message for the room's archive, as the occupants got it
// (from room@service/nick, with its stanza-id; without 'to').
struct ArchiveEntry {
    std::string id;  // the stanza-id
    std::int64_t stamp_us = 0;
    std::string nick;
    std::string xml;
};

// A query of the room's archive by someone the room lets read it.
struct ArchiveRequest {
    enum class Kind { query, metadata };
    Kind kind = Kind::query;
    xmpp::Element iq;
    xmpp::Jid from;
    xmpp::MamQuery query;  // Kind::query
};

class Room {
public:
    // `jid`: the room's bare JID. `occupant_id_key`: the secret occupant ids
    // (XEP-0421) are made from; the same key gives the same ids.
    Room(xmpp::Jid jid, RoomConfig config, std::string occupant_id_key, Limits limits);
    // A stored room brought back: nobody entering it creates it.
    Room(xmpp::Jid jid, RoomState state, std::string occupant_id_key, Limits limits);

    RoomState state() const;
    const std::string& occupant_id_key() const { return occupant_id_key_; }
    // Counts the changes of what state() holds (configuration,
    // affiliations, subject): the caller stores the room when it moved.
    std::uint64_t revision() const { return revision_; }

    const xmpp::Jid& jid() const { return jid_; }
    const RoomConfig& config() const { return config_; }

    void handle(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Clock::time_point now,
                Outbox& out);
    // A session ended (closed, lost): it leaves as if it had sent
    // unavailable presence.
    void session_ended(const xmpp::Jid& full, Outbox& out);

    // The account `bare` was deleted: it leaves (any session still in) and
    // loses its affiliation, so that a new account of the same name inherits
    // nothing. A room left without an owner passes ownership to its admins;
    // with none, it is destroyed.
    void account_removed(const xmpp::Jid& bare, Outbox& out);

    Affiliation affiliation_of(const xmpp::Jid& bare) const;
    // Sets an affiliation without telling anyone (the creator's ownership,
    // rooms loaded from storage).
    void set_affiliation(const xmpp::Jid& bare, Affiliation affiliation);

    // The messages archived and the archive queries let through since the
    // last call, in the room's order.
    std::vector<ArchiveEntry> take_archived() { return std::exchange(archived_, {}); }
    std::vector<ArchiveRequest> take_archive_requests() { return std::exchange(archive_requests_, {}); }
    // A message of the archive back in the discussion history (a stored
    // room brought back after a restart), oldest first.
    void restore_history(xmpp::Element message, std::int64_t stamp_us);

    // The sessions that left since the last call, whoever made them leave
    // (themselves, a kick, a ban, the room's destruction).
    std::vector<xmpp::Jid> take_departed();

    bool has_session(const xmpp::Jid& full) const { return nick_of_.contains(full.full()); }
    std::size_t occupant_count() const { return occupants_.size(); }
    bool empty() const { return occupants_.empty(); }
    // An owner destroyed it (§10.9): everyone left; the service forgets it.
    bool destroyed() const { return destroyed_; }

    // The room's disco#info <query/> (§6.4): identity, muc_* features from
    // the configuration, the muc#roominfo form.
    xmpp::Element disco_info() const;
    // The XEP-0421 id of a bare JID in this room.
    std::string occupant_id(const xmpp::Jid& bare) const;

private:
    struct Session {
        xmpp::Jid full;
        xmpp::Element presence;  // the client's latest, without MUC extensions
    };
    struct Occupant {
        std::string nick;
        xmpp::Jid bare;
        Role role = Role::participant;
        std::vector<Session> sessions;  // the latest presence last: it is the occupant's
        std::string occupant_id;
        double tokens = 0;
        Clock::time_point refilled{};
    };
    // What a presence about an occupant says beyond its item.
    struct PresenceNote {
        std::vector<int> codes = {};       // to everyone
        std::vector<int> self_codes = {};  // to the occupant itself, after 110
        std::string new_nick = {};         // 303
        std::string actor = {};            // the moderator's nick (kick, ban)
        std::string reason = {};
        const xmpp::Element* destroy = nullptr;  // §10.9
    };

    void presence(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Clock::time_point now,
                  Outbox& out);
    void message(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Clock::time_point now,
                 Outbox& out);
    void iq(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Clock::time_point now,
            Outbox& out);
    // A query to another occupant passes on to its latest session, from
    // the asker's occupant JID under an id of the room's; the answer comes
    // back the same way, with the asker's id (§7.5's "IQ" forwarding, as
    // Prosody and ejabberd do: vCards, software version, disco).
    void forward_iq(const xmpp::Element& stanza, const Occupant& asker, const xmpp::Jid& from,
                    const Occupant& target, Clock::time_point now, Outbox& out);
    void iq_answer(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Outbox& out);

    void join(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Clock::time_point now,
              Outbox& out);
    void change_nick(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Outbox& out);
    void update_presence(const xmpp::Element& stanza, const xmpp::Jid& from, Outbox& out);
    // One session leaves; the occupant leaves with its last session.
    void leave(const xmpp::Jid& from, const xmpp::Element* unavailable, const PresenceNote& note, Outbox& out);
    // The whole occupant leaves (kick, ban, destruction), every session told.
    void remove_occupant(const std::string& nick, const PresenceNote& note, Outbox& out);

    void groupchat(const xmpp::Element& stanza, Occupant& sender, const xmpp::Jid& from, Clock::time_point now,
                   Outbox& out);
    void private_message(const xmpp::Element& stanza, Occupant& sender, const xmpp::Jid& from, const xmpp::Jid& to,
                         Clock::time_point now, Outbox& out);
    void invite(const xmpp::Element& stanza, const xmpp::Element& x, const xmpp::Jid& from, Outbox& out);
    // §7.13, §8.6: a visitor asks for voice (a muc#request form), the
    // moderators get the form to approve; a moderator's approval gives voice.
    void voice_request(const xmpp::Element& stanza, const xmpp::Element& form, const xmpp::Jid& from,
                       Clock::time_point now, Outbox& out);

    // XEP-0313 to the room JID: who may read (§5.1.2: whoever may enter
    // the room at the time of the query), the query form, and the queries
    // handed to the service.
    void archive_iq(const xmpp::Element& iq, const xmpp::Element& payload, const xmpp::Jid& from, Outbox& out);
    bool may_read_archive(const xmpp::Jid& from) const;
    // With its <delay from='room'/>, into the discussion history.
    void add_history(xmpp::Element message, std::int64_t stamp_us);

    // §7.10: jabber:iq:register to the room; §7.12: the reserved nick
    // (disco#info node x-roomuser-item).
    void register_iq(const xmpp::Element& iq, const xmpp::Element& payload, const xmpp::Jid& from, Outbox& out);
    // The bare JID that registered `nick`, or null.
    const std::string* registrant_of(const std::string& nick) const;
    std::optional<std::string> registered_nick(const xmpp::Jid& bare) const;

    void owner_get(const xmpp::Element& iq, const xmpp::Jid& from, Outbox& out);
    void owner_set(const xmpp::Element& iq, const xmpp::Jid& from, Outbox& out);
    void admin_get(const xmpp::Element& iq, const xmpp::Jid& from, Outbox& out);
    void admin_set(const xmpp::Element& iq, const xmpp::Jid& from, Outbox& out);
    void destroy(const xmpp::Element& destroy_element, Outbox& out);
    // Sets an affiliation and tells the room: the user's occupants get their
    // new role, or leave (banned; members-only room and no longer a member).
    void affiliation_changed(const xmpp::Jid& bare, Affiliation affiliation, Outbox& out,
                             const std::string& actor = {}, const std::string& reason = {});
    void configured(const RoomConfig& before, Outbox& out);

    // The occupant's presence as a viewer sees it (`with_jid`: its real
    // JID shown; `self`: the occupant itself, 110): from room/nick, the
    // client's presence `base`, <x xmlns='…muc#user'/> with its item.
    xmpp::Element presence_of(const Occupant& o, bool with_jid, bool self, const xmpp::Element& base,
                              const PresenceNote& note) const;
    // To every session of every occupant (the occupant itself with 110).
    void broadcast_presence(const Occupant& o, const xmpp::Element& base, const PresenceNote& note, Outbox& out) const;
    void to_all(const std::shared_ptr<const xmpp::Element>& stanza, const xmpp::Jid& from, Outbox& out) const;
    void to_occupant(const Occupant& o, const std::shared_ptr<const xmpp::Element>& stanza, const xmpp::Jid& from,
                     Outbox& out) const;
    void error(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, const Error& e,
               Outbox& out) const;
    void result(const xmpp::Element& iq, const xmpp::Jid& from, const xmpp::Jid& to,
                std::optional<xmpp::Element> payload, Outbox& out) const;

    void forget_session(const xmpp::Jid& full);
    Occupant* occupant_of(const xmpp::Jid& full);
    Occupant* occupant_named(const std::string& nick);
    bool sees_jids(const Occupant* viewer) const;
    bool take_token(Occupant& o, Clock::time_point now) const;
    xmpp::Jid occupant_jid(const std::string& nick) const;
    std::size_t count_owners() const;

    xmpp::Jid jid_;
    RoomConfig config_;
    std::string occupant_id_key_;
    Limits limits_;
    std::map<std::string, Occupant> occupants_;       // by nick
    std::map<std::string, std::string> nick_of_;      // full JID -> nick
    std::map<std::string, Affiliation> affiliations_;  // bare JID -> other than none
    std::map<std::string, std::string> nicks_;         // bare JID (member or above) -> registered nick
    History history_;
    std::optional<xmpp::Element> subject_;  // the last subject message, without 'to'
    struct PendingIq {
        xmpp::Jid asker;          // the full JID that asked
        std::string asker_id;     // its id
        xmpp::Jid asker_nick;     // room/nick the query came from
        xmpp::Jid target;         // the session asked
        xmpp::Jid target_nick;    // room/nick it was asked as
        Clock::time_point sent;
    };
    std::map<std::string, PendingIq> pending_iqs_;  // by the room's id
    std::uint64_t next_iq_ = 0;
    std::vector<xmpp::Jid> departed_;
    std::vector<ArchiveEntry> archived_;
    std::vector<ArchiveRequest> archive_requests_;
    std::uint64_t revision_ = 0;
    bool fresh_ = true;                     // nobody has joined yet: the first joiner created it (201)
    bool destroyed_ = false;
};

}  // namespace muc
