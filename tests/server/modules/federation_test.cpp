// Federation as the Router and the presence module see it, without sockets:
// a RemoteServers that records what would leave for other servers, and
// stanzas from other servers handed to the Router as S2sIncoming hands them.
// A local user's subscription to a remote contact updates her roster and
// leaves; the remote approval, a remote request and its approval, a remote
// probe answered with her presence; messages both ways through the one
// delivery path.
#include <doctest/doctest.h>

#include <mutex>

#include "conversation.hpp"
#include "server/router/remote_servers.hpp"
#include "server/router/router.hpp"
#include "xmpp/stored_xml.hpp"

namespace federation_test {

using test::Client;
using test::only;

// What the server hands to federation, in order.
struct RecordingRemote final : server::RemoteServers {
    void send(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to) override {
        std::lock_guard lock(mutex);
        sent.push_back({stanza, from.full(), to.full()});
    }
    std::vector<std::string> remote_domains() const override { return {}; }

    struct Sent {
        xmpp::Element stanza;
        std::string from;
        std::string to;
    };
    std::vector<Sent> take() {
        std::lock_guard lock(mutex);
        return std::exchange(sent, {});
    }

    std::mutex mutex;
    std::vector<Sent> sent;
};

// A stanza from a remote server, as an incoming s2s stream routes it.
void from_remote(test::C2sHarness& h, std::string xml) {
    auto stanza = xmpp::parse_stored(xml);
    REQUIRE(stanza);
    auto from = xmpp::Jid::parse(stanza->attr_or("from"));
    auto to = xmpp::Jid::parse(stanza->attr_or("to"));
    REQUIRE(from);
    REQUIRE(to);
    h.services.router->route(std::move(*stanza), *from, &*to);
    h.settle();
}

std::string roster_state(Client& c, std::string_view contact) {
    const auto answer = c.iq("get", "<query xmlns='jabber:iq:roster'/>");
    if (const auto* query = answer.child("query", xmpp::ns::roster))
        for (const auto& item : query->children())
            if (!item.is_text() && item.attr_or("jid") == contact)
                return std::string(item.attr_or("subscription")) + "/" + std::string(item.attr_or("ask"));
    return "absent";
}

struct Federated {
    test::C2sHarness h;
    RecordingRemote remote;
    std::unique_ptr<Client> juliet;

    Federated() {
        h.services.remote = &remote;
        juliet = std::make_unique<Client>(h, "juliet", "r0meo", "balcony");
        juliet->iq("get", "<query xmlns='jabber:iq:roster'/>");
        juliet->say("<presence/>");
        remote.take();
    }
    ~Federated() { h.services.remote = nullptr; }
};

TEST_CASE("federation: a message to a remote JID leaves through RemoteServers, 'from' stamped") {
    Federated f;
    f.juliet->say("<message to='mercutio@verona.test' type='chat'><body>hi</body></message>");
    const auto sent = f.remote.take();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].stanza.name() == "message");
    CHECK(sent[0].from == f.juliet->jid());
    CHECK(sent[0].to == "mercutio@verona.test");
    CHECK(sent[0].stanza.attr_or("from") == f.juliet->jid());
}

TEST_CASE("federation: a remote message reaches the local user; without federation, remote-server-not-found") {
    Federated f;
    from_remote(f.h, "<message xmlns='jabber:client' from='mercutio@verona.test/r' to='juliet@localhost' "
                     "type='chat'><body>hello</body></message>");
    const auto got = only(f.juliet->received(), "message");
    REQUIRE(got.size() == 1);
    CHECK(got[0].attr_or("from") == "mercutio@verona.test/r");

    f.h.services.remote = nullptr;
    const auto answer = only(f.juliet->say("<message to='mercutio@verona.test'><body>x</body></message>"), "message");
    REQUIRE(answer.size() == 1);
    CHECK(test::error_condition(answer[0]) == "remote-server-not-found");
    CHECK(f.remote.take().empty());
}

TEST_CASE("federation: subscriptions both ways with a remote contact end in both; a probe is answered") {
    Federated f;
    // Juliet asks (RFC 6121 §3.1.2): her roster first, then the request leaves.
    f.juliet->say("<presence to='mercutio@verona.test' type='subscribe'/>");
    auto sent = f.remote.take();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].stanza.attr_or("type") == "subscribe");
    CHECK(sent[0].stanza.attr_or("from") == "juliet@localhost");
    CHECK(roster_state(*f.juliet, "mercutio@verona.test") == "none/subscribe");

    // Mercutio's server approves.
    from_remote(f.h, "<presence xmlns='jabber:client' from='mercutio@verona.test' to='juliet@localhost' "
                     "type='subscribed'/>");
    CHECK(roster_state(*f.juliet, "mercutio@verona.test") == "to/");

    // Mercutio asks too; Juliet sees the request and approves.
    from_remote(f.h, "<presence xmlns='jabber:client' from='mercutio@verona.test' to='juliet@localhost' "
                     "type='subscribe'/>");
    CHECK(only(f.juliet->received(), "presence", "subscribe").size() == 1);
    f.remote.take();
    f.juliet->say("<presence to='mercutio@verona.test' type='subscribed'/>");
    sent = f.remote.take();
    bool approved = false, presence_sent = false;
    for (const auto& s : sent) {
        approved |= s.stanza.attr_or("type") == "subscribed" && s.to == "mercutio@verona.test";
        presence_sent |= s.stanza.name() == "presence" && !s.stanza.attr("type") && s.from == f.juliet->jid();
    }
    CHECK(approved);
    CHECK(presence_sent);  // §3.1.5: the new subscriber gets her current presence
    CHECK(roster_state(*f.juliet, "mercutio@verona.test") == "both/");

    // A probe from Mercutio's server is answered with Juliet's presence (§4.3.2).
    from_remote(f.h, "<presence xmlns='jabber:client' from='mercutio@verona.test' to='juliet@localhost' "
                     "type='probe'/>");
    sent = f.remote.take();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].stanza.name() == "presence");
    CHECK_FALSE(sent[0].stanza.attr("type"));
    CHECK(sent[0].stanza.attr_or("from") == f.juliet->jid());

    // Her presence changes reach the remote contact (broadcast).
    f.juliet->say("<presence><show>away</show></presence>");
    sent = f.remote.take();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].to == "mercutio@verona.test");
}

TEST_CASE("federation: a probe from a stranger reveals nothing") {
    Federated f;
    from_remote(f.h, "<presence xmlns='jabber:client' from='tybalt@verona.test' to='juliet@localhost' "
                     "type='probe'/>");
    CHECK(f.remote.take().empty());
}

}  // namespace federation_test
