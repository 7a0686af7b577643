#include "xmpp/jid.hpp"

#include <arpa/inet.h>
#include <idn-free.h>
#include <idna.h>
#include <stringprep.h>

#include <cstring>

namespace xmpp {
namespace {

constexpr std::size_t kMaxPart = 1023;  // RFC 7622 §3.1: each part 1..1023 octets

bool is_ascii(std::string_view s) {
    for (unsigned char c : s) {
        if (c >= 0x80) return false;
    }
    return true;
}

// Runs a libidn stringprep profile; nullopt when the input is refused or the
// result is empty or longer than kMaxPart.
std::optional<std::string> prep(std::string_view in, const Stringprep_profile* profile) {
    if (in.empty() || in.size() > kMaxPart) return std::nullopt;
    if (std::memchr(in.data(), '\0', in.size())) return std::nullopt;
    char buf[kMaxPart + 1];  // output must fit in kMaxPart bytes plus the NUL
    std::memcpy(buf, in.data(), in.size());
    buf[in.size()] = '\0';
    if (stringprep(buf, sizeof buf, Stringprep_profile_flags(0), profile) != STRINGPREP_OK) {
        return std::nullopt;
    }
    std::size_t len = std::strlen(buf);
    if (len == 0 || len > kMaxPart) return std::nullopt;
    return std::string(buf, len);
}

// Nodeprep restricted to ASCII: printable characters except space and the
// characters RFC 7622 §3.3.1 excludes, case-folded. Anything else (controls,
// non-ASCII) is left to libidn, which gives the same answer for ASCII.
bool ascii_nodeprep(std::string_view in, std::string& out) {
    out.resize(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(in[i]);
        if (c <= 0x20 || c >= 0x7f) return false;
        switch (c) {
            case '"': case '&': case '\'': case '/': case ':': case '<': case '>': case '@':
                return false;
            default: break;
        }
        out[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : static_cast<char>(c);
    }
    return true;
}

// Resourceprep on printable ASCII is the identity.
bool ascii_printable(std::string_view in) {
    for (unsigned char c : in) {
        if (c < 0x20 || c >= 0x7f) return false;
    }
    return true;
}

// A domain name in ASCII form: dot-separated labels of letters, digits and
// hyphens (not at either end), each 1..63 octets. Lower-cases in place.
bool check_ascii_domain(std::string& d) {
    std::size_t label = 0;
    for (std::size_t i = 0; i <= d.size(); ++i) {
        if (i == d.size() || d[i] == '.') {
            if (label == 0 || label > 63) return false;
            if (d[i - 1] == '-' || d[i - label] == '-') return false;
            label = 0;
            continue;
        }
        char& c = d[i];
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c + 32);
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
            return false;
        }
        ++label;
    }
    return true;
}

std::optional<std::string> ip_literal(std::string_view d) {
    // "[IPv6]" per RFC 7622 §3.2 (IP-literal of RFC 3986, IPv6 only here).
    std::string inner(d.substr(1, d.size() - 2));
    in6_addr addr;
    if (inner.empty() || inet_pton(AF_INET6, inner.c_str(), &addr) != 1) return std::nullopt;
    std::string out(d);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    }
    return out;
}

}  // namespace

std::optional<std::string> Jid::normalize_local(std::string_view local) {
    if (local.empty() || local.size() > kMaxPart) return std::nullopt;
    std::string out;
    if (ascii_nodeprep(local, out)) return out;
    return prep(local, stringprep_xmpp_nodeprep);
}

std::optional<std::string> Jid::normalize_resource(std::string_view resource) {
    if (resource.empty() || resource.size() > kMaxPart) return std::nullopt;
    if (ascii_printable(resource)) return std::string(resource);
    return prep(resource, stringprep_xmpp_resourceprep);
}

std::optional<std::string> Jid::normalize_domain(std::string_view domain) {
    if (domain.empty() || domain.size() > kMaxPart) return std::nullopt;
    if (domain.front() == '[') {
        if (domain.back() != ']') return std::nullopt;
        return ip_literal(domain);
    }
    if (domain.back() == '.') domain.remove_suffix(1);  // the root label is implied
    if (domain.empty()) return std::nullopt;
    std::string out;
    if (is_ascii(domain)) {
        out.assign(domain);
    } else {
        if (std::memchr(domain.data(), '\0', domain.size())) return std::nullopt;
        std::string in(domain);
        char* ace = nullptr;
        int rc = idna_to_ascii_8z(in.c_str(), &ace, IDNA_USE_STD3_ASCII_RULES);
        if (rc != IDNA_SUCCESS) {
            if (ace) idn_free(ace);
            return std::nullopt;
        }
        out.assign(ace);
        idn_free(ace);
        // A full stop other than U+002E (e.g. U+3002) maps to '.', so the
        // trailing-dot rule applies again after conversion.
        if (!out.empty() && out.back() == '.') out.pop_back();
    }
    if (out.empty() || out.size() > kMaxPart || !check_ascii_domain(out)) return std::nullopt;
    return out;
}

std::optional<Jid> Jid::parse(std::string_view text) {
    // RFC 7622 §3.2: the resource is everything after the first '/', the
    // local part everything before the first '@' in what precedes it.
    std::string_view rest = text;
    std::string_view resource;
    bool has_resource = false;
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
        resource = rest.substr(slash + 1);
        rest = rest.substr(0, slash);
        has_resource = true;
    }
    std::string_view local;
    bool has_local = false;
    if (auto at = rest.find('@'); at != std::string_view::npos) {
        local = rest.substr(0, at);
        rest = rest.substr(at + 1);
        has_local = true;
    }
    if ((has_local && local.empty()) || (has_resource && resource.empty())) return std::nullopt;
    return from_parts(local, rest, resource);
}

std::optional<Jid> Jid::from_parts(std::string_view local, std::string_view domain,
                                   std::string_view resource) {
    Jid j;
    auto d = normalize_domain(domain);
    if (!d) return std::nullopt;
    j.domain_ = std::move(*d);
    if (!local.empty()) {
        auto l = normalize_local(local);
        if (!l) return std::nullopt;
        j.local_ = std::move(*l);
    }
    if (!resource.empty()) {
        auto r = normalize_resource(resource);
        if (!r) return std::nullopt;
        j.resource_ = std::move(*r);
    }
    return j;
}

Jid Jid::bare() const {
    Jid j;
    j.local_ = local_;
    j.domain_ = domain_;
    return j;
}

std::optional<Jid> Jid::with_resource(std::string_view resource) const {
    if (domain_.empty()) return std::nullopt;
    auto r = normalize_resource(resource);
    if (!r) return std::nullopt;
    Jid j = bare();
    j.resource_ = std::move(*r);
    return j;
}

std::string Jid::bare_string() const {
    std::string out;
    out.reserve(local_.size() + 1 + domain_.size());
    if (!local_.empty()) {
        out += local_;
        out += '@';
    }
    out += domain_;
    return out;
}

std::string Jid::full() const {
    std::string out;
    out.reserve(local_.size() + domain_.size() + resource_.size() + 2);
    if (!local_.empty()) {
        out += local_;
        out += '@';
    }
    out += domain_;
    if (!resource_.empty()) {
        out += '/';
        out += resource_;
    }
    return out;
}

}  // namespace xmpp
