// The XEP-0077 queries without I/O: what a registration or a password change
// asks for, and the error each bad one gets.
#include <doctest/doctest.h>

#include "xmpp/in_band_registration.hpp"
#include "xmpp/serializer.hpp"

namespace {

// <query xmlns='jabber:iq:register'> with these children.
xmpp::Element query(std::initializer_list<std::pair<std::string, std::string>> fields) {
    xmpp::Element q("query", std::string(xmpp::ibr::register_ns));
    for (const auto& [name, text] : fields) {
        auto& f = q.add_child(xmpp::Element(name, std::string(xmpp::ibr::register_ns)));
        if (!text.empty()) f.add_text(text);
    }
    return q;
}

xmpp::Element iq(std::string type, xmpp::Element payload) {
    xmpp::Element e("iq", "jabber:client");
    e.set_attr("type", std::move(type));
    e.set_attr("id", "r1");
    e.add_child(std::move(payload));
    return e;
}

}  // namespace

using xmpp::ibr::new_account;
using xmpp::ibr::new_password;

TEST_CASE("registration requests are iq get/set with a jabber:iq:register query") {
    CHECK(xmpp::ibr::is_registration_request(iq("get", query({}))));
    CHECK(xmpp::ibr::is_registration_request(iq("set", query({{"username", "a"}}))));
    CHECK_FALSE(xmpp::ibr::is_registration_request(iq("result", query({}))));
    CHECK_FALSE(xmpp::ibr::is_registration_request(iq("get", xmpp::Element("query", "jabber:iq:roster"))));
    CHECK_FALSE(xmpp::ibr::is_registration_request(iq("get", xmpp::Element("ping", "urn:xmpp:ping"))));
}

TEST_CASE("a new account needs a username and a password, and a valid localpart") {
    auto ok = new_account(query({{"username", "Romeo"}, {"password", "s3cret"}}));
    REQUIRE(ok);
    CHECK(ok->user == "romeo");  // nodeprep folds case
    CHECK(ok->password == "s3cret");

    for (auto q : {query({{"username", "romeo"}}), query({{"password", "x"}}),
                   query({{"username", "romeo"}, {"password", ""}}), query({{"username", ""}, {"password", "x"}})}) {
        auto refused = new_account(q);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().condition == xmpp::StanzaError::not_acceptable);
    }
    for (std::string bad : {std::string("ro@meo"), std::string("ro meo"), std::string("romeo/x"), std::string(1100, 'a')}) {
        auto refused = new_account(query({{"username", bad}, {"password", "x"}}));
        REQUIRE_FALSE(refused);
        CHECK(refused.error().condition == xmpp::StanzaError::jid_malformed);
    }
}

TEST_CASE("a password change is for the requester's own account and never to nothing") {
    const auto juliet = *xmpp::Jid::parse("juliet@localhost/balcony");
    auto ok = new_password(query({{"username", "Juliet"}, {"password", "n3w"}}), juliet);
    REQUIRE(ok);
    CHECK(*ok == "n3w");

    auto other = new_password(query({{"username", "romeo"}, {"password", "n3w"}}), juliet);
    REQUIRE_FALSE(other);
    CHECK(other.error().condition == xmpp::StanzaError::not_authorized);

    for (auto q : {query({{"username", "juliet"}}), query({{"username", "juliet"}, {"password", ""}}),
                   query({{"password", "n3w"}})}) {
        auto refused = new_password(q, juliet);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().condition == xmpp::StanzaError::bad_request);
    }
}

TEST_CASE("<remove/> asks to cancel the registration") {
    CHECK(xmpp::ibr::wants_removal(query({{"remove", ""}})));
    CHECK_FALSE(xmpp::ibr::wants_removal(query({{"username", "a"}})));
}

TEST_CASE("error replies never send the password back") {
    auto request = iq("set", query({{"username", "romeo"}, {"password", "s3cret"}}));
    request.set_attr("to", "localhost");
    auto reply = xmpp::ibr::error_reply(request, {xmpp::StanzaError::conflict, "taken"});
    const std::string xml = xmpp::to_string(reply);
    CHECK(xml.find("s3cret") == std::string::npos);
    CHECK(xml.find("<conflict") != std::string::npos);
    CHECK(reply.attr_or("type") == "error");
    CHECK(reply.attr_or("id") == "r1");
    CHECK(reply.attr_or("from") == "localhost");
}
