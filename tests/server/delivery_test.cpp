// The delivery path without sockets: the real Router, its Delivery and the
// session table, with sessions that record what they are handed. Each test
// binds resources, says what they announced, sends something the way the
// router or a module would, and reads who got which bytes.
#include <doctest/doctest.h>

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "conf/config.hpp"
#include "server/core/metrics.hpp"
#include "server/core/module_host.hpp"
#include "server/router/router.hpp"
#include "server/router/session_manager.hpp"
#include "server/server_parts.hpp"
#include "xmpp/stored_xml.hpp"
#include "xmq/engine.hpp"

namespace {

using server::DeliveryKind;
using server::Undelivered;
using Reach = server::Delivery::Reach;

// A bound session that keeps what it was handed.
struct RecordingSession final : server::ClientSession {
    std::vector<std::pair<std::string, Undelivered>> taken;
    void deliver(std::string xml, Undelivered fallback) override { taken.emplace_back(std::move(xml), fallback); }
    void close_with(xmpp::StreamError, std::string) override {}
    bool is_encrypted() const override { return true; }
    std::size_t count() const { return taken.size(); }
    const std::string& last() const { return taken.back().first; }
};

struct Seen {
    std::string stanza;  // element name
    std::string from;
    std::string to;
    DeliveryKind kind;
};

xmpp::Jid jid(std::string_view text) { return *xmpp::Jid::parse(text); }

xmpp::Element xml(std::string_view text) {
    auto element = xmpp::parse_stored(text);
    REQUIRE(element.has_value());
    return std::move(*element);
}

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

// The server's parts without a feature module: the test's own hooks stand in.
std::unique_ptr<server::ServerParts> parts_without_modules() {
    static const server::ModuleRegistry none({});
    auto parts = server::ServerParts::build(std::make_shared<const conf::Config>(conf::default_config()),
                                            {.store = server::ServerParts::Store::memory, .modules = &none});
    REQUIRE_MESSAGE(parts.ok(), (parts.ok() ? "" : parts.error()));
    return std::move(parts.value());
}

struct Fixture {
    std::unique_ptr<server::ServerParts> parts = parts_without_modules();
    server::Services& services = parts->services;
    server::SessionManager& sessions = parts->sessions;
    server::ModuleHost& modules = parts->modules;
    server::Router& router = parts->router;
    xmq::Engine* xmq = parts->xmq.get();

    std::vector<Seen> seen;                 // what the filters were shown
    std::set<DeliveryKind> stopped_kinds;   // what the test's filter stops
    std::vector<std::string> undeliverable;  // messages handed to the undeliverable_message hooks
    bool keep_undeliverable = true;
    std::vector<std::pair<std::string, bool>> own_presence;  // (type, was_available) the hooks were shown

    Fixture() {
        auto& hooks = modules.hooks();
        hooks.delivery_filter.push_back([this](const server::PendingDelivery& d) {
            seen.push_back({d.stanza.name(), d.from.full(), d.to.full(), d.kind});
            return stopped_kinds.count(d.kind) > 0;
        });
        hooks.undeliverable_message.push_back([this](xmpp::Element& message, const xmpp::Jid&) {
            undeliverable.push_back(message.child_text("body", "jabber:client"));
            return keep_undeliverable;
        });
        hooks.own_presence.push_back([this](const xmpp::Element& p, const xmpp::Jid&, bool was_available) {
            own_presence.emplace_back(std::string(p.attr_or("type", "available")), was_available);
        });
    }

    std::shared_ptr<RecordingSession> bind(std::string_view full) {
        auto session = std::make_shared<RecordingSession>();
        REQUIRE(router.bind(jid(full), session, 10).bound);
        return session;
    }
    // `full` says presence without 'to', as a client does.
    void presence(std::string_view full, std::string_view inner = {}, std::string_view type = {}) {
        std::string text = "<presence from='" + std::string(full) + "'";
        if (!type.empty()) text += " type='" + std::string(type) + "'";
        text += ">" + std::string(inner) + "</presence>";
        router.route(xml(text), jid(full), nullptr);
    }
    std::shared_ptr<RecordingSession> available(std::string_view full, int priority = 0) {
        auto session = bind(full);
        presence(full, "<priority>" + std::to_string(priority) + "</priority>");
        return session;
    }
    // `from` sends `text` (its 'to' set) through the router.
    void route(std::string_view from, std::string_view text) {
        auto stanza = xml(text);
        stanza.set_attr("from", std::string(from));
        auto to = xmpp::Jid::parse(stanza.attr_or("to"));
        router.route(std::move(stanza), jid(from), to ? &*to : nullptr);
    }
    std::vector<DeliveryKind> kinds_seen() const {
        std::vector<DeliveryKind> kinds;
        for (const auto& s : seen) kinds.push_back(s.kind);
        return kinds;
    }
};

std::uint64_t messages_out() { return server::metrics::counters().stanzas_out[0].load(); }

}  // namespace

TEST_CASE("a chat message to a bare JID reaches the available resources of highest non-negative priority") {
    Fixture f;
    auto top1 = f.available("romeo@localhost/top1", 5);
    auto top2 = f.available("romeo@localhost/top2", 5);
    auto low = f.available("romeo@localhost/low", 1);
    auto negative = f.available("romeo@localhost/negative", -1);
    auto silent = f.bind("romeo@localhost/silent");  // bound, never available
    f.seen.clear();
    const auto before = messages_out();

    f.route("juliet@localhost/balcony", "<message to='romeo@localhost' type='chat'><body>hi</body></message>");

    REQUIRE(top1->count() == 1);
    REQUIRE(top2->count() == 1);
    CHECK(top1->taken[0] == top2->taken[0]);  // the same bytes, serialized for both
    CHECK(top1->taken[0].second == Undelivered::to_offline);
    CHECK(contains(top1->last(), "to='romeo@localhost'"));  // 'to' as addressed
    CHECK(low->count() == 0);
    CHECK(negative->count() == 0);
    CHECK(silent->count() == 0);
    // Shown to the filters once for the whole fan-out, counted once per session.
    REQUIRE(f.seen.size() == 1);
    CHECK(f.seen[0].to == "romeo@localhost");
    CHECK(f.seen[0].from == "juliet@localhost/balcony");
    CHECK(f.seen[0].kind == DeliveryKind::routed);
    CHECK(messages_out() - before == 2);
}

TEST_CASE("a headline to a bare JID reaches every available resource of non-negative priority") {
    Fixture f;
    auto high = f.available("romeo@localhost/high", 5);
    auto zero = f.available("romeo@localhost/zero", 0);
    auto negative = f.available("romeo@localhost/negative", -1);
    auto silent = f.bind("romeo@localhost/silent");

    f.route("juliet@localhost/balcony", "<message to='romeo@localhost' type='headline'><body>news</body></message>");

    CHECK(high->count() == 1);
    CHECK(zero->count() == 1);
    CHECK(high->taken[0].second == Undelivered::drop);  // a headline is not kept
    CHECK(negative->count() == 0);
    CHECK(silent->count() == 0);
}

TEST_CASE("presence to a bare JID reaches every available resource, whatever its priority") {
    Fixture f;
    auto high = f.available("romeo@localhost/high", 5);
    auto negative = f.available("romeo@localhost/negative", -1);
    auto silent = f.bind("romeo@localhost/silent");

    f.route("juliet@localhost/balcony", "<presence to='romeo@localhost'/>");

    CHECK(high->count() == 1);
    CHECK(negative->count() == 1);
    CHECK(high->taken[0].second == Undelivered::drop);
    CHECK(silent->count() == 0);
}

TEST_CASE("a message with no resource to take it goes to offline storage, or back with an error") {
    Fixture f;
    auto juliet = f.bind("juliet@localhost/balcony");
    auto negative = f.available("romeo@localhost/negative", -1);

    f.route("juliet@localhost/balcony", "<message to='romeo@localhost' type='chat'><body>kept</body></message>");
    CHECK(f.undeliverable == std::vector<std::string>{"kept"});
    CHECK(negative->count() == 0);
    CHECK(juliet->count() == 0);

    // No hook keeps it (no such account, say): the sender learns it.
    f.keep_undeliverable = false;
    f.route("juliet@localhost/balcony", "<message to='romeo@localhost' type='chat' id='m2'><body>lost</body></message>");
    REQUIRE(juliet->count() == 1);
    CHECK(contains(juliet->last(), "service-unavailable"));

    // A message to a full JID that is gone falls back to the account (RFC 6121 §8.5.3.2).
    f.keep_undeliverable = true;
    f.route("juliet@localhost/balcony", "<message to='romeo@localhost/gone' type='normal'><body>later</body></message>");
    CHECK(f.undeliverable.back() == "later");
}

TEST_CASE("what a session cannot write goes to offline storage only for chat and normal messages") {
    Fixture f;
    auto romeo = f.available("romeo@localhost/r");
    f.route("juliet@localhost/b", "<message to='romeo@localhost/r'><body>normal</body></message>");
    f.route("juliet@localhost/b", "<message to='romeo@localhost/r' type='chat'><body>chat</body></message>");
    f.route("juliet@localhost/b", "<message to='romeo@localhost/r' type='headline'><body>h</body></message>");
    f.route("juliet@localhost/b", "<iq to='romeo@localhost/r' type='get' id='i'><ping xmlns='urn:xmpp:ping'/></iq>");
    f.route("juliet@localhost/b", "<presence to='romeo@localhost/r'/>");
    REQUIRE(romeo->count() == 5);
    CHECK(romeo->taken[0].second == Undelivered::to_offline);
    CHECK(romeo->taken[1].second == Undelivered::to_offline);
    CHECK(romeo->taken[2].second == Undelivered::drop);
    CHECK(romeo->taken[3].second == Undelivered::drop);
    CHECK(romeo->taken[4].second == Undelivered::drop);
}

TEST_CASE("every kind of delivery is shown to the filters, with the recipient as addressed") {
    Fixture f;
    auto romeo = f.available("romeo@localhost/r");
    f.sessions.set_roster_interested(jid("romeo@localhost/r"));
    auto other = f.available("romeo@localhost/other");  // did not ask for the roster
    server::Delivery& delivery = f.router.delivery();
    f.seen.clear();

    f.route("juliet@localhost/b", "<message to='romeo@localhost/r' type='chat'><body>1</body></message>");
    delivery.to_available(xml("<presence from='juliet@localhost/b'/>"), jid("juliet@localhost/b"),
                          jid("romeo@localhost"), DeliveryKind::presence);
    delivery.roster_push(xml("<iq type='set' id='p'><query xmlns='jabber:iq:roster'/></iq>"), jid("romeo@localhost"));
    delivery.to_resource(xml("<message from='juliet@localhost/b' to='romeo@localhost' type='chat'><body>2</body></message>"),
                         jid("juliet@localhost/b"), jid("romeo@localhost/r"), DeliveryKind::offline);
    f.router.send(xml("<iq type='result' id='x' from='localhost' to='romeo@localhost/r'/>"));

    const std::vector<DeliveryKind> expected = {DeliveryKind::routed, DeliveryKind::presence,
                                                DeliveryKind::roster_push, DeliveryKind::offline,
                                                DeliveryKind::server};
    CHECK(f.kinds_seen() == expected);
    CHECK(f.seen[1].to == "romeo@localhost");
    CHECK(f.seen[2].to == "romeo@localhost/r");  // a push is addressed to each resource that asked
    CHECK(f.seen[2].from == "romeo@localhost");   // from the account itself
    CHECK(f.seen[4].from == "localhost");
    CHECK(romeo->count() == 5);
    CHECK(other->count() == 1);  // only the presence
    // 'to' stamped where the stanza had none; kept where it had one.
    CHECK(contains(romeo->taken[1].first, "to='romeo@localhost'"));
    CHECK(contains(romeo->taken[2].first, "to='romeo@localhost/r'"));
    CHECK(contains(romeo->taken[3].first, "to='romeo@localhost'"));
}

TEST_CASE("a filter stops every kind of delivery, module-originated ones included") {
    Fixture f;
    auto romeo = f.available("romeo@localhost/r");
    f.sessions.set_roster_interested(jid("romeo@localhost/r"));
    server::Delivery& delivery = f.router.delivery();
    const std::size_t before = romeo->count();
    f.stopped_kinds = {DeliveryKind::routed,  DeliveryKind::presence, DeliveryKind::roster_push,
                       DeliveryKind::offline, DeliveryKind::queue,    DeliveryKind::server};

    f.route("juliet@localhost/b", "<message to='romeo@localhost' type='chat'><body>1</body></message>");
    f.route("juliet@localhost/b", "<presence to='romeo@localhost'/>");
    f.route("juliet@localhost/b", "<iq to='romeo@localhost/r' type='get' id='i'><ping xmlns='urn:xmpp:ping'/></iq>");
    CHECK(delivery.to_available(xml("<presence from='juliet@localhost/b'/>"), jid("juliet@localhost/b"),
                                jid("romeo@localhost"), DeliveryKind::presence) == Reach::stopped);
    delivery.roster_push(xml("<iq type='set' id='p'><query xmlns='jabber:iq:roster'/></iq>"), jid("romeo@localhost"));
    CHECK(delivery.to_resource(xml("<message from='juliet@localhost/b' type='chat'><body>2</body></message>"),
                               jid("juliet@localhost/b"), jid("romeo@localhost/r"),
                               DeliveryKind::offline) == Reach::stopped);
    f.router.send(xml("<iq type='result' id='x' from='localhost' to='romeo@localhost/r'/>"));

    CHECK(romeo->count() == before);
    CHECK(f.undeliverable.empty());  // a stopped message is not kept offline either
}

TEST_CASE("an offline message goes only to an available resource of non-negative priority") {
    Fixture f;
    auto negative = f.available("romeo@localhost/negative", -1);
    auto silent = f.bind("romeo@localhost/silent");
    server::Delivery& delivery = f.router.delivery();
    const auto message = xml("<message from='juliet@localhost/b' to='romeo@localhost' type='chat'><body>x</body></message>");
    const auto juliet = jid("juliet@localhost/b");

    CHECK(delivery.to_resource(message, juliet, jid("romeo@localhost/negative"), DeliveryKind::offline) ==
          Reach::no_session);
    CHECK(delivery.to_resource(message, juliet, jid("romeo@localhost/silent"), DeliveryKind::offline) ==
          Reach::no_session);
    CHECK(negative->count() == 0);
    CHECK(silent->count() == 0);
    f.presence("romeo@localhost/silent", "<priority>0</priority>");
    CHECK(delivery.to_resource(message, juliet, jid("romeo@localhost/silent"), DeliveryKind::offline) ==
          Reach::delivered);
    REQUIRE(silent->count() == 1);
    CHECK(silent->taken[0].second == Undelivered::to_offline);
}

TEST_CASE("queue copies go through the same path, and are not kept offline") {
    Fixture f;
    auto worker = f.available("worker@localhost/w");
    auto publisher = f.available("boss@localhost/b");
    f.route("worker@localhost/w",
            "<iq type='set' id='s' to='queue2.localhost'><xmq xmlns='xmq:command' command='sub' topic='t' ttl='60'/></iq>");
    REQUIRE(worker->count() == 1);  // the subscription's result
    CHECK(contains(worker->last(), "type='result'"));
    f.seen.clear();

    f.route("boss@localhost/b",
            "<message type='chat' to='queue2.localhost'><body>job</body><xmq xmlns='xmq:topic' topic='t'/></message>");
    REQUIRE(worker->count() == 2);
    CHECK(contains(worker->last(), "job"));
    CHECK(worker->taken[1].second == Undelivered::drop);
    REQUIRE(f.seen.size() == 1);
    CHECK(f.seen[0].kind == DeliveryKind::queue);
    CHECK(f.seen[0].from == "boss@localhost/b");
    CHECK(f.seen[0].to == "worker@localhost/w");

    // Stopped by a filter, the copy is withheld; the subscriber stays.
    f.stopped_kinds = {DeliveryKind::queue};
    f.route("boss@localhost/b",
            "<message type='chat' to='queue2.localhost'><body>job2</body><xmq xmlns='xmq:topic' topic='t'/></message>");
    CHECK(worker->count() == 2);
    CHECK(f.xmq->eligible_consumers("queue2.localhost", "t") == 1);
    CHECK(publisher->count() == 0);
}

TEST_CASE("a deferred delivery is found, filtered and counted at once, and taken by its session only when handed over") {
    // What the XMQ sink does under a queue's lock, so that the hand-over (which may
    // wake another worker) waits until the lock is released.
    Fixture f;
    auto worker = f.available("worker@localhost/w");
    worker->taken.clear();
    auto copy = xml("<message from='boss@localhost/b' type='chat'><body>job</body></message>");
    std::vector<server::Delivery::Deferred> deferred;
    const std::uint64_t out_before = messages_out();

    CHECK(f.router.delivery().defer_to_resource(copy, jid("boss@localhost/b"), jid("worker@localhost/w"),
                                                DeliveryKind::queue, deferred) == Reach::delivered);
    CHECK(f.router.delivery().defer_to_resource(copy, jid("boss@localhost/b"), jid("gone@localhost/x"),
                                                DeliveryKind::queue, deferred) == Reach::no_session);
    f.stopped_kinds = {DeliveryKind::queue};
    CHECK(f.router.delivery().defer_to_resource(copy, jid("boss@localhost/b"), jid("worker@localhost/w"),
                                                DeliveryKind::queue, deferred) == Reach::stopped);
    REQUIRE(deferred.size() == 1);
    CHECK(worker->count() == 0);  // nothing taken yet
    CHECK(messages_out() == out_before + 1);
    REQUIRE(f.seen.size() == 3);
    CHECK(f.seen[0].to == "worker@localhost/w");  // addressed to the recipient before the filters see it

    server::Delivery::hand_over(deferred);
    CHECK(deferred.empty());
    REQUIRE(worker->count() == 1);
    CHECK(contains(worker->last(), "to='worker@localhost/w'"));
    CHECK(contains(worker->last(), "job"));
    CHECK(worker->taken[0].second == Undelivered::drop);  // a queue copy is never kept offline
}

TEST_CASE("the session table is the one record of availability, and tells the presence hooks what changed") {
    Fixture f;
    auto session = f.bind("romeo@localhost/r");
    const auto romeo = jid("romeo@localhost/r");
    CHECK_FALSE(f.sessions.is_available(romeo));

    f.presence("romeo@localhost/r", "<status>initial</status>");
    f.presence("romeo@localhost/r", "<priority>3</priority><status>update</status>");
    REQUIRE(f.sessions.is_available(romeo));
    auto presences = f.sessions.available_presences(jid("romeo@localhost"));
    REQUIRE(presences.size() == 1);
    CHECK(presences[0].resource == "r");
    CHECK(presences[0].presence->child_text("status", "jabber:client") == "update");  // the last one, for probes
    CHECK(f.sessions.resources(jid("romeo@localhost"))[0].priority == 3);

    f.presence("romeo@localhost/r", {}, "unavailable");
    CHECK_FALSE(f.sessions.has_available(jid("romeo@localhost")));
    CHECK(f.sessions.available_presences(jid("romeo@localhost")).empty());
    const std::vector<std::pair<std::string, bool>> expected = {
        {"available", false}, {"available", true}, {"unavailable", true}};
    CHECK(f.own_presence == expected);
}

TEST_CASE("a resource that ends or is replaced while available goes unavailable for the presence hooks") {
    Fixture f;
    auto first = f.available("romeo@localhost/r");
    f.own_presence.clear();

    // Replaced by a new login of the same resource: the new one starts unavailable.
    auto second = std::make_shared<RecordingSession>();
    auto bound = f.router.bind(jid("romeo@localhost/r"), second, 10);
    CHECK(bound.replaced.get() == first.get());
    CHECK_FALSE(f.sessions.is_available(jid("romeo@localhost/r")));
    CHECK(f.own_presence == std::vector<std::pair<std::string, bool>>{{"unavailable", true}});
    CHECK_FALSE(f.router.unbind(jid("romeo@localhost/r"), first.get()));  // the replaced one unbinds nothing

    // Ends unavailable: nothing to tell. Ends available: unavailable presence.
    f.own_presence.clear();
    CHECK(f.router.unbind(jid("romeo@localhost/r"), second.get()));
    CHECK(f.own_presence.empty());
    auto third = f.available("romeo@localhost/r");
    f.own_presence.clear();
    CHECK(f.router.unbind(jid("romeo@localhost/r"), third.get()));
    CHECK(f.own_presence == std::vector<std::pair<std::string, bool>>{{"unavailable", true}});
    CHECK(f.sessions.size() == 0);
}
