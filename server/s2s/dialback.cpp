#include "server/s2s/dialback.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

namespace server::dialback {

namespace {

std::string hex(const unsigned char* bytes, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(digits[bytes[i] >> 4]);
        out.push_back(digits[bytes[i] & 15]);
    }
    return out;
}

xmpp::Element db(std::string_view name, std::string_view from, std::string_view to) {
    xmpp::Element e{std::string(name), std::string(xmpp::ns::dialback)};
    e.set_attr("from", std::string(from));
    e.set_attr("to", std::string(to));
    return e;
}

}  // namespace

std::string key(std::string_view secret, std::string_view receiving, std::string_view originating,
                std::string_view stream_id) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest);
    const std::string hmac_key = hex(digest, sizeof digest);
    std::string text;
    text.reserve(receiving.size() + originating.size() + stream_id.size() + 2);
    text.append(receiving).append(" ").append(originating).append(" ").append(stream_id);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), hmac_key.data(), static_cast<int>(hmac_key.size()),
         reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &length);
    return hex(mac, length);
}

bool key_matches(std::string_view offered, std::string_view secret, std::string_view receiving,
                 std::string_view originating, std::string_view stream_id) {
    const std::string expected = key(secret, receiving, originating, stream_id);
    if (offered.size() != expected.size()) return false;
    return CRYPTO_memcmp(offered.data(), expected.data(), expected.size()) == 0;
}

std::string random_hex_id() {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) return {};
    return hex(bytes, sizeof bytes);
}

xmpp::Element result_request(std::string_view from, std::string_view to, std::string_view key) {
    xmpp::Element e = db("result", from, to);
    e.add_text(std::string(key));
    return e;
}

xmpp::Element result_answer(std::string_view from, std::string_view to, bool valid) {
    xmpp::Element e = db("result", from, to);
    e.set_attr("type", valid ? "valid" : "invalid");
    return e;
}

xmpp::Element verify_request(std::string_view from, std::string_view to, std::string_view id, std::string_view key) {
    xmpp::Element e = db("verify", from, to);
    e.set_attr("id", std::string(id));
    e.add_text(std::string(key));
    return e;
}

xmpp::Element verify_answer(std::string_view from, std::string_view to, std::string_view id, bool valid) {
    xmpp::Element e = db("verify", from, to);
    e.set_attr("id", std::string(id));
    e.set_attr("type", valid ? "valid" : "invalid");
    return e;
}

std::string to_xml(const xmpp::Element& element) {
    std::string out = "<db:" + element.name() + " xmlns:db='" + std::string(xmpp::ns::dialback) + "'";
    for (const auto& attribute : element.attributes()) {
        out += ' ';
        out += attribute.name;
        out += "='";
        xmpp::escape_attr(attribute.value, out);
        out += '\'';
    }
    const std::string text = element.text();
    if (text.empty()) return out + "/>";
    out += '>';
    xmpp::escape_text(text, out);
    return out + "</db:" + element.name() + ">";
}

}  // namespace server::dialback
