// Module "caps", XEP-0115 Entity Capabilities. Clients: the <c/> of a local
// resource's available presence is recorded in the CapsCache
// (caps_cache.hpp), shared with the modules that read it (PEP's +notify
// filtering, host.find_shared<CapsCache>()); a ver the cache does not know is
// asked of that resource once, from the server's domain, with
// <query xmlns='disco#info' node='NODE#VER'/> (as ejabberd asks), and its
// answer is cached only when its hash is the ver. Unavailable presence and
// the end of a session forget the resource's caps; a presence update without
// <c/> keeps them (the client did not say they changed). A <c/> whose hash
// this server does not compute is ignored (§5.4 allows per-JID use of it;
// nothing here needs that). Whenever a resource's caps are known — at an
// available presence whose ver is verified, or when the answer verifies it
// (for every resource announcing that ver) — the caps_resolved hooks run
// (PEP sends the last published items then).
//
// The server: once every module has loaded, its disco#info is hashed
// (sha-1) and offered as <c/> in the stream features after authentication
// (§6.3), and that disco#info is served on node NODE#VER too.
#include "xmpp/caps.hpp"
#include "server/core/metrics.hpp"
#include "server/modules/caps_cache.hpp"
#include "server/modules/modules.hpp"
#include "server/router/router.hpp"
#include "server/system/log.hpp"
#include "xmpp/namespaces.hpp"

namespace server::modules {

namespace {

// The caps node of xmqd (§4: a URI identifying the software).
constexpr std::string_view server_node = "https://xmqd.org";

void resolved(const Hooks& hooks, const xmpp::Jid& full) {
    for (const auto& hook : hooks.caps_resolved) hook(full);
}

void ask(const std::shared_ptr<CapsCache>& cache, Router& router, const Hooks& hooks, CapsCache::Query query) {
    xmpp::Element iq("iq", std::string(xmpp::ns::client));
    iq.set_attr("type", "get");
    iq.set_attr("from", query.to.domain());
    iq.set_attr("to", query.to.full());
    iq.add_child(xmpp::Element("query", std::string(xmpp::ns::disco_info)))
        .set_attr("node", query.caps.node + '#' + query.caps.ver);
    metrics::caps_query();
    XLOG(debug) << "caps: asking " << query.to.full() << " for " << query.caps.hash << ' ' << query.caps.ver;
    router.request(std::move(iq), [cache, &router, &hooks, query](const xmpp::Element* reply) {
        const xmpp::Element* result = nullptr;
        if (reply && reply->attr_or("type") == "result") result = reply->child("query", xmpp::ns::disco_info);
        auto outcome = cache->answered(query, result);
        metrics::caps_answer(outcome.cached);
        if (!outcome.cached) {
            XLOG(info) << "caps: " << query.to.full() << " did not answer for " << query.caps.ver
                       << " with a disco#info of that hash; not cached";
        }
        for (const auto& full : outcome.resolved) resolved(hooks, full);
        if (outcome.next) ask(cache, router, hooks, std::move(*outcome.next));
    });
}

void load_caps(ModuleHost& host, Services& services, const conf::ModuleOptions& options) {
    CapsLimits limits;
    limits.max_entries = static_cast<std::size_t>(options.integer("max_entries"));
    limits.max_pending = static_cast<std::size_t>(options.integer("max_pending"));
    auto cache = host.shared<CapsCache>([limits] { return std::make_shared<CapsCache>(limits); });
    Router& router = *services.router;
    Hooks& hooks = host.hooks();

    hooks.own_presence.push_back([cache, &router, &hooks](const xmpp::Element& presence, const xmpp::Jid& from, bool) {
        const std::string_view type = presence.attr_or("type");
        if (type == "unavailable") return cache->forget(from);
        if (!type.empty()) return;
        auto caps = xmpp::caps::parse(presence);
        if (caps && xmpp::caps::supports_hash(caps->hash)) {
            if (auto query = cache->available(from, *caps)) return ask(cache, router, hooks, std::move(*query));
        }
        // A presence without <c/> keeps the caps the resource had.
        if (cache->features_of(from)) resolved(hooks, from);
    });
    hooks.session_ended.push_back([cache](const xmpp::Jid& full) { cache->forget(full); });

    hooks.modules_loaded.push_back([&host] {
        auto info = xmpp::caps::parse_disco_info(host.disco_info(IqTarget::host));
        if (!info.ok()) throw std::logic_error("the server's own disco#info is ill-formed: " + info.error());
        const xmpp::caps::Caps own{"sha-1", std::string(server_node), *xmpp::caps::ver(*info, "sha-1")};
        host.add_info_node(IqTarget::host, own.node + '#' + own.ver);
        host.add_stream_feature(xmpp::caps::to_element(own));
    });
}

}  // namespace

Module caps_module() {
    return {
        .schema = {.name = "caps",
                   .options = {{"max_entries", 10000, 1, 10000000}, {"max_pending", 100, 1, 100000}},
                   .depends = {"disco"}},
        .protocols = {{"XEP-0115", "Entity Capabilities"}},
        .needs = {Service::router},
        .load = load_caps,
    };
}

}  // namespace server::modules
