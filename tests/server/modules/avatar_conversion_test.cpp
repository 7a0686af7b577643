// XEP-0398 conversion as pure code: a vCard PHOTO and the XEP-0084 data and
// metadata payloads describe the same avatar (SHA-1 id, size, type), a
// metadata item that points elsewhere or lies about the hash is not taken,
// and a vCard keeps its other fields when its PHOTO changes.
#include <doctest/doctest.h>

#include "server/modules/avatar_conversion.hpp"
#include "xmpp/stored_xml.hpp"

namespace avatar_conversion_test {

namespace avatar = server::modules::avatar;

xmpp::Element avatar_xml(std::string_view xml) {
    auto element = xmpp::parse_stored(xml);
    REQUIRE(element.has_value());
    return *element;
}

// "hello" in base64; its SHA-1 is aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d.
constexpr std::string_view hello_b64 = "aGVsbG8=";
constexpr std::string_view hello_sha1 = "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d";

TEST_CASE("avatar: an image gets its SHA-1 id and size; line breaks in base64 are allowed") {
    auto a = avatar::from_image("aGVs\r\n bG8=", "image/png");
    REQUIRE(a);
    CHECK(a->id == hello_sha1);
    CHECK(a->bytes == 5);
    CHECK(a->base64 == hello_b64);
    CHECK_FALSE(avatar::from_image("not base64!", "image/png"));
    CHECK_FALSE(avatar::from_image("", "image/png"));
}

TEST_CASE("avatar: vCard PHOTO to PEP payloads and back") {
    auto vcard = avatar_xml(
        "<vCard xmlns='vcard-temp'><FN>Juliet</FN><PHOTO><TYPE>image/jpeg</TYPE><BINVAL>aGVs\nbG8=</BINVAL></PHOTO></vCard>");
    auto a = avatar::from_vcard(vcard);
    REQUIRE(a);
    CHECK(a->type == "image/jpeg");

    auto metadata = avatar::metadata_payload(*a);
    auto info = avatar::stored_info(metadata);
    REQUIRE(info);
    CHECK(info->id == hello_sha1);
    CHECK(info->bytes == 5);
    CHECK(info->type == "image/jpeg");
    auto back = avatar::from_pep(*info, avatar::data_payload(*a));
    REQUIRE(back);
    CHECK(*back == *a);
    CHECK_FALSE(avatar::disables_avatar(metadata));
}

TEST_CASE("avatar: PEP metadata picks the info stored in the data node, checks the hash") {
    auto metadata = avatar_xml(std::string(
        "<metadata xmlns='urn:xmpp:avatar:metadata'>"
        "<info bytes='9' id='0000000000000000000000000000000000000000' type='image/png' url='https://example.org/a.png'/>"
        "<info bytes='5' id='AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D' type='image/png' width='64' height='32'/>"
        "</metadata>"));
    auto info = avatar::stored_info(metadata);
    REQUIRE(info);
    CHECK(info->id == hello_sha1);  // upper-case hex is read as the same id
    CHECK(info->width == 64u);
    auto data = avatar_xml("<data xmlns='urn:xmpp:avatar:data'>aGVsbG8=</data>");
    auto a = avatar::from_pep(*info, data);
    REQUIRE(a);
    CHECK(a->height == 32u);

    auto other_image = avatar_xml("<data xmlns='urn:xmpp:avatar:data'>aGVsbG8h</data>");
    CHECK_FALSE(avatar::from_pep(*info, other_image));
    auto only_url = avatar_xml(
        "<metadata xmlns='urn:xmpp:avatar:metadata'><info bytes='9' id='ab' type='image/png' url='https://e/a.png'/></metadata>");
    CHECK_FALSE(avatar::stored_info(only_url));
    CHECK_FALSE(avatar::disables_avatar(only_url));
}

TEST_CASE("avatar: empty metadata disables the avatar; the vCard loses its PHOTO, keeps the rest") {
    CHECK(avatar::disables_avatar(avatar_xml("<metadata xmlns='urn:xmpp:avatar:metadata'/>")));
    auto vcard = avatar_xml("<vCard xmlns='vcard-temp'><FN>Juliet</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>aGVsbG8=</BINVAL></PHOTO></vCard>");
    auto without = avatar::with_photo(vcard, std::nullopt);
    CHECK_FALSE(without.child("PHOTO", "vcard-temp"));
    CHECK(without.child_text("FN", "vcard-temp") == "Juliet");
    CHECK_FALSE(avatar::from_vcard(without));
}

TEST_CASE("avatar: a new PHOTO replaces the old one; EXTVAL photos are not converted") {
    auto vcard = avatar_xml("<vCard xmlns='vcard-temp'><PHOTO><EXTVAL>https://e/a.png</EXTVAL></PHOTO><NICKNAME>J</NICKNAME></vCard>");
    CHECK_FALSE(avatar::from_vcard(vcard));
    auto a = avatar::from_image(hello_b64, "image/png");
    auto replaced = avatar::with_photo(vcard, a);
    std::size_t photos = 0;
    for (const auto& c : replaced.children())
        if (!c.is_text() && c.name() == "PHOTO") ++photos;
    CHECK(photos == 1);
    auto read = avatar::from_vcard(replaced);
    REQUIRE(read);
    CHECK(read->id == hello_sha1);
    CHECK(replaced.child_text("NICKNAME", "vcard-temp") == "J");
}

}  // namespace avatar_conversion_test
