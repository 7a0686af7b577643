#include <doctest/doctest.h>

#include <string>

#include "xmpp/jid.hpp"

using xmpp::Jid;

namespace {
std::string full_of(std::string_view s) {
    auto j = Jid::parse(s);
    return j ? j->full() : std::string("<invalid>");
}
}  // namespace

TEST_CASE("jid: valid addresses and their parts") {
    auto j = Jid::parse("juliet@example.com/balcony");
    REQUIRE(j);
    CHECK(j->local() == "juliet");
    CHECK(j->domain() == "example.com");
    CHECK(j->resource() == "balcony");
    CHECK_FALSE(j->is_bare());
    CHECK(j->bare_string() == "juliet@example.com");
    CHECK(j->full() == "juliet@example.com/balcony");

    auto d = Jid::parse("example.com");
    REQUIRE(d);
    CHECK(d->local().empty());
    CHECK(d->is_bare());
    CHECK(d->full() == "example.com");

    CHECK(full_of("example.com/res") == "example.com/res");
    CHECK(full_of("a@b") == "a@b");
    CHECK(full_of("[::1]") == "[::1]");
    CHECK(full_of("u@[2001:DB8::1]/r") == "u@[2001:db8::1]/r");
    CHECK(full_of("user@127.0.0.1") == "user@127.0.0.1");
    CHECK(Jid().empty());
    CHECK_FALSE(Jid::parse("a@b")->empty());
}

TEST_CASE("jid: split rule of RFC 7622 §3.2") {
    // The resource starts at the first '/', and may contain '@' and '/'.
    auto j = Jid::parse("a@b/c@d/e");
    REQUIRE(j);
    CHECK(j->local() == "a");
    CHECK(j->domain() == "b");
    CHECK(j->resource() == "c@d/e");
    // No '@' before the '/': no local part.
    auto k = Jid::parse("example.com/u@v");
    REQUIRE(k);
    CHECK(k->local().empty());
    CHECK(k->resource() == "u@v");
}

TEST_CASE("jid: normalisation") {
    CHECK(full_of("\xC3\x84" "B@Example.COM/Res") == "\xC3\xA4" "b@example.com/Res");  // ÄB -> äb
    CHECK(full_of("Juliet@EXAMPLE.com/Balcony") == "juliet@example.com/Balcony");
    CHECK(full_of("juliet@example.com.") == "juliet@example.com");  // trailing dot dropped
    CHECK(full_of("example.com./x") == "example.com/x");
    // IDNA: a U-label becomes its A-label.
    CHECK(full_of("user@m\xC3\xBCnchen.de") == "user@xn--mnchen-3ya.de");
    CHECK(full_of("user@M\xC3\x9CNCHEN.de") == "user@xn--mnchen-3ya.de");
    // Nodeprep case-folds beyond ASCII; resourceprep does not case-fold.
    CHECK(full_of("STRA\xC3\x9F" "E@x.org/R\xC3\x84") == "strasse@x.org/R\xC3\x84");
    // Characters mapped to nothing (soft hyphen) disappear.
    CHECK(full_of("ab\xC2\xAD" "c@x.org") == "abc@x.org");
    // Resourceprep keeps ASCII spaces.
    CHECK(full_of("a@b/my laptop") == "a@b/my laptop");
    CHECK(*Jid::normalize_local("JuLiEt") == "juliet");
    CHECK(*Jid::normalize_domain("ExAmple.ORG.") == "example.org");
    CHECK(*Jid::normalize_resource("Orchard") == "Orchard");
    // Two spellings of one address compare equal once normalised.
    CHECK(*Jid::parse("ROMEO@Montague.LIT/Home") == *Jid::parse("romeo@montague.lit/Home"));
}

TEST_CASE("jid: invalid addresses") {
    CHECK_FALSE(Jid::parse(""));
    CHECK_FALSE(Jid::parse("@example.com"));          // empty local before '@'
    CHECK_FALSE(Jid::parse("user@example.com/"));     // empty resource after '/'
    CHECK_FALSE(Jid::parse("user@"));                 // empty domain
    CHECK_FALSE(Jid::parse("/res"));
    CHECK_FALSE(Jid::parse("a@b@c"));                 // '@' in the domain
    CHECK_FALSE(Jid::parse("user@exa mple.com"));     // space in the domain
    CHECK_FALSE(Jid::parse("user@exa_mple.com"));     // not LDH
    CHECK_FALSE(Jid::parse("user@example..com"));     // empty label
    CHECK_FALSE(Jid::parse("user@-example.com"));     // leading hyphen
    CHECK_FALSE(Jid::parse("user@."));
    CHECK_FALSE(Jid::parse("user@[::1"));             // unterminated IP literal
    CHECK_FALSE(Jid::parse("user@[not-an-ip]"));
    for (const char* bad : {"a\"b", "a&b", "a'b", "a:b", "a<b", "a>b", "a b", "a\x01" "b"}) {
        INFO(bad);
        CHECK_FALSE(Jid::normalize_local(bad));
        CHECK_FALSE(Jid::parse(std::string(bad) + "@example.com"));
    }
    CHECK_FALSE(Jid::normalize_resource("a\x07" "b"));            // control character
    CHECK_FALSE(Jid::normalize_resource(std::string("a\0b", 3)));  // NUL
    CHECK_FALSE(Jid::normalize_local("\xC3\x28"));                 // invalid UTF-8
    CHECK_FALSE(Jid::normalize_local("\xC2\xAD"));                 // maps to nothing: empty
    CHECK_FALSE(Jid::normalize_local("a\xE2\x80\xA8" "b"));        // U+2028 prohibited
    CHECK_FALSE(Jid::normalize_resource("a\xE2\x80\xA8" "b"));
    // Bidi rule: RandALCat and LCat mixed.
    CHECK_FALSE(Jid::normalize_local("\xD7\x90" "a"));
}

TEST_CASE("jid: part length limits") {
    std::string s1023(1023, 'a');
    std::string s1024(1024, 'a');
    CHECK(Jid::parse(s1023 + "@example.com"));
    CHECK_FALSE(Jid::parse(s1024 + "@example.com"));
    CHECK(Jid::parse("u@example.com/" + s1023));
    CHECK_FALSE(Jid::parse("u@example.com/" + s1024));
    // Domain: 1023 octets of valid labels pass, one more fails.
    std::string dom;
    while (dom.size() + 64 <= 1023) dom += std::string(63, 'd') + ".";
    dom += std::string(1023 - dom.size(), 'e');
    REQUIRE(dom.size() == 1023);
    CHECK(Jid::normalize_domain(dom));
    CHECK_FALSE(Jid::normalize_domain(dom + "e"));
    CHECK_FALSE(Jid::normalize_domain(std::string(64, 'a') + ".com"));  // label over 63
    // Non-ASCII input near the limit: "ß" case-folds to "ss", same length, still valid.
    std::string sharp_s;
    for (int i = 0; i < 511; ++i) sharp_s += "\xC3\x9F";  // 1022 bytes, folds to "ss" x 511
    CHECK(Jid::normalize_local(sharp_s));
    // U+3300 (3 octets) prepares to four katakana (12 octets): a short input
    // whose prepared form is too long.
    std::string grows;
    for (int i = 0; i < 85; ++i) grows += "\xE3\x8C\x80";
    auto ok = Jid::normalize_local(grows);
    REQUIRE(ok);
    CHECK(ok->size() == 1020);
    CHECK_FALSE(Jid::normalize_local(grows + "\xE3\x8C\x80"));
}

TEST_CASE("jid: bare, with_resource, from_parts") {
    auto j = *Jid::parse("Romeo@Montague.lit/Orchard");
    Jid b = j.bare();
    CHECK(b.full() == "romeo@montague.lit");
    CHECK(b.is_bare());
    auto w = b.with_resource("Garden");
    REQUIRE(w);
    CHECK(w->full() == "romeo@montague.lit/Garden");
    CHECK_FALSE(b.with_resource(""));
    CHECK_FALSE(b.with_resource("bad\x01"));
    CHECK_FALSE(Jid().with_resource("r"));
    auto p = Jid::from_parts("ROMEO", "Montague.LIT", "Home");
    REQUIRE(p);
    CHECK(p->full() == "romeo@montague.lit/Home");
    CHECK(Jid::from_parts("", "example.com")->full() == "example.com");
    CHECK_FALSE(Jid::from_parts("a@b", "example.com"));
    CHECK_FALSE(Jid::from_parts("a", ""));
    CHECK(*Jid::parse("a@b/c") < *Jid::parse("a@b/d"));
}
