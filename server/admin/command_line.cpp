#include "server/admin/command_line.hpp"

#include <filesystem>

namespace server {

xmpp::Result<CommandLine, std::string> parse_command_line(int argc, char** argv) {
    CommandLine line;
    bool command_seen = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&](const std::string& name) -> std::optional<std::string> {
            if (i + 1 >= argc) return std::nullopt;
            (void)name;
            return std::string(argv[++i]);
        };
        if (arg == "-h" || arg == "--help" || arg == "help") {
            line.command = "help";
            return line;
        } else if (arg == "-c" || arg == "--config") {
            auto v = value(arg);
            if (!v) return xmpp::fail(arg + " needs a file name");
            line.config_path = *v;
        } else if (arg.rfind("--config=", 0) == 0) {
            line.config_path = arg.substr(9);
        } else if (arg == "--password") {
            auto v = value(arg);
            if (!v) return xmpp::fail(std::string("--password needs a value"));
            line.password = *v;
        } else if (arg == "--features") {
            line.features = true;
        } else if (arg == "--replace") {
            line.replace = true;
        } else if (arg == "-o" || arg == "--output") {
            auto v = value(arg);
            if (!v) return xmpp::fail(arg + " needs a file name");
            line.output = *v;
        } else if (!arg.empty() && arg[0] == '-') {
            return xmpp::fail("unknown option " + arg);
        } else if (!command_seen) {
            line.command = arg;
            command_seen = true;
        } else {
            line.arguments.push_back(arg);
        }
    }
    return line;
}

std::string usage() {
    return "usage: xmqd [COMMAND] [-c FILE] [ARGS]\n"
           "\n"
           "commands:\n"
           "  run                 run the server (the default)\n"
           "  check               validate the configuration, certificate and key\n"
           "  adduser JID         create an account (password from --password or stdin)\n"
           "  deluser JID         delete an account and all its data; its contacts are told\n"
           "  passwd JID          set an account's password (--password or stdin)\n"
           "  users [DOMAIN]      list accounts\n"
           "  queues              the running server's XMQ queues: consumers, topics, held,\n"
           "                      unacknowledged, redelivered, dead-lettered, expired\n"
           "  cert import DIR...  install each host's certificate and key from a Let's Encrypt\n"
           "                      tree (DIR/live/HOST/fullchain.pem, privkey.pem) or DIR/HOST.crt,\n"
           "                      .key into data_dir/certs; then reload the server (SIGHUP)\n"
           "  import FILE... [--replace]  import users from XEP-0227 files (ejabberdctl export_piefxis,\n"
           "                      prosody-migrator's xep0227 output, xmqd export); existing users are\n"
           "                      skipped unless --replace; the server must be stopped\n"
           "  export [HOST...] [-o FILE]  write every user of the served hosts (or HOSTs) as XEP-0227,\n"
           "                      with SCRAM secrets, to stdout or FILE (mode 0600)\n"
           "  version [--features] print the version, and the protocols implemented\n"
           "\n"
           "options:\n"
           "  -c, --config FILE   configuration file (default ./xmqd.toml, then /etc/xmqd/xmqd.toml,\n"
           "                      else the embedded defaults)\n"
           "  --password PW       password for adduser/passwd\n"
           "  -h, --help          this text\n";
}

std::optional<std::string> resolve_config_path(const CommandLine& line) {
    if (line.config_path) return line.config_path;
    for (const char* candidate : {"xmqd.toml", "/etc/xmqd/xmqd.toml"})
        if (std::filesystem::exists(candidate)) return std::string(candidate);
    return std::nullopt;
}

}  // namespace server
