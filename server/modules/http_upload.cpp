// Module "http_upload", HTTP File Upload (XEP-0363, urn:xmpp:http:upload:0):
// a service upload.HOST for every served host, listed in the host's
// disco#items, that hands the host's users slots: a signed PUT URL (valid
// slot_lifetime seconds, for one file of the exact size and content type
// asked for) and the GET URL the file is then served at, both on the
// server's own https listener (or http, or http.upload_url behind a proxy).
// The HTTP side is server/http/upload_transfer.*; the URLs
// http_upload_url.hpp; the files on disk http_upload_files.hpp.
//
// [modules.http_upload] options: max_file_size (bytes, told in the
// service's disco#info), quota_per_account and quota_per_host (bytes stored;
// 0: none), expiry_days (files older are removed; 0: kept until the account
// is deleted), slot_lifetime (seconds) and min_upload_rate (bytes per second
// a PUT must average, so a stalled upload does not hold its slot forever).
// A deleted account's files go with it. Without any HTTP listener (and no
// http.upload_url) there is nowhere to upload: the module then registers
// nothing and says so in the log.
#include <memory>
#include <string>

#include "server/core/metrics.hpp"
#include "server/modules/http_upload_service.hpp"
#include "server/modules/modules.hpp"
#include "server/router/router.hpp"
#include "server/system/log.hpp"
#include "xmpp/datetime.hpp"
#include "xmpp/namespaces.hpp"

namespace server::modules {

namespace {

using upload::UploadService;

const xmpp::Element* first_element(const xmpp::Element& e) {
    for (const auto& child : e.children())
        if (!child.is_text()) return &child;
    return nullptr;
}

xmpp::Element result_for(const xmpp::Element& iq, const xmpp::Jid& from, const xmpp::Jid& to) {
    xmpp::Element result("iq", std::string(xmpp::ns::client));
    result.set_attr("type", "result");
    if (const std::string* id = iq.attr("id")) result.set_attr("id", *id);
    result.set_attr("from", to.full());
    result.set_attr("to", from.full());
    return result;
}

void answer_slot(UploadService& service, const conf::Config& config, const xmpp::Element& iq,
                 const xmpp::Element& request, const xmpp::Jid& from, const xmpp::Jid& to, Router& router) {
    // Only the users of the hosts served here store files (their quotas and
    // their account deletion cover them).
    if (from.local().empty() || !config.serves_host(from.domain()))
        return router.bounce(iq, xmpp::StanzaError::forbidden, "Only users of this server may upload");
    const auto& settings = service.settings();
    const std::int64_t now = xmpp::unix_seconds_now();
    service.sweep_if_due(now);
    auto parsed = upload::parse_slot_request(request, settings.limits.max_file_size);
    if (!parsed) {
        metrics::upload_slot_refused();
        return router.send(upload::slot_error_reply(iq, parsed.error()));
    }
    const std::string owner = from.bare().full();
    if (auto refusal = upload::check_quota(parsed->size, service.files().account_bytes(owner),
                                           service.files().host_bytes(from.domain()), settings.limits)) {
        metrics::upload_slot_refused();
        return router.send(upload::slot_error_reply(iq, *refusal));
    }
    // The URLs are on the uploader's host (where its quota is counted).
    const auto base = settings.base_urls.find(from.domain());
    if (base == settings.base_urls.end()) return router.bounce(iq, xmpp::StanzaError::internal_server_error);
    upload::Slot slot{upload::random_id(), parsed->filename, parsed->size, parsed->content_type, owner,
                      now + settings.slot_lifetime};
    auto result = result_for(iq, from, to);
    result.add_child(upload::slot_element(base->second + service.signer().put_target(slot),
                                          base->second + upload::UrlSigner::get_path(slot)));
    metrics::upload_slot();
    router.send(result);
}

void handle(UploadService& service, const conf::Config& config, xmpp::Element&& stanza, const xmpp::Jid& from,
            const xmpp::Jid& to, Router& router) {
    if (stanza.name() == "message") return router.bounce(stanza, xmpp::StanzaError::service_unavailable);
    if (stanza.name() != "iq") return;  // presence to the service means nothing
    const std::string_view type = stanza.attr_or("type");
    if (type != "get" && type != "set") return;
    if (!to.local().empty() || !to.resource().empty())
        return router.bounce(stanza, xmpp::StanzaError::service_unavailable);
    const xmpp::Element* payload = first_element(stanza);
    const std::string ns = payload ? payload->xmlns() : std::string();
    if (type == "get" && (ns == xmpp::ns::disco_info || ns == xmpp::ns::disco_items)) {
        if (payload->attr("node")) return router.bounce(stanza, xmpp::StanzaError::item_not_found);
        auto result = result_for(stanza, from, to);
        xmpp::Element& query = result.add_child(xmpp::Element("query", ns));
        if (ns == xmpp::ns::disco_info) {
            xmpp::Element& identity = query.add_child(xmpp::Element("identity", ns));
            identity.set_attr("category", "store");
            identity.set_attr("type", "file");
            identity.set_attr("name", "HTTP File Upload");
            for (std::string_view var : {xmpp::ns::disco_info, xmpp::ns::disco_items, xmpp::ns::ping,
                                         xmpp::ns::http_upload})
                query.add_child(xmpp::Element("feature", ns)).set_attr("var", std::string(var));
            query.add_child(upload::service_info_form(service.settings().limits.max_file_size));
        }
        return router.send(result);
    }
    if (type == "get" && ns == xmpp::ns::ping) return router.send(result_for(stanza, from, to));
    if (type == "get" && ns == xmpp::ns::http_upload && payload->name() == "request")
        return answer_slot(service, config, stanza, *payload, from, to, router);
    router.bounce(stanza, xmpp::StanzaError::service_unavailable);
}

void load_http_upload(ModuleHost& host, Services& services, const conf::ModuleOptions& options) {
    const auto config = services.current_config();
    upload::UploadSettings settings;
    settings.limits.max_file_size = static_cast<std::uint64_t>(options.integer("max_file_size"));
    settings.limits.quota_per_account = static_cast<std::uint64_t>(options.integer("quota_per_account"));
    settings.limits.quota_per_host = static_cast<std::uint64_t>(options.integer("quota_per_host"));
    settings.expiry = options.integer("expiry_days") * 86400;
    settings.slot_lifetime = options.integer("slot_lifetime");
    settings.min_upload_rate = static_cast<std::uint64_t>(options.integer("min_upload_rate"));
    settings.base_urls = upload::base_urls(*config);
    if (settings.base_urls.empty()) {
        XLOG(warning) << "http_upload: no http or https listener and no http.upload_url: "
                         "HTTP file upload (XEP-0363) is not offered";
        return;
    }
    const std::filesystem::path root = std::filesystem::path(config->data_dir) / "upload";
    auto files = upload::UploadFiles::open(root);
    std::string secret = upload::upload_secret(root / "secret");
    auto service = host.shared<UploadService>([&] {
        return std::make_shared<UploadService>(std::move(settings), std::move(secret), files);
    });
    if (const std::size_t expired = service->sweep_if_due(xmpp::unix_seconds_now())) {
        XLOG(info) << "http_upload: " << expired << " expired files removed";
    }
    for (const auto& h : config->hosts) {
        host.add_service_domain({"upload." + h.domain, h.domain, "HTTP File Upload",
                                 [service, config](xmpp::Element&& stanza, const xmpp::Jid& from,
                                                   const xmpp::Jid& to, Router& router) {
                                     handle(*service, *config, std::move(stanza), from, to, router);
                                 }});
    }
    host.hooks().account_removed.push_back([service](const xmpp::Jid& bare) {
        if (const std::size_t removed = service->files().remove_owner(bare.full())) {
            XLOG(info) << "http_upload: " << removed << " files of " << bare.full() << " removed with the account";
        }
    });
}

}  // namespace

Module http_upload_module() {
    constexpr std::int64_t kMiB = 1024 * 1024;
    return {
        .schema = {.name = "http_upload",
                   .options = {{"max_file_size", 100 * kMiB, 1, 1024 * 1024 * kMiB},
                               {"quota_per_account", 1024 * kMiB, 0, std::int64_t{1} << 50},
                               {"quota_per_host", 10240 * kMiB, 0, std::int64_t{1} << 50},
                               {"expiry_days", 7, 0, 36500},
                               {"slot_lifetime", 300, 10, 86400},
                               {"min_upload_rate", 10240, 0, 1024 * kMiB}}},
        .protocols = {{"XEP-0363", "HTTP File Upload: upload.HOST, files served by the http/https listener"}},
        .load = load_http_upload,
    };
}

}  // namespace server::modules
