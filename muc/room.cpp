#include "muc/room.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <set>
#include <utility>

#include "muc/error.hpp"
#include "muc/join.hpp"
#include "muc/registration.hpp"
#include "xmpp/datetime.hpp"
#include "xmpp/errors.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stanza_id.hpp"

namespace muc {

namespace {

using xmpp::Element;
using xmpp::StanzaError;

constexpr int status_non_anonymous = 100;
constexpr int status_self = 110;
constexpr int status_config_changed = 104;
constexpr int status_now_non_anonymous = 172;
constexpr int status_now_semi_anonymous = 173;
constexpr int status_created = 201;
constexpr int status_banned = 301;
constexpr int status_nick_changed = 303;
constexpr int status_kicked = 307;
constexpr int status_affiliation_changed = 321;
constexpr int status_members_only = 322;
constexpr int status_error = 333;

std::int64_t unix_seconds(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::int64_t unix_us(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// XEP-0334: the sender asked that the message not be kept.
bool no_store(const Element& message) {
    return message.child("no-store", xmpp::ns::hints) || message.child("no-permanent-store", xmpp::ns::hints);
}

// What a client may not claim in what the room reflects: MUC's own
// elements and an occupant id (XEP-0421 §4: the room's is the only one).
bool is_room_owned(const Element& child) {
    if (child.is_text()) return false;
    if (child.xmlns() == xmpp::ns::occupant_id) return true;
    if (child.name() == "x" && (child.xmlns() == xmpp::ns::muc || child.xmlns() == xmpp::ns::muc_user)) return true;
    return false;
}

Element status(int code) {
    Element s("status", std::string(xmpp::ns::muc_user));
    s.set_attr("code", std::to_string(code));
    return s;
}

const Element* first_element(const Element& e) {
    for (const auto& child : e.children())
        if (!child.is_text()) return &child;
    return nullptr;
}

std::shared_ptr<const Element> share(Element e) { return std::make_shared<const Element>(std::move(e)); }

}  // namespace

Room::Room(xmpp::Jid jid, RoomConfig config, std::string occupant_id_key, Limits limits)
    : jid_(std::move(jid)),
      config_(std::move(config)),
      occupant_id_key_(std::move(occupant_id_key)),
      limits_(limits),
      history_(limits.config.max_history) {}

Room::Room(xmpp::Jid jid, RoomState state, std::string occupant_id_key, Limits limits)
    : Room(std::move(jid), std::move(state.config), std::move(occupant_id_key), limits) {
    for (auto& [bare, affiliation] : state.affiliations)
        if (affiliation != Affiliation::none && affiliations_.size() < limits_.max_affiliations)
            affiliations_[bare] = affiliation;
    subject_ = std::move(state.subject);
    for (auto& [bare, nick] : state.nicks)
        if (auto it = affiliations_.find(bare); it != affiliations_.end() && it->second >= Affiliation::member)
            nicks_[bare] = std::move(nick);
    fresh_ = false;
}

RoomState Room::state() const {
    RoomState state;
    state.config = config_;
    state.affiliations.assign(affiliations_.begin(), affiliations_.end());
    state.subject = subject_;
    state.nicks.assign(nicks_.begin(), nicks_.end());
    return state;
}

Affiliation Room::affiliation_of(const xmpp::Jid& bare) const {
    auto it = affiliations_.find(bare.bare_string());
    return it == affiliations_.end() ? Affiliation::none : it->second;
}

void Room::set_affiliation(const xmpp::Jid& bare, Affiliation affiliation) {
    ++revision_;
    if (affiliation == Affiliation::none)
        affiliations_.erase(bare.bare_string());
    else
        affiliations_[bare.bare_string()] = affiliation;
    // A registered nick belongs to members and above (§7.10).
    if (affiliation < Affiliation::member) nicks_.erase(bare.bare_string());
}

std::string Room::occupant_id(const xmpp::Jid& bare) const {
    const std::string data = bare.bare_string();
    unsigned char mac[EVP_MAX_MD_SIZE];
    std::size_t length = 0;
    if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, occupant_id_key_.data(), occupant_id_key_.size(),
                   reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, sizeof mac, &length))
        return data;  // OpenSSL without HMAC-SHA256 does not run this server at all
    std::string out(4 * ((length + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(length));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

void Room::forget_session(const xmpp::Jid& full) {
    if (nick_of_.erase(full.full())) departed_.push_back(full);
}

std::vector<xmpp::Jid> Room::take_departed() { return std::exchange(departed_, {}); }

Room::Occupant* Room::occupant_of(const xmpp::Jid& full) {
    auto it = nick_of_.find(full.full());
    return it == nick_of_.end() ? nullptr : occupant_named(it->second);
}

Room::Occupant* Room::occupant_named(const std::string& nick) {
    auto it = occupants_.find(nick);
    return it == occupants_.end() ? nullptr : &it->second;
}

bool Room::sees_jids(const Occupant* viewer) const {
    return config_.whois == WhoIs::anyone || (viewer && viewer->role == Role::moderator);
}

xmpp::Jid Room::occupant_jid(const std::string& nick) const { return jid_.with_resource(nick).value_or(jid_); }

std::size_t Room::count_owners() const {
    return static_cast<std::size_t>(std::count_if(affiliations_.begin(), affiliations_.end(),
                                                  [](const auto& a) { return a.second == Affiliation::owner; }));
}

bool Room::take_token(Occupant& o, Clock::time_point now) const {
    if (limits_.message_rate <= 0) return true;
    const double burst = static_cast<double>(limits_.message_burst);
    if (o.refilled == Clock::time_point{}) {
        o.tokens = burst;
    } else if (now > o.refilled) {
        const double elapsed = std::chrono::duration<double>(now - o.refilled).count();
        o.tokens = std::min(burst, o.tokens + elapsed * limits_.message_rate);
    }
    o.refilled = now;
    if (o.tokens < 1) return false;
    o.tokens -= 1;
    return true;
}

void Room::error(const Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, const Error& e,
                 Outbox& out) const {
    if (!xmpp::is_error_reply_allowed(stanza)) return;
    Element reply = xmpp::make_error_reply(stanza, e.condition, e.text, e.type);
    reply.set_attr("from", to.full());
    reply.set_attr("to", from.full());
    out.push_back({to, from, share(std::move(reply))});
}

void Room::result(const Element& iq, const xmpp::Jid& from, const xmpp::Jid& to, std::optional<Element> payload,
                  Outbox& out) const {
    Element reply("iq", std::string(xmpp::ns::client));
    reply.set_attr("type", "result");
    if (const std::string* id = iq.attr("id")) reply.set_attr("id", *id);
    reply.set_attr("from", to.full());
    reply.set_attr("to", from.full());
    if (payload) reply.add_child(std::move(*payload));
    out.push_back({to, from, share(std::move(reply))});
}

void Room::handle(const Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Clock::time_point now,
                  Outbox& out) {
    if (destroyed_) return error(stanza, from, to, {StanzaError::item_not_found, "The room is gone"}, out);
    const std::string& kind = stanza.name();
    if (kind == "presence") return presence(stanza, from, to, now, out);
    if (kind == "message") return message(stanza, from, to, now, out);
    if (kind == "iq") return iq(stanza, from, to, now, out);
}

// --- presence ---------------------------------------------------------------

Element Room::presence_of(const Occupant& o, bool with_jid, bool self, const Element& base,
                          const PresenceNote& note) const {
    Element p("presence", std::string(xmpp::ns::client));
    p.set_attr("from", occupant_jid(o.nick).full());
    if (const std::string* type = base.attr("type"); type && *type == "unavailable") p.set_attr("type", *type);
    for (const auto& child : base.children())
        if (!child.is_text() && !is_room_owned(child)) p.add_child(child);
    Element& x = p.add_child(Element("x", std::string(xmpp::ns::muc_user)));
    if (note.destroy) x.add_child(*note.destroy);
    Element& item = x.add_child(Element("item", std::string(xmpp::ns::muc_user)));
    const bool leaving = p.attr_or("type") == "unavailable";
    item.set_attr("affiliation", std::string(to_string(affiliation_of(o.bare))));
    item.set_attr("role", std::string(to_string(leaving ? Role::none : o.role)));
    if (with_jid && !o.sessions.empty()) item.set_attr("jid", o.sessions.back().full.full());
    if (!note.new_nick.empty()) item.set_attr("nick", note.new_nick);
    if (!note.actor.empty())
        item.add_child(Element("actor", std::string(xmpp::ns::muc_user))).set_attr("nick", note.actor);
    if (!note.reason.empty())
        item.add_child(Element("reason", std::string(xmpp::ns::muc_user))).add_text(note.reason);
    std::set<int> codes(note.codes.begin(), note.codes.end());
    if (self) {
        codes.insert(status_self);
        codes.insert(note.self_codes.begin(), note.self_codes.end());
    }
    for (int code : codes) x.add_child(status(code));
    Element& id = p.add_child(Element("occupant-id", std::string(xmpp::ns::occupant_id)));
    id.set_attr("id", o.occupant_id);
    return p;
}

void Room::broadcast_presence(const Occupant& o, const Element& base, const PresenceNote& note, Outbox& out) const {
    const xmpp::Jid from = occupant_jid(o.nick);
    // Two views for others (with and without real JIDs), one for itself.
    std::shared_ptr<const Element> with_jid, without_jid;
    for (const auto& [nick, viewer] : occupants_) {
        std::shared_ptr<const Element> stanza;
        if (&viewer == &o) {
            stanza = share(presence_of(o, sees_jids(&viewer), true, base, note));
        } else {
            const bool sees = sees_jids(&viewer);
            auto& cached = sees ? with_jid : without_jid;
            if (!cached) cached = share(presence_of(o, sees, false, base, note));
            stanza = cached;
        }
        to_occupant(viewer, stanza, from, out);
    }
}

void Room::to_occupant(const Occupant& o, const std::shared_ptr<const Element>& stanza, const xmpp::Jid& from,
                       Outbox& out) const {
    for (const auto& s : o.sessions) out.push_back({from, s.full, stanza});
}

void Room::to_all(const std::shared_ptr<const Element>& stanza, const xmpp::Jid& from, Outbox& out) const {
    for (const auto& [nick, o] : occupants_) to_occupant(o, stanza, from, out);
}

void Room::presence(const Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Clock::time_point now,
                    Outbox& out) {
    const std::string_view type = stanza.attr_or("type");
    Occupant* current = occupant_of(from);
    if (type == "unavailable") {
        if (current) leave(from, &stanza, {}, out);
        return;
    }
    if (type == "error") {
        // The client's session bounced what the room sent it: it is gone.
        if (current) leave(from, nullptr, {.codes = {status_error}}, out);
        return;
    }
    if (!type.empty()) return;  // subscriptions and probes mean nothing to a room
    if (to.is_bare())
        return error(stanza, from, to, {StanzaError::jid_malformed, "A nickname is needed to enter the room"}, out);
    if (!current) return join(stanza, from, to, now, out);
    if (current->nick != to.resource()) return change_nick(stanza, from, to, out);
    update_presence(stanza, from, out);
}

void Room::join(const Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Clock::time_point now,
                Outbox& out) {
    auto request = parse_join(stanza);
    if (!request) return error(stanza, from, to, request.error(), out);
    const std::string& nick = to.resource();
    if (nick.size() > limits_.max_nick_bytes)
        return error(stanza, from, to, {StanzaError::not_acceptable, "The nickname is too long"}, out);
    const xmpp::Jid bare = from.bare();
    // The first to enter a new room made it, and owns it (§10.1.1).
    const bool creating = fresh_ && count_owners() == 0;
    const Affiliation affiliation = creating ? Affiliation::owner : affiliation_of(bare);
    if (affiliation == Affiliation::outcast)
        return error(stanza, from, to, {StanzaError::forbidden, "You are banned from this room"}, out);
    Occupant* existing = occupant_named(nick);
    if (existing && existing->bare != bare)
        return error(stanza, from, to, {StanzaError::conflict, "That nickname is in use"}, out);
    if (const std::string* owner = registrant_of(nick); owner && *owner != bare.bare_string())
        return error(stanza, from, to, {StanzaError::conflict, "That nickname is registered to another user"}, out);
    if (config_.members_only && affiliation < Affiliation::member)
        return error(stanza, from, to, {StanzaError::registration_required, "The room is for members only"}, out);
    if (!config_.password.empty() && request->password != config_.password)
        return error(stanza, from, to, {StanzaError::not_authorized, "A password is needed to enter"}, out);
    if (existing && existing->sessions.size() >= limits_.max_sessions_per_nick)
        return error(stanza, from, to,
                     {StanzaError::resource_constraint, "Too many sessions share this nickname"}, out);
    if (!existing) {
        // Owners and admins enter a full room, up to the service's bound.
        const std::size_t bound = affiliation >= Affiliation::admin ? limits_.config.max_users : config_.max_users;
        if (occupants_.size() >= bound)
            return error(stanza, from, to,
                         {StanzaError::service_unavailable, "The room is full", xmpp::ErrorType::wait}, out);
    }

    const bool created = fresh_;
    fresh_ = false;
    if (creating) set_affiliation(bare, Affiliation::owner);
    Element own;
    own.set_name("presence");
    for (const auto& child : stanza.children())
        if (!child.is_text() && !is_room_owned(child)) own.add_child(child);

    Occupant* occupant = existing;
    if (!occupant) {
        occupant = &occupants_.emplace(nick, Occupant{}).first->second;
        occupant->nick = nick;
        occupant->bare = bare;
        occupant->role = default_role(affiliation, config_.moderated);
        occupant->occupant_id = occupant_id(bare);
    }
    // 1. The occupants already there, to the new session.
    const bool sees = sees_jids(occupant);
    for (const auto& [other_nick, other] : occupants_) {
        if (&other == occupant || other.sessions.empty()) continue;
        out.push_back({occupant_jid(other_nick), from,
                       share(presence_of(other, sees, false, other.sessions.back().presence, {}))});
    }
    occupant->sessions.push_back({from, std::move(own)});
    nick_of_[from.full()] = nick;

    // 2. The new occupant's presence to the others, 3. its own last, with
    // 110 (and 100 where real JIDs are public, 201 when it made the room).
    PresenceNote self_note;
    if (config_.whois == WhoIs::anyone) self_note.self_codes.push_back(status_non_anonymous);
    if (created) self_note.self_codes.push_back(status_created);
    const xmpp::Jid occupant_full = occupant_jid(nick);
    std::shared_ptr<const Element> with_jid, without_jid;
    for (const auto& [other_nick, viewer] : occupants_) {
        if (&viewer == occupant) continue;
        const bool viewer_sees = sees_jids(&viewer);
        auto& cached = viewer_sees ? with_jid : without_jid;
        if (!cached) cached = share(presence_of(*occupant, viewer_sees, false, occupant->sessions.back().presence, {}));
        to_occupant(viewer, cached, occupant_full, out);
    }
    auto self = share(presence_of(*occupant, sees, true, occupant->sessions.back().presence, self_note));
    for (const auto& s : occupant->sessions)
        if (s.full != from)
            out.push_back({occupant_full, s.full, share(presence_of(*occupant, sees, true, s.presence, {}))});
    out.push_back({occupant_full, from, self});

    // 4. History, 5. the subject (an empty one when none was set).
    for (const HistoryEntry* entry :
         history_.select(request->history, unix_seconds(now), config_.history_length)) {
        auto stanza_ptr = std::make_shared<const Element>(entry->message);
        const std::string* entry_from = entry->message.attr("from");
        out.push_back({entry_from ? xmpp::Jid::parse(*entry_from).value_or(jid_) : jid_, from, stanza_ptr});
    }
    if (subject_) {
        const std::string* subject_from = subject_->attr("from");
        out.push_back({subject_from ? xmpp::Jid::parse(*subject_from).value_or(jid_) : jid_, from,
                       std::make_shared<const Element>(*subject_)});
    } else {
        Element subject("message", std::string(xmpp::ns::client));
        subject.set_attr("type", "groupchat");
        subject.set_attr("from", jid_.full());
        subject.add_child(Element("subject", std::string(xmpp::ns::client)));
        out.push_back({jid_, from, share(std::move(subject))});
    }
}

void Room::update_presence(const Element& stanza, const xmpp::Jid& from, Outbox& out) {
    Occupant* o = occupant_of(from);
    auto it = std::find_if(o->sessions.begin(), o->sessions.end(), [&](const Session& s) { return s.full == from; });
    Session session{from, Element("presence")};
    for (const auto& child : stanza.children())
        if (!child.is_text() && !is_room_owned(child)) session.presence.add_child(child);
    o->sessions.erase(it);
    o->sessions.push_back(std::move(session));  // the latest is the occupant's
    broadcast_presence(*o, o->sessions.back().presence, {}, out);
}

void Room::change_nick(const Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Outbox& out) {
    const std::string& new_nick = to.resource();
    if (new_nick.size() > limits_.max_nick_bytes)
        return error(stanza, from, to, {StanzaError::not_acceptable, "The nickname is too long"}, out);
    Occupant* target = occupant_named(new_nick);
    if (target && target->bare != from.bare())
        return error(stanza, from, to, {StanzaError::conflict, "That nickname is in use"}, out);
    if (const std::string* owner = registrant_of(new_nick); owner && *owner != from.bare().bare_string())
        return error(stanza, from, to, {StanzaError::conflict, "That nickname is registered to another user"}, out);
    if (target && target->sessions.size() >= limits_.max_sessions_per_nick)
        return error(stanza, from, to,
                     {StanzaError::resource_constraint, "Too many sessions share this nickname"}, out);
    Occupant* old = occupant_of(from);
    const std::string old_nick = old->nick;
    auto session_it =
        std::find_if(old->sessions.begin(), old->sessions.end(), [&](const Session& s) { return s.full == from; });
    Session session = *session_it;
    session.presence = Element("presence");
    for (const auto& child : stanza.children())
        if (!child.is_text() && !is_room_owned(child)) session.presence.add_child(child);

    if (old->sessions.size() == 1) {
        // The occupant as a whole changes its nick (§7.6): unavailable with
        // 303 and the new nick, then available under the new nick.
        Element unavailable("presence");
        unavailable.set_attr("type", "unavailable");
        broadcast_presence(*old, unavailable, {.codes = {status_nick_changed}, .new_nick = new_nick}, out);
        Occupant moved = std::move(*old);
        occupants_.erase(old_nick);
        moved.sessions.clear();
        if (target) {
            target->sessions.push_back(std::move(session));
        } else {
            moved.nick = new_nick;
            moved.sessions.push_back(std::move(session));
            target = &occupants_.emplace(new_nick, std::move(moved)).first->second;
        }
    } else {
        // One session of several moves: the others stay under the old nick.
        old->sessions.erase(session_it);
        broadcast_presence(*old, old->sessions.back().presence, {}, out);
        if (target) {
            target->sessions.push_back(std::move(session));
        } else {
            Occupant fresh;
            fresh.nick = new_nick;
            fresh.bare = old->bare;
            fresh.role = old->role;
            fresh.occupant_id = old->occupant_id;
            fresh.sessions.push_back(std::move(session));
            target = &occupants_.emplace(new_nick, std::move(fresh)).first->second;
        }
    }
    nick_of_[from.full()] = new_nick;
    broadcast_presence(*target, target->sessions.back().presence, {}, out);
}

void Room::leave(const xmpp::Jid& from, const Element* unavailable, const PresenceNote& note, Outbox& out) {
    Occupant* o = occupant_of(from);
    if (!o) return;
    Element base("presence");
    base.set_attr("type", "unavailable");
    if (unavailable)
        for (const auto& child : unavailable->children())
            if (!child.is_text() && child.name() == "status" && child.xmlns() == xmpp::ns::client)
                base.add_child(child);
    forget_session(from);
    if (o->sessions.size() > 1) {
        // The others stay: this session alone is told it left, and everyone
        // sees the occupant as its remaining latest session says.
        std::erase_if(o->sessions, [&](const Session& s) { return s.full == from; });
        Occupant gone = *o;
        gone.sessions = {Session{from, base}};
        out.push_back({occupant_jid(o->nick), from, share(presence_of(gone, sees_jids(&gone), true, base, note))});
        broadcast_presence(*o, o->sessions.back().presence, {}, out);
        return;
    }
    o->sessions.back().presence = base;
    broadcast_presence(*o, base, note, out);
    occupants_.erase(o->nick);
}

void Room::remove_occupant(const std::string& nick, const PresenceNote& note, Outbox& out) {
    Occupant* o = occupant_named(nick);
    if (!o) return;
    Element base("presence");
    base.set_attr("type", "unavailable");
    broadcast_presence(*o, base, note, out);
    for (const auto& s : o->sessions) forget_session(s.full);
    occupants_.erase(nick);
}

void Room::session_ended(const xmpp::Jid& full, Outbox& out) {
    if (has_session(full)) leave(full, nullptr, {}, out);
}

void Room::account_removed(const xmpp::Jid& bare, Outbox& out) {
    std::vector<std::string> nicks;
    for (const auto& [nick, o] : occupants_)
        if (o.bare == bare) nicks.push_back(nick);
    for (const auto& nick : nicks) remove_occupant(nick, {}, out);
    if (affiliation_of(bare) == Affiliation::none) return;
    set_affiliation(bare, Affiliation::none);
    if (count_owners() > 0) return;
    std::vector<std::string> admins;
    for (const auto& [jid, affiliation] : affiliations_)
        if (affiliation == Affiliation::admin) admins.push_back(jid);
    if (admins.empty()) {
        Element d("destroy", std::string(xmpp::ns::muc_owner));
        d.add_child(Element("reason", std::string(xmpp::ns::muc_owner))).add_text("The owner's account was deleted");
        return destroy(d, out);
    }
    for (const auto& jid : admins) {
        affiliations_[jid] = Affiliation::owner;
        ++revision_;
        for (auto& [nick, o] : occupants_)
            if (o.bare.bare_string() == jid) broadcast_presence(o, o.sessions.back().presence, {}, out);
    }
}

// --- messages ---------------------------------------------------------------

void Room::message(const Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Clock::time_point now,
                   Outbox& out) {
    const std::string_view type = stanza.attr_or("type", "normal");
    if (type == "error") {
        // An occupant's session bounced a message of the room: it is gone
        // (XEP-0045 §7.4 leaves this to the service; the client rejoins).
        if (to.is_bare() && has_session(from)) leave(from, nullptr, {.codes = {status_error}}, out);
        return;
    }
    Occupant* sender = occupant_of(from);
    if (to.is_bare()) {
        if (type == "groupchat") {
            if (!sender)
                return error(stanza, from, to, {StanzaError::not_acceptable, "Only occupants may speak in the room"},
                             out);
            return groupchat(stanza, *sender, from, now, out);
        }
        if (const Element* x = stanza.child("x", xmpp::ns::muc_user)) return invite(stanza, *x, from, out);
        if (const Element* form = stanza.child("x", xmpp::ns::data_forms))
            return voice_request(stanza, *form, from, now, out);
        return error(stanza, from, to, {StanzaError::bad_request, "Messages to the room are of type groupchat"}, out);
    }
    if (type == "groupchat")
        return error(stanza, from, to, {StanzaError::bad_request, "A private message is not of type groupchat"}, out);
    if (!sender)
        return error(stanza, from, to,
                     {StanzaError::not_acceptable, "Only occupants may send private messages"}, out);
    private_message(stanza, *sender, from, to, now, out);
}

void Room::groupchat(const Element& stanza, Occupant& sender, const xmpp::Jid& from, Clock::time_point now,
                     Outbox& out) {
    const xmpp::Jid room_from = occupant_jid(sender.nick);
    const xmpp::Jid& to = jid_;
    if (sender.role < Role::participant)
        return error(stanza, from, to, {StanzaError::forbidden, "Visitors may not speak in a moderated room"}, out);
    const Element* subject = stanza.child("subject", xmpp::ns::client);
    const bool has_body = stanza.child("body", xmpp::ns::client) != nullptr;
    if (subject && !has_body && sender.role != Role::moderator && !config_.change_subject)
        return error(stanza, from, to, {StanzaError::forbidden, "Only moderators may change the subject"}, out);
    if (!take_token(sender, now))
        return error(stanza, from, to,
                     {StanzaError::policy_violation, "Too many messages; wait a moment", xmpp::ErrorType::wait},
                     out);
    Element reflected("message", std::string(xmpp::ns::client));
    reflected.set_attr("type", "groupchat");
    reflected.set_attr("from", room_from.full());
    if (const std::string* id = stanza.attr("id")) reflected.set_attr("id", *id);
    if (const std::string* lang = stanza.attr("xml:lang")) reflected.set_attr("xml:lang", *lang);
    for (const auto& child : stanza.children()) {
        if (child.is_text() || is_room_owned(child)) continue;
        // XEP-0359 §5: only the room names its own archive ids.
        if (child.name() == "stanza-id" && child.xmlns() == xmpp::ns::stanza_id &&
            xmpp::Jid::parse(child.attr_or("by")).value_or(xmpp::Jid()) == jid_)
            continue;
        reflected.add_child(child);
    }
    reflected.add_child(Element("occupant-id", std::string(xmpp::ns::occupant_id))).set_attr("id", sender.occupant_id);
    // The archive keeps what has a body (subject changes are the room's
    // state, not its discussion; as Prosody's archive).
    const bool archived = config_.archive && has_body && !no_store(stanza);
    if (archived) {
        std::string id = xmpp::new_stanza_id();
        Element& sid = reflected.add_child(Element("stanza-id", std::string(xmpp::ns::stanza_id)));
        sid.set_attr("id", id);
        sid.set_attr("by", jid_.full());
        archived_.push_back({std::move(id), unix_us(now), sender.nick, xmpp::to_string(reflected)});
    }
    auto shared = share(reflected);
    to_all(shared, room_from, out);

    if (subject) ++revision_;
    if (subject && !has_body) {
        subject_ = reflected;
    } else if (has_body || subject) {
        add_history(reflected, unix_us(now));
        if (subject) subject_ = reflected;
    }
}

void Room::add_history(Element message, std::int64_t stamp_us) {
    const std::int64_t stamp = stamp_us / 1000000;
    Element& delay = message.add_child(Element("delay", std::string(xmpp::ns::delay)));
    delay.set_attr("from", jid_.full());
    delay.set_attr("stamp", xmpp::xep82_datetime(stamp));
    const std::size_t chars = xmpp::to_string(message).size();
    history_.add({std::move(message), stamp, chars});
}

void Room::restore_history(Element message, std::int64_t stamp_us) {
    if (message.name() != "message" || message.attr_or("type") != "groupchat") return;
    message.remove_attr("to");
    add_history(std::move(message), stamp_us);
}

void Room::private_message(const Element& stanza, Occupant& sender, const xmpp::Jid& from, const xmpp::Jid& to,
                           Clock::time_point now, Outbox& out) {
    switch (config_.allow_pm) {
    case AllowPm::anyone: break;
    case AllowPm::participants:
        if (sender.role >= Role::participant) break;
        return error(stanza, from, to, {StanzaError::forbidden, "Visitors may not send private messages"}, out);
    case AllowPm::moderators:
        if (sender.role == Role::moderator) break;
        return error(stanza, from, to, {StanzaError::forbidden, "Only moderators may send private messages"}, out);
    case AllowPm::none:
        return error(stanza, from, to, {StanzaError::forbidden, "Private messages are off in this room"}, out);
    }
    Occupant* recipient = occupant_named(to.resource());
    if (!recipient) return error(stanza, from, to, {StanzaError::item_not_found, "No such occupant"}, out);
    if (!take_token(sender, now))
        return error(stanza, from, to,
                     {StanzaError::policy_violation, "Too many messages; wait a moment", xmpp::ErrorType::wait},
                     out);
    const xmpp::Jid room_from = occupant_jid(sender.nick);
    Element forwarded("message", std::string(xmpp::ns::client));
    for (const auto& a : stanza.attributes())
        if (a.name != "from" && a.name != "to") forwarded.append_attr(a.name, a.value);
    forwarded.set_attr("from", room_from.full());
    for (const auto& child : stanza.children())
        if (!child.is_text() && !is_room_owned(child)) forwarded.add_child(child);
    forwarded.add_child(Element("x", std::string(xmpp::ns::muc_user)));
    forwarded.add_child(Element("occupant-id", std::string(xmpp::ns::occupant_id))).set_attr("id", sender.occupant_id);
    to_occupant(*recipient, share(std::move(forwarded)), room_from, out);
}

void Room::invite(const Element& stanza, const Element& x, const xmpp::Jid& from, Outbox& out) {
    Occupant* sender = occupant_of(from);
    std::vector<const Element*> invites;
    for (const auto& child : x.children())
        if (!child.is_text() && child.name() == "invite" && child.xmlns() == xmpp::ns::muc_user)
            invites.push_back(&child);
    if (const Element* decline = x.child("decline", xmpp::ns::muc_user); decline && invites.empty()) {
        // §7.8.2: the invitee declines; the inviter hears it from the room.
        auto inviter = xmpp::Jid::parse(decline->attr_or("to"));
        if (!inviter) return error(stanza, from, jid_, {StanzaError::jid_malformed, "Whom to tell?"}, out);
        Element message("message", std::string(xmpp::ns::client));
        message.set_attr("from", jid_.full());
        Element& mx = message.add_child(Element("x", std::string(xmpp::ns::muc_user)));
        Element& d = mx.add_child(Element("decline", std::string(xmpp::ns::muc_user)));
        d.set_attr("from", from.bare_string());
        if (const Element* reason = decline->child("reason", xmpp::ns::muc_user)) d.add_child(*reason);
        out.push_back({jid_, *inviter, share(std::move(message))});
        return;
    }
    if (invites.empty())
        return error(stanza, from, jid_, {StanzaError::bad_request, "Messages to the room are of type groupchat"},
                     out);
    if (!sender) return error(stanza, from, jid_, {StanzaError::not_acceptable, "Only occupants may invite"}, out);
    if (invites.size() > limits_.max_invites)
        return error(stanza, from, jid_, {StanzaError::not_acceptable, "Too many invitations at once"}, out);
    const Affiliation inviter_affiliation = affiliation_of(sender->bare);
    if (config_.members_only && !config_.allow_invites && inviter_affiliation < Affiliation::admin)
        return error(stanza, from, jid_, {StanzaError::forbidden, "Only admins may invite to this room"}, out);
    std::vector<xmpp::Jid> invitees;
    for (const Element* invite : invites) {
        auto invitee = xmpp::Jid::parse(invite->attr_or("to"));
        if (!invitee) return error(stanza, from, jid_, {StanzaError::jid_malformed, "Not a JID to invite"}, out);
        invitees.push_back(std::move(*invitee));
    }
    for (std::size_t i = 0; i < invites.size(); ++i) {
        const xmpp::Jid& invitee = invitees[i];
        // An admin's invitation to a members-only room makes a member (§7.8.2).
        if (config_.members_only && inviter_affiliation >= Affiliation::admin &&
            affiliation_of(invitee.bare()) == Affiliation::none &&
            affiliations_.size() < limits_.max_affiliations)
            set_affiliation(invitee.bare(), Affiliation::member);
        Element message("message", std::string(xmpp::ns::client));
        message.set_attr("from", jid_.full());
        Element& mx = message.add_child(Element("x", std::string(xmpp::ns::muc_user)));
        Element& inv = mx.add_child(Element("invite", std::string(xmpp::ns::muc_user)));
        inv.set_attr("from", from.bare_string());
        if (const Element* reason = invites[i]->child("reason", xmpp::ns::muc_user)) inv.add_child(*reason);
        if (!config_.password.empty())
            mx.add_child(Element("password", std::string(xmpp::ns::muc_user))).add_text(config_.password);
        out.push_back({jid_, invitee, share(std::move(message))});
    }
}

void Room::voice_request(const Element& stanza, const Element& form, const xmpp::Jid& from, Clock::time_point now,
                         Outbox& out) {
    // The form's single-valued fields, bounded.
    std::map<std::string, std::string> fields;
    std::size_t count = 0;
    for (const auto& field : form.children()) {
        if (field.is_text() || field.name() != "field" || field.xmlns() != xmpp::ns::data_forms) continue;
        if (++count > 16) return error(stanza, from, jid_, {StanzaError::not_acceptable, "Too many fields"}, out);
        std::string value = field.child_text("value", xmpp::ns::data_forms);
        if (value.size() > limits_.config.max_text_bytes)
            return error(stanza, from, jid_, {StanzaError::not_acceptable, "A value is too long"}, out);
        fields[std::string(field.attr_or("var"))] = std::move(value);
    }
    if (fields["FORM_TYPE"] != xmpp::ns::muc_request || form.attr_or("type") != "submit")
        return error(stanza, from, jid_, {StanzaError::bad_request, "Not a voice request"}, out);
    Occupant* sender = occupant_of(from);
    if (!sender) return error(stanza, from, jid_, {StanzaError::not_acceptable, "You are not in the room"}, out);

    if (sender->role == Role::moderator && fields.contains("muc#request_allow")) {
        const std::string& allow = fields["muc#request_allow"];
        if (allow != "1" && allow != "true") return;  // declined: nothing to do
        Occupant* target = occupant_named(fields["muc#roomnick"]);
        if (!target) return error(stanza, from, jid_, {StanzaError::item_not_found, "No such occupant"}, out);
        if (target->role != Role::visitor) return;
        target->role = Role::participant;
        return broadcast_presence(*target, target->sessions.back().presence, {.actor = sender->nick}, out);
    }
    if (sender->role != Role::visitor)
        return error(stanza, from, jid_, {StanzaError::not_acceptable, "You have voice already"}, out);
    if (fields["muc#role"] != "participant")
        return error(stanza, from, jid_, {StanzaError::bad_request, "Only voice (participant) may be asked for"}, out);
    if (!take_token(*sender, now))
        return error(stanza, from, jid_,
                     {StanzaError::policy_violation, "Too many requests; wait a moment", xmpp::ErrorType::wait}, out);
    Element message("message", std::string(xmpp::ns::client));
    message.set_attr("from", jid_.full());
    Element& x = message.add_child(Element("x", std::string(xmpp::ns::data_forms)));
    x.set_attr("type", "form");
    x.add_child(Element("title", std::string(xmpp::ns::data_forms))).add_text("Voice request");
    auto field = [&x](std::string_view var, std::string_view type, std::string_view label, std::string value) {
        Element& f = x.add_child(Element("field", std::string(xmpp::ns::data_forms)));
        f.set_attr("var", std::string(var));
        f.set_attr("type", std::string(type));
        if (!label.empty()) f.set_attr("label", std::string(label));
        f.add_child(Element("value", std::string(xmpp::ns::data_forms))).add_text(std::move(value));
    };
    field("FORM_TYPE", "hidden", {}, std::string(xmpp::ns::muc_request));
    field("muc#role", "list-single", "Requested role", "participant");
    field("muc#jid", "jid-single", "User ID", from.full());
    field("muc#roomnick", "text-single", "Room nickname", sender->nick);
    field("muc#request_allow", "boolean", "Grant voice to this person?", "false");
    auto shared = share(std::move(message));
    for (const auto& [nick, o] : occupants_)
        if (o.role == Role::moderator) to_occupant(o, shared, jid_, out);
}

// --- iq -----------------------------------------------------------------------

void Room::iq(const Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Clock::time_point now,
              Outbox& out) {
    const std::string_view type = stanza.attr_or("type");
    if (type == "result" || type == "error") return iq_answer(stanza, from, to, out);
    if (type != "get" && type != "set") return error(stanza, from, to, {StanzaError::bad_request}, out);
    const Element* payload = first_element(stanza);
    if (!payload) return error(stanza, from, to, {StanzaError::bad_request, "An iq without a payload"}, out);
    const std::string& ns = payload->xmlns();
    if (!to.is_bare()) {
        Occupant* asker = occupant_of(from);
        if (!asker) return error(stanza, from, to, {StanzaError::not_acceptable, "You are not in the room"}, out);
        // XEP-0410: a client pings its own occupant JID to learn whether it
        // is still in the room; the room answers for it.
        if (ns == xmpp::ns::ping && type == "get" && asker->nick == to.resource())
            return result(stanza, from, to, std::nullopt, out);
        Occupant* target = occupant_named(to.resource());
        if (!target) return error(stanza, from, to, {StanzaError::item_not_found, "No such occupant"}, out);
        return forward_iq(stanza, *asker, from, *target, now, out);
    }
    if (ns == xmpp::ns::disco_info && type == "get") {
        if (payload->attr_or("node") == "x-roomuser-item") {
            // §7.12: the asker's registered nick, if any.
            Element query("query", std::string(xmpp::ns::disco_info));
            query.set_attr("node", "x-roomuser-item");
            if (auto nick = registered_nick(from.bare())) {
                Element& identity = query.add_child(Element("identity", std::string(xmpp::ns::disco_info)));
                identity.set_attr("category", "conference");
                identity.set_attr("type", "text");
                identity.set_attr("name", *nick);
            }
            return result(stanza, from, to, std::move(query), out);
        }
        if (payload->attr("node")) return error(stanza, from, to, {StanzaError::item_not_found}, out);
        return result(stanza, from, to, disco_info(), out);
    }
    if (ns == xmpp::ns::disco_items && type == "get") {
        if (payload->attr("node")) return error(stanza, from, to, {StanzaError::item_not_found}, out);
        return result(stanza, from, to, Element("query", std::string(xmpp::ns::disco_items)), out);
    }
    if (ns == xmpp::ns::mam) return archive_iq(stanza, *payload, from, out);
    if (ns == xmpp::ns::register_query) return register_iq(stanza, *payload, from, out);
    if (ns == xmpp::ns::muc_owner) return type == "get" ? owner_get(stanza, from, out) : owner_set(stanza, from, out);
    if (ns == xmpp::ns::muc_admin) return type == "get" ? admin_get(stanza, from, out) : admin_set(stanza, from, out);
    if (ns == xmpp::ns::ping && type == "get") return result(stanza, from, to, std::nullopt, out);
    error(stanza, from, to, {StanzaError::service_unavailable}, out);
}

void Room::forward_iq(const Element& stanza, const Occupant& asker, const xmpp::Jid& from, const Occupant& target,
                      Clock::time_point now, Outbox& out) {
    std::erase_if(pending_iqs_, [&](const auto& p) { return now - p.second.sent > limits_.iq_timeout; });
    const xmpp::Jid asker_nick = occupant_jid(asker.nick);
    const xmpp::Jid target_nick = occupant_jid(target.nick);
    if (pending_iqs_.size() >= limits_.max_pending_iqs)
        return error(stanza, from, target_nick,
                     {StanzaError::resource_constraint, "Too many queries in flight", xmpp::ErrorType::wait}, out);
    const std::string id = "muc-" + std::to_string(++next_iq_);
    const xmpp::Jid& session = target.sessions.back().full;
    pending_iqs_[id] = {from, std::string(stanza.attr_or("id")), asker_nick, session, target_nick, now};
    Element forwarded("iq", std::string(xmpp::ns::client));
    for (const auto& a : stanza.attributes())
        if (a.name != "from" && a.name != "to" && a.name != "id") forwarded.append_attr(a.name, a.value);
    forwarded.set_attr("id", id);
    forwarded.set_attr("from", asker_nick.full());
    for (const auto& child : stanza.children()) forwarded.add_child(child);
    out.push_back({asker_nick, session, share(std::move(forwarded))});
}

void Room::iq_answer(const Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Outbox& out) {
    // Only the session asked may answer, to the occupant JID it was asked from.
    auto it = pending_iqs_.find(std::string(stanza.attr_or("id")));
    if (it == pending_iqs_.end() || it->second.target != from || it->second.asker_nick != to) return;
    const PendingIq pending = std::move(it->second);
    pending_iqs_.erase(it);
    Element answer("iq", std::string(xmpp::ns::client));
    for (const auto& a : stanza.attributes())
        if (a.name != "from" && a.name != "to" && a.name != "id") answer.append_attr(a.name, a.value);
    answer.set_attr("id", pending.asker_id);
    answer.set_attr("from", pending.target_nick.full());
    for (const auto& child : stanza.children()) answer.add_child(child);
    out.push_back({pending.target_nick, pending.asker, share(std::move(answer))});
}

Element Room::disco_info() const {
    Element query("query", std::string(xmpp::ns::disco_info));
    Element& identity = query.add_child(Element("identity", std::string(xmpp::ns::disco_info)));
    identity.set_attr("category", "conference");
    identity.set_attr("type", "text");
    identity.set_attr("name", config_.name.empty() ? jid_.local() : config_.name);
    auto feature = [&query](std::string_view var) {
        query.add_child(Element("feature", std::string(xmpp::ns::disco_info))).set_attr("var", std::string(var));
    };
    feature(xmpp::ns::muc);
    feature(xmpp::ns::disco_info);
    feature(xmpp::ns::muc_stable_id);
    feature(xmpp::ns::muc_self_ping);
    feature(xmpp::ns::occupant_id);
    feature(xmpp::ns::muc_request);
    feature(xmpp::ns::register_query);
    if (config_.archive) {
        feature(xmpp::ns::mam);
        feature(xmpp::ns::mam_extended);
        feature(xmpp::ns::stanza_id);
    }
    feature(config_.public_room ? "muc_public" : "muc_hidden");
    feature(config_.persistent ? "muc_persistent" : "muc_temporary");
    feature(config_.members_only ? "muc_membersonly" : "muc_open");
    feature(config_.moderated ? "muc_moderated" : "muc_unmoderated");
    feature(config_.whois == WhoIs::anyone ? "muc_nonanonymous" : "muc_semianonymous");
    feature(config_.password.empty() ? "muc_unsecured" : "muc_passwordprotected");

    Element& x = query.add_child(Element("x", std::string(xmpp::ns::data_forms)));
    x.set_attr("type", "result");
    auto field = [&x](std::string_view var, std::string_view label, std::string value) {
        Element& f = x.add_child(Element("field", std::string(xmpp::ns::data_forms)));
        f.set_attr("var", std::string(var));
        if (!label.empty()) f.set_attr("label", std::string(label));
        f.add_child(Element("value", std::string(xmpp::ns::data_forms))).add_text(std::move(value));
        return &f;
    };
    field("FORM_TYPE", {}, std::string(xmpp::ns::muc_roominfo))->set_attr("type", "hidden");
    field("muc#roominfo_description", "Description", config_.description);
    field("muc#roominfo_occupants", "Number of occupants", std::to_string(occupants_.size()));
    std::string subject;
    if (subject_) subject = subject_->child_text("subject", xmpp::ns::client);
    field("muc#roominfo_subject", "Subject", std::move(subject));
    field("muc#roomconfig_changesubject", "Occupants may change the subject", config_.change_subject ? "1" : "0");
    return query;
}

// --- archive (XEP-0313) --------------------------------------------------------

bool Room::may_read_archive(const xmpp::Jid& from) const {
    const Affiliation affiliation = affiliation_of(from.bare());
    if (affiliation == Affiliation::outcast) return false;
    if (has_session(from) || affiliation >= Affiliation::member) return true;
    // Who may enter without a password and without membership.
    return !config_.members_only && config_.password.empty();
}

void Room::archive_iq(const Element& iq, const Element& payload, const xmpp::Jid& from, Outbox& out) {
    if (!config_.archive)
        return error(iq, from, jid_, {StanzaError::feature_not_implemented, "The room keeps no archive"}, out);
    if (!may_read_archive(from))
        return error(iq, from, jid_, {StanzaError::forbidden, "Only those who may enter may read the archive"}, out);
    const bool get = iq.attr_or("type") == "get";
    if (get && payload.name() == "query") {
        Element query("query", std::string(xmpp::ns::mam));
        query.add_child(xmpp::mam_query_form());
        return result(iq, from, jid_, std::move(query), out);
    }
    if (get && payload.name() == "metadata") {
        archive_requests_.push_back({ArchiveRequest::Kind::metadata, iq, from, {}});
        return;
    }
    if (!get && payload.name() == "query") {
        auto query = xmpp::parse_mam_query(payload);
        if (!query) return error(iq, from, jid_, {query.error().condition, query.error().text}, out);
        archive_requests_.push_back({ArchiveRequest::Kind::query, iq, from, std::move(*query)});
        return;
    }
    // Preferences belong to an account's archive, not a room's.
    error(iq, from, jid_, {StanzaError::feature_not_implemented}, out);
}

// --- nick registration (§7.10) ------------------------------------------------

const std::string* Room::registrant_of(const std::string& nick) const {
    for (const auto& [bare, registered] : nicks_)
        if (registered == nick) return &bare;
    return nullptr;
}

std::optional<std::string> Room::registered_nick(const xmpp::Jid& bare) const {
    auto it = nicks_.find(bare.bare_string());
    return it == nicks_.end() ? std::nullopt : std::optional(it->second);
}

void Room::register_iq(const Element& iq, const Element& payload, const xmpp::Jid& from, Outbox& out) {
    const xmpp::Jid bare = from.bare();
    const Affiliation affiliation = affiliation_of(bare);
    if (payload.name() != "query") return error(iq, from, jid_, {StanzaError::bad_request}, out);
    if (affiliation == Affiliation::outcast)
        return error(iq, from, jid_, {StanzaError::forbidden, "You are banned from this room"}, out);
    // A members-only room admits its members; registering is no way in (§7.10 lets the room refuse).
    if (config_.members_only && affiliation < Affiliation::member)
        return error(iq, from, jid_, {StanzaError::registration_required, "The room is for members only"}, out);
    if (iq.attr_or("type") == "get") return result(iq, from, jid_, registration_query(registered_nick(bare)), out);
    auto request = parse_registration(payload, jid_, limits_.max_nick_bytes);
    if (!request) return error(iq, from, jid_, request.error(), out);
    switch (request->kind) {
    case RegistrationRequest::Kind::cancel: return result(iq, from, jid_, std::nullopt, out);
    case RegistrationRequest::Kind::remove: {
        if (!nicks_.contains(bare.bare_string()))
            return error(iq, from, jid_, {StanzaError::item_not_found, "No nickname is registered"}, out);
        nicks_.erase(bare.bare_string());
        ++revision_;
        result(iq, from, jid_, std::nullopt, out);
        // The membership registration gave goes with it; admins and owners stay.
        if (affiliation == Affiliation::member) affiliation_changed(bare, Affiliation::none, out);
        return;
    }
    case RegistrationRequest::Kind::register_nick: break;
    }
    const std::string& nick = request->nick;
    const std::string* holder = registrant_of(nick);
    const Occupant* occupant = occupant_named(nick);
    if ((holder && *holder != bare.bare_string()) || (occupant && occupant->bare != bare))
        return error(iq, from, jid_, {StanzaError::conflict, "That nickname is taken in this room"}, out);
    if (affiliation < Affiliation::member && affiliations_.size() >= limits_.max_affiliations)
        return error(iq, from, jid_, {StanzaError::not_acceptable, "The room's lists are full"}, out);
    nicks_[bare.bare_string()] = nick;
    ++revision_;
    result(iq, from, jid_, std::nullopt, out);
    if (affiliation < Affiliation::member) affiliation_changed(bare, Affiliation::member, out);
}

// --- owner (§10) --------------------------------------------------------------

void Room::owner_get(const Element& iq, const xmpp::Jid& from, Outbox& out) {
    if (affiliation_of(from.bare()) != Affiliation::owner)
        return error(iq, from, jid_, {StanzaError::forbidden, "Only owners configure the room"}, out);
    Element query("query", std::string(xmpp::ns::muc_owner));
    query.add_child(config_form(config_, limits_.config));
    result(iq, from, jid_, std::move(query), out);
}

void Room::owner_set(const Element& iq, const xmpp::Jid& from, Outbox& out) {
    if (affiliation_of(from.bare()) != Affiliation::owner)
        return error(iq, from, jid_, {StanzaError::forbidden, "Only owners configure the room"}, out);
    const Element* query = iq.child("query", xmpp::ns::muc_owner);
    if (!query) return error(iq, from, jid_, {StanzaError::bad_request}, out);
    if (const Element* d = query->child("destroy", xmpp::ns::muc_owner)) {
        result(iq, from, jid_, std::nullopt, out);
        return destroy(*d, out);
    }
    const Element* x = query->child("x", xmpp::ns::data_forms);
    if (!x) return error(iq, from, jid_, {StanzaError::bad_request, "Expected a form or destroy"}, out);
    if (x->attr_or("type") == "cancel") return result(iq, from, jid_, std::nullopt, out);
    auto config = apply_config_form(config_, *x, limits_.config);
    if (!config) return error(iq, from, jid_, config.error(), out);
    const RoomConfig before = config_;
    config_ = std::move(*config);
    result(iq, from, jid_, std::nullopt, out);
    configured(before, out);
}

void Room::configured(const RoomConfig& before, Outbox& out) {
    if (before == config_) return;
    ++revision_;
    // §10.2.1: occupants hear that the configuration changed (104), and
    // whether real JIDs became public (172) or not (173).
    Element notice("message", std::string(xmpp::ns::client));
    notice.set_attr("type", "groupchat");
    notice.set_attr("from", jid_.full());
    Element& x = notice.add_child(Element("x", std::string(xmpp::ns::muc_user)));
    x.add_child(status(status_config_changed));
    if (before.whois != config_.whois)
        x.add_child(status(config_.whois == WhoIs::anyone ? status_now_non_anonymous : status_now_semi_anonymous));
    to_all(share(std::move(notice)), jid_, out);
    // §9.3: a room made members-only loses its occupants without membership.
    if (config_.members_only && !before.members_only) {
        std::vector<std::string> gone;
        for (const auto& [nick, o] : occupants_)
            if (affiliation_of(o.bare) < Affiliation::member) gone.push_back(nick);
        for (const auto& nick : gone) remove_occupant(nick, {.codes = {status_members_only}}, out);
    }
    // Voice follows moderation: participants without membership become
    // visitors in a room made moderated, and the reverse.
    if (config_.moderated != before.moderated)
        for (auto& [nick, o] : occupants_) {
            const Role role = default_role(affiliation_of(o.bare), config_.moderated);
            if (o.role == Role::moderator || role == o.role) continue;
            if (affiliation_of(o.bare) != Affiliation::none) continue;
            o.role = role;
            broadcast_presence(o, o.sessions.back().presence, {}, out);
        }
}

void Room::destroy(const Element& destroy_element, Outbox& out) {
    Element d("destroy", std::string(xmpp::ns::muc_user));
    if (auto venue = xmpp::Jid::parse(destroy_element.attr_or("jid")); venue && destroy_element.attr("jid"))
        d.set_attr("jid", venue->full());
    if (const Element* reason = destroy_element.child("reason", xmpp::ns::muc_owner)) {
        std::string text = reason->text();
        if (text.size() > limits_.config.max_text_bytes) text.resize(limits_.config.max_text_bytes);
        d.add_child(Element("reason", std::string(xmpp::ns::muc_user))).add_text(std::move(text));
    }
    std::vector<std::string> nicks;
    for (const auto& [nick, o] : occupants_) nicks.push_back(nick);
    for (const auto& nick : nicks) {
        Occupant* o = occupant_named(nick);
        // Everyone leaves with affiliation none, role none and the destroy.
        set_affiliation(o->bare, Affiliation::none);
        Element base("presence");
        base.set_attr("type", "unavailable");
        for (const auto& s : o->sessions)
            out.push_back({occupant_jid(nick), s.full, share(presence_of(*o, sees_jids(o), true, base, {.destroy = &d}))});
        for (const auto& s : o->sessions) forget_session(s.full);
        occupants_.erase(nick);
    }
    affiliations_.clear();
    nicks_.clear();
    destroyed_ = true;
}

// --- admin (§8, §9) -----------------------------------------------------------

void Room::admin_get(const Element& iq, const xmpp::Jid& from, Outbox& out) {
    const Element* query = iq.child("query", xmpp::ns::muc_admin);
    const Element* item = query ? query->child("item", xmpp::ns::muc_admin) : nullptr;
    if (!item) return error(iq, from, jid_, {StanzaError::bad_request, "Which list?"}, out);
    const Affiliation mine = affiliation_of(from.bare());
    Occupant* me = occupant_of(from);
    Element answer("query", std::string(xmpp::ns::muc_admin));
    if (const std::string* role_name = item->attr("role")) {
        auto role = role_from_string(*role_name);
        if (!role || *role == Role::none) return error(iq, from, jid_, {StanzaError::bad_request, "No such role"}, out);
        if (!me || me->role != Role::moderator)
            return error(iq, from, jid_, {StanzaError::forbidden, "Only moderators see role lists"}, out);
        for (const auto& [nick, o] : occupants_) {
            if (o.role != *role) continue;
            Element& i = answer.add_child(Element("item", std::string(xmpp::ns::muc_admin)));
            i.set_attr("affiliation", std::string(to_string(affiliation_of(o.bare))));
            i.set_attr("jid", o.sessions.back().full.full());
            i.set_attr("nick", nick);
            i.set_attr("role", std::string(to_string(o.role)));
        }
        return result(iq, from, jid_, std::move(answer), out);
    }
    auto affiliation = affiliation_from_string(item->attr_or("affiliation"));
    if (!affiliation || *affiliation == Affiliation::none)
        return error(iq, from, jid_, {StanzaError::bad_request, "No such affiliation list"}, out);
    if (mine < Affiliation::admin)
        return error(iq, from, jid_, {StanzaError::forbidden, "Only admins and owners see these lists"}, out);
    for (const auto& [bare, a] : affiliations_) {
        if (a != *affiliation) continue;
        Element& i = answer.add_child(Element("item", std::string(xmpp::ns::muc_admin)));
        i.set_attr("affiliation", std::string(to_string(a)));
        i.set_attr("jid", bare);
        if (auto it = nicks_.find(bare); it != nicks_.end()) i.set_attr("nick", it->second);
    }
    result(iq, from, jid_, std::move(answer), out);
}

void Room::admin_set(const Element& iq, const xmpp::Jid& from, Outbox& out) {
    const Element* query = iq.child("query", xmpp::ns::muc_admin);
    if (!query) return error(iq, from, jid_, {StanzaError::bad_request}, out);
    const Affiliation mine = affiliation_of(from.bare());
    Occupant* me = occupant_of(from);
    const std::string actor = me ? me->nick : std::string();

    // Read and check every item before changing anything: all or nothing.
    struct RoleChange { std::string nick; Role role; std::string reason; };
    struct AffiliationChange { xmpp::Jid bare; Affiliation affiliation; std::string reason; };
    std::vector<RoleChange> roles;
    std::vector<AffiliationChange> affiliations;
    std::map<std::string, Affiliation> after = affiliations_;
    for (const auto& child : query->children()) {
        if (child.is_text() || child.name() != "item" || child.xmlns() != xmpp::ns::muc_admin) continue;
        if (roles.size() + affiliations.size() >= limits_.max_admin_items)
            return error(iq, from, jid_, {StanzaError::not_acceptable, "Too many items at once"}, out);
        std::string reason = child.child_text("reason", xmpp::ns::muc_admin);
        if (reason.size() > limits_.config.max_text_bytes) reason.resize(limits_.config.max_text_bytes);
        if (const std::string* role_name = child.attr("role")) {
            auto role = role_from_string(*role_name);
            const std::string* nick = child.attr("nick");
            if (!role || !nick) return error(iq, from, jid_, {StanzaError::bad_request, "A role needs a nick"}, out);
            Occupant* target = occupant_named(*nick);
            if (!target) return error(iq, from, jid_, {StanzaError::item_not_found, "No such occupant"}, out);
            if (!me || me->role != Role::moderator)
                return error(iq, from, jid_, {StanzaError::forbidden, "Only moderators change roles"}, out);
            const Affiliation theirs = affiliation_of(target->bare);
            // §8.2, §9.6: nobody kicks or silences an admin or owner, and
            // only admins grant or revoke moderation.
            if (*role != Role::moderator && theirs >= Affiliation::admin)
                return error(iq, from, jid_, {StanzaError::not_allowed, "Admins and owners keep their role"}, out);
            if ((*role == Role::moderator || target->role == Role::moderator) && mine < Affiliation::admin)
                return error(iq, from, jid_, {StanzaError::not_allowed, "Only admins grant or revoke moderation"},
                             out);
            roles.push_back({*nick, *role, std::move(reason)});
            continue;
        }
        auto affiliation = affiliation_from_string(child.attr_or("affiliation"));
        auto jid = xmpp::Jid::parse(child.attr_or("jid"));
        if (!affiliation)
            return error(iq, from, jid_, {StanzaError::bad_request, "An item needs a role or an affiliation"}, out);
        if (!jid && child.attr("nick"))
            if (Occupant* target = occupant_named(std::string(child.attr_or("nick")))) jid = target->bare;
        if (!jid) return error(iq, from, jid_, {StanzaError::bad_request, "An affiliation needs a jid"}, out);
        const xmpp::Jid bare = jid->bare();
        const Affiliation theirs = affiliation_of(bare);
        // §9, §10: admins handle members and outcasts below them; owners all.
        const bool needs_owner = *affiliation >= Affiliation::admin || theirs >= Affiliation::admin;
        if (mine < Affiliation::admin || (needs_owner && mine != Affiliation::owner))
            return error(iq, from, jid_, {StanzaError::forbidden, "You may not change that affiliation"}, out);
        if (*affiliation == Affiliation::none)
            after.erase(bare.bare_string());
        else
            after[bare.bare_string()] = *affiliation;
        affiliations.push_back({bare, *affiliation, std::move(reason)});
    }
    if (!affiliations.empty() &&
        std::none_of(after.begin(), after.end(), [](const auto& a) { return a.second == Affiliation::owner; }))
        return error(iq, from, jid_, {StanzaError::conflict, "A room keeps at least one owner"}, out);
    if (after.size() > limits_.max_affiliations)
        return error(iq, from, jid_, {StanzaError::not_acceptable, "The room's lists are full"}, out);
    result(iq, from, jid_, std::nullopt, out);

    for (auto& change : roles) {
        Occupant* target = occupant_named(change.nick);
        if (!target) continue;
        if (change.role == Role::none) {
            remove_occupant(change.nick, {.codes = {status_kicked}, .actor = actor, .reason = change.reason}, out);
            continue;
        }
        target->role = change.role;
        broadcast_presence(*target, target->sessions.back().presence, {.actor = actor, .reason = change.reason}, out);
    }
    for (auto& change : affiliations)
        affiliation_changed(change.bare, change.affiliation, out, actor, change.reason);
}

void Room::affiliation_changed(const xmpp::Jid& bare, Affiliation affiliation, Outbox& out, const std::string& actor,
                               const std::string& reason) {
    set_affiliation(bare, affiliation);
    std::vector<std::string> nicks;
    for (const auto& [nick, o] : occupants_)
        if (o.bare == bare) nicks.push_back(nick);
    for (const auto& nick : nicks) {
        Occupant* o = occupant_named(nick);
        if (affiliation == Affiliation::outcast) {
            remove_occupant(nick, {.codes = {status_banned}, .actor = actor, .reason = reason}, out);
        } else if (config_.members_only && affiliation == Affiliation::none) {
            remove_occupant(nick, {.codes = {status_affiliation_changed}, .actor = actor, .reason = reason}, out);
        } else {
            o->role = default_role(affiliation, config_.moderated);
            broadcast_presence(*o, o->sessions.back().presence, {.reason = reason}, out);
        }
    }
}

}  // namespace muc
