// xmqd: the XMPP server with built-in message-broker queues. One binary: the
// server itself (`xmqd` or `xmqd run`) and its admin sub-commands.
#include <csignal>
#include <iostream>

#include "conf/config.hpp"
#include "server/admin/admin_commands.hpp"
#include "server/admin/command_line.hpp"
#include "server/modules/modules.hpp"
#include "server/server.hpp"
#include "server/system/version.hpp"

namespace {

int print_version(const server::CommandLine& line) {
    std::cout << "xmqd " << server::xmqd_version << "\n";
    if (!line.features) return 0;
    // The protocol list comes from the modules' own declarations.
    for (const auto& module : server::modules::builtin_modules().modules())
        for (const auto& p : module.protocols)
            std::cout << "| " << p.spec << " | " << p.title << " | "
                      << (p.served_by.empty() ? module.schema.name : p.served_by) << " |\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    auto line = server::parse_command_line(argc, argv);
    if (!line) {
        std::cerr << "xmqd: " << line.error() << "\n\n" << server::usage();
        return 2;
    }
    if (line->command == "help") {
        std::cout << server::usage();
        return 0;
    }
    if (line->command == "version") return print_version(*line);
    if (line->command != "run" && !server::is_admin_command(line->command)) {
        std::cerr << "xmqd: unknown command '" << line->command << "'\n\n" << server::usage();
        return 2;
    }

    auto path = server::resolve_config_path(*line);
    std::shared_ptr<const conf::Config> config;
    if (path) {
        auto loaded = conf::load_config_file(*path, server::modules::builtin_modules().catalog());
        if (!loaded) {
            for (const auto& e : loaded.error()) std::cerr << e.to_string() << "\n";
            return 1;
        }
        config = std::make_shared<const conf::Config>(std::move(loaded.value()));
    } else {
        config = std::make_shared<const conf::Config>(conf::default_config());
    }

    if (server::is_admin_command(line->command)) return server::run_admin_command(*line, *config);
    try {
        server::Server server(config, path.value_or(""));
        return server.run();
    } catch (const std::exception& e) {
        std::cerr << "xmqd: " << e.what() << "\n";
        return 1;
    }
}
