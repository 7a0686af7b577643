// Module "pep_vcard_conversion" (XEP-0398): an account's avatar is the same
// whether a client publishes it over PEP (XEP-0084) or in its vCard
// (XEP-0153), so that clients of either kind — and group chats, which only
// see vCards — show it.
//  - PEP to vCard: a new item in urn:xmpp:avatar:metadata whose <info/>
//    points at the data node: the image is read from urn:xmpp:avatar:data,
//    checked against its SHA-1 id, and put in the vCard's PHOTO; a metadata
//    item without <info/> (avatar switched off) removes the PHOTO.
//  - vCard to PEP: a vCard stored with an inline PHOTO that differs from
//    the current metadata is published, data first, then metadata.
// Each direction writes only what differs, so a conversion does not bounce
// back. The server's own vCard writes are not bounded by the vcard module's
// max_bytes (that bound is for clients; the image is bounded by PEP's
// max_item_bytes). Storage thread throughout (the vcard module's hook, the
// PEP observer and PEP answers run there).
#include <memory>

#include "server/core/storage_executor.hpp"
#include "server/modules/avatar_conversion.hpp"
#include "server/modules/modules.hpp"
#include "server/modules/pep.hpp"
#include "server/store/storage.hpp"
#include "server/system/log.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stored_xml.hpp"

namespace server::modules {

namespace {

struct Conversion {
    Pep& pep;  // owned by the module host; it holds this module's observer (no cycle)
    store::UserDataStore& store;
};

xmpp::Element stored_vcard(Conversion& c, const xmpp::Jid& owner) {
    auto text = c.store.document(owner.local(), owner.domain(), "vcard", "");
    auto element = text ? xmpp::parse_stored(*text) : std::nullopt;
    return element ? std::move(*element) : xmpp::Element("vCard", std::string(xmpp::ns::vcard));
}

void write_photo(Conversion& c, const xmpp::Jid& owner, const std::optional<avatar::Avatar>& avatar) {
    xmpp::Element vcard = stored_vcard(c, owner);
    auto current = avatar::from_vcard(vcard);
    if ((current ? current->id : "") == (avatar ? avatar->id : "")) return;
    const std::string xml = xmpp::to_string(avatar::with_photo(std::move(vcard), avatar));
    if (!c.store.set_document(owner.local(), owner.domain(), "vcard", "", xml)) {
        XLOG(warning) << "pep_vcard_conversion: vCard of " << owner.bare_string() << " not written";
    }
}

// The first item payload of a GetItems answer, if any.
std::optional<xmpp::Element> first_payload(const pubsub::Outcome& outcome) {
    if (!outcome || !outcome.value().payload) return std::nullopt;
    const xmpp::Element* items = outcome.value().payload->child("items", xmpp::ns::pubsub);
    if (!items) return std::nullopt;
    for (const auto& item : items->children())
        if (!item.is_text())
            for (const auto& payload : item.children())
                if (!payload.is_text()) return payload;
    return std::nullopt;
}

pubsub::Publish publish(std::string_view node, const avatar::Avatar& a, xmpp::Element payload) {
    pubsub::Publish p;
    p.node = std::string(node);
    pubsub::PublishItem item;
    item.id = a.id;
    item.bytes = xmpp::to_string(payload).size();
    item.payload = std::move(payload);
    p.item = std::move(item);
    return p;
}

void metadata_published(const std::shared_ptr<Conversion>& c, const xmpp::Jid& owner, const xmpp::Element& metadata) {
    if (avatar::disables_avatar(metadata)) return write_photo(*c, owner, std::nullopt);
    auto info = avatar::stored_info(metadata);
    if (!info) return;  // only external URLs: nothing the vCard can hold
    pubsub::GetItems get;
    get.node = std::string(xmpp::ns::avatar_data);
    get.ids = {info->id};
    c->pep.request_as_owner(owner, get, [c, owner, info = *info](const pubsub::Outcome& outcome) {
        auto data = first_payload(outcome);
        auto a = data ? avatar::from_pep(info, *data) : std::nullopt;
        if (!a) {
            XLOG(info) << "pep_vcard_conversion: " << owner.bare_string() << " published metadata for " << info.id
                       << " without matching data; vCard unchanged";
            return;
        }
        write_photo(*c, owner, a);
    });
}

void vcard_stored(const std::shared_ptr<Conversion>& c, const xmpp::Jid& owner, const xmpp::Element& vcard) {
    auto a = avatar::from_vcard(vcard);
    if (!a) return;
    pubsub::GetItems get;
    get.node = std::string(xmpp::ns::avatar_metadata);
    c->pep.request_as_owner(owner, get, [c, owner, a = *a](const pubsub::Outcome& outcome) {
        auto metadata = first_payload(outcome);
        auto info = metadata ? avatar::stored_info(*metadata) : std::nullopt;
        if (info && info->id == a.id) return;
        // Data first: a client that sees the metadata fetches the data.
        c->pep.request_as_owner(owner, publish(xmpp::ns::avatar_data, a, avatar::data_payload(a)),
                                 [c, owner, a](const pubsub::Outcome& done) {
                                     if (!done) {
                                         XLOG(warning) << "pep_vcard_conversion: avatar data of "
                                                       << owner.bare_string() << " not published";
                                         return;
                                     }
                                     c->pep.request_as_owner(
                                         owner, publish(xmpp::ns::avatar_metadata, a, avatar::metadata_payload(a)));
                                 });
    });
}

void load_pep_vcard_conversion(ModuleHost& host, Services& services, const conf::ModuleOptions&) {
    auto pep = host.find_shared<Pep>();
    if (!pep) throw std::logic_error("the pep_vcard_conversion module needs the pep module");
    auto c = std::make_shared<Conversion>(Conversion{*pep, services.stores->user_data()});
    host.add_feature(IqTarget::account, std::string(xmpp::ns::pep_vcard_conversion));
    host.hooks().vcard_stored.push_back(
        [c](const xmpp::Jid& owner, const xmpp::Element& vcard) { vcard_stored(c, owner, vcard); });
    pep->observe([c](const PepItemChange& change) {
        if (change.node == xmpp::ns::avatar_metadata && !change.removed && change.payload)
            metadata_published(c, change.owner, *change.payload);
    });
}

}  // namespace

Module pep_vcard_conversion_module() {
    return {
        .schema = {.name = "pep_vcard_conversion", .options = {}, .depends = {"pep"}},
        .protocols = {{"XEP-0398", "User Avatar to vCard-Based Avatars Conversion"},
                      {"XEP-0153", "vCard-Based Avatars (the PHOTO, kept in step with XEP-0084)"}},
        .needs = {Service::stores, Service::storage},
        .load = load_pep_vcard_conversion,
    };
}

}  // namespace server::modules
