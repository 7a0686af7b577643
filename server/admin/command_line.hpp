// The xmqd command line: sub-command, -c/--config and the options of the
// admin sub-commands. Parsing only; main.cpp runs what it says.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "xmpp/result.hpp"

namespace server {

struct CommandLine {
    std::string command = "run";
    std::optional<std::string> config_path;
    std::optional<std::string> password;
    bool features = false;
    bool replace = false;                  // import: overwrite existing accounts
    std::optional<std::string> output;     // export: -o/--output FILE
    std::vector<std::string> arguments;  // positional, after the sub-command
};

xmpp::Result<CommandLine, std::string> parse_command_line(int argc, char** argv);
std::string usage();

// -c when given, else ./xmqd.toml, else /etc/xmqd/xmqd.toml, else none
// (the embedded defaults).
std::optional<std::string> resolve_config_path(const CommandLine& line);

}  // namespace server
