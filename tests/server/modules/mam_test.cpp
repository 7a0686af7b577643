// Module "mam" (XEP-0313, XEP-0359, XEP-0334 storage hints), through
// sessions: both parties' archives, the stanza-id on the live message, forged
// stanza-ids removed, preferences (never, roster, JID lists), queries with
// results before the <fin/>, errors, the form, disco, offline storage beside
// the archive, and [modules.mam] options. Each case fails with the module
// disabled.
#include <doctest/doctest.h>

#include "conversation.hpp"
#include "server/store/storage.hpp"

namespace mam_test {

using test::Client;
using test::error_condition;
using test::only;

constexpr std::string_view mam_ns = "urn:xmpp:mam:2";

std::string chat(std::string_view to, std::string_view body, std::string_view extra = {}) {
    return "<message to='" + std::string(to) + "' type='chat' id='c-" + std::string(body) + "'><body>" +
           std::string(body) + "</body>" + std::string(extra) + "</message>";
}

struct Archive {
    std::vector<xmpp::Element> results;  // the <message/>s, in order
    xmpp::Element answer;                // the iq
    std::vector<std::string> bodies() const {
        std::vector<std::string> out;
        for (const auto& r : results) {
            const auto* msg = r.child("result", mam_ns)->child("forwarded")->child("message");
            out.push_back(msg->child_text("body"));
        }
        return out;
    }
    std::vector<std::string> ids() const {
        std::vector<std::string> out;
        for (const auto& r : results) out.push_back(std::string(r.child("result", mam_ns)->attr_or("id")));
        return out;
    }
    const xmpp::Element* set() const {
        const auto* fin = answer.child("fin", mam_ns);
        return fin ? fin->child("set", xmpp::ns::rsm) : nullptr;
    }
};

Archive query(Client& c, std::string_view inner = {}) {
    Archive a;
    a.answer = c.iq("set", "<query xmlns='urn:xmpp:mam:2' queryid='q1'>" + std::string(inner) + "</query>");
    for (auto& m : only(c.received(), "message"))
        if (m.child("result", mam_ns)) a.results.push_back(std::move(m));
    return a;
}

std::string rsm(std::string_view inner) {
    return "<set xmlns='http://jabber.org/protocol/rsm'>" + std::string(inner) + "</set>";
}

void available(Client& c) { c.say("<presence/>"); }

TEST_CASE("mam: a chat between two accounts lands in both archives; the recipient sees its stanza-id live") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    Client juliet(h, "juliet", "r0meo", "balcony");
    available(juliet);
    Client romeo(h, "romeo", "m0ntague", "garden");
    CHECK(romeo.say(chat("juliet@localhost", "hello")).empty());
    const auto live = only(juliet.received(), "message");
    REQUIRE(live.size() == 1);
    const auto* sid = live[0].child("stanza-id", xmpp::ns::stanza_id);
    REQUIRE(sid != nullptr);
    CHECK(sid->attr_or("by") == "juliet@localhost");
    CHECK(sid->attr_or("id").size() == 16);

    auto mine = query(juliet);
    CHECK(mine.answer.attr_or("type") == "result");
    REQUIRE(mine.results.size() == 1);
    CHECK(mine.ids() == std::vector<std::string>{std::string(sid->attr_or("id"))});
    const auto& r = mine.results[0];
    CHECK(r.attr_or("to") == "juliet@localhost/balcony");
    CHECK(r.attr_or("from") == "juliet@localhost");
    CHECK(r.child("result", mam_ns)->attr_or("queryid") == "q1");
    const auto* forwarded = r.child("result", mam_ns)->child("forwarded", xmpp::ns::forward);
    REQUIRE(forwarded);
    CHECK(forwarded->child("delay", xmpp::ns::delay)->attr_or("stamp").size() == 27);
    CHECK(forwarded->child("message", xmpp::ns::client)->attr_or("from") == "romeo@localhost/garden");
    CHECK(mine.answer.child("fin", mam_ns)->attr_or("complete") == "true");
    CHECK(mine.set()->child_text("first") == mine.ids()[0]);
    CHECK(mine.set()->child_text("last") == mine.ids()[0]);

    auto theirs = query(romeo);
    CHECK(theirs.bodies() == std::vector<std::string>{"hello"});
    CHECK(theirs.ids()[0] != mine.ids()[0]);
}

TEST_CASE("mam: forged stanza-ids in our name are removed, others and origin-id kept") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    Client juliet(h, "juliet", "r0meo", "balcony");
    available(juliet);
    Client romeo(h, "romeo", "m0ntague", "garden");
    romeo.say(chat("juliet@localhost", "forged",
                   "<stanza-id xmlns='urn:xmpp:sid:0' by='juliet@localhost' id='fake'/>"
                   "<stanza-id xmlns='urn:xmpp:sid:0' by='localhost' id='fake2'/>"
                   "<stanza-id xmlns='urn:xmpp:sid:0' by='room@muc.elsewhere.example' id='theirs'/>"
                   "<origin-id xmlns='urn:xmpp:sid:0' id='origin-1'/>"));
    const auto live = only(juliet.received(), "message");
    REQUIRE(live.size() == 1);
    std::vector<std::string> ids;
    for (const auto& c : live[0].children())
        if (!c.is_text() && c.name() == "stanza-id") ids.push_back(std::string(c.attr_or("id")));
    REQUIRE(ids.size() == 2);
    CHECK(ids[0] == "theirs");
    CHECK(ids[1] != "fake");
    CHECK(live[0].child("origin-id", xmpp::ns::stanza_id)->attr_or("id") == "origin-1");
}

TEST_CASE("mam: what is archived: bodies of chat and normal, store hint; not chat states, headlines, no-store") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    Client juliet(h, "juliet", "r0meo", "balcony");
    available(juliet);
    Client romeo(h, "romeo", "m0ntague", "garden");
    romeo.say("<message to='juliet@localhost'><body>normal</body></message>");
    romeo.say("<message to='juliet@localhost' type='chat'>"
              "<active xmlns='http://jabber.org/protocol/chatstates'/></message>");
    romeo.say("<message to='juliet@localhost' type='headline'><body>news</body></message>");
    romeo.say(chat("juliet@localhost", "secret", "<no-store xmlns='urn:xmpp:hints'/>"));
    romeo.say(chat("juliet@localhost", "ephemeral", "<no-permanent-store xmlns='urn:xmpp:hints'/>"));
    romeo.say("<message to='juliet@localhost' type='chat' id='s'><store xmlns='urn:xmpp:hints'/>"
              "<received xmlns='urn:xmpp:receipts' id='x'/></message>");
    auto live = only(juliet.received(), "message");
    REQUIRE(live.size() == 6);
    CHECK(live[1].child("stanza-id") == nullptr);  // chat state: not archived, no id
    auto a = query(juliet);
    REQUIRE(a.results.size() == 2);
    CHECK(a.bodies()[0] == "normal");
    CHECK(a.results[1].child("result", mam_ns)->child("forwarded")->child("message")->attr_or("id") == "s");
}

TEST_CASE("mam: paging both ways with RSM, max='0' counts, unknown ids are item-not-found") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    Client juliet(h, "juliet", "r0meo", "balcony");
    Client romeo(h, "romeo", "m0ntague", "garden");
    for (int i = 1; i <= 5; ++i) romeo.say(chat("juliet@localhost", std::to_string(i)));

    auto first = query(juliet, rsm("<max>2</max>"));
    CHECK(first.bodies() == std::vector<std::string>{"1", "2"});
    CHECK_FALSE(first.answer.child("fin", mam_ns)->attr("complete"));
    CHECK(first.set()->child("first")->attr_or("index") == "0");
    auto next = query(juliet, rsm("<max>2</max><after>" + first.set()->child_text("last") + "</after>"));
    CHECK(next.bodies() == std::vector<std::string>{"3", "4"});
    auto rest = query(juliet, rsm("<max>2</max><after>" + next.set()->child_text("last") + "</after>"));
    CHECK(rest.bodies() == std::vector<std::string>{"5"});
    CHECK(rest.answer.child("fin", mam_ns)->attr_or("complete") == "true");

    auto last = query(juliet, rsm("<max>2</max><before/>"));
    CHECK(last.bodies() == std::vector<std::string>{"4", "5"});
    auto earlier = query(juliet, rsm("<max>2</max><before>" + last.set()->child_text("first") + "</before>"));
    CHECK(earlier.bodies() == std::vector<std::string>{"2", "3"});

    auto count = query(juliet, rsm("<max>0</max>"));
    CHECK(count.results.empty());
    CHECK(count.set()->child_text("count") == "5");

    auto unknown = query(juliet, rsm("<after>nope</after>"));
    CHECK(error_condition(unknown.answer) == "item-not-found");
    unknown = query(juliet, "<x xmlns='jabber:x:data' type='submit'><field var='before-id'><value>nope</value>"
                            "</field></x>");
    CHECK(error_condition(unknown.answer) == "item-not-found");
    auto bad = query(juliet, "<x xmlns='jabber:x:data' type='submit'><field var='colour'><value>red</value>"
                             "</field></x>");
    CHECK(error_condition(bad.answer) == "bad-request");
    auto ids = query(juliet, "<x xmlns='jabber:x:data' type='submit'><field var='ids'><value>" + first.ids()[1] +
                                 "</value></field></x>");
    CHECK(ids.bodies() == std::vector<std::string>{"2"});
}

TEST_CASE("mam: offline messages still arrive for a client that never asks the archive, with their stanza-id") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    Client romeo(h, "romeo", "m0ntague", "garden");
    CHECK(romeo.say(chat("juliet@localhost", "while-away")).empty());
    Client juliet(h, "juliet", "r0meo", "balcony");
    const auto messages = only(juliet.say("<presence/>"), "message");
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].child_text("body") == "while-away");
    const auto* sid = messages[0].child("stanza-id", xmpp::ns::stanza_id);
    REQUIRE(sid);
    CHECK(query(juliet).ids() == std::vector<std::string>{std::string(sid->attr_or("id"))});
}

TEST_CASE("mam: preferences never and roster keep messages out of that account's archive only") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    test::add_account(h, "nurse", "n0rse");
    Client juliet(h, "juliet", "r0meo", "balcony");
    available(juliet);
    Client romeo(h, "romeo", "m0ntague", "garden");
    Client nurse(h, "nurse", "n0rse", "kitchen");

    auto defaults = juliet.iq("get", "<prefs xmlns='urn:xmpp:mam:2'/>");
    CHECK(defaults.child("prefs", mam_ns)->attr_or("default") == "always");
    auto set = juliet.iq("set", "<prefs xmlns='urn:xmpp:mam:2' default='never'><always/><never/></prefs>");
    CHECK(set.attr_or("type") == "result");
    CHECK(set.child("prefs", mam_ns)->attr_or("default") == "never");
    romeo.say(chat("juliet@localhost", "unrecorded"));
    auto live = only(juliet.received(), "message");
    REQUIRE(live.size() == 1);
    CHECK(live[0].child("stanza-id") == nullptr);
    CHECK(query(juliet).results.empty());
    CHECK(query(romeo).bodies() == std::vector<std::string>{"unrecorded"});  // romeo's own choice

    // Roster: romeo is a contact, the nurse is not; she is always archived by name.
    juliet.iq("set", "<query xmlns='jabber:iq:roster'><item jid='romeo@localhost'/></query>");
    juliet.iq("set", "<prefs xmlns='urn:xmpp:mam:2' default='roster'><always/><never/></prefs>");
    romeo.say(chat("juliet@localhost", "contact"));
    nurse.say(chat("juliet@localhost", "stranger"));
    live = only(juliet.received(), "message");
    REQUIRE(live.size() == 2);
    CHECK(query(juliet).bodies() == std::vector<std::string>{"contact"});
    juliet.iq("set", "<prefs xmlns='urn:xmpp:mam:2' default='roster'><always><jid>nurse@localhost</jid></always>"
                     "<never><jid>romeo@localhost</jid></never></prefs>");
    romeo.say(chat("juliet@localhost", "contact-2"));
    nurse.say(chat("juliet@localhost", "stranger-2"));
    CHECK(query(juliet).bodies() == std::vector<std::string>{"contact", "stranger-2"});
    auto got = juliet.iq("get", "<prefs xmlns='urn:xmpp:mam:2'/>");
    CHECK(got.child("prefs", mam_ns)->child("always")->child_text("jid") == "nurse@localhost");

    // The stranger's message the roster kept out still carried an id, which
    // still works as a paging anchor (with nothing of the message kept).
    const auto* dropped = live[1].child("stanza-id", xmpp::ns::stanza_id);
    REQUIRE(dropped);
    auto after = query(juliet, rsm("<after>" + std::string(dropped->attr_or("id")) + "</after>"));
    CHECK(after.answer.attr_or("type") == "result");
    CHECK(after.bodies() == std::vector<std::string>{"stranger-2"});

    CHECK(error_condition(juliet.iq("set", "<prefs xmlns='urn:xmpp:mam:2' default='sometimes'/>")) == "bad-request");
}

TEST_CASE("mam: another account's archive is forbidden; the form and disco name the fields and features") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    Client juliet(h, "juliet", "r0meo", "balcony");
    auto answer = juliet.iq("set", "<query xmlns='urn:xmpp:mam:2'/>", "romeo@localhost");
    CHECK(error_condition(answer) == "forbidden");
    auto form = juliet.iq("get", "<query xmlns='urn:xmpp:mam:2'/>");
    REQUIRE(form.child("query", mam_ns));
    CHECK(form.child("query", mam_ns)->child("x", xmpp::ns::data_forms)->element_count() == 8);
    auto disco = juliet.iq("get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", "juliet@localhost");
    auto features = test::disco_features(disco);
    for (std::string_view f : {"urn:xmpp:mam:2", "urn:xmpp:mam:2#extended", "urn:xmpp:sid:0"})
        CHECK(std::find(features.begin(), features.end(), f) != features.end());
}

TEST_CASE("mam: [modules.mam] default = never; the module disabled archives nothing and stamps nothing") {
    for (const bool disabled : {false, true}) {
        CAPTURE(disabled);
        conf::Config config = conf::default_config();
        if (disabled)
            config.modules.disabled = {"mam"};
        else
            config.modules.options["mam"]["default"] = 1;  // "never"
        test::C2sHarness h(config);
        test::add_account(h, "romeo", "m0ntague");
        Client juliet(h, "juliet", "r0meo", "balcony");
        available(juliet);
        Client romeo(h, "romeo", "m0ntague", "garden");
        romeo.say(chat("juliet@localhost", "hi"));
        auto live = only(juliet.received(), "message");
        REQUIRE(live.size() == 1);
        CHECK(live[0].child("stanza-id") == nullptr);
        auto answer = juliet.iq("set", "<query xmlns='urn:xmpp:mam:2'/>");
        if (disabled) {
            CHECK(error_condition(answer) == "service-unavailable");
        } else {
            CHECK(only(juliet.received(), "message").empty());
        }
    }
}

}  // namespace mam_test
