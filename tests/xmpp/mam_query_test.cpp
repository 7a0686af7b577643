// The XEP-0313 query as a client sends it: the form (with, start, end and
// the #extended after-id, before-id, ids), the XEP-0059 set, flip-page, and
// the errors malformed pieces deserve.
#include <doctest/doctest.h>

#include "xmpp/mam_query.hpp"
#include "xmpp/stored_xml.hpp"

namespace mam_query_test {

using xmpp::StanzaError;

xmpp::Element element(const std::string& xml) {
    auto e = xmpp::parse_stored(xml);
    REQUIRE(e.has_value());
    return *e;
}

std::string form(const std::string& fields) {
    return "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
           "<value>urn:xmpp:mam:2</value></field>" + fields + "</x>";
}

std::string field(const std::string& var, const std::string& value) {
    return "<field var='" + var + "'><value>" + value + "</value></field>";
}

xmpp::Result<xmpp::MamQuery, xmpp::MamQueryError> parse(const std::string& inner, const std::string& attrs = "") {
    return xmpp::parse_mam_query(element("<query xmlns='urn:xmpp:mam:2'" + attrs + ">" + inner + "</query>"));
}

StanzaError condition_of(const std::string& inner) {
    auto q = parse(inner);
    REQUIRE_FALSE(q.ok());
    return q.error().condition;
}

TEST_CASE("mam query: an empty query selects everything, paged by the server") {
    auto q = parse("", " queryid='f27'");
    REQUIRE(q.ok());
    CHECK(q.value().queryid == "f27");
    CHECK_FALSE(q.value().with);
    CHECK_FALSE(q.value().max);
    CHECK_FALSE(q.value().after);
    CHECK_FALSE(q.value().before);
    CHECK(q.value().ids.empty());
    CHECK_FALSE(q.value().flip_page);
}

TEST_CASE("mam query: every field and the result set") {
    auto q = parse(form(field("with", "Juliet@Capulet.lit/balcony") + field("start", "2010-06-07T00:00:00Z") +
                        field("end", "2010-07-07T13:23:54.5+01:00") + field("after-id", "a1") +
                        field("before-id", "b9") +
                        "<field var='ids'><value>x1</value><value>x2</value></field>") +
                   "<set xmlns='http://jabber.org/protocol/rsm'><max>10</max><after>p5</after></set><flip-page/>");
    REQUIRE(q.ok());
    const auto& v = q.value();
    REQUIRE(v.with);
    CHECK(v.with->full() == "juliet@capulet.lit/balcony");
    CHECK(v.start_us == std::int64_t{1275868800} * 1000000);
    CHECK(v.end_us == std::int64_t{1278505434} * 1000000 + 500000);
    CHECK(v.after_id == "a1");
    CHECK(v.before_id == "b9");
    CHECK(v.ids == std::vector<std::string>{"x1", "x2"});
    CHECK(v.max == 10u);
    CHECK(v.after == "p5");
    CHECK_FALSE(v.before);
    CHECK(v.flip_page);
}

TEST_CASE("mam query: an empty <before/> asks for the last page, a valued one pages back from it") {
    auto last = parse("<set xmlns='http://jabber.org/protocol/rsm'><max>5</max><before/></set>");
    REQUIRE(last.ok());
    REQUIRE(last.value().before);
    CHECK(last.value().before->empty());
    auto back = parse("<set xmlns='http://jabber.org/protocol/rsm'><before>id7</before></set>");
    REQUIRE(back.ok());
    CHECK(back.value().before == "id7");
    auto zero = parse("<set xmlns='http://jabber.org/protocol/rsm'><max>0</max></set>");
    REQUIRE(zero.ok());
    CHECK(zero.value().max == 0u);
}

TEST_CASE("mam query: malformed pieces are bad-request, an RSM index feature-not-implemented") {
    CHECK(condition_of(form(field("with", "@@"))) == StanzaError::bad_request);
    CHECK(condition_of(form(field("start", "yesterday"))) == StanzaError::bad_request);
    CHECK(condition_of(form(field("color", "blue"))) == StanzaError::bad_request);
    CHECK(condition_of(form(field("with", "a@b") + field("with", "c@d"))) == StanzaError::bad_request);
    CHECK(condition_of(form("<field var='with'><value>a@b</value><value>c@d</value></field>")) ==
          StanzaError::bad_request);
    CHECK(condition_of(form(field("after-id", ""))) == StanzaError::bad_request);
    CHECK(condition_of("<x xmlns='jabber:x:data' type='submit'>" + field("FORM_TYPE", "urn:xmpp:mam:1") + "</x>") ==
          StanzaError::bad_request);
    CHECK(condition_of("<set xmlns='http://jabber.org/protocol/rsm'><max>-1</max></set>") == StanzaError::bad_request);
    CHECK(condition_of("<set xmlns='http://jabber.org/protocol/rsm'><max>ten</max></set>") ==
          StanzaError::bad_request);
    CHECK(condition_of("<set xmlns='http://jabber.org/protocol/rsm'><after/></set>") == StanzaError::bad_request);
    CHECK(condition_of("<set xmlns='http://jabber.org/protocol/rsm'><index>3</index></set>") ==
          StanzaError::feature_not_implemented);
    CHECK(condition_of("<other xmlns='urn:example'/>") == StanzaError::bad_request);
    std::string many = "<field var='ids'>";
    for (std::size_t i = 0; i <= xmpp::kMaxMamIds; ++i) many += "<value>i" + std::to_string(i) + "</value>";
    CHECK(condition_of(form(many + "</field>")) == StanzaError::policy_violation);
}

TEST_CASE("mam query: the form a client is shown lists the fields the parser takes") {
    const xmpp::Element x = xmpp::mam_query_form();
    std::vector<std::string> vars;
    for (const auto& f : x.children()) vars.push_back(std::string(f.attr_or("var")));
    CHECK(vars == std::vector<std::string>{"FORM_TYPE", "with", "start", "end", "after-id", "before-id", "ids",
                                           "include-groupchat"});
}

TEST_CASE("mam query: XEP-0082 stamps to the microsecond, both ways") {
    CHECK(xmpp::parse_xep82_us("1970-01-01T00:00:01.25Z") == 1250000);
    CHECK(xmpp::parse_xep82_us("1970-01-01T00:00:01Z") == 1000000);
    CHECK(xmpp::xep82_datetime_us(1250000) == "1970-01-01T00:00:01.250000Z");
    CHECK(xmpp::parse_xep82_us(xmpp::xep82_datetime_us(1795252263095187)) == 1795252263095187);
    CHECK_FALSE(xmpp::parse_xep82_us("1970-01-01T00:00:01.Z"));
    // Found by mam_query_fuzz: years before 1000 keep their four digits.
    CHECK(xmpp::xep82_datetime_us(*xmpp::parse_xep82_us("0226-11-21T09:11:03.0Z")) ==
          "0226-11-21T09:11:03.000000Z");
}

}  // namespace mam_query_test
