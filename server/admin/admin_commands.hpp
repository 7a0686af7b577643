// The admin sub-commands (adduser, deluser, passwd, users, check, cert import). They work
// on the same store as a running server (SQLite allows it) and print errors
// on stderr; each returns the process exit code.
#pragma once

#include <optional>
#include <string>

#include "conf/config.hpp"
#include "server/admin/command_line.hpp"

namespace server {

int run_admin_command(const CommandLine& line, const conf::Config& config);
bool is_admin_command(const std::string& command);

}  // namespace server
