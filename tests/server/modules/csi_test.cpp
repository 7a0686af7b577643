// Module "csi" (XEP-0352), through sessions: the stream feature; while
// juliet's client is inactive, presence (the latest per contact) and chat
// states wait, a message with a body goes at once after them; <active/>
// lets them go in order; they get their stream-management sequence number
// only when written; without the module <inactive/> is an unknown element.
#include <doctest/doctest.h>

#include "conversation.hpp"

namespace csi_test {

using test::Client;
using test::only;

const std::string inactive = "<inactive xmlns='urn:xmpp:csi:0'/>";
const std::string active = "<active xmlns='urn:xmpp:csi:0'/>";

// juliet and romeo see each other's presence.
struct Scene {
    test::C2sHarness h;
    std::optional<Client> juliet;
    std::optional<Client> romeo;
    std::optional<Client> nurse;
    explicit Scene(conf::Config config = conf::default_config()) : h(std::move(config)) {
        test::add_account(h, "romeo", "m0ntague");
        test::add_account(h, "nurse", "n0rse");
        juliet.emplace(h, "juliet", "r0meo", "balcony");
        romeo.emplace(h, "romeo", "m0ntague", "garden");
        nurse.emplace(h, "nurse", "n0rse", "hall");
        for (Client* other : {&*romeo, &*nurse}) {
            const std::string bare = other->bare();
            juliet->say("<presence to='" + bare + "' type='subscribe'/>");
            other->say("<presence to='juliet@localhost' type='subscribed'/>");
            other->say("<presence to='juliet@localhost' type='subscribe'/>");
            juliet->say("<presence to='" + bare + "' type='subscribed'/>");
        }
        juliet->say("<presence/>");
        romeo->say("<presence/>");
        nurse->say("<presence/>");
        juliet->received();
        romeo->received();
        nurse->received();
    }
};

std::vector<std::string> summary(const std::vector<xmpp::Element>& stanzas) {
    std::vector<std::string> out;
    for (const auto& s : stanzas) {
        std::string line = s.name() + " " + std::string(s.attr_or("from"));
        if (s.child("show")) line += " " + s.child_text("show");
        if (s.child("body")) line += " " + s.child_text("body");
        if (s.child_ns(xmpp::ns::chat_states)) line += " " + s.child_ns(xmpp::ns::chat_states)->name();
        if (s.attr("type")) line += " " + std::string(s.attr_or("type"));
        out.push_back(line);
    }
    return out;
}

TEST_CASE("csi: the stream feature is offered after authentication") {
    test::C2sHarness h;
    auto pipe = h.connect(true);
    h.say(*pipe, test::C2sHarness::open_stream());
    CHECK(h.say(*pipe, test::C2sHarness::plain_auth("juliet", "r0meo")).find("<success") != std::string::npos);
    const std::string features = h.say(*pipe, test::C2sHarness::open_stream());
    CHECK(features.find("urn:xmpp:csi:0") != std::string::npos);
}

TEST_CASE("csi: while inactive presence and chat states wait; a body message goes at once, after them") {
    Scene s;
    CHECK(s.juliet->say(inactive).empty());  // a nonza: no answer
    s.romeo->say("<presence><show>away</show></presence>");
    s.romeo->say("<message to='juliet@localhost/balcony' type='chat'>"
                 "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
    s.nurse->say("<presence><show>dnd</show></presence>");
    s.romeo->say("<presence><show>xa</show></presence>");
    CHECK(s.juliet->received().empty());
    s.romeo->say("<message to='juliet@localhost/balcony' type='chat'><body>up?</body></message>");
    CHECK(summary(s.juliet->received()) ==
          std::vector<std::string>{"message romeo@localhost/garden composing chat", "presence nurse@localhost/hall dnd",
                                   "presence romeo@localhost/garden xa", "message romeo@localhost/garden up? chat"});
    // Still inactive: the next presence waits again.
    s.romeo->say("<presence/>");
    CHECK(s.juliet->received().empty());
    CHECK(summary(s.juliet->say(active)) == std::vector<std::string>{"presence romeo@localhost/garden"});
    s.nurse->say("<presence/>");
    CHECK(summary(s.juliet->received()) == std::vector<std::string>{"presence nurse@localhost/hall"});
}

TEST_CASE("csi: <active/> lets what waited go, in order, with only the latest presence per contact") {
    Scene s;
    s.juliet->say(inactive);
    s.romeo->say("<presence><show>away</show></presence>");
    s.nurse->say("<presence><show>away</show></presence>");
    s.romeo->say("<message to='juliet@localhost/balcony' type='chat'>"
                 "<paused xmlns='http://jabber.org/protocol/chatstates'/></message>");
    s.romeo->say("<presence><show>chat</show></presence>");
    CHECK(s.juliet->received().empty());
    CHECK(summary(s.juliet->say(active)) ==
          std::vector<std::string>{"presence nurse@localhost/hall away", "message romeo@localhost/garden paused chat",
                                   "presence romeo@localhost/garden chat"});
}

TEST_CASE("csi: iq answers are never held, and held stanzas get no sequence number until written") {
    Scene s;
    auto session = std::dynamic_pointer_cast<server::BoundSession>(
        s.h.sessions.find(*xmpp::Jid::parse("juliet@localhost/balcony")));
    REQUIRE(session != nullptr);
    s.juliet->say(inactive);
    const auto before = session->stanzas_written();
    s.romeo->say("<presence><show>away</show></presence>");
    s.juliet->received();
    CHECK(session->stanzas_written() == before);
    CHECK(s.juliet->iq("get", "<ping xmlns='urn:xmpp:ping'/>", "localhost").attr_or("type") == "result");
    CHECK(summary(s.juliet->received()) == std::vector<std::string>{"presence romeo@localhost/garden away"});
    CHECK(session->stanzas_written() == before + 2);  // the presence, then the answer
}

TEST_CASE("csi: without the module there is no feature and <inactive/> ends the stream") {
    conf::Config config = conf::default_config();
    config.modules.disabled = {"csi"};
    test::C2sHarness h(config);
    auto pipe = h.login("juliet", "r0meo", "balcony");
    const std::string answer = h.say(*pipe, inactive);
    CHECK(answer.find("unsupported-stanza-type") != std::string::npos);
    CHECK(answer.find("</stream:stream>") != std::string::npos);
}

TEST_CASE("csi: an unknown element in the csi namespace ends the stream") {
    test::C2sHarness h;
    auto pipe = h.login("juliet", "r0meo", "balcony");
    CHECK(h.say(*pipe, "<dormant xmlns='urn:xmpp:csi:0'/>").find("unsupported-stanza-type") != std::string::npos);
}

}  // namespace csi_test
