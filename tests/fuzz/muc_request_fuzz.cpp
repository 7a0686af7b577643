// libFuzzer target: what a client can send a group chat room, through the
// pure room core (muc/room.hpp) and its parsers (the muc#roomconfig form,
// muc/config.hpp; the join request, muc/join.hpp; the nick registration,
// muc/registration.hpp). The input is one stanza
// (presence, message or iq, parsed as the store parses stanzas); it is said
// to a room with two occupants (its owner and a participant) by the owner, the
// participant and a stranger, to the address its 'to' names when that is in
// the room, else to the room; its <x xmlns='jabber:x:data'/>, if any, is
// also applied as a configuration form.
// Invariants: the room never holds more occupants than the service allows,
// its configuration stays within the service's bounds, every stanza it sends
// is from the room or an occupant of it, and every refused form or join
// names its error; every message it archives carries the stanza-id it was
// archived under, by the room, and only the stranger's archive queries that
// the room let through are those of someone who may read its archive.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "muc/config.hpp"
#include "muc/join.hpp"
#include "muc/registration.hpp"
#include "muc/room.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/stored_xml.hpp"

namespace {

muc::Limits small_limits() {
    muc::Limits limits;
    limits.config.max_users = 3;
    limits.config.max_history = 4;
    limits.config.max_fields = 16;
    limits.max_nick_bytes = 16;
    limits.max_sessions_per_nick = 2;
    limits.max_affiliations = 8;
    limits.max_admin_items = 4;
    limits.max_invites = 2;
    limits.message_rate = 1;
    limits.message_burst = 3;
    return limits;
}

void check_archive(muc::Room& room) {
    for (const auto& entry : room.take_archived()) {
        auto stored = xmpp::parse_stored(entry.xml);
        if (!stored || entry.id.empty()) std::abort();
        // Exactly one stanza-id by the room, with the entry's id; others' (by other
        // JIDs) may pass through (XEP-0359 §5 strips only one's own).
        std::size_t own = 0;
        for (const auto& child : stored->children()) {
            if (child.is_text() || child.name() != "stanza-id" || child.xmlns() != xmpp::ns::stanza_id) continue;
            if (child.attr_or("by") != room.jid().full()) continue;
            if (child.attr_or("id") != entry.id) std::abort();
            ++own;
        }
        if (own != 1) std::abort();
    }
    for (const auto& request : room.take_archive_requests())
        if (!room.config().archive || request.iq.name() != "iq") std::abort();
}

void check(muc::Room& room, const muc::Outbox& out, const muc::Limits& limits) {
    check_archive(room);
    if (room.occupant_count() > limits.config.max_users) std::abort();
    const muc::RoomConfig& config = room.config();
    if (config.max_users == 0 || config.max_users > limits.config.max_users) std::abort();
    if (config.history_length > limits.config.max_history) std::abort();
    for (const auto& o : out) {
        if (!o.stanza || o.from.bare() != room.jid()) std::abort();
        if (o.stanza->attr_or("from") != o.from.full()) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto stanza = xmpp::parse_stored(text);
    if (!stanza) return 0;

    if (const xmpp::Element* form = stanza->child_ns(xmpp::ns::muc_owner)) {
        if (const xmpp::Element* x = form->child("x", xmpp::ns::data_forms)) {
            const auto limits = small_limits();
            auto config = muc::apply_config_form(muc::default_config(limits.config, 2), *x, limits.config);
            if (config && (config->max_users > limits.config.max_users ||
                           config->history_length > limits.config.max_history))
                std::abort();
        }
    }
    if (auto join = muc::parse_join(*stanza); join && join->password && join->password->size() > muc::max_password_bytes)
        std::abort();

    if (const xmpp::Element* q = stanza->child("query", xmpp::ns::register_query)) {
        auto request = muc::parse_registration(*q, *xmpp::Jid::parse("hall@conference.example.org"), 16);
        if (request && request->kind == muc::RegistrationRequest::Kind::register_nick &&
            (request->nick.empty() || request->nick.size() > 16))
            std::abort();
    }

    const muc::Limits limits = small_limits();
    const auto room_jid = *xmpp::Jid::parse("hall@conference.example.org");
    muc::Room room(room_jid, muc::default_config(limits.config, 2), "key", limits);
    const auto owner = *xmpp::Jid::parse("alice@example.org/a");
    const auto participant = *xmpp::Jid::parse("bob@example.org/b");
    const auto stranger = *xmpp::Jid::parse("eve@example.net/e");
    auto clock = muc::Clock::time_point(std::chrono::seconds(1'800'000'000));
    muc::Outbox out;
    for (const auto& [who, nick] : {std::pair{owner, "Alice"}, std::pair{participant, "Bob"}}) {
        xmpp::Element join("presence", std::string(xmpp::ns::client));
        join.add_child(xmpp::Element("x", std::string(xmpp::ns::muc)));
        room.handle(join, who, *room_jid.with_resource(nick), clock, out);
    }
    xmpp::Element said("message", std::string(xmpp::ns::client));
    said.set_attr("type", "groupchat");
    said.add_child(xmpp::Element("body", std::string(xmpp::ns::client))).add_text("history");
    room.handle(said, participant, room_jid, clock, out);
    check(room, out, limits);

    xmpp::Jid to = room_jid;
    if (const std::string* attr = stanza->attr("to"))
        if (auto parsed = xmpp::Jid::parse(*attr); parsed && parsed->bare() == room_jid) to = *parsed;
    for (const auto* from : {&stranger, &participant, &owner}) {
        out.clear();
        clock += std::chrono::seconds(1);
        room.handle(*stanza, *from, to, clock, out);
        check(room, out, limits);
        if (room.destroyed()) break;
    }
    out.clear();
    room.session_ended(participant, out);
    check(room, out, limits);
    return 0;
}
