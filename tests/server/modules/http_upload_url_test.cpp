// The upload URLs of XEP-0363 (server/modules/http_upload_url.hpp): a PUT
// target verifies only as the server signed it, within its time, with
// every term as it was; GET paths refuse path tricks; names and types are
// checked as the slot rules say.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "server/modules/http_upload_url.hpp"

namespace http_upload_url_test {

using server::upload::FileRef;
using server::upload::PutRefusal;
using server::upload::Slot;
using server::upload::UrlSigner;

Slot sample() {
    return Slot{"0123456789abcdef0123456789abcdef", "très cool.jpg", 23456, "image/jpeg", "juliet@localhost", 1000};
}

TEST_CASE("upload url: a signed PUT target verifies to its slot until it expires") {
    const UrlSigner signer("a secret of the server, 32 bytes");
    const Slot slot = sample();
    const std::string target = signer.put_target(slot);
    CHECK(target.starts_with("/upload/0123456789abcdef0123456789abcdef/tr%C3%A8s%20cool.jpg?"));
    const auto verified = signer.verify_put(target, 999);
    REQUIRE(verified.ok());
    CHECK(verified.value() == slot);
    CHECK(signer.verify_put(target, 1000).ok());
    REQUIRE_FALSE(signer.verify_put(target, 1001).ok());
    CHECK(signer.verify_put(target, 1001).error() == PutRefusal::expired);
}

TEST_CASE("upload url: another secret, or any term changed, fails the signature") {
    const UrlSigner signer("a secret of the server, 32 bytes");
    const Slot slot = sample();
    const std::string target = signer.put_target(slot);
    CHECK(UrlSigner("another secret").verify_put(target, 0).error() == PutRefusal::signature);
    auto altered = [&](Slot changed) {
        // The terms of `changed` with the signature of the original slot.
        const std::string forged = signer.put_target(changed);
        const std::string original_sig = target.substr(target.find("&sig="));
        return forged.substr(0, forged.find("&sig=")) + original_sig;
    };
    Slot bigger = slot;
    bigger.size = 23457;
    Slot other_owner = slot;
    other_owner.owner = "romeo@localhost";
    Slot later = slot;
    later.expires = 999999;
    Slot other_type = slot;
    other_type.content_type = "text/html";
    Slot other_name = slot;
    other_name.filename = "x.html";
    Slot other_id = slot;
    other_id.id = "ffffffffffffffffffffffffffffffff";
    for (const Slot& s : {bigger, other_owner, later, other_type, other_name, other_id})
        CHECK(signer.verify_put(altered(s), 0).error() == PutRefusal::signature);
    std::string flipped = target;
    flipped.back() = flipped.back() == '0' ? '1' : '0';
    CHECK(signer.verify_put(flipped, 0).error() == PutRefusal::signature);
}

TEST_CASE("upload url: malformed PUT targets") {
    const UrlSigner signer("k");
    const std::string good = signer.put_target(sample());
    const std::string query = good.substr(good.find('?'));
    for (const std::string& target : std::vector<std::string>{
             std::string("/upload/0123456789abcdef0123456789abcdef/x.jpg"),  // no query
             "/upload/0123456789abcdef0123456789abcdef/tr%C3%A8s%20cool.jpg?o=juliet%40localhost",
             good + "&o=romeo%40localhost",  // a term twice
             good + "&x=1",                  // an unknown term
             good + "&novalue",
             "/download/0123456789abcdef0123456789abcdef/x.jpg" + query,
             "/upload/0123456789ABCDEF0123456789ABCDEF/x.jpg" + query,  // upper-case id
             "/upload/0123/x.jpg" + query,
             "/upload/0123456789abcdef0123456789abcdef/a/b.jpg" + query,
             "/upload/0123456789abcdef0123456789abcdef/..%2Fsecret" + query,
             "/upload/0123456789abcdef0123456789abcdef/%2E%2E" + query,
             "/upload/0123456789abcdef0123456789abcdef/x%2" + query,
             "/upload/0123456789abcdef0123456789abcdef/x%zz" + query,
         })
        CHECK_MESSAGE(signer.verify_put(target, 0).error() == PutRefusal::malformed, target);
    std::string bad_size = good;
    bad_size.replace(bad_size.find("&s=") + 3, 5, "-2345");
    CHECK(signer.verify_put(bad_size, 0).error() == PutRefusal::malformed);
}

TEST_CASE("upload url: GET paths name a file, nothing else") {
    const Slot slot = sample();
    const auto ref = server::upload::parse_file_target(UrlSigner::get_path(slot));
    REQUIRE(ref.has_value());
    CHECK(*ref == FileRef{slot.id, slot.filename});
    CHECK(server::upload::parse_file_target(UrlSigner::get_path(slot) + "?ignored=1").has_value());
    for (std::string_view path : {"/upload/", "/upload/../../etc/passwd", "/upload/0123456789abcdef0123456789abcdef/",
                                  "/upload/0123456789abcdef0123456789abcdef/..",
                                  "/upload/0123456789abcdef0123456789abcdef/%2e%2e",
                                  "/upload/0123456789abcdef0123456789abcdef/a%2Fb",
                                  "/upload/0123456789abcdef0123456789abcdef/a%5Cb",
                                  "/upload/0123456789abcdef0123456789abcdef/a%00b",
                                  "/upload/0123456789abcdef0123456789abcdeg/a", "/uploadx/a/b", "/status"})
        CHECK_FALSE_MESSAGE(server::upload::parse_file_target(path).has_value(), path);
}

TEST_CASE("upload url: file names and content types") {
    using server::upload::valid_content_type;
    using server::upload::valid_filename;
    CHECK(valid_filename("photo.jpg"));
    CHECK(valid_filename("très cool.jpg"));
    CHECK(valid_filename(std::string(255, 'a')));
    CHECK_FALSE(valid_filename(std::string(256, 'a')));
    for (std::string_view bad : std::vector<std::string_view>{"", ".", "..", "a/b", "a\\b", "a\nb",
                                                              std::string_view("a\0b", 3), "\xff\xfe",
                                 "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82"})
        CHECK_FALSE(valid_filename(bad));
    CHECK(valid_content_type("image/jpeg"));
    CHECK(valid_content_type("text/plain; charset=utf-8"));
    for (std::string_view bad : {"", "image", "/jpeg", "image/", "ima ge/jpeg", "image/jpeg\r\nX: y", "a/b/c"})
        CHECK_FALSE(valid_content_type(bad));
}

TEST_CASE("upload url: percent-encoding round trips; ids are random hex") {
    const std::string text = "a b/c?d&e=f%g\xc3\xa8~";
    CHECK(server::upload::percent_decode(server::upload::percent_encode(text)) == text);
    CHECK(server::upload::percent_encode("a b") == "a%20b");
    const std::string a = server::upload::random_id();
    CHECK(a.size() == server::upload::kIdLength);
    CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(a != server::upload::random_id());
}

}  // namespace http_upload_url_test
