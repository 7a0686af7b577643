// The pubsub request parser: every request it reads, the malformed ones it
// refuses with the XEP-0060 error, and the error and event builders.
#include <doctest/doctest.h>

#include "fixture.hpp"
#include "pubsub/event.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

using namespace pubsub;
using namespace pubsub_test;
using xmpp::StanzaError;

namespace {

constexpr std::string_view kUser = "<pubsub xmlns='http://jabber.org/protocol/pubsub'>";
constexpr std::string_view kOwner = "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>";

std::string user(std::string_view inner) { return std::string(kUser) + std::string(inner) + "</pubsub>"; }
std::string owner_ns(std::string_view inner) { return std::string(kOwner) + std::string(inner) + "</pubsub>"; }

void check(const Error& error, StanzaError condition, Condition specific = Condition::none) {
    CHECK(error.condition == condition);
    CHECK(to_string(error.pubsub) == to_string(specific));
}

}  // namespace

TEST_CASE("parse: publish with an item, its payload and publish-options") {
    auto r = request(publish_xml("urn:test", "current", "hello", field("pubsub#access_model", "open")), true);
    auto* p = std::get_if<Publish>(&r);
    REQUIRE(p);
    CHECK(p->node == "urn:test");
    REQUIRE(p->item);
    CHECK(p->item->id == "current");
    REQUIRE(p->item->payload);
    CHECK(p->item->payload->name() == "entry");
    CHECK(p->item->payload->xmlns() == "urn:test");
    CHECK(p->item->bytes == xmpp::to_string(*p->item->payload, xmpp::ns::pubsub).size());
    REQUIRE(p->options);
    CHECK(p->options->access_model == AccessModel::open);

    auto no_id = std::get<Publish>(request(publish_xml("urn:test", ""), true));
    REQUIRE(no_id.item);
    CHECK(no_id.item->id.empty());
    CHECK_FALSE(no_id.options);
}

TEST_CASE("parse: malformed publishes") {
    check(refusal(user("<publish><item/></publish>"), true), StanzaError::bad_request, Condition::nodeid_required);
    check(refusal(user("<publish node='n'><item id='1'/><item id='2'/></publish>"), true), StanzaError::bad_request,
          Condition::invalid_payload);
    check(refusal(user("<publish node='n'><item><a xmlns='urn:a'/><b xmlns='urn:b'/></item></publish>"), true),
          StanzaError::bad_request, Condition::invalid_payload);
    check(refusal(publish_xml("n", "1"), false), StanzaError::bad_request);  // publish in an iq get
    ParseLimits small;
    small.max_payload_bytes = 40;
    check(refusal(publish_xml("n", "1", std::string(100, 'x')), true, small), StanzaError::not_acceptable,
          Condition::payload_too_big);
    ParseLimits short_ids;
    short_ids.max_node_bytes = 8;
    CHECK(refusal(publish_xml("n", "a-very-long-item-id"), true, short_ids).condition == StanzaError::not_acceptable);
    CHECK(refusal(publish_xml("a-very-long-node", "1"), true, short_ids).condition == StanzaError::not_acceptable);
    // A malformed publish-options form is the form's error.
    check(refusal(publish_xml("n", "1", "x", field("pubsub#access_model", "authorize")), true),
          StanzaError::not_acceptable, Condition::unsupported_access_model);
    check(refusal(user("<publish node='n'/><publish node='m'/>"), true), StanzaError::bad_request);
    check(refusal(user("<publish-options/>"), true), StanzaError::bad_request);
}

TEST_CASE("parse: retract") {
    auto r = std::get<Retract>(request(user("<retract node='n' notify='true'><item id='i1'/></retract>"), true));
    CHECK(r.node == "n");
    CHECK(r.item_id == "i1");
    CHECK(r.notify == std::optional<bool>{true});
    CHECK_FALSE(std::get<Retract>(request(user("<retract node='n'><item id='i'/></retract>"), true)).notify);

    check(refusal(user("<retract node='n'/>"), true), StanzaError::bad_request, Condition::item_required);
    check(refusal(user("<retract node='n'><item/></retract>"), true), StanzaError::bad_request,
          Condition::item_required);
    check(refusal(user("<retract><item id='i'/></retract>"), true), StanzaError::bad_request,
          Condition::nodeid_required);
    check(refusal(user("<retract node='n' notify='maybe'><item id='i'/></retract>"), true), StanzaError::bad_request);
}

TEST_CASE("parse: items by max_items and by id") {
    auto all = std::get<GetItems>(request(items_xml("n"), false));
    CHECK(all.node == "n");
    CHECK_FALSE(all.max_items);
    CHECK(std::get<GetItems>(request(items_xml("n", " max_items='2'"), false)).max_items ==
          std::optional<std::size_t>{2});
    auto by_id = std::get<GetItems>(request(user("<items node='n'><item id='a'/><item id='b'/></items>"), false));
    CHECK(by_id.ids == std::vector<std::string>{"a", "b"});

    check(refusal(items_xml("n", " max_items='0'"), false), StanzaError::bad_request);
    check(refusal(items_xml("n", " max_items='x'"), false), StanzaError::bad_request);
    check(refusal(user("<items/>"), false), StanzaError::bad_request, Condition::nodeid_required);
    check(refusal(user("<items node='n'><item/></items>"), false), StanzaError::bad_request);
    check(refusal(items_xml("n"), true), StanzaError::bad_request);
    std::string many = "<items node='n'>";
    for (int i = 0; i < 101; ++i) many += "<item id='" + std::to_string(i) + "'/>";
    CHECK(refusal(user(many + "</items>"), false).condition == StanzaError::not_acceptable);
}

TEST_CASE("parse: subscribe, unsubscribe, subscriptions, affiliations") {
    auto s = std::get<Subscribe>(request(subscribe_xml("n", "bob@example.org/phone"), true));
    CHECK(s.node == "n");
    CHECK(s.jid == "bob@example.org/phone");
    // Options sent along with subscribe are accepted and ignored.
    CHECK(std::holds_alternative<Subscribe>(request(
        user("<subscribe node='n' jid='b@x'/><options><x xmlns='jabber:x:data' type='submit'/></options>"), true)));
    auto u = std::get<Unsubscribe>(request(user("<unsubscribe node='n' jid='b@x'/>"), true));
    CHECK(u.jid == "b@x");
    check(refusal(user("<subscribe node='n'/>"), true), StanzaError::bad_request, Condition::jid_required);
    check(refusal(user("<subscribe jid='b@x'/>"), true), StanzaError::bad_request, Condition::nodeid_required);

    CHECK_FALSE(std::get<GetSubscriptions>(request(user("<subscriptions/>"), false)).node);
    CHECK(std::get<GetAffiliations>(request(user("<affiliations node='n'/>"), false)).node ==
          std::optional<std::string>{"n"});

    Error options = refusal(user("<options node='n' jid='b@x'/>"), false);
    check(options, StanzaError::feature_not_implemented, Condition::unsupported);
    CHECK(options.feature == "subscription-options");
}

TEST_CASE("parse: owner requests") {
    auto create = std::get<Create>(
        request(user("<create node='n'/><configure><x xmlns='jabber:x:data' type='submit'>"
                     "<field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#node_config</value></field>" +
                     field("pubsub#max_items", "5") + "</x></configure>"),
                true));
    CHECK(create.node == "n");
    REQUIRE(create.config);
    CHECK(create.config->max_items == std::optional<std::optional<std::size_t>>{5});
    CHECK_FALSE(std::get<Create>(request(user("<create node='n'/>"), true)).config);
    check(refusal(user("<create/>"), true), StanzaError::not_acceptable, Condition::nodeid_required);

    CHECK(std::get<ConfigureGet>(request(owner_ns("<configure node='n'/>"), false)).node == "n");
    auto set = std::get<ConfigureSet>(request(configure_xml("n", field("pubsub#title", "T")), true));
    REQUIRE(set.config);
    CHECK(set.config->title == std::optional<std::string>{"T"});
    CHECK(std::get<ConfigureSet>(
              request(owner_ns("<configure node='n'><x xmlns='jabber:x:data' type='cancel'/></configure>"), true))
              .cancel);
    check(refusal(owner_ns("<configure node='n'/>"), true), StanzaError::bad_request);
    check(refusal(owner_ns("<configure/>"), false), StanzaError::bad_request, Condition::nodeid_required);

    auto del = std::get<Delete>(request(owner_ns("<delete node='n'><redirect uri='xmpp:x?;node=m'/></delete>"), true));
    CHECK(del.redirect == "xmpp:x?;node=m");
    CHECK(std::get<Purge>(request(owner_ns("<purge node='n'/>"), true)).node == "n");
    CHECK(std::holds_alternative<GetDefault>(request(owner_ns("<default/>"), false)));
    CHECK(std::get<OwnerGetSubscriptions>(request(owner_ns("<subscriptions node='n'/>"), false)).node == "n");
    CHECK(std::get<OwnerGetAffiliations>(request(owner_ns("<affiliations node='n'/>"), false)).node == "n");
    auto aff = std::get<OwnerSetAffiliations>(
        request(owner_ns("<affiliations node='n'><affiliation jid='b@x' affiliation='member'/>"
                         "<affiliation jid='e@y' affiliation='outcast'/></affiliations>"),
                true));
    REQUIRE(aff.changes.size() == 2);
    CHECK(aff.changes[0] == std::pair<std::string, Affiliation>{"b@x", Affiliation::member});
    CHECK(aff.changes[1].second == Affiliation::outcast);
    check(refusal(owner_ns("<affiliations node='n'><affiliation jid='b@x' affiliation='king'/></affiliations>"), true),
          StanzaError::bad_request);
    check(refusal(owner_ns("<delete node='n'/>"), false), StanzaError::bad_request);
    Error manage = refusal(
        owner_ns("<subscriptions node='n'><subscription jid='b@x' subscription='none'/></subscriptions>"), true);
    CHECK(manage.feature == "manage-subscriptions");
}

TEST_CASE("parse: what is not a pubsub request") {
    check(refusal("<query xmlns='http://jabber.org/protocol/pubsub'/>", false), StanzaError::bad_request);
    check(refusal("<pubsub xmlns='urn:other'><items node='n'/></pubsub>", false), StanzaError::bad_request);
    check(refusal(user(""), false), StanzaError::bad_request);
    check(refusal(user("<items xmlns='urn:other' node='n'/>"), false), StanzaError::bad_request);
    CHECK(refusal(user("<frobnicate/>"), true).condition == StanzaError::feature_not_implemented);
    check(refusal(owner_ns("<purge node='a'/><purge node='b'/>"), true), StanzaError::bad_request);
}

TEST_CASE("error_element: the stanza condition, then the pubsub condition") {
    xmpp::Element e = error_element(make_error(StanzaError::conflict, Condition::precondition_not_met, "differs"));
    CHECK(e.attr_or("type") == "cancel");
    REQUIRE(e.children().size() == 3);
    CHECK(e.children()[0].name() == "conflict");
    CHECK(e.children()[0].xmlns() == xmpp::ns::stanzas);
    CHECK(e.children()[1].name() == "precondition-not-met");
    CHECK(e.children()[1].xmlns() == xmpp::ns::pubsub_errors);
    CHECK(e.children()[2].name() == "text");

    xmpp::Element u = error_element(unsupported(StanzaError::feature_not_implemented, "subscription-options"));
    REQUIRE(u.child("unsupported", xmpp::ns::pubsub_errors));
    CHECK(u.child("unsupported", xmpp::ns::pubsub_errors)->attr_or("feature") == "subscription-options");
    CHECK(error_element(make_error(StanzaError::forbidden)).children().size() == 1);
}

TEST_CASE("events: the notifications serialize as XEP-0060 §7 shows them") {
    xmpp::Element payload = xml("<entry xmlns='urn:test'>hi</entry>");
    CHECK(xmpp::to_string(items_event("n", "i1", &payload)) ==
          "<event xmlns='http://jabber.org/protocol/pubsub#event'><items node='n'><item id='i1'>"
          "<entry xmlns='urn:test'>hi</entry></item></items></event>");
    CHECK(xmpp::to_string(items_event("n", "i1", nullptr)) ==
          "<event xmlns='http://jabber.org/protocol/pubsub#event'><items node='n'><item id='i1'/></items></event>");
    CHECK(xmpp::to_string(retract_event("n", "i1")) ==
          "<event xmlns='http://jabber.org/protocol/pubsub#event'><items node='n'><retract id='i1'/></items></event>");
    CHECK(xmpp::to_string(purge_event("n")) ==
          "<event xmlns='http://jabber.org/protocol/pubsub#event'><purge node='n'/></event>");
    CHECK(xmpp::to_string(delete_event("n", "xmpp:a@b?;node=m")) ==
          "<event xmlns='http://jabber.org/protocol/pubsub#event'><delete node='n'><redirect "
          "uri='xmpp:a@b?;node=m'/></delete></event>");
}
