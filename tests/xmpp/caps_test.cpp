// XEP-0115 §5: the verification string and its hash (the XEP's simple and
// complex generation examples give the hashes it prints), the ill-formed
// results of §5.4, and the <c/> annotation of a presence.
#include <doctest/doctest.h>

#include "xmpp/caps.hpp"
#include "xmpp/stored_xml.hpp"

namespace {

namespace caps = xmpp::caps;

xmpp::Element caps_stanza(std::string_view xml) {
    auto element = xmpp::parse_stored(xml);
    REQUIRE(element.has_value());
    return *element;
}

caps::DiscoInfo info_of(std::string_view xml) {
    auto info = caps::parse_disco_info(caps_stanza(xml));
    REQUIRE_MESSAGE(info.ok(), (info.ok() ? "" : info.error()));
    return *info;
}

std::string ill_formed(std::string_view xml) {
    auto info = caps::parse_disco_info(caps_stanza(xml));
    REQUIRE_FALSE(info.ok());
    return info.error();
}

// §5.2, with the caps feature its step 4 lists.
const std::string simple =
    "<query xmlns='http://jabber.org/protocol/disco#info'>"
    "<identity category='client' type='pc' name='Exodus 0.9.1'/>"
    "<feature var='http://jabber.org/protocol/disco#info'/>"
    "<feature var='http://jabber.org/protocol/disco#items'/>"
    "<feature var='http://jabber.org/protocol/muc'/>"
    "<feature var='http://jabber.org/protocol/caps'/>"
    "</query>";

// §5.3, identities and fields in the XEP's order (not sorted).
const std::string complex =
    "<query xmlns='http://jabber.org/protocol/disco#info' "
    "node='http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w='>"
    "<identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>"
    "<identity xml:lang='el' category='client' name='\xce\xa8 0.11' type='pc'/>"
    "<feature var='http://jabber.org/protocol/caps'/>"
    "<feature var='http://jabber.org/protocol/disco#info'/>"
    "<feature var='http://jabber.org/protocol/disco#items'/>"
    "<feature var='http://jabber.org/protocol/muc'/>"
    "<x xmlns='jabber:x:data' type='result'>"
    "<field var='FORM_TYPE' "
    "type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>"
    "<field var='ip_version'><value>ipv6</value><value>ipv4</value></field>"
    "<field var='os'><value>Mac</value></field>"
    "<field var='os_version'><value>10.5.1</value></field>"
    "<field var='software'><value>Psi</value></field>"
    "<field var='software_version'><value>0.11</value></field>"
    "</x></query>";

}  // namespace

TEST_CASE("caps: the simple generation example of XEP-0115 §5.2") {
    const auto info = info_of(simple);
    CHECK(caps::verification_string(info) ==
          "client/pc//Exodus "
          "0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/"
          "disco#info<"
          "http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<");
    CHECK(caps::ver(info, "sha-1") == "QgayPKawpkPSDYmwT/WM94uAlu0=");
}

TEST_CASE(
    "caps: the complex generation example of XEP-0115 §5.3, with an "
    "extended form") {
    const auto info = info_of(complex);
    CHECK(caps::verification_string(info) ==
          "client/pc/el/\xce\xa8 0.11<client/pc/en/Psi "
          "0.11<http://jabber.org/protocol/caps<"
          "http://jabber.org/protocol/disco#info<http://jabber.org/protocol/"
          "disco#items<"
          "http://jabber.org/protocol/"
          "muc<urn:xmpp:dataforms:softwareinfo<ip_version<ipv4<ipv6<os<Mac<"
          "os_version<10.5.1<software<Psi<software_version<0.11<");
    CHECK(caps::ver(info, "sha-1") == "q07IKJEyjvHSyhy//CH0CxmKi8w=");
}

TEST_CASE(
    "caps: the hash attribute chooses the digest; an unknown or weak one "
    "computes nothing") {
    const auto info = info_of(simple);
    // echo -n S | openssl dgst -binary -sha256 | openssl enc -base64
    CHECK(caps::ver(info, "sha-256") == "Wr6IGEKhx6b9627gBmi/cCmpxXBc/GYq5zWuYfWGWoc=");
    CHECK(caps::supports_hash("sha-1"));
    CHECK(caps::supports_hash("sha-512"));
    CHECK_FALSE(caps::supports_hash("md5"));
    CHECK_FALSE(caps::supports_hash("SHA-1"));
    CHECK(caps::ver(info, "md5") == std::nullopt);
}

TEST_CASE(
    "caps: forms are sorted by FORM_TYPE; a form without FORM_TYPE is "
    "left out") {
    const auto info = info_of(
        "<query xmlns='http://jabber.org/protocol/disco#info'><identity "
        "category='client' type='pc'/>"
        "<x xmlns='jabber:x:data' type='result'><field "
        "var='FORM_TYPE'><value>urn:b</value></field>"
        "<field var='z'><value>1</value></field></x>"
        "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' "
        "type='hidden'><value>urn:a</value></field></x>"
        "<x xmlns='jabber:x:data' type='result'><field "
        "var='orphan'><value>x</value></field></x>"
        "</query>");
    REQUIRE(info.forms.size() == 2);
    CHECK(caps::verification_string(info) == "client/pc//<urn:a<urn:b<z<1<");
}

TEST_CASE("caps: ill-formed results (§5.4) are refused") {
    const std::string open = "<query xmlns='http://jabber.org/protocol/disco#info'>";
    CHECK(ill_formed(open + "<identity category='client' type='pc' name='A'/>"
                            "<identity category='client' type='pc' name='A'/></query>") == "two identical identities");
    CHECK(ill_formed(open + "<feature var='urn:x'/><feature var='urn:x'/></query>") == "two identical features");
    CHECK(ill_formed(open + "<x xmlns='jabber:x:data'><field "
                            "var='FORM_TYPE'><value>urn:a</value></field></x>"
                            "<x xmlns='jabber:x:data'><field "
                            "var='FORM_TYPE'><value>urn:a</value></field></x></query>") ==
          "two forms with one FORM_TYPE");
    CHECK(ill_formed(open + "<x xmlns='jabber:x:data'><field var='FORM_TYPE'><value>urn:a</value>"
                            "<value>urn:b</value></field></x></query>") == "a FORM_TYPE has differing values");
    CHECK(ill_formed(open + "<x xmlns='jabber:x:data'><field "
                            "var='FORM_TYPE'><value>urn:a</value></field>"
                            "<field var='FORM_TYPE'><value>urn:a</value></field></x></query>") ==
          "a form has more than one FORM_TYPE");
    CHECK(ill_formed(open + "<identity category='client'/></query>") == "an identity lacks category or type");
    CHECK(ill_formed("<query xmlns='jabber:iq:version'/>") == "not a disco#info query");
    // The same identity in two languages is two identities, not a duplicate.
    CHECK(info_of(complex).identities.size() == 2);
}

TEST_CASE(
    "caps: a result with more features than a cache entry may hold is "
    "refused") {
    std::string xml = "<query xmlns='http://jabber.org/protocol/disco#info'>";
    for (std::size_t i = 0; i <= caps::max_features; ++i) xml += "<feature var='urn:f:" + std::to_string(i) + "'/>";
    CHECK(ill_formed(xml + "</query>") == "too many features");
}

TEST_CASE("caps: a result rebuilt from its value hashes the same") {
    const auto info = info_of(complex);
    const auto again = caps::parse_disco_info(caps::to_element(info));
    REQUIRE(again.ok());
    CHECK(caps::ver(*again, "sha-1") == "q07IKJEyjvHSyhy//CH0CxmKi8w=");
}

TEST_CASE("caps: the <c/> of a presence; the legacy form without hash is ignored") {
    const auto c =
        caps::parse(caps_stanza("<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
                          "node='https://gajim.org' ver='QgayPKawpkPSDYmwT/WM94uAlu0=' "
                          "ext='x y'/></presence>"));
    REQUIRE(c.has_value());
    CHECK(*c == caps::Caps{"sha-1", "https://gajim.org", "QgayPKawpkPSDYmwT/WM94uAlu0="});
    CHECK_FALSE(
        caps::parse(caps_stanza("<presence><c xmlns='http://jabber.org/protocol/caps' "
                          "node='n' ver='0.9'/></presence>")));
    CHECK_FALSE(
        caps::parse(caps_stanza("<presence><c xmlns='urn:other' hash='sha-1' "
                          "node='n' ver='v'/></presence>")));
    CHECK_FALSE(
        caps::parse(caps_stanza("<presence><c xmlns='http://jabber.org/protocol/caps' "
                          "hash='sha-1' node='n' ver=''/></presence>")));
    CHECK_FALSE(caps::parse(caps_stanza("<presence/>")));
    xmpp::Element presence("presence", "jabber:client");
    presence.add_child(caps::to_element(*c));
    CHECK(caps::parse(presence) == c);
}
