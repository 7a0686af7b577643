// The presence subscription state machine of RFC 6121 Appendix A, as a pure
// table: the state a roster item is in (from its owner's point of view), and
// what one subscription stanza does to it, outbound (sent by the owner) or
// inbound (received by the owner). No I/O, no storage: the presence module
// applies it and stores the result. Safe from any thread.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace xmpp {

// The nine states of RFC 6121 Appendix A.1.
enum class SubState {
    none,
    none_pending_out,
    none_pending_in,
    none_pending_out_in,
    to,
    to_pending_in,
    from,
    from_pending_out,
    both,
};

enum class SubStanza { subscribe, subscribed, unsubscribe, unsubscribed };

enum class Direction { outbound, inbound };

// The state after `stanza` travels in `direction`; the same state when the
// stanza changes nothing ("no state change" in the tables).
SubState transition(SubState state, SubStanza stanza, Direction direction);

// The roster 'subscription' attribute of a state: none, to, from or both.
std::string_view subscription_attr(SubState state);
bool has_pending_out(SubState state);  // the roster item shows ask='subscribe'
bool has_pending_in(SubState state);   // a subscription request waits for approval
bool has_from(SubState state);         // the contact receives the owner's presence
bool has_to(SubState state);           // the owner receives the contact's presence

// What the owner of an item in `state` sends to end every relation with the
// contact (a roster removal, RFC 6121 §2.5.2; an account deletion, XEP-0077
// §3.2): unsubscribe when it receives or asked for the contact's presence,
// unsubscribed when the contact receives or asked for the owner's.
std::vector<SubStanza> cancellations(SubState state);

std::optional<SubStanza> parse_sub_stanza(std::string_view type);
// Stored form: a small integer, stable across versions.
int to_int(SubState state);
std::optional<SubState> sub_state_from_int(int value);

}  // namespace xmpp
