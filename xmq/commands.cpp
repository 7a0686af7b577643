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
    } else {
        return xmpp::fail(std::string("Unknown value of 'command': expected 'sub' or 'del'"));
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
    return cmd;
}

}  // namespace xmq
