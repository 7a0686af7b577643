// Contact addresses (XEP-0157) as pure code: the addresses a server's
// operators publish (abuse, admin, feedback, sales, security, support), the
// URIs they may be, and the XEP-0128 extended form of FORM_TYPE
// http://jabber.org/network/serverinfo that carries them in the server's
// disco#info. No I/O, no state: callable from any thread.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/element.hpp"

namespace xmpp::contact {

// One list per kind of address, in the order of `kinds` below.
struct Addresses {
    std::vector<std::string> abuse;
    std::vector<std::string> admin;
    std::vector<std::string> feedback;
    std::vector<std::string> sales;
    std::vector<std::string> security;
    std::vector<std::string> support;

    bool empty() const;
    friend bool operator==(const Addresses&, const Addresses&) = default;
};

struct Kind {
    std::string_view name;   // the configuration key: "abuse"
    std::string_view field;  // the form field: "abuse-addresses"
    std::vector<std::string> Addresses::*list;
};

inline const std::array<Kind, 6> kinds = {{
    {"abuse", "abuse-addresses", &Addresses::abuse},
    {"admin", "admin-addresses", &Addresses::admin},
    {"feedback", "feedback-addresses", &Addresses::feedback},
    {"sales", "sales-addresses", &Addresses::sales},
    {"security", "security-addresses", &Addresses::security},
    {"support", "support-addresses", &Addresses::support},
}};

inline constexpr std::size_t max_addresses = 16;      // per kind
inline constexpr std::size_t max_address_bytes = 512;

// A mailto:, xmpp: or https: URI with something after the scheme and no
// white space or control character (it goes into a form value as it is).
bool is_contact_uri(std::string_view uri);

// <x xmlns='jabber:x:data' type='result'> with the hidden FORM_TYPE and one
// list-multi field per kind that has addresses.
Element serverinfo_form(const Addresses& addresses);

}  // namespace xmpp::contact
