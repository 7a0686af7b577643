// Helpers of the pubsub unit tests: XML from text, requests from XML, a
// Journal that records, and the requesters of a PEP service owned by
// alice@example.org.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "pubsub/request.hpp"
#include "pubsub/service.hpp"
#include "xmpp/stored_xml.hpp"

namespace pubsub_test {

inline xmpp::Element xml(std::string_view text) {
    auto element = xmpp::parse_stored(text);
    REQUIRE(element.has_value());
    return *element;
}

inline pubsub::Request request(std::string_view text, bool is_set) {
    auto parsed = pubsub::parse_request(xml(text), is_set);
    if (!parsed) FAIL("refused: " << pubsub::to_string(parsed.error().pubsub) << " " << parsed.error().text);
    return parsed.value();
}

inline pubsub::Error refusal(std::string_view text, bool is_set, const pubsub::ParseLimits& limits = {}) {
    auto parsed = pubsub::parse_request(xml(text), is_set, limits);
    REQUIRE_FALSE(parsed.ok());
    return parsed.error();
}

struct RecordingJournal : pubsub::Journal {
    std::vector<std::string> events;
    void node_created(const std::string& node, const pubsub::NodeConfig&) override {
        events.push_back("created " + node);
    }
    void node_configured(const std::string& node, const pubsub::NodeConfig&) override {
        events.push_back("configured " + node);
    }
    void node_deleted(const std::string& node) override { events.push_back("deleted " + node); }
    void item_stored(const std::string& node, const pubsub::Item& item) override {
        events.push_back("stored " + node + " " + item.id);
    }
    void item_removed(const std::string& node, const std::string& id, pubsub::Removal why) override {
        const char* reason = why == pubsub::Removal::retracted ? "retracted"
                             : why == pubsub::Removal::evicted ? "evicted"
                                                               : "purged";
        events.push_back(std::string(reason) + " " + node + " " + id);
    }
    void affiliation_changed(const std::string& node, const std::string& jid, pubsub::Affiliation a) override {
        events.push_back("affiliation " + node + " " + jid + " " + std::string(pubsub::to_string(a)));
    }
    void subscription_changed(const std::string& node, const std::string& jid, bool subscribed) override {
        events.push_back(std::string(subscribed ? "subscribed " : "unsubscribed ") + node + " " + jid);
    }
};

inline pubsub::Requester owner() { return {"alice@example.org", true, false, false, {}}; }
// In alice's roster, group Friends, with a presence subscription.
inline pubsub::Requester friend_contact() { return {"bob@example.org", false, true, true, {"Friends"}}; }
// In alice's roster, group Work, without a presence subscription.
inline pubsub::Requester colleague() { return {"carol@example.org", false, false, true, {"Work"}}; }
inline pubsub::Requester stranger() { return {"eve@example.net", false, false, false, {}}; }

inline pubsub::ServiceOptions pep_options() {
    pubsub::ServiceOptions options;
    options.owner = "alice@example.org";
    options.personal = true;
    return options;
}

// <pubsub><publish node=…><item id=…><entry xmlns='urn:test'>text</entry></item></publish>
// [<publish-options>form</publish-options>]</pubsub>
inline std::string publish_xml(std::string_view node, std::string_view id, std::string_view text = "x",
                               std::string_view options = {}) {
    std::string s = "<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='" + std::string(node) + "'>";
    s += id.empty() ? "<item>" : "<item id='" + std::string(id) + "'>";
    s += "<entry xmlns='urn:test'>" + std::string(text) + "</entry></item></publish>";
    if (!options.empty()) {
        s += "<publish-options><x xmlns='jabber:x:data' type='submit'>"
             "<field var='FORM_TYPE' "
             "type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>";
        s += std::string(options) + "</x></publish-options>";
    }
    return s + "</pubsub>";
}

inline std::string field(std::string_view var, std::string_view value) {
    return "<field var='" + std::string(var) + "'><value>" + std::string(value) + "</value></field>";
}

inline std::string configure_xml(std::string_view node, std::string_view fields) {
    return "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><configure node='" + std::string(node) +
           "'><x xmlns='jabber:x:data' type='submit'>"
           "<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field>" +
           std::string(fields) + "</x></configure></pubsub>";
}

inline std::string items_xml(std::string_view node, std::string_view extra = {}) {
    return "<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='" + std::string(node) + "'" +
           std::string(extra) + "/></pubsub>";
}

inline std::string subscribe_xml(std::string_view node, std::string_view jid) {
    return "<pubsub xmlns='http://jabber.org/protocol/pubsub'><subscribe node='" + std::string(node) + "' jid='" +
           std::string(jid) + "'/></pubsub>";
}

// The ids of the <item/> children of a get-items reply, in order.
inline std::vector<std::string> item_ids(const pubsub::Success& success) {
    std::vector<std::string> ids;
    REQUIRE(success.payload);
    const xmpp::Element* items = success.payload->child("items");
    REQUIRE(items);
    for (const auto& item : items->children()) {
        if (!item.is_text()) ids.emplace_back(item.attr_or("id"));
    }
    return ids;
}

inline void check_error(const pubsub::Outcome& outcome, xmpp::StanzaError condition,
                        pubsub::Condition specific = pubsub::Condition::none) {
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().condition == condition);
    CHECK(pubsub::to_string(outcome.error().pubsub) == pubsub::to_string(specific));
}

}  // namespace pubsub_test
