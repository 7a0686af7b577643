// RFC 6121 Appendix A, every row of every table: the state a roster item
// reaches after one subscription stanza, outbound and inbound.
#include <doctest/doctest.h>

#include "xmpp/subscription_state.hpp"

using xmpp::Direction;
using xmpp::SubStanza;
using xmpp::SubState;
using xmpp::transition;

namespace {

using S = SubState;

struct Row {
    S from;
    S to;
};

void check(SubStanza stanza, Direction direction, std::initializer_list<Row> rows) {
    CHECK(rows.size() == 9);  // each table covers all nine states
    for (const Row& row : rows) {
        CAPTURE(static_cast<int>(row.from));
        CHECK(transition(row.from, stanza, direction) == row.to);
    }
}

}  // namespace

TEST_CASE("A.2.1 outbound subscribe") {
    check(SubStanza::subscribe, Direction::outbound,
          {{S::none, S::none_pending_out},
           {S::none_pending_out, S::none_pending_out},
           {S::none_pending_in, S::none_pending_out_in},
           {S::none_pending_out_in, S::none_pending_out_in},
           {S::to, S::to},
           {S::to_pending_in, S::to_pending_in},
           {S::from, S::from_pending_out},
           {S::from_pending_out, S::from_pending_out},
           {S::both, S::both}});
}

TEST_CASE("A.2.2 outbound unsubscribe") {
    check(SubStanza::unsubscribe, Direction::outbound,
          {{S::none, S::none},
           {S::none_pending_out, S::none},
           {S::none_pending_in, S::none_pending_in},
           {S::none_pending_out_in, S::none_pending_in},
           {S::to, S::none},
           {S::to_pending_in, S::none_pending_in},
           {S::from, S::from},
           {S::from_pending_out, S::from},
           {S::both, S::from}});
}

TEST_CASE("A.2.3 outbound subscribed") {
    check(SubStanza::subscribed, Direction::outbound,
          {{S::none, S::none},
           {S::none_pending_out, S::none_pending_out},
           {S::none_pending_in, S::from},
           {S::none_pending_out_in, S::from_pending_out},
           {S::to, S::to},
           {S::to_pending_in, S::both},
           {S::from, S::from},
           {S::from_pending_out, S::from_pending_out},
           {S::both, S::both}});
}

TEST_CASE("A.2.4 outbound unsubscribed") {
    check(SubStanza::unsubscribed, Direction::outbound,
          {{S::none, S::none},
           {S::none_pending_out, S::none_pending_out},
           {S::none_pending_in, S::none},
           {S::none_pending_out_in, S::none_pending_out},
           {S::to, S::to},
           {S::to_pending_in, S::to},
           {S::from, S::none},
           {S::from_pending_out, S::none_pending_out},
           {S::both, S::to}});
}

TEST_CASE("A.3.1 inbound subscribe") {
    check(SubStanza::subscribe, Direction::inbound,
          {{S::none, S::none_pending_in},
           {S::none_pending_out, S::none_pending_out_in},
           {S::none_pending_in, S::none_pending_in},
           {S::none_pending_out_in, S::none_pending_out_in},
           {S::to, S::to_pending_in},
           {S::to_pending_in, S::to_pending_in},
           {S::from, S::from},
           {S::from_pending_out, S::from_pending_out},
           {S::both, S::both}});
}

TEST_CASE("A.3.2 inbound unsubscribe") {
    check(SubStanza::unsubscribe, Direction::inbound,
          {{S::none, S::none},
           {S::none_pending_out, S::none_pending_out},
           {S::none_pending_in, S::none},
           {S::none_pending_out_in, S::none_pending_out},
           {S::to, S::to},
           {S::to_pending_in, S::to},
           {S::from, S::none},
           {S::from_pending_out, S::none_pending_out},
           {S::both, S::to}});
}

TEST_CASE("A.3.3 inbound subscribed") {
    check(SubStanza::subscribed, Direction::inbound,
          {{S::none, S::none},
           {S::none_pending_out, S::to},
           {S::none_pending_in, S::none_pending_in},
           {S::none_pending_out_in, S::to_pending_in},
           {S::to, S::to},
           {S::to_pending_in, S::to_pending_in},
           {S::from, S::from},
           {S::from_pending_out, S::both},
           {S::both, S::both}});
}

TEST_CASE("A.3.4 inbound unsubscribed") {
    check(SubStanza::unsubscribed, Direction::inbound,
          {{S::none, S::none},
           {S::none_pending_out, S::none},
           {S::none_pending_in, S::none_pending_in},
           {S::none_pending_out_in, S::none_pending_in},
           {S::to, S::none},
           {S::to_pending_in, S::none_pending_in},
           {S::from, S::from},
           {S::from_pending_out, S::from},
           {S::both, S::from}});
}

TEST_CASE("roster attributes of each state") {
    using namespace xmpp;
    CHECK(subscription_attr(S::none_pending_out_in) == "none");
    CHECK(subscription_attr(S::to_pending_in) == "to");
    CHECK(subscription_attr(S::from_pending_out) == "from");
    CHECK(subscription_attr(S::both) == "both");
    CHECK(has_pending_out(S::from_pending_out));
    CHECK_FALSE(has_pending_out(S::to_pending_in));
    CHECK(has_pending_in(S::none_pending_out_in));
    CHECK(has_from(S::both));
    CHECK_FALSE(has_from(S::to));
    CHECK(has_to(S::to_pending_in));
    for (int i = 0; i < 9; ++i) CHECK(sub_state_from_int(i).has_value());
    CHECK_FALSE(sub_state_from_int(9).has_value());
    CHECK(parse_sub_stanza("subscribed") == SubStanza::subscribed);
    CHECK_FALSE(parse_sub_stanza("probe").has_value());
}
