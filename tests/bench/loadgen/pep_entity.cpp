#include "pep_entity.hpp"
#include "connection.hpp"
#include "scram_client.hpp"
#include "xml_split.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <tuple>

namespace loadgen {

namespace {

// An attribute value as attribute() returned it (still escaped), made safe to
// write between single quotes.
std::string requote(std::string value) {
    for (std::size_t p = 0; (p = value.find('\'', p)) != std::string::npos; p += 6) value.replace(p, 1, "&apos;");
    return value;
}

// `to` and `id` of a reply to `iq`.
std::string reply_head(std::string_view iq, std::string_view type) {
    std::string from = attribute(iq, "from");
    std::string head = "<iq type='" + std::string(type) + "' id='" + requote(attribute(iq, "id")) + "'";
    if (!from.empty()) head += " to='" + requote(from) + "'";
    return head;
}

bool has_namespace(std::string_view element, std::string_view ns) {
    std::string single = "xmlns='" + std::string(ns) + "'", dbl = "xmlns=\"" + std::string(ns) + "\"";
    return element.find(single) != std::string_view::npos || element.find(dbl) != std::string_view::npos;
}

std::string error_reply(std::string_view iq, std::string_view type, std::string_view condition) {
    return reply_head(iq, "error") + "><error type='" + std::string(type) + "'><" + std::string(condition) +
           " xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>";
}

}  // namespace

std::string caps_verification_string(std::vector<DiscoIdentity> identities, std::vector<std::string> features) {
    std::sort(identities.begin(), identities.end(), [](const DiscoIdentity& a, const DiscoIdentity& b) {
        return std::tie(a.category, a.type, a.lang) < std::tie(b.category, b.type, b.lang);
    });
    std::sort(features.begin(), features.end());
    std::string s;
    for (auto& i : identities) s += i.category + "/" + i.type + "/" + i.lang + "/" + i.name + "<";
    for (auto& f : features) s += f + "<";
    return s;
}

std::string caps_ver(const std::vector<DiscoIdentity>& identities, const std::vector<std::string>& features) {
    std::string s = caps_verification_string(identities, features);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest);
    return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

const std::vector<DiscoIdentity>& loadgen_identities() {
    static const std::vector<DiscoIdentity> identities{{"client", "bot", "", "xmq-loadgen"}};
    return identities;
}

const std::vector<std::string>& loadgen_features() {
    static const std::vector<std::string> features{
        "http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info", "urn:xmpp:ping",
        std::string(pep_bench_node), std::string(pep_bench_node) + "+notify"};
    return features;
}

const std::string& loadgen_caps_ver() {
    static const std::string ver = caps_ver(loadgen_identities(), loadgen_features());
    return ver;
}

std::string caps_presence() {
    return "<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='" +
           std::string(loadgen_caps_node) + "' ver='" + loadgen_caps_ver() + "'/></presence>";
}

std::string answer_request(std::string_view iq) {
    std::string type = attribute(iq, "type");
    if (type != "get" && type != "set") return {};
    auto payload_at = iq.find('>');
    std::string_view payload = payload_at == std::string_view::npos ? std::string_view{} : iq.substr(payload_at);
    if (type == "get" && has_namespace(payload, "http://jabber.org/protocol/disco#info")) {
        auto query_at = payload.find("<query");
        std::string node = query_at == std::string_view::npos ? std::string{} : attribute(payload.substr(query_at), "node");
        if (!node.empty() && node != std::string(loadgen_caps_node) + "#" + loadgen_caps_ver())
            return error_reply(iq, "cancel", "item-not-found");
        std::string out = reply_head(iq, "result") + "><query xmlns='http://jabber.org/protocol/disco#info'";
        if (!node.empty()) out += " node='" + requote(node) + "'";
        out += ">";
        for (auto& i : loadgen_identities())
            out += "<identity category='" + i.category + "' type='" + i.type + "' name='" + i.name + "'/>";
        for (auto& f : loadgen_features()) out += "<feature var='" + f + "'/>";
        return out + "</query></iq>";
    }
    if (type == "get" && has_namespace(payload, "urn:xmpp:ping")) return reply_head(iq, "result") + "/>";
    if (type == "set" && has_namespace(payload, "jabber:iq:roster")) return reply_head(iq, "result") + "/>";
    return error_reply(iq, "cancel", "service-unavailable");
}

std::string publish_iq(const std::string& id, const std::string& item_id, const std::string& text) {
    return "<iq type='set' id='" + id + "'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='" +
           std::string(pep_bench_node) + "'><item id='" + item_id + "'><entry xmlns='" + std::string(pep_bench_node) +
           "'>" + text + "</entry></item></publish></pubsub></iq>";
}

std::vector<PepPayload> pep_payloads(std::string_view element, std::string_view nonce) {
    std::vector<PepPayload> found;
    if (nonce.empty()) return found;
    for (std::size_t pos = element.find(nonce); pos != std::string_view::npos; pos = element.find(nonce, pos + 1)) {
        std::size_t at = pos + nonce.size();
        if (pos == 0 || element.size() - at < token_size || element[at] != '@' || element[at + 1] != '@') continue;
        PepPayload p;
        p.marker = element[pos - 1];
        if (read_token(element.data() + at, p.item, p.sent_ns)) found.push_back(p);
    }
    return found;
}

std::map<std::string, std::string> roster_subscriptions(std::string_view iq) {
    std::map<std::string, std::string> items;
    for (std::size_t pos = iq.find("<item"); pos != std::string_view::npos; pos = iq.find("<item", pos + 5)) {
        char next = pos + 5 < iq.size() ? iq[pos + 5] : '\0';
        if (next != ' ' && next != '/' && next != '>' && next != '\t' && next != '\n') continue;
        std::string_view tag = iq.substr(pos);
        std::string jid = attribute(tag, "jid");
        if (jid.empty()) continue;
        std::string subscription = attribute(tag, "subscription");
        items[jid] = subscription.empty() ? "none" : subscription;
    }
    return items;
}

std::string bare_jid(std::string_view jid) { return std::string(jid.substr(0, jid.find('/'))); }

}  // namespace loadgen
