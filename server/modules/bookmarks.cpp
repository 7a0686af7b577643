// Module "bookmarks": an account's chat room bookmarks are one list, seen
// three ways, and the server keeps the three in step (XEP-0402 §5.3 "compat"
// and "compat-pep", XEP-0411):
//  - XEP-0402 items in the PEP node urn:xmpp:bookmarks:1 (one per room), the
//    view modern clients (Conversations, Dino, Gajim, Converse.js) use and
//    the one the others are derived from;
//  - XEP-0048 in private XML storage (XEP-0049), <storage xmlns='storage:bookmarks'/>,
//    which older clients read and write;
//  - XEP-0048 in the PEP node storage:bookmarks, item "current", the same
//    document over PEP.
// A write to either legacy view is turned into the XEP-0402 publishes and
// retractions that make the items say the same (xmpp/bookmarks.hpp
// reconcile(): extensions a legacy client cannot see are kept); any change
// of the XEP-0402 items rewrites both legacy views from the items (plus the
// <url/> entries that only private storage holds). Each step writes only
// what differs, so the chain of notifications it causes ends.
//
// Nodes the server creates get what XEP-0402 asks of clients: persistent,
// max_items "max", whitelist access, last item never sent on presence.
// Threads: everything runs on the storage thread (the private module's hook,
// the PEP observer and the PEP answers are there).
#include <map>
#include <memory>
#include <set>

#include "server/core/storage_executor.hpp"
#include "server/modules/modules.hpp"
#include "server/modules/pep.hpp"
#include "server/store/storage.hpp"
#include "server/system/log.hpp"
#include "xmpp/bookmarks.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stored_xml.hpp"

namespace server::modules {

namespace {

namespace bm = xmpp::bookmarks;

constexpr std::string_view legacy_item = "current";

struct Bookmarks {
    Pep& pep;  // owned by the module host; it holds this module's observer (no cycle)
    store::UserDataStore& store;
    // The storage:bookmarks documents the module itself is publishing, by
    // account: their notification to the observer is no legacy client's
    // write, and taken for one it could undo a newer change with an older
    // list. Storage thread only.
    std::map<std::string, std::multiset<std::string>, std::less<>> own_writes;

    bool is_own_write(const xmpp::Jid& owner, const std::string& payload) {
        auto at = own_writes.find(owner.bare_string());
        if (at == own_writes.end()) return false;
        auto one = at->second.find(payload);
        if (one == at->second.end()) return false;
        at->second.erase(one);
        if (at->second.empty()) own_writes.erase(at);
        return true;
    }
};

// The items of a node from a GetItems outcome: nullopt when the node does
// not exist (or the request failed, which the caller treats alike).
std::optional<std::vector<std::pair<std::string, xmpp::Element>>> items_of(const pubsub::Outcome& outcome) {
    if (!outcome || !outcome.value().payload) return std::nullopt;
    std::vector<std::pair<std::string, xmpp::Element>> items;
    if (const xmpp::Element* list = outcome.value().payload->child("items", xmpp::ns::pubsub))
        for (const auto& item : list->children())
            if (!item.is_text() && item.name() == "item")
                for (const auto& payload : item.children())
                    if (!payload.is_text()) items.emplace_back(std::string(item.attr_or("id")), payload);
    return items;
}

std::vector<bm::Conference> conferences_of(const std::vector<std::pair<std::string, xmpp::Element>>& items) {
    std::vector<bm::Conference> out;
    for (const auto& [id, payload] : items)
        if (auto c = bm::from_item(id, payload)) out.push_back(std::move(*c));
    return out;
}

// The publish-options of a node the server creates (XEP-0402 §3).
pubsub::ConfigPatch bookmark_node_options() {
    pubsub::ConfigPatch options;
    options.persist_items = true;
    options.max_items = std::optional<std::size_t>{};  // "max"
    options.send_last_published_item = pubsub::SendLastPublished::never;
    options.access_model = pubsub::AccessModel::whitelist;
    return options;
}

pubsub::Publish publish(std::string node, std::string id, xmpp::Element payload, bool create) {
    pubsub::Publish p;
    p.node = std::move(node);
    pubsub::PublishItem item;
    item.bytes = xmpp::to_string(payload).size();
    item.id = std::move(id);
    item.payload = std::move(payload);
    p.item = std::move(item);
    // Options only when the node is new: a node a client made keeps its own.
    if (create) p.options = bookmark_node_options();
    return p;
}

void log_failure(const xmpp::Jid& owner, std::string_view what, const pubsub::Outcome& outcome) {
    if (!outcome) {
        XLOG(warning) << "bookmarks: " << what << " for " << owner.bare_string() << " failed";
    }
}

std::optional<bm::Storage> stored_private(Bookmarks& b, const xmpp::Jid& owner) {
    auto text = b.store.document(owner.local(), owner.domain(), "private", std::string(xmpp::ns::bookmarks_legacy));
    if (!text) return std::nullopt;
    auto element = xmpp::parse_stored(*text);
    return element ? bm::parse_storage(*element) : std::nullopt;
}

// Both legacy views, rewritten from the XEP-0402 items where they differ.
void write_legacy_views(const std::shared_ptr<Bookmarks>& b, const xmpp::Jid& owner) {
    pubsub::GetItems get;
    get.node = std::string(xmpp::ns::bookmarks);
    b->pep.request_as_owner(owner, get, [b, owner](const pubsub::Outcome& outcome) {
        auto items = items_of(outcome);
        bm::Storage wanted{items ? conferences_of(*items) : std::vector<bm::Conference>{}, {}};
        auto current = stored_private(*b, owner);
        if (current) wanted.others = current->others;
        if (!current || current->conferences != wanted.conferences) {
            const std::string xml = xmpp::to_string(bm::storage_element(wanted));
            if (!b->store.set_document(owner.local(), owner.domain(), "private",
                                       std::string(xmpp::ns::bookmarks_legacy), xml)) {
                XLOG(warning) << "bookmarks: private storage for " << owner.bare_string() << " not written";
            }
        }
        pubsub::GetItems legacy;
        legacy.node = std::string(xmpp::ns::bookmarks_legacy);
        b->pep.request_as_owner(owner, legacy, [b, owner, wanted](const pubsub::Outcome& outcome) {
            auto items = items_of(outcome);
            if (items) {
                for (const auto& [id, payload] : *items) {
                    auto there = bm::parse_storage(payload);
                    if (id == legacy_item && there && there->conferences == wanted.conferences) return;
                }
            }
            xmpp::Element document = bm::storage_element(wanted);
            std::string text = xmpp::to_string(document);
            b->own_writes[owner.bare_string()].insert(text);
            b->pep.request_as_owner(owner,
                                     publish(std::string(xmpp::ns::bookmarks_legacy), std::string(legacy_item),
                                             std::move(document), !items),
                                     [b, owner, text](const pubsub::Outcome& o) {
                                         log_failure(owner, "storage:bookmarks", o);
                                         if (!o) b->is_own_write(owner, text);  // no notification will come
                                     });
        });
    });
}

// A legacy client wrote `wanted`: the XEP-0402 items follow it.
void follow_legacy_write(const std::shared_ptr<Bookmarks>& b, const xmpp::Jid& owner, bm::Storage wanted) {
    pubsub::GetItems get;
    get.node = std::string(xmpp::ns::bookmarks);
    b->pep.request_as_owner(owner, get, [b, owner, wanted = std::move(wanted)](const pubsub::Outcome& outcome) {
        auto items = items_of(outcome);
        const bool create = !items;
        auto changes = bm::reconcile(items ? conferences_of(*items) : std::vector<bm::Conference>{},
                                     wanted.conferences);
        for (auto& c : changes.publish) {
            std::string id = c.jid;
            b->pep.request_as_owner(
                owner, publish(std::string(xmpp::ns::bookmarks), std::move(id), bm::item_payload(c), create),
                [owner](const pubsub::Outcome& o) { log_failure(owner, "bookmark publish", o); });
        }
        for (auto& room : changes.retract) {
            pubsub::Retract r;
            r.node = std::string(xmpp::ns::bookmarks);
            r.item_id = room;
            r.notify = true;
            b->pep.request_as_owner(owner, r,
                                     [owner](const pubsub::Outcome& o) { log_failure(owner, "bookmark retract", o); });
        }
        // Nothing changed on the items (no observer will run): the other
        // legacy view still has to say what this one says.
        if (changes.publish.empty() && changes.retract.empty()) write_legacy_views(b, owner);
    });
}

void load_bookmarks(ModuleHost& host, Services& services, const conf::ModuleOptions&) {
    auto pep = host.find_shared<Pep>();
    if (!pep) throw std::logic_error("the bookmarks module needs the pep module");
    auto b = std::make_shared<Bookmarks>(Bookmarks{*pep, services.stores->user_data(), {}});

    for (std::string_view feature :
         {xmpp::ns::bookmarks_compat, xmpp::ns::bookmarks_compat_pep, xmpp::ns::bookmarks_conversion})
        host.add_feature(IqTarget::account, std::string(feature));

    host.hooks().private_stored.push_back([b](const xmpp::Jid& owner, const xmpp::Element& document) {
        if (auto storage = bm::parse_storage(document)) follow_legacy_write(b, owner, std::move(*storage));
    });
    pep->observe([b](const PepItemChange& change) {
        if (change.node == xmpp::ns::bookmarks) return write_legacy_views(b, change.owner);
        if (change.node != xmpp::ns::bookmarks_legacy || change.removed || change.id != legacy_item ||
            !change.payload || b->is_own_write(change.owner, xmpp::to_string(*change.payload)))
            return;
        if (auto storage = bm::parse_storage(*change.payload)) follow_legacy_write(b, change.owner, std::move(*storage));
    });
}

}  // namespace

Module bookmarks_module() {
    return {
        .schema = {.name = "bookmarks", .options = {}, .depends = {"pep"}},
        .protocols = {{"XEP-0402", "PEP Native Bookmarks, with #compat and #compat-pep"},
                      {"XEP-0048", "Bookmarks (private XML and PEP storage:bookmarks, converted)"},
                      {"XEP-0411", "Bookmarks Conversion"}},
        .needs = {Service::stores, Service::storage},
        .load = load_bookmarks,
    };
}

}  // namespace server::modules
