// XEP-0114: the handshake digest (SHA-1 of stream id + secret, in hex) and
// the namespace a component's stanzas are renamed from.
#include <doctest/doctest.h>

#include "xmpp/component.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stored_xml.hpp"

namespace component = xmpp::component;

TEST_CASE("the handshake digest is hex(SHA-1(stream id + secret))") {
    // python3 -c "import hashlib; print(hashlib.sha1(b'3BF96D32sikrit').hexdigest())"
    CHECK(component::handshake_digest("3BF96D32", "sikrit") == "cd16ef59395cb2bcb9db15278683f14eebde2a34");
    CHECK(component::handshake_digest("", "") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST_CASE("a handshake matches only the digest of this id and secret, in either case") {
    CHECK(component::handshake_matches("cd16ef59395cb2bcb9db15278683f14eebde2a34", "3BF96D32", "sikrit"));
    CHECK(component::handshake_matches("CD16EF59395CB2BCB9DB15278683F14EEBDE2A34", "3BF96D32", "sikrit"));
    CHECK_FALSE(component::handshake_matches("cd16ef59395cb2bcb9db15278683f14eebde2a34", "3BF96D33", "sikrit"));
    CHECK_FALSE(component::handshake_matches("cd16ef59395cb2bcb9db15278683f14eebde2a34", "3BF96D32", "sikrif"));
    CHECK_FALSE(component::handshake_matches("cd16ef59395cb2bcb9db15278683f14eebde2a3", "3BF96D32", "sikrit"));
    CHECK_FALSE(component::handshake_matches("", "3BF96D32", "sikrit"));
    CHECK_FALSE(component::handshake_matches("sikrit", "3BF96D32", "sikrit"));
}

TEST_CASE("a component's stanza is renamed into jabber:client, children included, others kept") {
    auto stanza = xmpp::parse_stored(
        "<message xmlns='jabber:component:accept' from='a@irc.localhost' to='b@localhost'>"
        "<body>hi</body><x xmlns='jabber:x:conference'><reason>r</reason></x></message>");
    REQUIRE(stanza.has_value());
    component::to_client_namespace(*stanza);
    CHECK(stanza->xmlns() == xmpp::ns::client);
    CHECK(stanza->child("body", xmpp::ns::client) != nullptr);
    CHECK(stanza->child("x", "jabber:x:conference")->child("reason", "jabber:x:conference") != nullptr);
    CHECK(xmpp::to_string(*stanza) ==
          "<message from='a@irc.localhost' to='b@localhost'><body>hi</body>"
          "<x xmlns='jabber:x:conference'><reason>r</reason></x></message>");
}
