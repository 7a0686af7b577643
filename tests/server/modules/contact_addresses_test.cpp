// Module "contact_addresses" (XEP-0157), through a session: the serverinfo
// form is in the server's disco#info when [contact_addresses] is configured,
// absent when not; the server's caps ver (XEP-0115) is the hash of the
// disco#info with the form, as clients verify it.
#include <doctest/doctest.h>

#include "conversation.hpp"
#include "xmpp/caps.hpp"
#include "xmpp/namespaces.hpp"

namespace contact_addresses_test {

using test::Client;

const std::string disco_info = "<query xmlns='http://jabber.org/protocol/disco#info'/>";

const xmpp::Element* serverinfo_form(const xmpp::Element& result) {
    const xmpp::Element* query = result.child("query", xmpp::ns::disco_info);
    if (!query) return nullptr;
    for (const auto& child : query->children()) {
        if (child.is_text() || child.name() != "x" || child.xmlns() != xmpp::ns::data_forms) continue;
        for (const auto& field : child.children())
            if (field.attr_or("var") == "FORM_TYPE" &&
                field.child_text("value", xmpp::ns::data_forms) == xmpp::ns::serverinfo)
                return &child;
    }
    return nullptr;
}

// The ver of the <c/> in the features of a new authenticated stream.
std::string stream_caps_ver(test::C2sHarness& h) {
    auto pipe = h.connect(true);
    h.say(*pipe, h.open_stream());
    REQUIRE(h.say(*pipe, h.plain_auth("juliet", "r0meo")).find("<success") != std::string::npos);
    const std::string out = h.say(*pipe, h.open_stream());
    const auto start = out.find("<stream:features");
    REQUIRE(start != std::string::npos);
    for (auto& stanza : test::parse_stanzas(out.substr(start)))
        if (const xmpp::Element* c = stanza.child("c", xmpp::ns::caps)) return std::string(c->attr_or("ver"));
    FAIL("no caps in the stream features");
    return {};
}

std::vector<std::string> values_of(const xmpp::Element& form, std::string_view var) {
    std::vector<std::string> values;
    for (const auto& field : form.children())
        if (field.attr_or("var") == var)
            for (const auto& value : field.children()) values.push_back(value.text());
    return values;
}

TEST_CASE("contact_addresses: no [contact_addresses], no serverinfo form") {
    test::C2sHarness h;
    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK(serverinfo_form(juliet.iq("get", disco_info, "localhost")) == nullptr);
}

TEST_CASE("contact_addresses: the configured addresses are in the server's disco#info, as a well-formed XEP-0128 form") {
    conf::Config config = conf::default_config();
    config.contact_addresses.abuse = {"mailto:abuse@localhost"};
    config.contact_addresses.support = {"xmpp:support@localhost", "https://localhost/help"};
    test::C2sHarness h(config);
    Client juliet(h, "juliet", "r0meo", "balcony");
    const xmpp::Element result = juliet.iq("get", disco_info, "localhost");
    const xmpp::Element* form = serverinfo_form(result);
    REQUIRE(form != nullptr);
    CHECK(form->attr_or("type") == "result");
    CHECK(values_of(*form, "abuse-addresses") == std::vector<std::string>{"mailto:abuse@localhost"});
    CHECK(values_of(*form, "support-addresses") ==
          std::vector<std::string>{"xmpp:support@localhost", "https://localhost/help"});
    CHECK(values_of(*form, "admin-addresses").empty());
    // The account's disco#info is the account's, not the server's.
    CHECK(serverinfo_form(juliet.iq("get", disco_info, "juliet@localhost")) == nullptr);
    // Clients verify the server's caps ver (XEP-0115 §5) with the form in it.
    const auto info = xmpp::caps::parse_disco_info(*result.child("query", xmpp::ns::disco_info));
    REQUIRE(info.ok());
    REQUIRE(info->forms.size() == 1);
    CHECK(info->forms[0].form_type == xmpp::ns::serverinfo);
    const std::string ver = stream_caps_ver(h);
    CHECK(xmpp::caps::ver(*info, "sha-1") == ver);
    test::C2sHarness without;
    CHECK(stream_caps_ver(without) != ver);
}

}  // namespace contact_addresses_test
