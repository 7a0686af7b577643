// Log line formatting: one event as one line of text or one JSON object
// (`[log] format`). Pure functions of the record, used by LogLine and tested on
// their own. Whatever the message holds (bytes from a peer, a newline), the
// result is exactly one line: control characters are escaped, and in JSON
// invalid UTF-8 becomes U+FFFD so every line parses. Any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "conf/config.hpp"

namespace server {

struct LogRecord {
    std::string_view time;  // RFC 3339, UTC ("2026-01-02T03:04:05.678Z")
    conf::LogLevel level = conf::LogLevel::info;
    std::optional<std::uint64_t> session;  // the c2s session the event concerns
    std::string_view jid;                  // its JID when known (full once bound); may be empty
    std::string_view message;
};

// `s` as the inside of a JSON string (RFC 8259): quote, backslash and control
// characters escaped, invalid UTF-8 replaced by U+FFFD.
std::string json_escape(std::string_view s);

// The line, with its final '\n'.
//   text: 2026-01-02T03:04:05.678Z info session 7 alice@example.org/phone bound
//   json: {"time":"…","level":"info","session":7,"jid":"alice@example.org/phone","message":"bound"}
std::string format_log_line(const LogRecord& record, conf::LogFormat format);

}  // namespace server
