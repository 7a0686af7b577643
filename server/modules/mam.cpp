// Module "mam": each account's message archive, Message Archive Management
// (XEP-0313, urn:xmpp:mam:2 and #extended: before-id, after-id, ids,
// flipped pages and the archive metadata query), with Unique and
// Stable Stanza IDs (XEP-0359) and the storage hints of XEP-0334.
//
// What is archived: a message between two local accounts, as the Router
// routes it (Hooks::routed_message), in the archive of each: chat and normal
// messages with a body, and any message but errors and groupchat with a
// <store/> hint; never one with <no-store/> or <no-permanent-store/>. Each
// account's preferences (always, never, or only contacts in its roster, plus
// JIDs always and never archived; XEP-0441 in the mam:2 namespace) decide
// for its own archive; [modules.mam] default is the preference of accounts
// that set none. The recipient's copy gets an archive id, stamped on the
// live message as <stanza-id by='recipient bare JID'/> before it is
// delivered or kept offline; a stanza-id a client wrote in the name of one
// of our JIDs is removed first, whatever becomes of the message. Ids are
// random (96 bits), made in memory, so the message need not wait for the
// disk; the store orders rows by its own sequence.
//
// Durability: one store call per message (both copies in one transaction),
// posted to the storage thread, so the sender's session answers nothing
// later (nor acknowledges it, XEP-0198) before it is committed. A message
// whose archiving depends on the roster is checked there; a recipient's copy
// the roster rules out stays as a placeholder row (its id only), so the id
// the live message carried still works as a paging anchor.
//
// Queries run on the storage thread (mam_page.hpp), answered through the
// Router, one <message><result/></message> per archived message then the iq
// result with <fin/>. Retention: [modules.mam] retention_days (0 = forever);
// older messages are never shown, and are deleted at start-up and then at
// most hourly, on the storage thread, when messages are archived.
// Preferences live in memory (loaded at start-up; read by workers under a
// shared lock) and are written through to the store.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <shared_mutex>

#include "server/core/storage_executor.hpp"
#include "server/modules/mam_page.hpp"
#include "server/modules/modules.hpp"
#include "server/router/router.hpp"
#include "server/store/storage.hpp"
#include "server/system/log.hpp"
#include "xmpp/mam_query.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stanza_id.hpp"

namespace server::modules {

namespace {

constexpr std::string_view mam_ns = xmpp::ns::mam;

// The words of [modules.mam] default, in the order of their index.
const std::vector<std::string> kModes = {"always", "never", "roster"};
enum class Mode { always = 0, never = 1, roster = 2 };

constexpr std::size_t kMaxPrefJids = 1000;
constexpr std::int64_t kPurgeEveryUs = 3600LL * 1000000;

std::int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool has_hint(const xmpp::Element& message, std::string_view name) {
    return message.child(name, xmpp::ns::hints) != nullptr;
}

// XEP-0313 §5.1.1 and XEP-0334 §4.
bool archivable(const xmpp::Element& message) {
    const std::string_view type = message.attr_or("type", "normal");
    if (type == "error" || type == "groupchat") return false;
    if (has_hint(message, "no-store") || has_hint(message, "no-permanent-store")) return false;
    if (has_hint(message, "store")) return true;
    return (type == "chat" || type == "normal") && message.child("body", xmpp::ns::client);
}

struct Prefs {
    Mode mode = Mode::always;
    std::vector<std::string> always;  // normalised JIDs, bare or full
    std::vector<std::string> never;
};

std::optional<Mode> mode_of(std::string_view word) {
    for (std::size_t i = 0; i < kModes.size(); ++i)
        if (kModes[i] == word) return static_cast<Mode>(i);
    return std::nullopt;
}

// Whether the owner's archive takes a message with `peer`: yes, no, or
// whether the peer is in its roster decides (Mode::roster).
Mode decide(const Prefs& prefs, const xmpp::Jid& peer) {
    auto listed = [&](const std::vector<std::string>& jids) {
        return std::find(jids.begin(), jids.end(), peer.bare_string()) != jids.end() ||
               std::find(jids.begin(), jids.end(), peer.full()) != jids.end();
    };
    if (listed(prefs.never)) return Mode::never;
    if (listed(prefs.always)) return Mode::always;
    return prefs.mode;
}

struct Mam {
    Mam(Services& s, const conf::ModuleOptions& options)
        : services(s),
          store(s.stores->archive()),
          default_mode(static_cast<Mode>(options.integer("default"))),
          retention_us(options.integer("retention_days") * 86400LL * 1000000),
          default_page(static_cast<std::size_t>(options.integer("default_page_size"))),
          max_page(static_cast<std::size_t>(options.integer("max_page_size"))) {}
    Services& services;
    store::ArchiveStore& store;
    const Mode default_mode;
    const std::int64_t retention_us;  // 0: forever
    const std::size_t default_page;
    const std::size_t max_page;
    std::atomic<std::int64_t> next_purge_us{0};

    mutable std::shared_mutex mutex;
    std::map<std::string, Prefs, std::less<>> prefs;  // accounts that set theirs, by bare JID

    Prefs prefs_of(const xmpp::Jid& owner) const {
        std::shared_lock lock(mutex);
        auto it = prefs.find(owner.bare_string());
        return it != prefs.end() ? it->second : Prefs{default_mode, {}, {}};
    }
};

// Storage thread.
void purge(Mam& m) {
    if (m.retention_us == 0) return;
    if (auto removed = m.store.remove_older_than(now_us() - m.retention_us); removed && *removed > 0) {
        XLOG(info) << "mam: " << *removed << " archived message(s) past retention deleted";
    }
}

// A stanza-id in the name of a JID we stamp for is a forgery (XEP-0359 §5).
void remove_forged_ids(Mam& m, xmpp::Element& message) {
    auto config = m.services.current_config();
    std::erase_if(message.children(), [&](const xmpp::Element& c) {
        if (c.is_text() || c.name() != "stanza-id" || c.xmlns() != xmpp::ns::stanza_id) return false;
        auto by = xmpp::Jid::parse(c.attr_or("by"));
        return !by || config->serves_host(by->domain());
    });
}

struct PendingRow {
    store::ArchiveRow row;
    bool check_roster = false;
    bool keep_as_placeholder = false;  // its id went out on the live message
};

// Storage thread, inside a commit group: the rows of one message, in one
// store call. False when they could not be written.
bool write(Mam& m, std::vector<PendingRow>& pending, const xmpp::Jid& recipient) {
    if (!m.services.accounts->find(recipient.local(), recipient.domain())) return true;  // it went nowhere
    std::vector<store::ArchiveRow> rows;
    for (auto& p : pending) {
        if (p.check_roster) {
            auto contact = m.services.stores->roster().row(p.row.user, p.row.domain, p.row.with_bare);
            if (!contact || !contact->in_roster) {
                if (!p.keep_as_placeholder) continue;
                p.row.xml.clear();
                p.row.with_bare.clear();
                p.row.with_resource.clear();
            }
        }
        rows.push_back(std::move(p.row));
    }
    const bool written = rows.empty() || m.store.add(rows);
    const std::int64_t now = now_us();
    if (m.retention_us != 0 && now >= m.next_purge_us.load()) {
        m.next_purge_us = now + kPurgeEveryUs;
        purge(m);
    }
    return written;
}

// Worker (Hooks::routed_message).
void archive(Mam& m, xmpp::Element& message, const xmpp::Jid& from, const xmpp::Jid& to) {
    remove_forged_ids(m, message);
    if (!archivable(message) || from.local().empty()) return;
    const std::int64_t stamp = now_us();
    std::vector<PendingRow> pending;
    const bool to_self = from.bare() == to.bare();
    // A sender of another domain (an external component's JID) has no archive here.
    if (!to_self && m.services.current_config()->serves_host(from.domain())) {
        const Mode mode = decide(m.prefs_of(from), to);
        if (mode != Mode::never)
            pending.push_back({{from.local(), from.domain(), xmpp::new_stanza_id(), stamp, to.bare_string(),
                                to.resource(), xmpp::to_string(message)},
                               mode == Mode::roster,
                               false});
    }
    const Mode mode = decide(m.prefs_of(to), from);
    if (mode != Mode::never) {
        std::string id = xmpp::new_stanza_id();
        xmpp::Element sid("stanza-id", std::string(xmpp::ns::stanza_id));
        sid.set_attr("by", to.bare_string());
        sid.set_attr("id", id);
        message.add_child(std::move(sid));
        pending.push_back({{to.local(), to.domain(), std::move(id), stamp, from.bare_string(), from.resource(),
                            xmpp::to_string(message)},
                           mode == Mode::roster,
                           true});
    }
    if (pending.empty()) return;
    // Grouped with other writes (one commit for many messages); the sender's
    // session fence waits for that commit.
    auto work = [&m, pending = std::move(pending), recipient = to.bare()]() mutable {
        const bool written = write(m, pending, recipient);
        return [written, recipient](bool committed) {
            if (!written || !committed) {
                XLOG(error) << "mam: cannot archive a message for " << recipient.bare_string();
            }
        };
    };
    m.services.storage->post(std::move(work));
}

MamLimits limits_of(const Mam& m) {
    return {m.default_page, m.max_page, m.retention_us ? now_us() - m.retention_us : 0};
}

xmpp::Element prefs_element(const Prefs& prefs) {
    xmpp::Element out("prefs", std::string(mam_ns));
    out.set_attr("default", kModes[static_cast<std::size_t>(prefs.mode)]);
    for (const auto* list : {&prefs.always, &prefs.never}) {
        auto& e = out.add_child(xmpp::Element(list == &prefs.always ? "always" : "never", std::string(mam_ns)));
        for (const auto& jid : *list) e.add_child(xmpp::Element("jid", std::string(mam_ns))).add_text(jid);
    }
    return out;
}

// The <prefs/> of a set, or the error it deserves.
xmpp::Result<Prefs, std::string> read_prefs(const xmpp::Element& e) {
    Prefs prefs;
    auto mode = mode_of(e.attr_or("default"));
    if (!mode) return xmpp::fail(std::string("'default' must be always, never or roster"));
    prefs.mode = *mode;
    for (const auto& list : e.children()) {
        if (list.is_text() || list.xmlns() != mam_ns) continue;
        std::vector<std::string>* into = list.name() == "always" ? &prefs.always
                                         : list.name() == "never" ? &prefs.never
                                                                  : nullptr;
        if (!into) continue;
        for (const auto& j : list.children()) {
            if (j.is_text() || j.name() != "jid" || j.xmlns() != mam_ns) continue;
            auto jid = xmpp::Jid::parse(j.text());
            if (!jid) return xmpp::fail("'" + j.text() + "' is not a JID");
            if (std::find(into->begin(), into->end(), jid->full()) == into->end()) into->push_back(jid->full());
        }
        if (into->size() > kMaxPrefJids) return xmpp::fail(std::string("too many JIDs"));
    }
    return prefs;
}

// Storage thread.
void set_prefs(Mam& m, const IqRequest& request, Prefs prefs, Router& router) {
    const xmpp::Jid& owner = request.to;
    const store::ArchivePrefs stored{kModes[static_cast<std::size_t>(prefs.mode)], prefs.always, prefs.never};
    if (!m.store.set_prefs(owner.local(), owner.domain(), stored))
        return router.bounce(request.iq, xmpp::StanzaError::internal_server_error);
    {
        std::unique_lock lock(m.mutex);
        m.prefs[owner.bare_string()] = prefs;
    }
    auto result = make_iq_result(request);
    result.add_child(prefs_element(prefs));
    router.send(result);
}

void load_mam(ModuleHost& host, Services& services, const conf::ModuleOptions& options) {
    host.add_feature(IqTarget::account, std::string(mam_ns));
    host.add_feature(IqTarget::account, std::string(xmpp::ns::mam_extended));
    host.add_feature(IqTarget::account, std::string(xmpp::ns::stanza_id));
    auto m = std::make_shared<Mam>(services, options);
    // Start-up, before any worker runs.
    for (auto& [user, domain, p] : m->store.all_prefs())
        m->prefs[user + "@" + domain] = Prefs{mode_of(p.default_mode).value_or(m->default_mode), p.always, p.never};
    if (m->retention_us != 0) {
        m->next_purge_us = now_us() + kPurgeEveryUs;
        services.storage->post([m] { purge(*m); });
    }

    host.hooks().routed_message.push_back(
        [m](xmpp::Element& message, const xmpp::Jid& from, const xmpp::Jid& to) {
            archive(*m, message, from, to);
            return false;
        });

    auto own = [](IqRequest& request, Router& router) {
        if (request.to == request.from.bare()) return true;
        router.bounce(request.iq, xmpp::StanzaError::forbidden);
        return false;
    };
    host.on_iq(IqTarget::account, "get", mam_ns, [m, own](IqRequest&& request, Router& router) {
        if (!own(request, router)) return;
        if (request.iq.child("prefs", mam_ns)) {
            auto work = [m, request = std::move(request), &router] {
                bool ok = true;
                const xmpp::Jid& owner = request.to;
                auto stored = m->store.prefs(owner.local(), owner.domain(), ok);
                if (!ok) return router.bounce(request.iq, xmpp::StanzaError::internal_server_error);
                Prefs prefs{m->default_mode, {}, {}};
                if (stored)
                    prefs = Prefs{mode_of(stored->default_mode).value_or(m->default_mode), stored->always,
                                  stored->never};
                auto result = make_iq_result(request);
                result.add_child(prefs_element(prefs));
                router.send(result);
            };
            return m->services.storage->post(std::move(work));
        }
        if (request.iq.child("metadata", mam_ns)) {
            auto work = [m, request = std::move(request), &router] {
                answer_metadata(m->store, request.iq, request.to, request.from, limits_of(*m), router);
            };
            return m->services.storage->post(std::move(work));
        }
        if (request.iq.child("query", mam_ns)) {
            auto result = make_iq_result(request);
            result.add_child(xmpp::Element("query", std::string(mam_ns))).add_child(xmpp::mam_query_form());
            return router.send(result);
        }
        router.bounce(request.iq, xmpp::StanzaError::feature_not_implemented);
    });
    host.on_iq(IqTarget::account, "set", mam_ns, [m, own](IqRequest&& request, Router& router) {
        if (!own(request, router)) return;
        if (const auto* e = request.iq.child("prefs", mam_ns)) {
            auto prefs = read_prefs(*e);
            if (!prefs) return router.bounce(request.iq, xmpp::StanzaError::bad_request, prefs.error());
            auto work = [m, request = std::move(request), p = std::move(prefs.value()), &router]() mutable {
                set_prefs(*m, request, std::move(p), router);
            };
            return m->services.storage->post(std::move(work));
        }
        const auto* q = request.iq.child("query", mam_ns);
        if (!q) return router.bounce(request.iq, xmpp::StanzaError::feature_not_implemented);
        auto query = xmpp::parse_mam_query(*q);
        if (!query) return router.bounce(request.iq, query.error().condition, query.error().text);
        auto work = [m, request = std::move(request), query = std::move(query.value()), &router] {
            answer_query(m->store, request.iq, request.to, request.from, query, limits_of(*m), router);
        };
        m->services.storage->post(std::move(work));
    });

    // The archive's rows went with the account's; a new account of the same
    // name starts with the default preferences.
    host.hooks().account_removed.push_back([m](const xmpp::Jid& bare) {
        std::unique_lock lock(m->mutex);
        m->prefs.erase(bare.bare_string());
    });
}

}  // namespace

Module mam_module() {
    return {
        .schema = {.name = "mam",
                   .options = {{"default", 0, 0, 2, kModes},
                               {"retention_days", 0, 0, 36500},
                               {"default_page_size", 50, 1, 1000},
                               {"max_page_size", 250, 1, 1000}}},
        .protocols = {{"XEP-0313", "Message Archive Management"},
                      {"XEP-0359", "Unique and Stable Stanza IDs"},
                      {"XEP-0334", "Message Processing Hints (storage hints)"}},
        .needs = {Service::stores, Service::storage, Service::accounts, Service::router},
        .load = load_mam,
    };
}

}  // namespace server::modules
