// Log lines: text and JSON formatting of one event, JSON string escaping
// (RFC 8259), and the one-line guarantee whatever the message holds.
#include <doctest/doctest.h>

#include <string>

#include "server/system/log_format.hpp"

using server::format_log_line;
using server::json_escape;
using server::LogRecord;

namespace {
constexpr std::string_view kTime = "2026-01-02T03:04:05.678Z";
}

TEST_CASE("json_escape: quotes, backslashes and control characters") {
    CHECK(json_escape("plain text") == "plain text");
    CHECK(json_escape(R"(say "hi")") == R"(say \"hi\")");
    CHECK(json_escape(R"(C:\dir)") == R"(C:\\dir)");
    CHECK(json_escape("a\nb\rc\td") == R"(a\nb\rc\td)");
    CHECK(json_escape(std::string_view("\x00\x01\x1f", 3)) == R"(\u0000\u0001\u001f)");
    CHECK(json_escape("/") == "/");  // no need to escape the solidus
}

TEST_CASE("json_escape: valid UTF-8 passes, invalid bytes become U+FFFD") {
    CHECK(json_escape("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") == "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    const std::string fffd = "\xEF\xBF\xBD";
    CHECK(json_escape("a\xFF" "b") == "a" + fffd + "b");            // never valid
    CHECK(json_escape("\xC3") == fffd);                              // truncated sequence
    CHECK(json_escape("\xC0\xAF") == fffd + fffd);                   // overlong '/'
    CHECK(json_escape("\xED\xA0\x80") == fffd + fffd + fffd);        // UTF-16 surrogate
    CHECK(json_escape("\xF4\x90\x80\x80") == fffd + fffd + fffd + fffd);  // above U+10FFFF
}

TEST_CASE("text line: time, level, session and JID, message") {
    CHECK(format_log_line(LogRecord{kTime, conf::LogLevel::info, 7, "alice@example.org/phone", "bound"},
                          conf::LogFormat::text) ==
          "2026-01-02T03:04:05.678Z info session 7 alice@example.org/phone bound\n");
    CHECK(format_log_line(LogRecord{kTime, conf::LogLevel::warning, std::nullopt, "", "xmqd ready"},
                          conf::LogFormat::text) == "2026-01-02T03:04:05.678Z warning xmqd ready\n");
    CHECK(format_log_line(LogRecord{kTime, conf::LogLevel::debug, 3, "", "connected"}, conf::LogFormat::text) ==
          "2026-01-02T03:04:05.678Z debug session 3 connected\n");
}

TEST_CASE("text line: a newline in the message cannot start a forged line") {
    const std::string line = format_log_line(
        LogRecord{kTime, conf::LogLevel::info, 1, "", "bad\n2026-01-01T00:00:00Z error forged"}, conf::LogFormat::text);
    CHECK(line == "2026-01-02T03:04:05.678Z info session 1 bad\\x0a2026-01-01T00:00:00Z error forged\n");
}

TEST_CASE("json line: one object with the fields present") {
    CHECK(format_log_line(LogRecord{kTime, conf::LogLevel::info, 7, "alice@example.org/phone", "bound"},
                          conf::LogFormat::json) ==
          R"({"time":"2026-01-02T03:04:05.678Z","level":"info","session":7,"jid":"alice@example.org/phone","message":"bound"})"
          "\n");
    CHECK(format_log_line(LogRecord{kTime, conf::LogLevel::error, std::nullopt, "", "reload refused: \"x\""},
                          conf::LogFormat::json) ==
          R"({"time":"2026-01-02T03:04:05.678Z","level":"error","message":"reload refused: \"x\""})"
          "\n");
}

TEST_CASE("json line: a multi-line message stays on one line") {
    const std::string line =
        format_log_line(LogRecord{kTime, conf::LogLevel::info, 2, "", "a\nb"}, conf::LogFormat::json);
    CHECK(line.find('\n') == line.size() - 1);
    CHECK(line.find(R"("message":"a\nb")") != std::string::npos);
}
