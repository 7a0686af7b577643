// Chat room bookmarks in their two XML shapes, and the conversion between
// them (XEP-0402 §5.3, XEP-0411):
//  - XEP-0402 (bookmarks 2): one PEP item per room in node
//    urn:xmpp:bookmarks:1, the item id being the room JID, the payload
//    <conference xmlns='urn:xmpp:bookmarks:1' name autojoin> with optional
//    <nick/>, <password/> and <extensions/> (any elements, which a client
//    must keep as written);
//  - XEP-0048: one <storage xmlns='storage:bookmarks'/> listing every
//    <conference jid name autojoin> (children <nick/>, <password/>) and
//    <url/> bookmarks, kept in private XML (XEP-0049) or in the single item
//    "current" of the PEP node storage:bookmarks.
//
// The server keeps the XEP-0402 items as the truth and derives the XEP-0048
// document from them (plus the non-conference entries a legacy client
// stored); a legacy write is turned into the item changes that make the
// XEP-0402 node say the same (reconcile()). Pure code: no I/O, any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/element.hpp"

namespace xmpp::bookmarks {

struct Conference {
    std::string jid;  // the room's JID: XEP-0402 item id, XEP-0048 jid attribute
    std::string name;
    bool autojoin = false;
    std::optional<std::string> nick;
    std::optional<std::string> password;
    std::vector<Element> extensions;  // XEP-0402 only; a legacy shape cannot carry them

    friend bool operator==(const Conference&, const Conference&) = default;
};

// XEP-0402: the payload of the item whose id is conference.jid.
Element item_payload(const Conference& conference);
// nullopt when `payload` is not a XEP-0402 conference or the id is empty.
std::optional<Conference> from_item(std::string_view item_id, const Element& payload);

// XEP-0048: the conferences of a <storage/>, and everything else it holds
// (<url/> bookmarks, unknown elements) to be written back untouched.
struct Storage {
    std::vector<Conference> conferences;
    std::vector<Element> others;
};
// nullopt when `storage` is not <storage xmlns='storage:bookmarks'/>.
// Conferences without a jid are dropped (they name no room); a second
// conference for the same room replaces the first.
std::optional<Storage> parse_storage(const Element& storage);
Element storage_element(const Storage& storage);

// What to publish and retract on the XEP-0402 node so that it holds the
// conferences a legacy client wrote (`wanted`), given what it holds now.
// A wanted conference equal to a current one but for its extensions keeps
// the current extensions and is not republished: a legacy client, which
// cannot see them, did not mean to drop them.
struct Changes {
    std::vector<Conference> publish;
    std::vector<std::string> retract;  // room JIDs
};
Changes reconcile(const std::vector<Conference>& current, const std::vector<Conference>& wanted);

}  // namespace xmpp::bookmarks
