// Command: one validated `<xmq xmlns='xmq:command'/>` request (docs/xmq.md §2,
// and "Reliable queues" for ack/nack/durable). parse_command() checks the
// element against the known commands (`sub`, `del`, `ack`, `nack`) and their
// attributes in any order, and says which attribute is wrong
// in the text of the bad-request the queue answers with; client input never
// becomes a key of any table here. Pure functions; any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/element.hpp"
#include "xmpp/result.hpp"

namespace xmq {

// Longest topic a subscription may name: subscriptions are kept in memory, so
// a topic is bounded like everything a client makes the server keep.
inline constexpr std::size_t kMaxTopicBytes = 1023;
// A ttl above this is clamped to it (about 68 years): no time_point overflow.
inline constexpr std::chrono::seconds kMaxTtl{2147483647};
inline constexpr unsigned kMaxLoadValue = 100;
// Delivery ids one ack/nack may settle: a client cannot make one command
// cost without bound.
inline constexpr std::size_t kMaxAckIds = 1000;
// Longest delivery id accepted (the server's own ids are far shorter).
inline constexpr std::size_t kMaxDeliveryIdBytes = 64;

enum class CommandKind { sub, del, ack, nack };

struct Command {
    CommandKind kind = CommandKind::sub;
    std::optional<std::string> topic;  // always set for sub; unset = every topic (del)
    std::chrono::seconds ttl{0};       // sub only
    unsigned load = 0;                 // sub only; 0 when absent
    bool durable = false;              // sub only: durable='true'
    std::vector<std::string> ids;      // ack/nack: one or more delivery ids, sorted, no duplicates
    bool requeue = true;               // nack only
};

// Ok: the command; failure: the <text/> of the bad-request answer.
xmpp::Result<Command, std::string> parse_command(const xmpp::Element& xmq);

// A load factor: decimal digits only, 0..100.
std::optional<unsigned> parse_load(std::string_view text);
// A ttl: decimal digits only, > 0; clamped to kMaxTtl.
std::optional<std::chrono::seconds> parse_ttl(std::string_view text);

}  // namespace xmq
