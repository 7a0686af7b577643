#include "server/admin/check_report.hpp"

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

}  // namespace server
