#include "server/modules/http_upload_url.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <stdexcept>

namespace server::upload {

namespace {

constexpr std::string_view kHex = "0123456789abcdef";

std::string to_hex(const unsigned char* data, std::size_t size) {
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out += kHex[data[i] >> 4];
        out += kHex[data[i] & 0xf];
    }
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_lower_hex(std::string_view text) {
    return text.find_first_not_of(kHex) == std::string_view::npos;
}

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF).
bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t extra = 0;
        char32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            extra = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + extra >= s.size()) return false;
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        static constexpr std::array<char32_t, 4> kMin = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += extra + 1;
    }
    return true;
}

bool is_token_char(char c) {
    // RFC 2045 token: printable ASCII but space and tspecials.
    if (c <= 0x20 || c >= 0x7f) return false;
    return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_token_char(c)) return false;
    return true;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
    std::int64_t value = 0;
    if (text.empty() || text.size() > 19 || (text.size() > 1 && text.front() == '0')) return std::nullopt;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
    return value;
}

// The bytes the signature covers: every term, each ended by a NUL (none of
// them may hold one), after a version tag so that a later layout cannot be
// confused with this one.
std::string signed_text(const Slot& slot) {
    std::string text = "xmqd-upload-v1";
    for (const std::string* part : {&slot.id, &slot.filename, &slot.content_type, &slot.owner}) {
        text += '\0';
        text += *part;
    }
    text += '\0';
    text += std::to_string(slot.size);
    text += '\0';
    text += std::to_string(slot.expires);
    return text;
}

}  // namespace

bool valid_filename(std::string_view name) {
    if (name.empty() || name.size() > kMaxFilenameBytes || name == "." || name == "..") return false;
    for (char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f || c == '/' || c == '\\') return false;
    }
    return valid_utf8(name);
}

bool valid_content_type(std::string_view type) {
    if (type.empty() || type.size() > kMaxContentTypeBytes) return false;
    for (char c : type)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) return false;
    const std::string_view essence = type.substr(0, type.find(';'));
    const auto slash = essence.find('/');
    if (slash == std::string_view::npos) return false;
    std::string_view subtype = essence.substr(slash + 1);
    while (!subtype.empty() && subtype.back() == ' ') subtype.remove_suffix(1);
    return is_token(essence.substr(0, slash)) && is_token(subtype);
}

std::string random_id() {
    std::array<unsigned char, kIdLength / 2> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        throw std::runtime_error("upload: no random bytes from OpenSSL");
    return to_hex(bytes.data(), bytes.size());
}

std::string percent_encode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out += c;
        } else {
            out += '%';
            out += "0123456789ABCDEF"[u >> 4];
            out += "0123456789ABCDEF"[u & 0xf];
        }
    }
    return out;
}

std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size()) return std::nullopt;
        const int hi = hex_value(text[i + 1]);
        const int lo = hex_value(text[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

std::optional<FileRef> parse_file_target(std::string_view target) {
    std::string_view path = target.substr(0, target.find('?'));
    if (!path.starts_with(kPathPrefix)) return std::nullopt;
    path.remove_prefix(kPathPrefix.size());
    const auto slash = path.find('/');
    if (slash != kIdLength) return std::nullopt;
    const std::string_view id = path.substr(0, slash);
    const std::string_view encoded = path.substr(slash + 1);
    if (!is_lower_hex(id) || encoded.find('/') != std::string_view::npos) return std::nullopt;
    auto name = percent_decode(encoded);
    if (!name || !valid_filename(*name)) return std::nullopt;
    return FileRef{std::string(id), std::move(*name)};
}

std::string UrlSigner::get_path(const Slot& slot) {
    return std::string(kPathPrefix) + slot.id + "/" + percent_encode(slot.filename);
}

std::string UrlSigner::put_target(const Slot& slot) const {
    return get_path(slot) + "?o=" + percent_encode(slot.owner) + "&s=" + std::to_string(slot.size) +
           "&t=" + percent_encode(slot.content_type) + "&e=" + std::to_string(slot.expires) +
           "&sig=" + signature(slot);
}

std::string UrlSigner::signature(const Slot& slot) const {
    const std::string text = signed_text(slot);
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
              reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac.data(), &length))
        throw std::runtime_error("upload: HMAC-SHA256 failed");
    return to_hex(mac.data(), length);
}

xmpp::Result<Slot, PutRefusal> UrlSigner::verify_put(std::string_view target, std::int64_t now) const {
    const auto file = parse_file_target(target);
    const auto question = target.find('?');
    if (!file || question == std::string_view::npos) return xmpp::fail(PutRefusal::malformed);
    // Each term exactly once, in any order; nothing else.
    std::optional<std::string> owner, type, sig;
    std::optional<std::int64_t> size, expires;
    std::string_view query = target.substr(question + 1);
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        const auto eq = pair.find('=');
        if (eq == std::string_view::npos) return xmpp::fail(PutRefusal::malformed);
        const std::string_view key = pair.substr(0, eq);
        auto value = percent_decode(pair.substr(eq + 1));
        if (!value) return xmpp::fail(PutRefusal::malformed);
        auto take_text = [&](std::optional<std::string>& slot_term) {
            if (slot_term) return false;
            slot_term = std::move(*value);
            return true;
        };
        auto take_int = [&](std::optional<std::int64_t>& slot_term) {
            if (slot_term) return false;
            slot_term = parse_int(*value);
            return slot_term.has_value();
        };
        bool taken = false;
        if (key == "o") taken = take_text(owner);
        else if (key == "t") taken = take_text(type);
        else if (key == "sig") taken = take_text(sig);
        else if (key == "s") taken = take_int(size);
        else if (key == "e") taken = take_int(expires);
        if (!taken) return xmpp::fail(PutRefusal::malformed);
    }
    if (!owner || !type || !sig || !size || !expires) return xmpp::fail(PutRefusal::malformed);
    // Terms the module never signs (it checks them first): no need to compute a signature.
    if ((!type->empty() && !valid_content_type(*type)) || owner->find('@') == std::string::npos ||
        owner->find('\0') != std::string::npos || *size == 0)
        return xmpp::fail(PutRefusal::malformed);
    Slot slot{file->id, file->filename, static_cast<std::uint64_t>(*size), std::move(*type), std::move(*owner),
              *expires};
    const std::string expected = signature(slot);
    if (sig->size() != expected.size() || CRYPTO_memcmp(sig->data(), expected.data(), expected.size()) != 0)
        return xmpp::fail(PutRefusal::signature);
    if (now > slot.expires) return xmpp::fail(PutRefusal::expired);
    return slot;
}

}  // namespace server::upload
