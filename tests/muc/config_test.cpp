// The muc#roomconfig form (muc/config.hpp): what a submit changes, what it
// refuses, and the form the owner is shown.
#include <doctest/doctest.h>

#include "fixture.hpp"
#include "muc/config.hpp"
#include "muc/join.hpp"

namespace muc_test {

xmpp::Element form(std::string fields) {
    return xml("<x xmlns='jabber:x:data' type='submit'>" + fields + "</x>");
}

std::string field(std::string var, std::string value) {
    return "<field var='" + var + "'><value>" + value + "</value></field>";
}

TEST_CASE("config: a submitted form changes the fields it names and keeps the rest") {
    muc::ConfigLimits limits;
    auto config = muc::apply_config_form(
        muc::default_config(limits, 20),
        form(field("FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig") +
             field("muc#roomconfig_roomname", "Hall") + field("muc#roomconfig_persistentroom", "true") +
             field("muc#roomconfig_publicroom", "0") + field("muc#roomconfig_maxusers", "30") +
             field("muc#roomconfig_whois", "anyone") + field("muc#roomconfig_allowpm", "moderators") +
             field("muc#maxhistoryfetch", "5") + field("x-unknown#field", "ignored")),
        limits);
    REQUIRE(config.ok());
    CHECK(config->name == "Hall");
    CHECK(config->persistent);
    CHECK_FALSE(config->public_room);
    CHECK(config->max_users == 30);
    CHECK(config->whois == muc::WhoIs::anyone);
    CHECK(config->allow_pm == muc::AllowPm::moderators);
    CHECK(config->history_length == 5);
    CHECK_FALSE(config->members_only);
}

TEST_CASE("config: the password follows passwordprotectedroom and roomsecret") {
    muc::ConfigLimits limits;
    auto with = muc::apply_config_form(muc::default_config(limits, 20), form(field("muc#roomconfig_roomsecret", "s")),
                                       limits);
    REQUIRE(with.ok());
    CHECK(with->password == "s");
    auto without = muc::apply_config_form(*with, form(field("muc#roomconfig_passwordprotectedroom", "0")), limits);
    REQUIRE(without.ok());
    CHECK(without->password.empty());
    auto missing =
        muc::apply_config_form(*without, form(field("muc#roomconfig_passwordprotectedroom", "1")), limits);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().condition == xmpp::StanzaError::not_acceptable);
}

TEST_CASE("config: values out of bounds or syntax, a wrong FORM_TYPE, duplicates and too many fields are refused") {
    muc::ConfigLimits limits;
    limits.max_users = 50;
    limits.max_fields = 4;
    const auto base = muc::default_config(limits, 20);
    auto refused = [&](std::string fields) {
        auto r = muc::apply_config_form(base, form(fields), limits);
        return r.ok() ? std::string("ok") : std::string(xmpp::to_string(r.error().condition));
    };
    CHECK(refused(field("muc#roomconfig_maxusers", "51")) == "not-acceptable");
    CHECK(refused(field("muc#roomconfig_maxusers", "0")) == "not-acceptable");
    CHECK(refused(field("muc#roomconfig_maxusers", "none")) == "ok");
    CHECK(refused(field("muc#roomconfig_persistentroom", "yes")) == "not-acceptable");
    CHECK(refused(field("muc#roomconfig_whois", "everyone")) == "not-acceptable");
    CHECK(refused(field("muc#maxhistoryfetch", "51")) == "not-acceptable");
    CHECK(refused(field("FORM_TYPE", "http://jabber.org/protocol/pubsub#node_config")) == "bad-request");
    CHECK(refused(field("a", "1") + field("a", "2")) == "bad-request");
    CHECK(refused(field("a", "1") + field("b", "1") + field("c", "1") + field("d", "1") + field("e", "1")) ==
          "not-acceptable");
    CHECK(refused("<field var='muc#roomconfig_roomname'><value>" + std::string(2000, 'x') + "</value></field>") ==
          "not-acceptable");
    auto not_submit = muc::apply_config_form(base, xml("<x xmlns='jabber:x:data' type='form'/>"), limits);
    CHECK_FALSE(not_submit.ok());
}

TEST_CASE("config: the form shows the current values and reads back unchanged") {
    muc::ConfigLimits limits;
    auto config = muc::default_config(limits, 20);
    config.name = "Hall";
    config.password = "pw";
    config.moderated = true;
    auto shown = muc::config_form(config, limits);
    CHECK(shown.attr_or("type") == "form");
    // The shown form, submitted as it is, changes nothing.
    xmpp::Element submit = shown;
    submit.set_attr("type", "submit");
    auto back = muc::apply_config_form(config, submit, limits);
    REQUIRE(back.ok());
    CHECK(*back == config);
}

TEST_CASE("join: the history attributes and the password are read; bad values are bad-request") {
    auto join = muc::parse_join(xml("<presence xmlns='jabber:client'><x xmlns='http://jabber.org/protocol/muc'>"
                                    "<history maxstanzas='5' maxchars='100' seconds='60' since='1970-01-01T00:01:00Z'/>"
                                    "<password>pw</password></x></presence>"));
    REQUIRE(join.ok());
    CHECK(join->has_muc_x);
    CHECK(join->password == "pw");
    CHECK(join->history.max_stanzas == 5u);
    CHECK(join->history.max_chars == 100u);
    CHECK(join->history.seconds == 60);
    CHECK(join->history.since == 60);
    CHECK_FALSE(muc::parse_join(xml("<presence xmlns='jabber:client'><x xmlns='http://jabber.org/protocol/muc'>"
                                    "<history since='yesterday'/></x></presence>"))
                    .ok());
    CHECK_FALSE(muc::parse_join(xml("<presence xmlns='jabber:client'><x xmlns='http://jabber.org/protocol/muc'>"
                                    "<history maxchars='12345678901'/></x></presence>"))
                    .ok());
    auto old = muc::parse_join(xml("<presence xmlns='jabber:client'/>"));
    REQUIRE(old.ok());
    CHECK_FALSE(old->has_muc_x);
}

}  // namespace muc_test
