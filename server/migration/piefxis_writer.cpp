#include "server/migration/piefxis_writer.hpp"

#include "server/core/pubsub_journal.hpp"
#include "xmpp/mam_query.hpp"
#include "xmpp/serializer.hpp"

namespace server::migration {

namespace {

xmpp::Element text_element(std::string name, const std::string& text) {
    xmpp::Element e(std::move(name), std::string(pie_scram_ns));
    e.add_text(text);
    return e;
}

// The name the block list gets, as ejabberd's mod_blocking names it.
constexpr const char* block_list_name = "Blocked contacts";

}  // namespace

xmpp::Element user_element(const PieUser& user, const std::string& domain) {
    xmpp::Element u("user", std::string(pie_ns));
    u.set_attr("name", user.name);
    if (user.password) u.set_attr("password", *user.password);
    for (const auto& s : user.secrets) {
        xmpp::Element c("scram-credentials", std::string(pie_scram_ns));
        c.set_attr("mechanism", std::string(auth::mechanism_name(s.hash)));
        c.add_child(text_element("iter-count", std::to_string(s.iterations)));
        c.add_child(text_element("salt", auth::base64_encode(s.salt)));
        c.add_child(text_element("server-key", auth::base64_encode(s.server_key)));
        c.add_child(text_element("stored-key", auth::base64_encode(s.stored_key)));
        u.add_child(std::move(c));
    }
    xmpp::Element roster("query", std::string(roster_ns));
    for (const auto& c : user.contacts) {
        if (!c.in_roster) continue;
        xmpp::Element item("item", std::string(roster_ns));
        item.set_attr("jid", c.jid);
        if (!c.name.empty()) item.set_attr("name", c.name);
        item.set_attr("subscription", std::string(xmpp::subscription_attr(c.state)));
        if (xmpp::has_pending_out(c.state)) item.set_attr("ask", "subscribe");
        for (const auto& g : c.groups) {
            xmpp::Element group("group", std::string(roster_ns));
            group.add_text(g);
            item.add_child(std::move(group));
        }
        roster.add_child(std::move(item));
    }
    if (roster.element_count() > 0) u.add_child(std::move(roster));
    for (const auto& c : user.contacts) {
        if (!xmpp::has_pending_in(c.state)) continue;
        xmpp::Element p("presence", std::string(client_ns));
        p.set_attr("from", c.jid);
        p.set_attr("to", user.name + "@" + domain);
        p.set_attr("type", "subscribe");
        u.add_child(std::move(p));
    }
    if (user.vcard) u.add_child(*user.vcard);
    if (!user.private_xml.empty()) {
        xmpp::Element q("query", std::string(private_ns));
        for (const auto& d : user.private_xml) q.add_child(d);
        u.add_child(std::move(q));
    }
    if (!user.offline.empty()) {
        xmpp::Element box("offline-messages", std::string(pie_ns));
        for (const auto& m : user.offline) box.add_child(m.message);
        u.add_child(std::move(box));
    }
    if (!user.blocked.empty()) {
        xmpp::Element q("query", std::string(privacy_ns));
        q.add_child(xmpp::Element("default", std::string(privacy_ns))).set_attr("name", block_list_name);
        auto& list = q.add_child(xmpp::Element("list", std::string(privacy_ns)));
        list.set_attr("name", block_list_name);
        int order = 0;
        for (const auto& jid : user.blocked) {
            xmpp::Element item("item", std::string(privacy_ns));
            item.set_attr("type", "jid");
            item.set_attr("value", jid);
            item.set_attr("action", "deny");
            item.set_attr("order", std::to_string(order++));
            list.add_child(std::move(item));
        }
        u.add_child(std::move(q));
    }
    if (!user.archive.empty() || user.archive_prefs) {
        xmpp::Element box("archive", std::string(pie_mam_ns));
        if (const auto& p = user.archive_prefs) {
            auto& prefs = box.add_child(xmpp::Element("prefs", std::string(mam_ns)));
            prefs.set_attr("default", p->default_mode);
            for (const auto* list : {&p->always, &p->never}) {
                auto& e = prefs.add_child(xmpp::Element(list == &p->always ? "always" : "never", std::string(mam_ns)));
                for (const auto& jid : *list) e.add_child(xmpp::Element("jid", std::string(mam_ns))).add_text(jid);
            }
        }
        for (const auto& m : user.archive) {
            auto& result = box.add_child(xmpp::Element("result", std::string(mam_ns)));
            result.set_attr("id", m.id);
            auto& forwarded = result.add_child(xmpp::Element("forwarded", std::string(forward_ns)));
            forwarded.add_child(xmpp::Element("delay", std::string(delay_ns)))
                .set_attr("stamp", xmpp::xep82_datetime_us(m.stamp_us));
            forwarded.add_child(m.message);
        }
        u.add_child(std::move(box));
    }
    if (!user.pep.empty()) {
        xmpp::Element owner("pubsub", std::string(pubsub_owner_ns));
        xmpp::Element items("pubsub", std::string(pubsub_ns));
        for (const auto& node : user.pep) {
            auto& configure = owner.add_child(xmpp::Element("configure", std::string(pubsub_owner_ns)));
            configure.set_attr("node", node.name);
            configure.add_child(config_submit_form(node.config));
            if (!node.affiliations.empty()) {
                auto& list = owner.add_child(xmpp::Element("affiliations", std::string(pubsub_owner_ns)));
                list.set_attr("node", node.name);
                for (const auto& [jid, affiliation] : node.affiliations) {
                    auto& a = list.add_child(xmpp::Element("affiliation", std::string(pubsub_owner_ns)));
                    a.set_attr("jid", jid);
                    a.set_attr("affiliation", affiliation);
                }
            }
            if (!node.subscribers.empty()) {
                auto& list = owner.add_child(xmpp::Element("subscriptions", std::string(pubsub_owner_ns)));
                list.set_attr("node", node.name);
                for (const auto& jid : node.subscribers) {
                    auto& s = list.add_child(xmpp::Element("subscription", std::string(pubsub_owner_ns)));
                    s.set_attr("jid", jid);
                    s.set_attr("subscription", "subscribed");
                }
            }
            if (node.items.empty()) continue;
            auto& list = items.add_child(xmpp::Element("items", std::string(pubsub_ns)));
            list.set_attr("node", node.name);
            for (const auto& item : node.items) {
                auto& i = list.add_child(xmpp::Element("item", std::string(pubsub_ns)));
                i.set_attr("id", item.id);
                i.set_attr("publisher", item.publisher);
                if (item.payload) i.add_child(*item.payload);
            }
        }
        u.add_child(std::move(owner));
        if (items.element_count() > 0) u.add_child(std::move(items));
    }
    return u;
}

PieWriter::PieWriter(std::ostream& out) : out_(out) {
    out_ << "<?xml version='1.0' encoding='UTF-8'?>\n<server-data xmlns='" << pie_ns << "'>\n";
}

void PieWriter::begin_host(const std::string& domain) {
    domain_ = domain;
    std::string attr;
    xmpp::escape_attr(domain, attr);
    out_ << "<host jid='" << attr << "'>\n";
}

void PieWriter::user(const PieUser& user) {
    std::string xml;
    xmpp::serialize(user_element(user, domain_), xml, pie_ns);
    out_ << xml << "\n";
}

void PieWriter::end_host() { out_ << "</host>\n"; }

bool PieWriter::finish() {
    out_ << "</server-data>\n";
    out_.flush();
    return static_cast<bool>(out_);
}

}  // namespace server::migration
