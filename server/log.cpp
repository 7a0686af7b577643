#include "server/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>

namespace server {

namespace {
std::atomic<int> g_level{static_cast<int>(conf::LogLevel::info)};
}

void set_log_level(conf::LogLevel level) { g_level.store(static_cast<int>(level)); }

bool log_enabled(conf::LogLevel level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

LogLine::LogLine(conf::LogLevel level) {
    auto now = std::chrono::system_clock::now();
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    char msbuf[8];
    std::snprintf(msbuf, sizeof msbuf, ".%03dZ", static_cast<int>(ms));
    out_ << stamp << msbuf << ' ' << conf::to_string(level) << ' ';
}

LogLine::~LogLine() {
    out_ << '\n';
    const std::string line = out_.str();
    // One write per line: atomic for lines under PIPE_BUF on pipes, and
    // never interleaved mid-line in practice on terminals and journald.
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace server
