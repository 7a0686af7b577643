// A Room under test: stanzas said by named users, what the room sent back
// read per recipient. On the test's thread only.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "muc/room.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/stored_xml.hpp"

namespace muc_test {

inline xmpp::Jid jid(std::string_view text) {
    auto parsed = xmpp::Jid::parse(text);
    REQUIRE(parsed.has_value());
    return *parsed;
}

inline xmpp::Element xml(std::string_view text) {
    auto parsed = xmpp::parse_stored(text);
    REQUIRE(parsed.has_value());
    return *parsed;
}

struct Sent {
    std::string to;
    xmpp::Element stanza;
};

inline muc::Limits test_limits() {
    muc::Limits limits;
    limits.config.max_users = 5;
    limits.config.max_history = 20;
    limits.max_nick_bytes = 16;
    return limits;
}

struct RoomFixture {
    muc::Room room;
    muc::Clock::time_point now = muc::Clock::time_point(std::chrono::seconds(1'800'000'000));

    explicit RoomFixture(muc::Limits limits = test_limits())
        : room(jid("hall@conference.localhost"), muc::default_config(limits.config, 10), "key", limits) {}

    // `stanza` (XML without from/to) from `from` to `to`; what the room sent.
    std::vector<Sent> say(std::string_view from, std::string_view to, std::string stanza) {
        xmpp::Element e = xml(stanza);
        e.set_attr("from", std::string(from));
        e.set_attr("to", std::string(to));
        muc::Outbox out;
        room.handle(e, jid(from), jid(to), now, out);
        std::vector<Sent> sent;
        for (auto& o : out) {
            CHECK(o.stanza->attr_or("from") == o.from.full());
            sent.push_back({o.to.full(), *o.stanza});
        }
        return sent;
    }

    std::vector<Sent> join(std::string_view from, std::string_view nick, std::string extra = {}) {
        return say(from, "hall@conference.localhost/" + std::string(nick),
                   "<presence xmlns='jabber:client'><x xmlns='http://jabber.org/protocol/muc'>" + extra +
                       "</x></presence>");
    }
    std::vector<Sent> groupchat(std::string_view from, std::string body, std::string id = "m") {
        return say(from, "hall@conference.localhost",
                   "<message xmlns='jabber:client' type='groupchat' id='" + id + "'><body>" + body +
                       "</body></message>");
    }
    std::vector<Sent> iq(std::string_view from, std::string type, std::string payload,
                         std::string_view to = "hall@conference.localhost") {
        return say(from, to, "<iq xmlns='jabber:client' id='q' type='" + type + "'>" + payload + "</iq>");
    }
};

inline std::vector<Sent> to(const std::vector<Sent>& sent, std::string_view recipient) {
    std::vector<Sent> out;
    for (const auto& s : sent)
        if (s.to == recipient) out.push_back(s);
    return out;
}

inline std::vector<int> codes(const xmpp::Element& stanza) {
    std::vector<int> out;
    if (const auto* x = stanza.child("x", xmpp::ns::muc_user))
        for (const auto& c : x->children())
            if (!c.is_text() && c.name() == "status") out.push_back(std::stoi(std::string(c.attr_or("code"))));
    return out;
}

inline const xmpp::Element* item(const xmpp::Element& stanza) {
    const auto* x = stanza.child("x", xmpp::ns::muc_user);
    return x ? x->child("item", xmpp::ns::muc_user) : nullptr;
}

inline std::string error_of(const xmpp::Element& stanza) {
    const xmpp::Element* error = stanza.child("error");
    if (!error) return {};
    for (const auto& c : error->children())
        if (!c.is_text() && c.xmlns() == xmpp::ns::stanzas) return c.name();
    return {};
}

}  // namespace muc_test
