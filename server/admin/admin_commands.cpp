#include "server/admin/admin_commands.hpp"

#include <filesystem>
#include <iostream>

#include "auth/account_passwords.hpp"
#include "server/store/sqlite/database.hpp"
#include "server/store/sqlite/sqlite_account_store.hpp"
#include "server/admin/check_report.hpp"
#include "server/net/certificate_check.hpp"
#include "server/admin/control_protocol.hpp"
#include "server/accounts/stored_account_deletion.hpp"
#include "server/admin/certificate_import.hpp"
#include "server/admin/migration_commands.hpp"
#include "server/modules/modules.hpp"
#include "server/net/tls_context.hpp"
#include "xmpp/jid.hpp"

namespace server {

namespace {

// The account named on the command line, checked against the served hosts.
std::optional<xmpp::Jid> account_jid(const CommandLine& line, const conf::Config& config) {
    if (line.arguments.size() != 1) {
        std::cerr << "xmqd " << line.command << ": expected one JID (user@domain)\n";
        return std::nullopt;
    }
    auto jid = xmpp::Jid::parse(line.arguments[0]);
    if (!jid || jid->local().empty() || !jid->is_bare()) {
        std::cerr << "xmqd " << line.command << ": bad JID '" << line.arguments[0] << "' (expected user@domain)\n";
        return std::nullopt;
    }
    if (!config.serves_host(jid->domain())) {
        std::cerr << "xmqd " << line.command << ": unknown domain '" << jid->domain() << "' (not in the hosts of "
                  << config.source << ")\n";
        return std::nullopt;
    }
    return jid;
}

std::optional<std::string> read_password(const CommandLine& line) {
    std::string password;
    if (line.password) {
        password = *line.password;
    } else if (!std::getline(std::cin, password)) {
        std::cerr << "xmqd " << line.command << ": no password given (--password or a line on stdin)\n";
        return std::nullopt;
    }
    if (password.empty()) {
        std::cerr << "xmqd " << line.command << ": the password must not be empty\n";
        return std::nullopt;
    }
    return password;
}

// The SQLite file itself, not a store::Storage: the sub-command works on the
// file, whether a server runs next to it or not.
std::unique_ptr<store::Database> open_store(const conf::Config& config) {
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    auto db = store::Database::open(config.data_dir);
    if (!db) {
        std::cerr << "xmqd: storage: " << db.error() << "\n";
        return nullptr;
    }
    return std::move(db.value());
}

// The exit code and message for a store call's outcome on one account.
int report(auth::StoreStatus status, const CommandLine& line, const xmpp::Jid& jid, std::string_view done) {
    switch (status) {
    case auth::StoreStatus::ok:
        std::cout << done << " " << jid.bare_string() << "\n";
        return 0;
    case auth::StoreStatus::exists:
        std::cerr << "xmqd " << line.command << ": user " << jid.bare_string() << " exists\n";
        return 1;
    case auth::StoreStatus::not_found:
        std::cerr << "xmqd " << line.command << ": no such user " << jid.bare_string() << "\n";
        return 1;
    case auth::StoreStatus::error:
        break;
    }
    std::cerr << "xmqd " << line.command << ": storage error\n";
    return 1;
}

int add_user(const CommandLine& line, const conf::Config& config) {
    auto jid = account_jid(line, config);
    if (!jid) return 2;
    auto password = read_password(line);
    if (!password) return 2;
    auto db = open_store(config);
    if (!db) return 1;
    store::SqliteAccountStore accounts(*db);
    const auto status =
        auth::create_account(accounts, jid->local(), jid->domain(), *password, config.auth.scram_iterations);
    return report(status, line, *jid, "created");
}

// A running server does the deletion itself (its sessions end, online
// contacts are told); with none, the store is changed directly.
int delete_user(const CommandLine& line, const conf::Config& config) {
    auto jid = account_jid(line, config);
    if (!jid) return 2;
    const auto socket = control_socket_path(config);
    const ControlAnswer answer = ask_server(socket, "deluser " + jid->bare_string());
    switch (answer.kind) {
    case ControlAnswer::Kind::answered:
        if (answer.text == "ok") {
            std::cout << "deleted " << jid->bare_string()
                      << " (by the running server: its sessions ended, its contacts were told)\n";
            return 0;
        }
        std::cerr << "xmqd deluser: " << jid->bare_string() << ": "
                  << (answer.text.starts_with("error ") ? answer.text.substr(6) : answer.text) << "\n";
        return 1;
    case ControlAnswer::Kind::failed:
        std::cerr << "xmqd deluser: cannot ask the running server (" << socket.string() << "): " << answer.text
                  << "\n";
        return 1;
    case ControlAnswer::Kind::no_server:
        break;
    }
    auto db = open_store(config);
    if (!db) return 1;
    const StoredDeletion done = delete_account_in_store(*db, *jid);
    if (done.status != auth::StoreStatus::ok) return report(done.status, line, *jid, "deleted");
    std::cout << "deleted " << jid->bare_string() << " (no server running: from the store; " << done.contacts_changed
              << " contacts' rosters updated)\n";
    return 0;
}

int change_password(const CommandLine& line, const conf::Config& config) {
    auto jid = account_jid(line, config);
    if (!jid) return 2;
    auto password = read_password(line);
    if (!password) return 2;
    auto db = open_store(config);
    if (!db) return 1;
    store::SqliteAccountStore accounts(*db);
    const auto status =
        auth::change_password(accounts, jid->local(), jid->domain(), *password, config.auth.scram_iterations);
    return report(status, line, *jid, "password changed for");
}

int list_users(const CommandLine& line, const conf::Config& config) {
    std::string domain;
    if (line.arguments.size() > 1) {
        std::cerr << "xmqd users: expected at most one DOMAIN\n";
        return 2;
    }
    if (line.arguments.size() == 1) {
        auto normalized = xmpp::Jid::normalize_domain(line.arguments[0]);
        if (!normalized || !config.serves_host(*normalized)) {
            std::cerr << "xmqd users: unknown domain '" << line.arguments[0] << "'\n";
            return 2;
        }
        domain = *normalized;
    }
    auto db = open_store(config);
    if (!db) return 1;
    store::SqliteAccountStore accounts(*db);
    for (const auto& jid : accounts.list(domain)) std::cout << jid << "\n";
    return 0;
}

// External components (XEP-0114): where they connect and which domains
// they may serve; the secrets stay in the file.
void report_components(const conf::Config& config) {
    for (const conf::ListenerConfig& l : config.listeners) {
        if (l.kind != conf::ListenerKind::component) continue;
        const bool v6 = l.address.find(':') != std::string::npos;
        std::cout << config.source << ": component listener " << (v6 ? "[" : "") << l.address << (v6 ? "]" : "")
                  << ':' << l.port << "\n";
        const bool loopback = l.address == "127.0.0.1" || l.address == "::1" || l.address.starts_with("127.");
        if (!loopback)
            std::cerr << config.source << ": components: warning: the component listener on " << l.address
                      << " is reachable from other hosts; its streams are not encrypted\n";
    }
    for (const conf::ComponentConfig& c : config.components) {
        std::cout << config.source << ": component " << c.domain << " (secret set)\n";
        const auto dot = c.domain.find('.');
        if (dot == std::string::npos || !config.serves_host(std::string_view(c.domain).substr(dot + 1)))
            std::cerr << config.source << ": components: warning: " << c.domain
                      << " is not directly under a served host: no host's disco#items lists it\n";
    }
}

// Federation: off without an s2s listener; else where it listens and how it
// behaves (the dialback secret stays in the file).
void report_federation(const conf::Config& config) {
    if (!config.federates()) {
        std::cout << config.source << ": s2s: off (no s2s listener; other domains get remote-server-not-found)\n";
        return;
    }
    for (const conf::ListenerConfig& l : config.listeners) {
        if (l.kind != conf::ListenerKind::s2s) continue;
        const bool v6 = l.address.find(':') != std::string::npos;
        std::cout << config.source << ": s2s listener " << (v6 ? "[" : "") << l.address << (v6 ? "]" : "") << ':'
                  << l.port << "\n";
    }
    const conf::S2sConfig& s = config.s2s;
    std::cout << config.source << ": s2s: dialback (XEP-0220), TLS " << (s.require_tls ? "required" : "optional")
              << ", resolve_timeout " << s.resolve_timeout.count() << " s, connect_timeout "
              << s.connect_timeout.count() << " s, idle_timeout " << s.idle_timeout.count() << " s\n";
    if (s.dialback_secret.empty())
        std::cerr << config.source << ": s2s: warning: no s2s.dialback_secret: a random one is made at each start, "
                  << "so dialback keys issued before a restart are refused after it\n";
    if (!s.require_tls)
        std::cerr << config.source << ": s2s: warning: s2s.require_tls is off: streams to and from other servers "
                  << "may be unencrypted\n";
}

int check(const conf::Config& config) {
    auto tls = make_tls_context(config);
    if (!tls) {
        std::cerr << config.source << ": tls: " << tls.error() << "\n";
        return 1;
    }
    // Warnings, not errors: the server starts, but clients will object.
    for (const auto& w : served_certificate_warnings(config))
        std::cerr << config.source << ": tls: warning: " << w << "\n";
    report_components(config);
    report_federation(config);
    std::cout << config.source << ": configuration OK\n";
    report_external_services(config, std::cout, std::cerr);
    report_contact_addresses(config, std::cout);
    report_http_upload(config, modules::builtin_modules().catalog(), std::cout);
    return 0;
}

int certificate_command(const CommandLine& line, const conf::Config& config) {
    if (line.arguments.size() < 2 || line.arguments[0] != "import") {
        std::cerr << "xmqd cert: expected: cert import DIR...\n";
        return 2;
    }
    const std::vector<std::string> dirs(line.arguments.begin() + 1, line.arguments.end());
    return import_certificates(config, dirs, std::cout, std::cerr);
}

// The queues live in the running server's memory: only it can say.
int show_queues(const conf::Config& config) {
    const auto socket = control_socket_path(config);
    const ControlAnswer answer = ask_server(socket, "queues");
    switch (answer.kind) {
    case ControlAnswer::Kind::answered:
        std::cout << answer.text << "\n";
        return 0;
    case ControlAnswer::Kind::failed:
        std::cerr << "xmqd queues: cannot ask the running server (" << socket.string() << "): " << answer.text
                  << "\n";
        return 1;
    case ControlAnswer::Kind::no_server:
        break;
    }
    std::cerr << "xmqd queues: no server is running on " << config.data_dir << " (nothing answers on "
              << socket.string() << ")\n";
    return 1;
}

}  // namespace

bool is_admin_command(const std::string& command) {
    return command == "adduser" || command == "deluser" || command == "passwd" || command == "users" ||
           command == "check" || command == "cert" || command == "import" || command == "export" ||
           command == "queues";
}

int run_admin_command(const CommandLine& line, const conf::Config& config) {
    if (line.command == "adduser") return add_user(line, config);
    if (line.command == "deluser") return delete_user(line, config);
    if (line.command == "passwd") return change_password(line, config);
    if (line.command == "users") return list_users(line, config);
    if (line.command == "queues") return show_queues(config);
    if (line.command == "cert") return certificate_command(line, config);
    if (line.command == "import") return migration::run_import(line, config);
    if (line.command == "export") return migration::run_export(line, config);
    return check(config);
}

}  // namespace server
