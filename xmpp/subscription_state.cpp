#include "xmpp/subscription_state.hpp"

namespace xmpp {

namespace {

using S = SubState;

// Rows: the nine states in enum order. Columns: subscribe, subscribed,
// unsubscribe, unsubscribed. Straight from RFC 6121 A.2.1-A.2.4 (outbound)
// and A.3.1-A.3.4 (inbound).
constexpr S outbound_table[9][4] = {
    /* none                */ {S::none_pending_out, S::none, S::none, S::none},
    /* none_pending_out    */ {S::none_pending_out, S::none_pending_out, S::none, S::none_pending_out},
    /* none_pending_in     */ {S::none_pending_out_in, S::from, S::none_pending_in, S::none},
    /* none_pending_out_in */ {S::none_pending_out_in, S::from_pending_out, S::none_pending_in, S::none_pending_out},
    /* to                  */ {S::to, S::to, S::none, S::to},
    /* to_pending_in       */ {S::to_pending_in, S::both, S::none_pending_in, S::to},
    /* from                */ {S::from_pending_out, S::from, S::from, S::none},
    /* from_pending_out    */ {S::from_pending_out, S::from_pending_out, S::from, S::none_pending_out},
    /* both                */ {S::both, S::both, S::from, S::to},
};

constexpr S inbound_table[9][4] = {
    /* none                */ {S::none_pending_in, S::none, S::none, S::none},
    /* none_pending_out    */ {S::none_pending_out_in, S::to, S::none_pending_out, S::none},
    /* none_pending_in     */ {S::none_pending_in, S::none_pending_in, S::none, S::none_pending_in},
    /* none_pending_out_in */ {S::none_pending_out_in, S::to_pending_in, S::none_pending_out, S::none_pending_in},
    /* to                  */ {S::to_pending_in, S::to, S::to, S::none},
    /* to_pending_in       */ {S::to_pending_in, S::to_pending_in, S::to, S::none_pending_in},
    /* from                */ {S::from, S::from, S::none, S::from},
    /* from_pending_out    */ {S::from_pending_out, S::both, S::none_pending_out, S::from},
    /* both                */ {S::both, S::both, S::to, S::from},
};

}  // namespace

SubState transition(SubState state, SubStanza stanza, Direction direction) {
    const auto& table = direction == Direction::outbound ? outbound_table : inbound_table;
    return table[static_cast<int>(state)][static_cast<int>(stanza)];
}

std::string_view subscription_attr(SubState state) {
    switch (state) {
    case S::to:
    case S::to_pending_in: return "to";
    case S::from:
    case S::from_pending_out: return "from";
    case S::both: return "both";
    default: return "none";
    }
}

bool has_pending_out(SubState state) {
    return state == S::none_pending_out || state == S::none_pending_out_in || state == S::from_pending_out;
}

bool has_pending_in(SubState state) {
    return state == S::none_pending_in || state == S::none_pending_out_in || state == S::to_pending_in;
}

bool has_from(SubState state) { return state == S::from || state == S::from_pending_out || state == S::both; }

bool has_to(SubState state) { return state == S::to || state == S::to_pending_in || state == S::both; }

std::vector<SubStanza> cancellations(SubState state) {
    std::vector<SubStanza> out;
    if (has_to(state) || has_pending_out(state)) out.push_back(SubStanza::unsubscribe);
    if (has_from(state) || has_pending_in(state)) out.push_back(SubStanza::unsubscribed);
    return out;
}

std::optional<SubStanza> parse_sub_stanza(std::string_view type) {
    if (type == "subscribe") return SubStanza::subscribe;
    if (type == "subscribed") return SubStanza::subscribed;
    if (type == "unsubscribe") return SubStanza::unsubscribe;
    if (type == "unsubscribed") return SubStanza::unsubscribed;
    return std::nullopt;
}

int to_int(SubState state) { return static_cast<int>(state); }

std::optional<SubState> sub_state_from_int(int value) {
    if (value < 0 || value > static_cast<int>(S::both)) return std::nullopt;
    return static_cast<SubState>(value);
}

}  // namespace xmpp
