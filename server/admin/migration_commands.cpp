#include "server/admin/migration_commands.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "server/admin/control_protocol.hpp"
#include "server/migration/piefxis_document.hpp"
#include "server/migration/piefxis_export.hpp"
#include "server/migration/piefxis_import.hpp"
#include "server/migration/piefxis_reader.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/datetime.hpp"

namespace server::migration {

namespace {

// The SQLite file itself, not a store::Storage: the import is one SQLite
// transaction (piefxis_import.hpp).
std::unique_ptr<store::Database> open_store(const conf::Config& config, const std::string& command) {
    auto db = store::Database::open(config.data_dir);
    if (!db) {
        std::cerr << "xmqd " << command << ": storage: " << db.error() << "\n";
        return nullptr;
    }
    return std::move(db.value());
}

// Whole files, checked, merged: nothing is written before every file reads well.
xmpp::Result<PieData, std::string> read_files(const std::vector<std::string>& files) {
    PieData all;
    for (const auto& file : files) {
        auto root = load_pie_file(file);
        if (!root) return xmpp::fail(root.error());
        auto data = read_pie(root.value());
        if (!data) return xmpp::fail(file + ": " + data.error());
        if (auto err = merge_pie(all, std::move(data.value()))) return xmpp::fail(file + ": " + *err);
    }
    return all;
}

}  // namespace

int run_import(const CommandLine& line, const conf::Config& config) {
    if (line.arguments.empty()) {
        std::cerr << "xmqd import: expected one or more XEP-0227 files\n";
        return 2;
    }
    auto data = read_files(line.arguments);
    if (!data) {
        std::cerr << "xmqd import: " << data.error() << "\nxmqd import: nothing was imported\n";
        return 1;
    }
    const auto socket = control_socket_path(config);
    if (ask_server(socket, "ping").kind != ControlAnswer::Kind::no_server) {
        std::cerr << "xmqd import: a server is running on " << config.data_dir << " (" << socket.string()
                  << "): stop it first; nothing was imported\n";
        return 1;
    }
    auto db = open_store(config, "import");
    if (!db) return 1;
    ImportOptions options;
    options.replace = line.replace;
    options.scram_iterations = config.auth.scram_iterations;
    options.now = xmpp::unix_seconds_now();
    auto counts = import_pie(*db, data.value(), config, options);
    if (!counts) {
        std::cerr << "xmqd import: " << counts.error() << "\n";
        return 1;
    }
    for (const auto& n : data->notes) std::cerr << "xmqd import: " << n << "\n";
    for (const auto& m : counts->messages) std::cerr << "xmqd import: " << m << "\n";
    const ImportCounts& c = counts.value();
    std::cout << "imported " << c.users << " users (" << c.replaced << " replaced), " << c.contacts
              << " roster entries, " << c.vcards << " vCards, " << c.private_documents << " private XML documents, "
              << c.offline_messages << " offline messages, " << c.blocked << " blocked JIDs, " << c.archived_messages
              << " archived messages, " << c.pep_nodes << " PEP nodes with " << c.pep_items << " items; skipped "
              << c.skipped_existing << " existing users and " << c.skipped_other_hosts
              << " users of hosts not served\n";
    if (c.without_sha256 > 0 && config.auth.allow_scram_sha256) {
        std::cerr << "xmqd import: " << c.without_sha256
                  << " accounts have SCRAM-SHA-1 secrets only: clients that choose SCRAM-SHA-256 cannot log in to "
                     "them; set auth.allow_scram_sha256 = false in "
                  << config.source << " (until their passwords are set anew)\n";
    }
    return 0;
}

int run_export(const CommandLine& line, const conf::Config& config) {
    std::vector<std::string> domains;
    for (const auto& arg : line.arguments) {
        auto d = xmpp::Jid::normalize_domain(arg);
        if (!d || !config.serves_host(*d)) {
            std::cerr << "xmqd export: unknown host '" << arg << "' (not in the hosts of " << config.source << ")\n";
            return 2;
        }
        domains.push_back(*d);
    }
    if (domains.empty())
        for (const auto& h : config.hosts) domains.push_back(h.domain);
    auto db = open_store(config, "export");
    if (!db) return 1;

    if (!line.output) {
        auto counts = export_pie(*db, domains, std::cout);
        if (!counts) {
            std::cerr << "xmqd export: " << counts.error() << "\n";
            return 1;
        }
        std::cerr << "exported " << counts->users << " users\n";
        return 0;
    }
    const std::filesystem::path target(*line.output);
    const std::filesystem::path tmp = target.string() + ".tmp";
    // Created 0600 before anything is written: the export holds SCRAM secrets.
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        std::cerr << "xmqd export: cannot create " << tmp.string() << "\n";
        return 1;
    }
    ::close(fd);
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    auto counts = export_pie(*db, domains, out);
    out.close();
    std::error_code ec;
    if (!counts || !out) {
        std::cerr << "xmqd export: " << (counts ? "cannot write " + tmp.string() : counts.error()) << "\n";
        std::filesystem::remove(tmp, ec);
        return 1;
    }
    std::filesystem::rename(tmp, target, ec);
    if (ec) {
        std::cerr << "xmqd export: cannot rename " << tmp.string() << " to " << target.string() << ": "
                  << ec.message() << "\n";
        return 1;
    }
    std::cerr << "exported " << counts->users << " users, " << counts->contacts << " roster entries, "
              << counts->offline_messages << " offline messages, " << counts->archived_messages
              << " archived messages, " << counts->pep_nodes << " PEP nodes with " << counts->pep_items
              << " items to " << target.string() << "\n";
    return 0;
}

}  // namespace server::migration
