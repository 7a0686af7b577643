#include "server/admin/check_report.hpp"

#include "server/modules/http_upload_service.hpp"

namespace server {

void report_external_services(const conf::Config& config, std::ostream& out, std::ostream& warnings) {
    if (config.external_services.empty()) {
        out << "external services (XEP-0215): none\n";
        return;
    }
    out << "external services (XEP-0215):\n";
    for (const auto& s : config.external_services) {
        const bool ipv6 = s.host.find(':') != std::string::npos;
        out << "  " << xmpp::extdisco::to_string(s.type) << ' ' << (ipv6 ? "[" : "") << s.host << (ipv6 ? "]" : "")
            << ':' << s.port << ' ' << xmpp::extdisco::to_string(s.transport);
        if (!s.name.empty()) out << " \"" << s.name << '"';
        if (s.restricted())
            out << ", credentials valid " << s.credentials_ttl << " s (shared secret set)";
        else
            out << ", no credentials";
        out << '\n';
        if (s.restricted() && s.secret.size() < kShortTurnSecret)
            warnings << config.source << ": external_services: warning: the secret of " << xmpp::extdisco::to_string(s.type) << ' '
                     << s.host << " is " << s.secret.size() << " characters long; a long random one (openssl rand "
                     << "-hex 32) cannot be guessed from the credentials users see\n";
    }
}

void report_contact_addresses(const conf::Config& config, std::ostream& out) {
    if (config.contact_addresses.empty()) {
        out << "contact addresses (XEP-0157): none\n";
        return;
    }
    out << "contact addresses (XEP-0157):\n";
    for (const auto& kind : xmpp::contact::kinds)
        for (const auto& address : config.contact_addresses.*kind.list)
            out << "  " << kind.name << ": " << address << '\n';
}

void report_http_upload(const conf::Config& config, const conf::ModuleCatalog& catalog, std::ostream& out) {
    const conf::ModuleSchema* module = conf::find_module(catalog, "http_upload");
    if (!module || !config.modules.is_on(*module)) {
        out << "http file upload (XEP-0363): off (module http_upload not running)\n";
        return;
    }
    const auto urls = upload::base_urls(config);
    if (urls.empty()) {
        out << "http file upload (XEP-0363): off (no http or https listener, no http.upload_url)\n";
        return;
    }
    const conf::ModuleOptions options = conf::options_of(*module, config.modules);
    auto bytes = [](std::int64_t n) { return n == 0 ? std::string("none") : std::to_string(n) + " bytes"; };
    out << "http file upload (XEP-0363):\n";
    for (const auto& [host, url] : urls)
        out << "  upload." << host << ": " << url << upload::kPathPrefix << "...\n";
    out << "  max file size " << options.integer("max_file_size") << " bytes, quota per account "
        << bytes(options.integer("quota_per_account")) << ", per host " << bytes(options.integer("quota_per_host"))
        << "\n  files kept ";
    if (const auto days = options.integer("expiry_days"))
        out << days << " days";
    else
        out << "until their account is deleted";
    out << ", slots valid " << options.integer("slot_lifetime") << " s, stored under " << config.data_dir
        << "/upload\n";
}

}  // namespace server
