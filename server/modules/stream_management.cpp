// Module "stream_management", Stream Management (XEP-0198, urn:xmpp:sm:3):
// the switch, the options and the advertisement; the c2s does the work
// (server/c2s/c2s_stream_management.cpp, bound_session.hpp). On, it makes
// the StreamManagement the c2s finds (server/c2s/stream_management.hpp),
// with its settings from [modules.stream_management], and offers <sm/> in
// the stream features after authentication. Off, there is no <sm/> and a
// client's nonzas of urn:xmpp:sm:3 get the stream error
// unsupported-stanza-type.
//
// Options (names after Prosody's mod_smacks and ejabberd's mod_stream_mgmt):
//   max_resume_seconds         how long a session whose connection is lost
//                              waits for <resume/>; a client's 'max' may ask
//                              for less, never more (600)
//   ack_after_stanzas          the server asks for an ack (<r/>) once this
//                              many stanzas are unacknowledged (5; 0: only
//                              by time)
//   ack_after_seconds          ... or once unacknowledged output is this old (30)
//   max_hibernated_per_account hibernated sessions an account keeps; one
//                              more ends its oldest (10)
// Unacknowledged messages of a session that ends (its resumption time
// passed, it was evicted, the server stops) go to offline storage.
#include "server/c2s/stream_management.hpp"
#include "server/modules/modules.hpp"
#include "xmpp/namespaces.hpp"

namespace server::modules {

namespace {

void load_stream_management(ModuleHost& host, Services&, const conf::ModuleOptions& options) {
    auto sm = host.shared<StreamManagement>([] { return std::make_shared<StreamManagement>(); });
    sm->settings.max_resume = std::chrono::seconds(options.integer("max_resume_seconds"));
    sm->settings.ack_requests.after_stanzas = static_cast<std::uint32_t>(options.integer("ack_after_stanzas"));
    sm->settings.ack_requests.after = std::chrono::seconds(options.integer("ack_after_seconds"));
    sm->settings.max_hibernated_per_account = static_cast<std::size_t>(options.integer("max_hibernated_per_account"));
    host.add_stream_feature(xmpp::Element("sm", std::string(xmpp::ns::sm)));
}

}  // namespace

Module stream_management_module() {
    return {
        .schema = {.name = "stream_management",
                   .options = {{"max_resume_seconds", 600, 1, 86400},
                               {"ack_after_stanzas", 5, 0, 100000},
                               {"ack_after_seconds", 30, 1, 3600},
                               {"max_hibernated_per_account", 10, 1, 1000}}},
        .protocols = {{"XEP-0198", "Stream Management"}},
        .needs = {Service::router, Service::sessions},
        .load = load_stream_management,
    };
}

}  // namespace server::modules
