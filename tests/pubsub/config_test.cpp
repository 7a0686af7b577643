// The pubsub#node_config form: reading, validation, preconditions, the form shown.
#include <doctest/doctest.h>

#include "fixture.hpp"
#include "pubsub/config.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

using namespace pubsub;
using namespace pubsub_test;

namespace {

std::string form(std::string_view fields,
                 std::string_view form_type = "http://jabber.org/protocol/pubsub#node_config") {
    return "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>" +
           std::string(form_type) + "</value></field>" + std::string(fields) + "</x>";
}

xmpp::Result<ConfigPatch, Error> parse(std::string_view fields) {
    return parse_config_form(xml(form(fields)), xmpp::ns::pubsub_node_config);
}

}  // namespace

TEST_CASE("config form: every field is read with its type") {
    auto patch = parse(field("pubsub#max_items", "10") + field("pubsub#access_model", "open") +
                       field("pubsub#publish_model", "subscribers") + field("pubsub#persist_items", "false") +
                       field("pubsub#deliver_payloads", "0") + field("pubsub#notify_retract", "true") +
                       field("pubsub#notify_delete", "1") + field("pubsub#send_last_published_item", "never") +
                       "<field var='pubsub#roster_groups_allowed'><value>Friends</value><value>Family</value></field>" +
                       field("pubsub#title", "Mood") + field("pubsub#type", "urn:test"));
    REQUIRE(patch.ok());
    NodeConfig config = apply(NodeConfig{}, *patch);
    CHECK(config.max_items == std::optional<std::size_t>{10});
    CHECK(config.access_model == AccessModel::open);
    CHECK(config.publish_model == PublishModel::subscribers);
    CHECK_FALSE(config.persist_items);
    CHECK_FALSE(config.deliver_payloads);
    CHECK(config.notify_retract);
    CHECK(config.notify_delete);
    CHECK(config.send_last_published_item == SendLastPublished::never);
    CHECK(config.roster_groups_allowed == std::vector<std::string>{"Friends", "Family"});
    CHECK(config.title == "Mood");
    CHECK(config.type == "urn:test");
}

TEST_CASE("config form: max_items 'max' means the service bound") {
    auto patch = parse(field("pubsub#max_items", "max"));
    REQUIRE(patch.ok());
    REQUIRE(patch->max_items.has_value());
    CHECK_FALSE(patch->max_items->has_value());
    CHECK_FALSE(apply(NodeConfig{}, *patch).max_items.has_value());
}

TEST_CASE("config form: values out of a field's syntax are bad-request with invalid-options") {
    for (const auto& bad :
         {field("pubsub#access_model", "everyone"), field("pubsub#persist_items", "yes"),
          field("pubsub#max_items", "-1"), field("pubsub#max_items", "ten"), field("pubsub#max_items", "99999999999"),
          field("pubsub#publish_model", "anyone"), field("pubsub#send_last_published_item", "always"),
          std::string("<field var='pubsub#notify_retract'><value>1</value><value>0</value></field>")}) {
        CAPTURE(bad);
        auto patch = parse(bad);
        REQUIRE_FALSE(patch.ok());
        CHECK(patch.error().condition == xmpp::StanzaError::bad_request);
        CHECK(patch.error().pubsub == Condition::invalid_options);
    }
}

TEST_CASE("config form: the authorize access model is not-acceptable with unsupported-access-model") {
    auto patch = parse(field("pubsub#access_model", "authorize"));
    REQUIRE_FALSE(patch.ok());
    CHECK(patch.error().condition == xmpp::StanzaError::not_acceptable);
    CHECK(patch.error().pubsub == Condition::unsupported_access_model);
}

TEST_CASE("config form: FORM_TYPE, form type and size are checked") {
    auto missing =
        parse_config_form(xml("<x xmlns='jabber:x:data' type='submit'>" + field("pubsub#title", "t") + "</x>"),
                          xmpp::ns::pubsub_node_config);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().condition == xmpp::StanzaError::bad_request);

    auto wrong = parse_config_form(xml(form(field("pubsub#title", "t"), "urn:other")), xmpp::ns::pubsub_node_config);
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().condition == xmpp::StanzaError::bad_request);

    auto not_submit = parse_config_form(xml("<x xmlns='jabber:x:data' type='form'/>"), xmpp::ns::pubsub_node_config);
    CHECK_FALSE(not_submit.ok());

    std::string many;
    for (int i = 0; i < 70; ++i) many += field("urn:x" + std::to_string(i), "v");
    auto too_many = parse(many);
    REQUIRE_FALSE(too_many.ok());
    CHECK(too_many.error().condition == xmpp::StanzaError::not_acceptable);

    auto twice = parse(field("pubsub#title", "a") + field("pubsub#title", "b"));
    CHECK_FALSE(twice.ok());

    // publish-options written without FORM_TYPE are accepted where allowed.
    auto lenient = parse_config_form(
        xml("<x xmlns='jabber:x:data' type='submit'>" + field("pubsub#access_model", "open") + "</x>"),
        xmpp::ns::pubsub_publish_options, {}, true);
    REQUIRE(lenient.ok());
    CHECK(lenient->access_model == AccessModel::open);
}

TEST_CASE("config form: unknown fields are kept aside, not applied") {
    auto patch = parse(field("pubsub#notify_sub", "1") + field("pubsub#title", "t"));
    REQUIRE(patch.ok());
    CHECK(patch->unknown == std::vector<std::string>{"pubsub#notify_sub"});
    CHECK(apply(NodeConfig{}, *patch).title == "t");
}

TEST_CASE("satisfies: the publish-options precondition compares values, not spellings") {
    NodeConfig config;
    config.access_model = AccessModel::open;
    config.roster_groups_allowed = {"A", "B"};
    auto same = parse(field("pubsub#access_model", "open") + field("pubsub#persist_items", "true") +
                      "<field var='pubsub#roster_groups_allowed'><value>B</value><value>A</value></field>");
    REQUIRE(same.ok());
    CHECK(satisfies(config, *same));

    auto differs = parse(field("pubsub#access_model", "presence"));
    REQUIRE(differs.ok());
    CHECK_FALSE(satisfies(config, *differs));

    auto max = parse(field("pubsub#max_items", "max"));
    REQUIRE(max.ok());
    CHECK_FALSE(satisfies(config, *max));  // config has max_items 1
    config.max_items = std::nullopt;
    CHECK(satisfies(config, *max));

    auto unknown = parse(field("pubsub#notify_sub", "1"));
    REQUIRE(unknown.ok());
    CHECK_FALSE(satisfies(config, *unknown));
}

TEST_CASE("config_form: the form shown reads back as the same configuration") {
    NodeConfig config;
    config.max_items = std::nullopt;
    config.access_model = AccessModel::whitelist;
    config.publish_model = PublishModel::open;
    config.persist_items = false;
    config.notify_delete = false;
    config.send_last_published_item = SendLastPublished::on_sub;
    config.roster_groups_allowed = {"Friends"};
    config.title = "Title";
    config.type = "urn:test";
    xmpp::Element shown = config_form(config);
    CHECK(shown.attr_or("type") == "form");
    shown.set_attr("type", "submit");
    auto patch = parse_config_form(xml(xmpp::to_string(shown)), xmpp::ns::pubsub_node_config);
    REQUIRE(patch.ok());
    CHECK(patch->unknown.empty());
    CHECK(apply(NodeConfig{}, *patch) == config);
}
