#include "server/system/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>

#include "server/system/log_format.hpp"
#include "xmpp/datetime.hpp"

namespace server {

namespace {

std::atomic<int> g_level{static_cast<int>(conf::LogLevel::info)};
std::atomic<int> g_format{static_cast<int>(conf::LogFormat::text)};

}  // namespace

void set_log_level(conf::LogLevel level) { g_level.store(static_cast<int>(level)); }

void set_log_format(conf::LogFormat format) { g_format.store(static_cast<int>(format)); }

bool log_enabled(conf::LogLevel level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

LogLine::LogLine(conf::LogLevel level) : level_(level) {}

LogLine::~LogLine() {
    const std::string time = xmpp::xep82_datetime_ms(std::chrono::system_clock::now());
    const std::string message = out_.str();
    const std::string line =
        format_log_line(LogRecord{time, level_, session_, jid_, message},
                        static_cast<conf::LogFormat>(g_format.load(std::memory_order_relaxed)));
    // One write per line: atomic for lines under PIPE_BUF on pipes, and
    // never interleaved mid-line in practice on terminals and journald.
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace server
