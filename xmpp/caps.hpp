// Entity capabilities (XEP-0115) as pure code: the disco#info result as a
// value (identities, features, XEP-0128 extended forms), checked for what
// §5.4 calls ill-formed; the verification string of §5.1 and its hash with
// the algorithm the 'hash' attribute names; the <c/> element of a presence
// or of stream features. No I/O, no state: callable from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/element.hpp"
#include "xmpp/result.hpp"

namespace xmpp::caps {

struct Identity {
    std::string category;
    std::string type;
    std::string lang;  // xml:lang, empty when absent
    std::string name;
    friend bool operator==(const Identity&, const Identity&) = default;
};

struct FormField {
    std::string var;
    std::vector<std::string> values;
};

// A XEP-0128 extended information form: its FORM_TYPE and its other fields.
struct Form {
    std::string form_type;
    std::vector<FormField> fields;
};

// What a disco#info result says about an entity.
struct DiscoInfo {
    std::vector<Identity> identities;
    std::vector<std::string> features;
    std::vector<Form> forms;

    bool has_feature(std::string_view var) const;
};

// Bounds on a disco#info result taken from a client: a cache entry stays small.
inline constexpr std::size_t max_identities = 64;
inline constexpr std::size_t max_features = 1024;
inline constexpr std::size_t max_forms = 16;
inline constexpr std::size_t max_fields = 64;  // per form
inline constexpr std::size_t max_values = 64;  // per field

// The <query xmlns='disco#info'/> of a result, or why it is ill-formed (§5.4:
// two identical identities, two identical features, two forms with one
// FORM_TYPE, a FORM_TYPE with differing values; beyond the bounds above).
// A form without a FORM_TYPE field is left out, as §5.4 says; one whose
// FORM_TYPE is not marked hidden is kept, as the generating clients hash it.
Result<DiscoInfo, std::string> parse_disco_info(const Element& query);

// The disco#info <query/> of `info` (no node).
Element to_element(const DiscoInfo& info);

// S of §5.1: identities, features, then forms, each sorted by octets.
std::string verification_string(const DiscoInfo& info);

// Whether `hash` (an IANA hash name, "sha-1") is one this server computes.
bool supports_hash(std::string_view hash);

// Base64 of the `hash` digest of `info`'s verification string; nullopt when
// the hash is not supported.
std::optional<std::string> ver(const DiscoInfo& info, std::string_view hash);

// The caps annotation of a presence (or of stream features).
struct Caps {
    std::string hash;
    std::string node;
    std::string ver;
    friend bool operator==(const Caps&, const Caps&) = default;
};

// Bounds on the attributes of a <c/> taken from a client.
inline constexpr std::size_t max_node_bytes = 1024;
inline constexpr std::size_t max_ver_bytes = 128;

// The <c xmlns='http://jabber.org/protocol/caps'/> child of `stanza`, when it
// has 'hash', 'node' and 'ver' (the legacy form without 'hash', §7, and its
// 'ext' are ignored) within the bounds above.
std::optional<Caps> parse(const Element& stanza);

Element to_element(const Caps& caps);

}  // namespace xmpp::caps
