// Certificate checks for `xmqd check` (and the start-up log): the warnings an
// operator needs before clients see them — a certificate that has expired or
// is not valid yet, and served hosts that the certificate does not name
// (subjectAltName DNS entries, wildcards included, per RFC 6125; the CN only
// when there is no DNS subjectAltName). Pure function of the file and the
// clock; any thread.
//
// served_certificate_warnings() checks every certificate a config serves
// (the default pair and each host's own, tls_context.hpp) against the hosts
// it is served for.
#pragma once

#include <openssl/types.h>

#include <ctime>
#include <string>
#include <vector>

#include "conf/config.hpp"

namespace server {

// One line per problem, empty when none. An unreadable file gives one line
// saying so (make_tls_context() reports it as an error anyway).
std::vector<std::string> certificate_warnings(const std::string& certificate_path,
                                              const std::vector<std::string>& hosts,
                                              std::time_t now = std::time(nullptr));

// Each warning prefixed with nothing more: the paths are in the text.
std::vector<std::string> served_certificate_warnings(const conf::Config& config,
                                                     std::time_t now = std::time(nullptr));

// "Nov 21 09:11:03 2027 GMT", or "?" when OpenSSL cannot print it.
std::string asn1_time_text(const ASN1_TIME* t);

}  // namespace server
