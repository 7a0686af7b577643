// Logging: one line per event on stderr (journald picks it up), as text or as
// one JSON object per line (`[log] format`), with a level filter; level and
// format are set at start-up and on reload. LogLine collects one event and
// writes it in a single write() so lines of concurrent workers never
// interleave. An event about a c2s session names it with session(id, jid),
// which becomes fields of its own in JSON. Thread-safe.
//
// Never log passwords, SASL payloads or stanza contents (message bodies) at
// info level or above: those lines end up in journald for everyone with
// access to the system log.
#pragma once

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "conf/config.hpp"

namespace server {

void set_log_level(conf::LogLevel level);
void set_log_format(conf::LogFormat format);
bool log_enabled(conf::LogLevel level);

class LogLine {
public:
    explicit LogLine(conf::LogLevel level);
    ~LogLine();
    LogLine(const LogLine&) = delete;
    LogLine& operator=(const LogLine&) = delete;

    // The session this event concerns, and its JID when known (the bare JID
    // once authenticated, the full JID once bound).
    LogLine& session(std::uint64_t id, std::string_view jid = {}) {
        session_ = id;
        jid_ = jid;
        return *this;
    }

    template <class T>
    LogLine& operator<<(const T& value) {
        out_ << value;
        return *this;
    }

private:
    conf::LogLevel level_;
    std::optional<std::uint64_t> session_;
    std::string jid_;
    std::ostringstream out_;
};

}  // namespace server

// Builds the line only when the level is enabled.
#define XLOG(level)                                                    \
    if (!::server::log_enabled(::conf::LogLevel::level)) {             \
    } else                                                             \
        ::server::LogLine(::conf::LogLevel::level)
