// What `xmqd check` says about the settings that clients are told of, so
// that an operator sees what the server will advertise before it runs: the
// STUN and TURN servers of [[external_services]] (XEP-0215), whether each
// hands out credentials and for how long (never the secret), and the
// contact addresses of [contact_addresses] (XEP-0157); and a warning for a
// shared secret short enough to guess (its length only); and the URLs and
// limits of HTTP file upload (XEP-0363). Pure text from a
// loaded Config; any thread.
#pragma once

#include <ostream>

#include "conf/config.hpp"

namespace server {

// A secret shorter than this gets a warning (coturn takes any string).
inline constexpr std::size_t kShortTurnSecret = 16;

void report_external_services(const conf::Config& config, std::ostream& out, std::ostream& warnings);
void report_contact_addresses(const conf::Config& config, std::ostream& out);
// HTTP file upload (XEP-0363, module http_upload, as `catalog` declares it):
// off, or where its URLs point and its limits.
void report_http_upload(const conf::Config& config, const conf::ModuleCatalog& catalog, std::ostream& out);

}  // namespace server
