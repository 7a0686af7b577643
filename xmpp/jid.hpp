// Jid: an XMPP address per RFC 7622, parsed and normalised.
//
// Localpart and resourcepart go through libidn's XMPP stringprep profiles
// (Nodeprep, Resourceprep), the domain through IDNA (ToASCII then lower case,
// a trailing dot removed). Each part is at most 1023 bytes; an empty part
// where one is required, a bad character or an over-long part makes parse()
// fail. Immutable value type; no thread affinity (libidn is reentrant).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace xmpp {

class Jid {
public:
    Jid() = default;

    // Parses and normalises "local@domain/resource" (local and resource optional).
    static std::optional<Jid> parse(std::string_view text);
    // Builds from parts, normalising each; fails like parse().
    static std::optional<Jid> from_parts(std::string_view local, std::string_view domain,
                                         std::string_view resource = {});

    // Normalisers for a single part; nullopt when invalid.
    static std::optional<std::string> normalize_local(std::string_view local);
    static std::optional<std::string> normalize_domain(std::string_view domain);
    static std::optional<std::string> normalize_resource(std::string_view resource);

    const std::string& local() const { return local_; }
    const std::string& domain() const { return domain_; }
    const std::string& resource() const { return resource_; }
    bool empty() const { return domain_.empty(); }
    bool is_bare() const { return resource_.empty(); }

    Jid bare() const;
    // This JID with another (already normalised or to-be-normalised) resource.
    std::optional<Jid> with_resource(std::string_view resource) const;

    std::string bare_string() const;   // local@domain or domain
    std::string full() const;          // with /resource when present

    friend bool operator==(const Jid&, const Jid&) = default;
    friend auto operator<=>(const Jid&, const Jid&) = default;

private:
    std::string local_;
    std::string domain_;
    std::string resource_;
};

}  // namespace xmpp
