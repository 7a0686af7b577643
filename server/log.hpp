// Logging: one line per event on stderr (journald picks it up), with a level
// filter set at start-up and on reload. LogLine collects one line and writes it
// in a single write() so lines of concurrent workers never interleave.
// Thread-safe.
#pragma once

#include <sstream>
#include <string_view>

#include "conf/config.hpp"

namespace server {

void set_log_level(conf::LogLevel level);
bool log_enabled(conf::LogLevel level);

class LogLine {
public:
    explicit LogLine(conf::LogLevel level);
    ~LogLine();
    LogLine(const LogLine&) = delete;
    LogLine& operator=(const LogLine&) = delete;

    template <class T>
    LogLine& operator<<(const T& value) {
        out_ << value;
        return *this;
    }

private:
    std::ostringstream out_;
};

}  // namespace server

// Builds the line only when the level is enabled.
#define XLOG(level)                                                    \
    if (!::server::log_enabled(::conf::LogLevel::level)) {             \
    } else                                                             \
        ::server::LogLine(::conf::LogLevel::level)
