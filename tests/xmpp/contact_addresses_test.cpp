// XEP-0157 as pure code: which URIs are contact addresses, and the
// serverinfo form that lists them.
#include <doctest/doctest.h>

#include "xmpp/contact_addresses.hpp"
#include "xmpp/namespaces.hpp"

TEST_CASE("contact: mailto:, xmpp: and https: URIs are addresses; anything else is not") {
    using xmpp::contact::is_contact_uri;
    CHECK(is_contact_uri("mailto:abuse@example.org"));
    CHECK(is_contact_uri("xmpp:admin@example.org"));
    CHECK(is_contact_uri("https://example.org/support"));
    CHECK_FALSE(is_contact_uri("http://example.org/support"));
    CHECK_FALSE(is_contact_uri("abuse@example.org"));
    CHECK_FALSE(is_contact_uri("mailto:"));
    CHECK_FALSE(is_contact_uri("https://"));
    CHECK_FALSE(is_contact_uri("mailto:a b@example.org"));
    CHECK_FALSE(is_contact_uri("mailto:a@example.org\n"));
    CHECK_FALSE(is_contact_uri(""));
    CHECK_FALSE(is_contact_uri("mailto:" + std::string(600, 'a')));
}

TEST_CASE("contact: the serverinfo form has the hidden FORM_TYPE and one field per kind given, in order") {
    xmpp::contact::Addresses a;
    a.support = {"https://example.org/support", "xmpp:support@example.org"};
    a.abuse = {"mailto:abuse@example.org"};
    CHECK_FALSE(a.empty());
    const xmpp::Element form = xmpp::contact::serverinfo_form(a);
    CHECK(form.xmlns() == xmpp::ns::data_forms);
    CHECK(form.attr_or("type") == "result");
    const auto& fields = form.children();
    REQUIRE(fields.size() == 3);
    CHECK(fields[0].attr_or("var") == "FORM_TYPE");
    CHECK(fields[0].attr_or("type") == "hidden");
    CHECK(fields[0].child_text("value", xmpp::ns::data_forms) == xmpp::ns::serverinfo);
    CHECK(fields[1].attr_or("var") == "abuse-addresses");
    CHECK(fields[1].attr_or("type") == "list-multi");
    CHECK(fields[2].attr_or("var") == "support-addresses");
    REQUIRE(fields[2].children().size() == 2);
    CHECK(fields[2].children()[0].text() == "https://example.org/support");
    CHECK(fields[2].children()[1].text() == "xmpp:support@example.org");
    CHECK(xmpp::contact::Addresses{}.empty());
}
