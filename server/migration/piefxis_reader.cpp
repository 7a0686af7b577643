#include "server/migration/piefxis_reader.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <map>
#include <set>

#include "pubsub/request.hpp"
#include "server/core/pubsub_journal.hpp"
#include "xmpp/datetime.hpp"
#include "xmpp/mam_query.hpp"
#include "xmpp/jid.hpp"

namespace server::migration {

namespace {

using xmpp::SubState;

bool is_pie(const xmpp::Element& e) { return e.xmlns() == pie_ns || e.xmlns() == pie_old_ns; }

std::optional<std::string> bare_jid(std::string_view text) {
    auto jid = xmpp::Jid::parse(text);
    if (!jid) return std::nullopt;
    return jid->bare_string();
}

// RFC 6121 Appendix A state from the roster attributes and a pending request.
SubState state_of(std::string_view subscription, bool ask_out, bool pending_in) {
    if (subscription == "both") return SubState::both;
    if (subscription == "to") return pending_in ? SubState::to_pending_in : SubState::to;
    if (subscription == "from") return ask_out ? SubState::from_pending_out : SubState::from;
    if (ask_out && pending_in) return SubState::none_pending_out_in;
    if (ask_out) return SubState::none_pending_out;
    return pending_in ? SubState::none_pending_in : SubState::none;
}

std::optional<auth::ScramHash> hash_of(std::string_view mechanism) {
    if (mechanism == "SCRAM-SHA-1") return auth::ScramHash::sha1;
    if (mechanism == "SCRAM-SHA-256") return auth::ScramHash::sha256;
    return std::nullopt;
}

struct Context {
    std::map<std::string, std::size_t> skipped;  // what had no home here, counted
};

xmpp::Result<auth::ScramSecret, std::string> read_scram(const xmpp::Element& e, auth::ScramHash hash,
                                                       const std::string& where) {
    const std::string mech(auth::mechanism_name(hash));
    const std::size_t key_size = hash == auth::ScramHash::sha256 ? 32 : 20;
    auto field = [&](std::string_view name) { return e.child_text(name); };
    auto salt = auth::base64_decode(field("salt"));
    auto stored = auth::base64_decode(field("stored-key"));
    auto server = auth::base64_decode(field("server-key"));
    if (!salt || !stored || !server || salt->empty())
        return xmpp::fail(where + ": " + mech + " credentials: salt, stored-key or server-key missing or not base64");
    if (stored->size() != key_size || server->size() != key_size) {
        // ejabberd 23.01: base64 of its base64 text.
        auto stored2 = auth::base64_decode(*stored), server2 = auth::base64_decode(*server);
        auto salt2 = auth::base64_decode(*salt);
        if (!stored2 || !server2 || !salt2 || salt2->empty() || stored2->size() != key_size ||
            server2->size() != key_size)
            return xmpp::fail(where + ": " + mech + " credentials: keys are not " + std::to_string(key_size) +
                              " bytes");
        stored = std::move(stored2);
        server = std::move(server2);
        salt = std::move(salt2);
    }
    const std::string iter_text = field("iter-count");
    std::uint32_t iterations = 0;
    const char* end = iter_text.data() + iter_text.size();
    const auto [ptr, ec] = std::from_chars(iter_text.data(), end, iterations);
    if (ec != std::errc() || ptr != end || iterations == 0 || iterations > 0x7fffffffU)
        return xmpp::fail(where + ": " + mech + " credentials: iter-count '" + iter_text + "' is not 1..2^31-1");
    return auth::ScramSecret{hash, std::move(*salt), iterations, std::move(*stored), std::move(*server)};
}

std::optional<std::string> read_roster(const xmpp::Element& query, std::vector<PieContact>& contacts,
                                       const std::string& where) {
    std::set<std::string> seen;
    for (const auto& item : query.children()) {
        if (item.is_text() || item.name() != "item") continue;
        const std::string* jid_text = item.attr("jid");
        auto jid = jid_text ? bare_jid(*jid_text) : std::nullopt;
        if (!jid) return where + ": roster item with " + (jid_text ? "invalid jid '" + *jid_text + "'" : "no jid");
        const std::string_view sub = item.attr_or("subscription", "none");
        if (sub == "remove") continue;
        if (sub != "none" && sub != "to" && sub != "from" && sub != "both")
            return where + ": roster item " + *jid + ": unknown subscription '" + std::string(sub) + "'";
        if (!seen.insert(*jid).second) return where + ": roster item " + *jid + " appears twice";
        PieContact c;
        c.jid = *jid;
        c.name = std::string(item.attr_or("name"));
        for (const auto& g : item.children())
            if (!g.is_text() && g.name() == "group") c.groups.push_back(g.text());
        c.state = state_of(sub, item.attr_or("ask") == "subscribe", false);
        contacts.push_back(std::move(c));
    }
    return std::nullopt;
}

// An inbound request: marks the contact's row, or adds a row kept out of the roster.
void add_pending_in(std::vector<PieContact>& contacts, const std::string& jid) {
    for (auto& c : contacts) {
        if (c.jid != jid) continue;
        const auto sub = xmpp::subscription_attr(c.state);
        c.state = state_of(sub, xmpp::has_pending_out(c.state), true);
        return;
    }
    PieContact c;
    c.jid = jid;
    c.state = SubState::none_pending_in;
    c.in_roster = false;
    contacts.push_back(std::move(c));
}

// ejabberd keeps the block list as the default privacy list; the items that
// deny a JID everything are that list, anything else has no home here.
void read_privacy(const xmpp::Element& query, PieUser& user, Context& ctx) {
    std::string default_list;
    if (const auto* d = query.child("default")) default_list = std::string(d->attr_or("name"));
    for (const auto& list : query.children()) {
        if (list.is_text() || list.name() != "list") continue;
        const bool is_default = list.attr_or("name") == default_list;
        for (const auto& item : list.children()) {
            if (item.is_text() || item.name() != "item") continue;
            const bool blocks_jid = item.attr_or("type") == "jid" && item.attr_or("action") == "deny" &&
                                    item.element_count() == 0;
            auto jid = blocks_jid ? xmpp::Jid::parse(item.attr_or("value")) : std::nullopt;
            if (is_default && jid) {
                user.blocked.push_back(jid->full());
            } else {
                ++ctx.skipped["privacy list rules other than blocking a JID"];
            }
        }
    }
}

std::optional<std::string> read_offline(const xmpp::Element& box, PieUser& user, const std::string& where) {
    for (const auto& m : box.children()) {
        if (m.is_text()) continue;
        if (m.name() != "message" || (m.xmlns() != client_ns && !is_pie(m)))
            return where + ": offline-messages holds <" + m.name() + "/> in '" + m.xmlns() + "', not a message";
        PieOfflineMessage off{m, 0};
        off.message.set_xmlns(std::string(client_ns));
        if (const auto* delay = m.child("delay", delay_ns)) {
            auto stamp = xmpp::parse_xep82(delay->attr_or("stamp"));
            if (!stamp)
                return where + ": offline message with delay stamp '" + std::string(delay->attr_or("stamp")) +
                       "' (not XEP-0082)";
            off.stamp = *stamp;
        }
        user.offline.push_back(std::move(off));
    }
    return std::nullopt;
}

std::optional<std::string> read_archive(const xmpp::Element& box, PieUser& user, const std::string& where) {
    for (const auto& c : box.children()) {
        if (c.is_text()) continue;
        if (c.name() == "prefs" && c.xmlns() == mam_ns) {
            const std::string mode(c.attr_or("default"));
            if (mode != "always" && mode != "never" && mode != "roster")
                return where + ": archive preferences with default '" + mode + "'";
            PieArchivePrefs prefs{mode, {}, {}};
            for (const auto& list : c.children()) {
                if (list.is_text() || list.xmlns() != mam_ns) continue;
                auto* into = list.name() == "always" ? &prefs.always : list.name() == "never" ? &prefs.never : nullptr;
                if (!into) continue;
                for (const auto& j : list.children()) {
                    if (j.is_text() || j.name() != "jid") continue;
                    auto jid = xmpp::Jid::parse(j.text());
                    if (!jid) return where + ": archive preferences name '" + j.text() + "', not a JID";
                    into->push_back(jid->full());
                }
            }
            user.archive_prefs = std::move(prefs);
            continue;
        }
        if (c.name() != "result" || c.xmlns() != mam_ns)
            return where + ": archive holds <" + c.name() + "/> in '" + c.xmlns() + "', not a result";
        const auto* forwarded = c.child("forwarded", forward_ns);
        const auto* message = forwarded ? forwarded->child("message") : nullptr;
        const auto* delay = forwarded ? forwarded->child("delay", delay_ns) : nullptr;
        if (!message || (message->xmlns() != client_ns && !is_pie(*message)))
            return where + ": archived result without a forwarded message";
        auto stamp = delay ? xmpp::parse_xep82_us(delay->attr_or("stamp")) : std::nullopt;
        if (!stamp) return where + ": archived message without a XEP-0082 delay stamp";
        PieArchivedMessage m{std::string(c.attr_or("id")), *stamp, *message};
        m.message.set_xmlns(std::string(client_ns));
        user.archive.push_back(std::move(m));
    }
    return std::nullopt;
}

std::optional<std::string> read_private(const xmpp::Element& query, PieUser& user, const std::string& where) {
    std::set<std::string> seen;
    for (const auto& doc : query.children()) {
        if (doc.is_text()) continue;
        const std::string& ns = doc.xmlns();
        if (ns.empty() || ns == client_ns || ns == private_ns || is_pie(doc))
            return where + ": private XML <" + doc.name() + "/> without a namespace of its own";
        if (!seen.insert(ns).second) return where + ": private XML namespace '" + ns + "' appears twice";
        user.private_xml.push_back(doc);
    }
    return std::nullopt;
}

PiePepNode& pep_node(PieUser& user, const std::string& name) {
    for (auto& node : user.pep)
        if (node.name == name) return node;
    PiePepNode& node = user.pep.emplace_back();
    node.name = name;
    return node;
}

std::optional<std::string> node_name(const xmpp::Element& e, const std::string& where, std::string& out) {
    out = std::string(e.attr_or("node"));
    if (out.empty()) return where + ": PEP <" + e.name() + "/> without a node";
    return std::nullopt;
}

// <pubsub xmlns='…#owner'>: each node's configuration, affiliations and subscriptions.
std::optional<std::string> read_pep_owner(const xmpp::Element& pubsub, PieUser& user, const std::string& self,
                                          std::set<std::string>& configured, const std::string& where,
                                          Context& ctx) {
    for (const auto& c : pubsub.children()) {
        if (c.is_text()) continue;
        std::string name;
        if (c.name() == "configure") {
            if (auto err = node_name(c, where, name)) return err;
            PiePepNode& node = pep_node(user, name);
            configured.insert(name);
            const xmpp::Element* form = c.child("x", xmpp::ns::data_forms);
            if (!form) continue;  // the defaults
            if (auto config = config_from_form(*form, true)) {
                node.config = std::move(*config);
            } else {
                ++ctx.skipped["PEP node configurations with values xmqd does not know (defaults used)"];
            }
        } else if (c.name() == "affiliations") {
            if (auto err = node_name(c, where, name)) return err;
            PiePepNode& node = pep_node(user, name);
            for (const auto& a : c.children()) {
                if (a.is_text() || a.name() != "affiliation") continue;
                auto jid = bare_jid(a.attr_or("jid"));
                auto affiliation = pubsub::affiliation_from_string(a.attr_or("affiliation"));
                if (jid && *jid == self && affiliation == pubsub::Affiliation::owner) continue;  // PEP: always
                // A PEP node's only owner is its account.
                if (!jid || !affiliation || *affiliation == pubsub::Affiliation::none ||
                    *affiliation == pubsub::Affiliation::owner) {
                    ++ctx.skipped["PEP affiliations other than publisher, member, outcast"];
                    continue;
                }
                node.affiliations.emplace_back(*jid, std::string(pubsub::to_string(*affiliation)));
            }
        } else if (c.name() == "subscriptions") {
            if (auto err = node_name(c, where, name)) return err;
            PiePepNode& node = pep_node(user, name);
            for (const auto& s : c.children()) {
                if (s.is_text() || s.name() != "subscription") continue;
                auto jid = xmpp::Jid::parse(s.attr_or("jid"));
                if (!jid || s.attr_or("subscription", "subscribed") != "subscribed") {
                    ++ctx.skipped["PEP subscriptions not in state subscribed"];
                    continue;
                }
                node.subscribers.push_back(jid->full());
            }
        } else {
            ++ctx.skipped["PEP <" + c.name() + "/> in pubsub#owner"];
        }
    }
    return std::nullopt;
}

// <pubsub xmlns='…pubsub'>: each node's items, oldest first.
std::optional<std::string> read_pep_items(const xmpp::Element& pubsub, PieUser& user, const std::string& self,
                                          const std::string& where, Context& ctx) {
    for (const auto& c : pubsub.children()) {
        if (c.is_text()) continue;
        if (c.name() != "items") {
            ++ctx.skipped["PEP <" + c.name() + "/> in pubsub"];
            continue;
        }
        std::string name;
        if (auto err = node_name(c, where, name)) return err;
        PiePepNode& node = pep_node(user, name);
        for (const auto& i : c.children()) {
            if (i.is_text() || i.name() != "item") continue;
            PiePepItem item{std::string(i.attr_or("id")), self, std::nullopt};
            if (item.id.empty()) return where + ": PEP node '" + name + "' has an item without id";
            if (auto publisher = bare_jid(i.attr_or("publisher"))) item.publisher = *publisher;
            for (const auto& p : i.children()) {
                if (p.is_text()) continue;
                if (item.payload) return where + ": PEP item '" + item.id + "' of '" + name + "' has two payloads";
                item.payload = p;
            }
            node.items.push_back(std::move(item));
        }
    }
    return std::nullopt;
}

xmpp::Result<PieUser, std::string> read_user(const xmpp::Element& e, const std::string& domain, Context& ctx) {
    const std::string* name = e.attr("name");
    std::string where = "host '" + domain + "', user '" + (name ? *name : "") + "'";
    auto local = name ? xmpp::Jid::normalize_local(*name) : std::nullopt;
    if (!local || local->empty()) return xmpp::fail("host '" + domain + "': user with " +
                                                    (name ? "invalid name '" + *name + "'" : "no name"));
    PieUser user;
    user.name = *local;
    if (const std::string* pw = e.attr("password")) user.password = *pw;
    std::vector<std::string> pending;
    const std::string self = user.name + "@" + domain;
    std::set<std::string> configured;  // PEP nodes the file configures
    for (const auto& c : e.children()) {
        if (c.is_text()) continue;
        if (c.name() == "scram-credentials" && c.xmlns() == pie_scram_ns) {
            const std::string mech(c.attr_or("mechanism"));
            auto hash = hash_of(mech);
            if (!hash) {
                ++ctx.skipped["SCRAM credentials for " + (mech.empty() ? "no mechanism" : mech)];
                continue;
            }
            for (const auto& s : user.secrets)
                if (s.hash == *hash) return xmpp::fail(where + ": two sets of " + mech + " credentials");
            auto secret = read_scram(c, *hash, where);
            if (!secret) return xmpp::fail(secret.error());
            user.secrets.push_back(std::move(secret.value()));
        } else if (c.name() == "query" && c.xmlns() == roster_ns) {
            if (auto err = read_roster(c, user.contacts, where)) return xmpp::fail(*err);
        } else if (c.name() == "presence" && (c.xmlns() == client_ns || is_pie(c))) {
            if (c.attr_or("type") != "subscribe") {
                ++ctx.skipped["presence stanzas other than subscription requests"];
                continue;
            }
            auto from = bare_jid(c.attr_or("from"));
            if (!from) return xmpp::fail(where + ": subscription request from invalid JID '" +
                                         std::string(c.attr_or("from")) + "'");
            pending.push_back(*from);
        } else if (c.name() == "vCard" && c.xmlns() == vcard_ns) {
            if (user.vcard) return xmpp::fail(where + ": two vCards");
            user.vcard = c;
        } else if (c.name() == "query" && c.xmlns() == private_ns) {
            if (auto err = read_private(c, user, where)) return xmpp::fail(*err);
        } else if (c.name() == "offline-messages" && is_pie(c)) {
            if (auto err = read_offline(c, user, where)) return xmpp::fail(*err);
        } else if (c.name() == "archive" && c.xmlns() == pie_mam_ns) {
            if (auto err = read_archive(c, user, where)) return xmpp::fail(*err);
        } else if (c.name() == "query" && c.xmlns() == privacy_ns) {
            read_privacy(c, user, ctx);
        } else if (c.name() == "pubsub" && c.xmlns() == pubsub_owner_ns) {
            if (auto err = read_pep_owner(c, user, self, configured, where, ctx)) return xmpp::fail(*err);
        } else if (c.name() == "pubsub" && c.xmlns() == pubsub_ns) {
            if (auto err = read_pep_items(c, user, self, where, ctx)) return xmpp::fail(*err);
        } else {
            ++ctx.skipped["<" + c.name() + " xmlns='" + c.xmlns() + "'/>"];
        }
    }
    for (const auto& jid : pending) add_pending_in(user.contacts, jid);
    // A node with items and no configuration keeps them all, whatever the
    // default max_items.
    for (auto& node : user.pep)
        if (!configured.contains(node.name) && node.items.size() > 1) node.config.max_items = node.items.size();
    std::sort(user.pep.begin(), user.pep.end(),
              [](const PiePepNode& a, const PiePepNode& b) { return a.name < b.name; });
    return user;
}

std::optional<std::string> read_host(const xmpp::Element& e, PieData& data, Context& ctx) {
    const std::string* jid = e.attr("jid");
    auto domain = jid ? xmpp::Jid::normalize_domain(*jid) : std::nullopt;
    if (!domain) return std::string("host with ") + (jid ? "invalid jid '" + *jid + "'" : "no jid");
    PieHost* host = nullptr;
    for (auto& h : data.hosts)
        if (h.domain == *domain) host = &h;
    if (!host) host = &data.hosts.emplace_back(PieHost{*domain, {}});
    std::set<std::string> seen;
    for (const auto& u : host->users) seen.insert(u.name);
    for (const auto& c : e.children()) {
        if (c.is_text()) continue;
        if (c.name() != "user" || !is_pie(c)) {
            ++ctx.skipped["host-level <" + c.name() + "/>"];
            continue;
        }
        auto user = read_user(c, *domain, ctx);
        if (!user) return user.error();
        if (!seen.insert(user->name).second)
            return "host '" + *domain + "': user '" + user->name + "' appears twice";
        host->users.push_back(std::move(user.value()));
    }
    return std::nullopt;
}

}  // namespace

xmpp::Result<PieData, std::string> read_pie(const xmpp::Element& root) {
    PieData data;
    Context ctx;
    if (!is_pie(root))
        return xmpp::fail("the root element <" + root.name() + "/> is not in the XEP-0227 namespace " +
                          std::string(pie_ns));
    if (root.name() == "host") {
        if (auto err = read_host(root, data, ctx)) return xmpp::fail(*err);
    } else if (root.name() == "server-data") {
        for (const auto& c : root.children()) {
            if (c.is_text()) continue;
            if (c.name() != "host" || !is_pie(c))
                return xmpp::fail("<server-data> holds <" + c.name() + "/>, not <host/>");
            if (auto err = read_host(c, data, ctx)) return xmpp::fail(*err);
        }
    } else {
        return xmpp::fail("the root element is <" + root.name() + "/>, not <server-data/>");
    }
    for (const auto& [what, count] : ctx.skipped)
        data.notes.push_back("not imported (no such data in xmqd): " + what + " x" + std::to_string(count));
    return data;
}

std::optional<std::string> merge_pie(PieData& into, PieData&& more) {
    for (auto& host : more.hosts) {
        PieHost* target = nullptr;
        for (auto& h : into.hosts)
            if (h.domain == host.domain) target = &h;
        if (!target) {
            into.hosts.push_back(std::move(host));
            continue;
        }
        for (auto& user : host.users) {
            for (const auto& u : target->users)
                if (u.name == user.name)
                    return "user " + user.name + "@" + host.domain + " appears in more than one file";
            target->users.push_back(std::move(user));
        }
    }
    for (auto& n : more.notes) into.notes.push_back(std::move(n));
    return std::nullopt;
}

}  // namespace server::migration
