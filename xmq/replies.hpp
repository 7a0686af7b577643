// The answers a queue builds itself (docs/xmq.md §2, §5): the empty iq result of
// a command, and the disco#info / disco#items payloads of a route. Errors are
// built with xmpp::make_error_reply. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "conf/config.hpp"
#include "xmq/subscription_registry.hpp"
#include "xmpp/element.hpp"

namespace xmq {

// <iq type='result' id='..' to='sender' from='route'/>
xmpp::Element iq_result(const xmpp::Element& request, const std::string& to, std::string_view route);

// <query xmlns='disco#info' [node]> with the queue's identity and features.
xmpp::Element disco_info_query(conf::QueueType type, const std::string* node);

// <query xmlns='disco#items' [node]> with one item per topic:
// jid=route, node=topic, name="topic (N consumers)" (N eligible now), on a
// reliable queue "topic (N consumers, H held, U unacked)".
xmpp::Element disco_items_query(std::string_view route, const std::vector<TopicInfo>& topics,
                                const std::string* node);

std::string_view queue_identity_name(conf::QueueType type);

struct TopicStats {
    std::size_t consumers = 0;  // eligible now
    std::size_t held = 0;
    std::size_t unacked = 0;
};
// The XEP-0128 form of a topic's disco#info: FORM_TYPE urn:xmq:stats with
// the fields consumers, held and unacked.
xmpp::Element topic_stats_form(const TopicStats& stats);

}  // namespace xmq
