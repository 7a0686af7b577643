#include "xmq/commands.hpp"

#include <algorithm>

namespace xmq {

namespace {

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Saturates at `cap` instead of overflowing.
std::uint64_t digits_value(std::string_view s, std::uint64_t cap) {
    std::uint64_t v = 0;
    for (char c : s) {
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
        if (v > cap) return cap + 1;
    }
    return v;
}

// ack/nack: the space-separated `id` list and, for nack, `requeue`.
xmpp::Result<Command, std::string> parse_settlement(const xmpp::Element& xmq, Command cmd) {
    const std::string* ids = xmq.attr("id");
    if (ids == nullptr) return xmpp::fail(std::string("Missing 'id' attribute (delivery ids, space-separated)"));
    std::string_view rest = *ids;
    while (!rest.empty()) {
        std::size_t start = rest.find_first_not_of(" \t\r\n");
        if (start == std::string_view::npos) break;
        rest.remove_prefix(start);
        std::string_view id = rest.substr(0, rest.find_first_of(" \t\r\n"));
        rest.remove_prefix(id.size());
        if (id.size() > kMaxDeliveryIdBytes)
            return xmpp::fail("A delivery id in 'id' is longer than " + std::to_string(kMaxDeliveryIdBytes) +
                              " bytes");
        if (cmd.ids.size() == kMaxAckIds)
            return xmpp::fail("Too many ids in 'id': at most " + std::to_string(kMaxAckIds) + " per command");
        cmd.ids.emplace_back(id);
    }
    if (cmd.ids.empty()) return xmpp::fail(std::string("Empty 'id' attribute"));
    // An id given twice settles once (sorted: O(n log n) for any list).
    std::sort(cmd.ids.begin(), cmd.ids.end());
    cmd.ids.erase(std::unique(cmd.ids.begin(), cmd.ids.end()), cmd.ids.end());
    if (cmd.kind == CommandKind::nack) {
        if (const std::string* requeue = xmq.attr("requeue")) {
            if (*requeue == "false" || *requeue == "0")
                cmd.requeue = false;
            else if (*requeue != "true" && *requeue != "1")
                return xmpp::fail(std::string("Invalid 'requeue' attribute: must be 'true' or 'false'"));
        }
    }
    return cmd;
}

}  // namespace

std::optional<unsigned> parse_load(std::string_view text) {
    if (!all_digits(text)) return std::nullopt;
    std::uint64_t v = digits_value(text, kMaxLoadValue);
    if (v > kMaxLoadValue) return std::nullopt;
    return static_cast<unsigned>(v);
}

std::optional<std::chrono::seconds> parse_ttl(std::string_view text) {
    if (!all_digits(text)) return std::nullopt;
    auto cap = static_cast<std::uint64_t>(kMaxTtl.count());
    std::uint64_t v = std::min(digits_value(text, cap), cap);
    if (v == 0) return std::nullopt;
    return std::chrono::seconds(static_cast<std::chrono::seconds::rep>(v));
}

xmpp::Result<Command, std::string> parse_command(const xmpp::Element& xmq) {
    const std::string* name = xmq.attr("command");
    if (name == nullptr || name->empty()) return xmpp::fail(std::string("Missing 'command' attribute"));

    Command cmd;
    if (*name == "sub") {
        cmd.kind = CommandKind::sub;
    } else if (*name == "del") {
        cmd.kind = CommandKind::del;
    } else if (*name == "ack" || *name == "nack") {
        cmd.kind = *name == "ack" ? CommandKind::ack : CommandKind::nack;
        return parse_settlement(xmq, std::move(cmd));
    } else {
        return xmpp::fail(std::string("Unknown value of 'command': expected 'sub', 'del', 'ack' or 'nack'"));
    }

    const std::string* topic = xmq.attr("topic");
    if (topic != nullptr) {
        if (topic->empty()) return xmpp::fail(std::string("Empty 'topic' attribute"));
        if (topic->size() > kMaxTopicBytes)
            return xmpp::fail("'topic' attribute longer than " + std::to_string(kMaxTopicBytes) + " bytes");
        cmd.topic = *topic;
    }
    if (cmd.kind == CommandKind::del) return cmd;  // ttl/load mean nothing to del

    if (!cmd.topic) return xmpp::fail(std::string("Missing 'topic' attribute"));
    const std::string* ttl = xmq.attr("ttl");
    if (ttl == nullptr) return xmpp::fail(std::string("Missing 'ttl' attribute (a positive integer, seconds)"));
    auto seconds = parse_ttl(*ttl);
    if (!seconds) return xmpp::fail(std::string("Invalid 'ttl' attribute: must be a positive integer (seconds)"));
    cmd.ttl = *seconds;
    if (const std::string* load = xmq.attr("load")) {
        auto value = parse_load(*load);
        if (!value) return xmpp::fail(std::string("Invalid 'load' attribute: must be an integer from 0 to 100"));
        cmd.load = *value;
    }
    if (const std::string* durable = xmq.attr("durable")) {
        if (*durable == "true" || *durable == "1")
            cmd.durable = true;
        else if (*durable != "false" && *durable != "0")
            return xmpp::fail(std::string("Invalid 'durable' attribute: must be 'true' or 'false'"));
    }
    return cmd;
}

}  // namespace xmq
