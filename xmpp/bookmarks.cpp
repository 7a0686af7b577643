#include "xmpp/bookmarks.hpp"

#include <algorithm>
#include <map>

#include "xmpp/namespaces.hpp"

namespace xmpp::bookmarks {

namespace {

// xs:boolean, as both XEPs type autojoin.
bool xml_true(std::string_view value) { return value == "true" || value == "1"; }

// <nick/> and <password/>, in the namespace of the shape being written.
void add_optional_text(Element& parent, std::string_view name, const std::optional<std::string>& value) {
    if (!value) return;
    parent.add_child(Element(std::string(name), parent.xmlns())).add_text(*value);
}

std::optional<std::string> optional_text(const Element& parent, std::string_view name) {
    const Element* child = parent.child(name, parent.xmlns());
    if (!child) return std::nullopt;
    return child->text();
}

// The fields both shapes share, read from a <conference/> of either.
Conference common_fields(std::string jid, const Element& conference) {
    Conference c;
    c.jid = std::move(jid);
    c.name = std::string(conference.attr_or("name"));
    c.autojoin = xml_true(conference.attr_or("autojoin"));
    c.nick = optional_text(conference, "nick");
    c.password = optional_text(conference, "password");
    return c;
}

Element conference_element(const Conference& c, std::string_view xmlns) {
    Element e("conference", std::string(xmlns));
    if (!c.name.empty()) e.set_attr("name", c.name);
    e.set_attr("autojoin", c.autojoin ? "true" : "false");
    add_optional_text(e, "nick", c.nick);
    add_optional_text(e, "password", c.password);
    return e;
}

}  // namespace

Element item_payload(const Conference& c) {
    Element e = conference_element(c, ns::bookmarks);
    if (!c.extensions.empty()) {
        Element& extensions = e.add_child(Element("extensions", std::string(ns::bookmarks)));
        for (const Element& x : c.extensions) extensions.add_child(x);
    }
    return e;
}

std::optional<Conference> from_item(std::string_view item_id, const Element& payload) {
    if (item_id.empty() || payload.name() != "conference" || payload.xmlns() != ns::bookmarks) return std::nullopt;
    Conference c = common_fields(std::string(item_id), payload);
    if (const Element* extensions = payload.child("extensions", ns::bookmarks))
        for (const Element& x : extensions->children())
            if (!x.is_text()) c.extensions.push_back(x);
    return c;
}

std::optional<Storage> parse_storage(const Element& storage) {
    if (storage.name() != "storage" || storage.xmlns() != ns::bookmarks_legacy) return std::nullopt;
    Storage s;
    std::map<std::string, std::size_t, std::less<>> index_of;  // room JID → position in s.conferences
    for (const Element& child : storage.children()) {
        if (child.is_text()) continue;
        if (child.name() != "conference" || child.xmlns() != ns::bookmarks_legacy) {
            s.others.push_back(child);
            continue;
        }
        const std::string jid(child.attr_or("jid"));
        if (jid.empty()) continue;
        Conference c = common_fields(jid, child);
        if (auto at = index_of.find(jid); at != index_of.end()) {
            s.conferences[at->second] = std::move(c);
        } else {
            index_of.emplace(jid, s.conferences.size());
            s.conferences.push_back(std::move(c));
        }
    }
    return s;
}

Element storage_element(const Storage& s) {
    Element storage("storage", std::string(ns::bookmarks_legacy));
    for (const Conference& c : s.conferences) {
        Element e = conference_element(c, ns::bookmarks_legacy);
        e.set_attr("jid", c.jid);
        storage.add_child(std::move(e));
    }
    for (const Element& other : s.others) storage.add_child(other);
    return storage;
}

Changes reconcile(const std::vector<Conference>& current, const std::vector<Conference>& wanted) {
    std::map<std::string_view, const Conference*> now;
    for (const Conference& c : current) now.emplace(c.jid, &c);
    Changes changes;
    std::map<std::string_view, bool> kept;
    for (const Conference& w : wanted) {
        kept[w.jid] = true;
        auto found = now.find(w.jid);
        if (found == now.end()) {
            changes.publish.push_back(w);
            continue;
        }
        Conference merged = w;
        merged.extensions = found->second->extensions;
        if (merged != *found->second) changes.publish.push_back(std::move(merged));
    }
    for (const Conference& c : current)
        if (!kept.contains(c.jid)) changes.retract.push_back(c.jid);
    return changes;
}

}  // namespace xmpp::bookmarks
