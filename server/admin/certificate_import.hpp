// `xmqd cert import DIR...`: takes each served host's certificate from a
// Let's Encrypt (certbot) tree or a directory of files and installs it where
// the server looks for host certificates (data_dir/certs/<host>.crt and .key,
// see tls_context.hpp), the way `prosodyctl cert import` does.
//
// For each host, the first DIR that has one of
//   DIR/<host>/fullchain.pem + privkey.pem
//   DIR/live/<host>/fullchain.pem + privkey.pem
//   DIR/<host>.crt + <host>.key
// is used. A pair is installed only when the key matches the certificate,
// the certificate covers the host and has not expired. Files are replaced
// atomically (written to a temporary file in the same directory, then
// renamed), the key with mode 0600 and the certificate 0644, owned by the
// owner of data_dir when run as root, so a running server never reads half
// a file and its user can read the key. The running server serves them after
// a reload (SIGHUP, `systemctl reload xmqd`); this command does not signal it
// (it has no way to know which process that is). Runs in the admin command,
// single-threaded.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "conf/config.hpp"

namespace server {

// Reports on `out` (what was imported) and `err` (what was refused or not
// found). Exit code: 0 when at least one host's certificate was found and
// none was refused, 1 otherwise.
int import_certificates(const conf::Config& config, const std::vector<std::string>& dirs, std::ostream& out,
                        std::ostream& err);

}  // namespace server
