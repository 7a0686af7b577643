// External Service Discovery (XEP-0215, urn:xmpp:extdisco:2) as pure code:
// the STUN and TURN servers a host tells its users about, the time-limited
// TURN credentials of the "REST API" form that coturn checks with
// `use-auth-secret` (username = "EXPIRY[:USER]", password =
// base64(HMAC-SHA1(secret, username))), and the answers to a <services/> or
// <credentials/> request. The secret never leaves a Service except as the
// HMAC it keys. No I/O, no state: callable from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/element.hpp"
#include "xmpp/errors.hpp"
#include "xmpp/result.hpp"

namespace xmpp::extdisco {

enum class ServiceType { stun, turn, turns };
enum class Transport { udp, tcp };

std::string_view to_string(ServiceType);
std::string_view to_string(Transport);

// One configured service ([[external_services]] in the configuration).
struct Service {
    ServiceType type = ServiceType::stun;
    std::string host;  // a domain name or an IP address, as clients are to reach it
    std::uint16_t port = 3478;
    Transport transport = Transport::udp;
    std::string name;    // shown to users; empty: none
    // The TURN server's shared secret (coturn static-auth-secret). Set: the
    // service is restricted and answers carry credentials made with it.
    std::string secret;
    unsigned credentials_ttl = 86400;  // seconds a credential stays valid

    bool restricted() const { return !secret.empty(); }

    friend bool operator==(const Service&, const Service&) = default;
};

struct Credentials {
    std::string username;
    std::string password;
    std::int64_t expires = 0;  // Unix seconds
};

// base64(HMAC-SHA1(secret, username)): what coturn computes for a username
// under use-auth-secret.
std::string turn_password(std::string_view secret, std::string_view username);

// Credentials valid until now + ttl; `user` (may be empty) follows the
// expiry after a colon, for the TURN server's logs and quotas.
Credentials make_credentials(std::string_view secret, std::int64_t now, unsigned ttl, std::string_view user);

// The <services/> result for a request payload (<services/>, optionally with
// a 'type' to select), listing the matching services; restricted ones carry
// fresh credentials for `user`. bad-request for an empty 'type'.
Result<Element, StanzaError> answer_services(const Element& request, const std::vector<Service>& services,
                                            std::int64_t now, std::string_view user);

// The <credentials/> result for a request payload (<credentials><service
// host='...' type='...' [port='...']/></credentials>): the restricted service
// that matches, with fresh credentials. bad-request when the request names
// no single service with a host and a type (or a port that is not one);
// item-not-found when no restricted service matches.
Result<Element, StanzaError> answer_credentials(const Element& request, const std::vector<Service>& services,
                                               std::int64_t now, std::string_view user);

}  // namespace xmpp::extdisco
