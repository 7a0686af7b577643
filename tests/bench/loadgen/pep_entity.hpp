// The load generator as a PEP contact (XEP-0163) for the pep-publish and
// pep-roster scenarios: its entity capabilities (XEP-0115: the verification
// string and its SHA-1, the <c/> of its presence, the disco#info that a server
// asks for node#ver), the answers it gives to the requests a server sends a
// client (disco#info, roster pushes, anything else refused), the publish it
// sends to the benchmark node, the reading of that node's notifications, and
// the reading of a roster result. Pure code over the text of one top-level
// element as xml_split.hpp splits it; no state: any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen {

// The node the benchmark publishes to; contacts say they want its notifications
// with the feature "urn:xmpp:bench:pep+notify" in their disco#info.
inline constexpr std::string_view pep_bench_node = "urn:xmpp:bench:pep";
// XEP-0115's node: a URI naming the software that sends the caps.
inline constexpr std::string_view loadgen_caps_node = "urn:xmpp:bench:xmq-loadgen";

struct DiscoIdentity {
    std::string category, type, lang, name;
};

// XEP-0115 §5.1: the verification string of identities and features (sorted
// here), then base64(SHA-1(S)) (§5.2). No data forms: the load generator has none.
std::string caps_verification_string(std::vector<DiscoIdentity> identities, std::vector<std::string> features);
std::string caps_ver(const std::vector<DiscoIdentity>& identities, const std::vector<std::string>& features);

// The load generator's own disco#info (identity client/bot, its features with
// the bench node's +notify) and its ver.
const std::vector<DiscoIdentity>& loadgen_identities();
const std::vector<std::string>& loadgen_features();
const std::string& loadgen_caps_ver();

// Available presence with the load generator's caps.
std::string caps_presence();

// The reply to a request (<iq type='get'|'set'>) a server sent: disco#info of
// the load generator (no node, or node#ver) as a result; a roster push as an
// empty result; anything else service-unavailable (RFC 6120 §8.4). "" for an
// element that is no request (a result, an error, not an iq).
std::string answer_request(std::string_view iq);

// A publish to the bench node (auto-created by the first publish) with one
// item whose payload text is `text`.
std::string publish_iq(const std::string& id, const std::string& item_id, const std::string& text);

// One benchmark payload found in a notification: "<marker><nonce>@@<token>",
// the token carrying the item's index and its send time (connection.hpp).
struct PepPayload {
    char marker = 0;  // 'w': a warm-up item, 'm': a measured one
    std::uint32_t item = 0;
    std::uint64_t sent_ns = 0;
};

// Every payload of this run (its nonce) in `element`; other runs' items (a
// server's last-published item from an earlier run) carry other nonces.
std::vector<PepPayload> pep_payloads(std::string_view element, std::string_view nonce);

// jid -> subscription of every <item/> in a roster result (jabber:iq:roster).
std::map<std::string, std::string> roster_subscriptions(std::string_view iq);

// The bare JID of a JID (its resource cut).
std::string bare_jid(std::string_view jid);

}  // namespace loadgen

