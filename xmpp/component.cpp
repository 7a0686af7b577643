#include "xmpp/component.hpp"

#include <openssl/evp.h>

#include "xmpp/namespaces.hpp"

namespace xmpp::component {

std::string handshake_digest(std::string_view stream_id, std::string_view secret) {
    std::string input;
    input.reserve(stream_id.size() + secret.size());
    input += stream_id;
    input += secret;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha1(), nullptr) != 1) return {};
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (unsigned int i = 0; i < size; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    return out;
}

bool handshake_matches(std::string_view offered, std::string_view stream_id, std::string_view secret) {
    const std::string expected = handshake_digest(stream_id, secret);
    if (expected.empty() || offered.size() != expected.size()) return false;
    unsigned char difference = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(offered[i]);
        if (c >= 'A' && c <= 'F') c = static_cast<unsigned char>(c - 'A' + 'a');
        difference |= static_cast<unsigned char>(c ^ static_cast<unsigned char>(expected[i]));
    }
    return difference == 0;
}

void to_client_namespace(Element& stanza) {
    if (stanza.is_text()) return;
    if (stanza.xmlns() == ns::component_accept) stanza.set_xmlns(std::string(ns::client));
    for (Element& child : stanza.children()) to_client_namespace(child);
}

}  // namespace xmpp::component
