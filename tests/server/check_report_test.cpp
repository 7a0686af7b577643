// What `xmqd check` says about [[external_services]] and [contact_addresses]:
// every service with its address and whether it hands out credentials, the
// secret never (only a warning naming its length when it is short).
#include <doctest/doctest.h>

#include <sstream>

#include "server/admin/check_report.hpp"
#include "server/modules/modules.hpp"

TEST_CASE("check report: nothing configured says none") {
    std::ostringstream out, warnings;
    const conf::Config config = conf::default_config();
    server::report_external_services(config, out, warnings);
    server::report_contact_addresses(config, out);
    CHECK(out.str() == "external services (XEP-0215): none\ncontact addresses (XEP-0157): none\n");
    CHECK(warnings.str().empty());
}

TEST_CASE("check report: the services and addresses, never the secret") {
    conf::Config config = conf::default_config();
    config.source = "xmqd.toml";
    xmpp::extdisco::Service stun;
    stun.host = "turn.example.org";
    xmpp::extdisco::Service turn;
    turn.type = xmpp::extdisco::ServiceType::turn;
    turn.host = "2001:db8::7";
    turn.transport = xmpp::extdisco::Transport::tcp;
    turn.name = "Relay";
    turn.secret = "short-secret";
    turn.credentials_ttl = 600;
    config.external_services = {stun, turn};
    config.contact_addresses.abuse = {"mailto:abuse@example.org"};
    config.contact_addresses.support = {"xmpp:support@example.org"};
    std::ostringstream out, warnings;
    server::report_external_services(config, out, warnings);
    server::report_contact_addresses(config, out);
    CHECK(out.str() ==
          "external services (XEP-0215):\n"
          "  stun turn.example.org:3478 udp, no credentials\n"
          "  turn [2001:db8::7]:3478 tcp \"Relay\", credentials valid 600 s (shared secret set)\n"
          "contact addresses (XEP-0157):\n"
          "  abuse: mailto:abuse@example.org\n"
          "  support: xmpp:support@example.org\n");
    CHECK(warnings.str().find("xmqd.toml: external_services: warning: the secret of turn 2001:db8::7 is 12 characters") ==
          0);
    CHECK(out.str().find("short-secret") == std::string::npos);
    CHECK(warnings.str().find("short-secret") == std::string::npos);

    config.external_services[1].secret = std::string(32, 'k');
    std::ostringstream again, none;
    server::report_external_services(config, again, none);
    CHECK(none.str().empty());
}

TEST_CASE("check report: HTTP file upload, its URLs and limits, or why it is off") {
    const conf::ModuleCatalog& catalog = server::modules::builtin_modules().catalog();
    conf::Config config = conf::default_config();
    config.modules.options["http_upload"] = {{"max_file_size", 5000}, {"quota_per_host", 0}, {"expiry_days", 0}};
    std::ostringstream out;
    server::report_http_upload(config, catalog, out);
    CHECK(out.str() ==
          "http file upload (XEP-0363):\n"
          "  upload.localhost: https://localhost:5443/upload/...\n"
          "  max file size 5000 bytes, quota per account 1073741824 bytes, per host none\n"
          "  files kept until their account is deleted, slots valid 300 s, stored under data/upload\n");
    config.http.upload_url = "https://files.example.org/xmpp";
    out.str("");
    server::report_http_upload(config, catalog, out);
    CHECK(out.str().find("  upload.localhost: https://files.example.org/xmpp/upload/...\n") != std::string::npos);
    config.listeners.clear();
    config.http.upload_url.clear();
    out.str("");
    server::report_http_upload(config, catalog, out);
    CHECK(out.str() == "http file upload (XEP-0363): off (no http or https listener, no http.upload_url)\n");
    config.modules.disabled = {"http_upload"};
    out.str("");
    server::report_http_upload(config, catalog, out);
    CHECK(out.str() == "http file upload (XEP-0363): off (module http_upload not running)\n");
}
