#include "server/system/watchdog.hpp"

#include <systemd/sd-daemon.h>

#include <boost/asio/post.hpp>
#include <cstdint>

#include "server/system/log.hpp"

namespace server {

Watchdog::Watchdog(boost::asio::io_context& control, WorkerPool& workers)
    : workers_(workers), timer_(control) {}

std::chrono::microseconds Watchdog::start() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::chrono::microseconds{0};
    // Half the interval, as sd_watchdog_enabled(3) advises: one late tick
    // still leaves time for the next.
    period_ = std::chrono::microseconds{usec / 2};
    sd_notify(0, "WATCHDOG=1");
    post_probes();
    schedule();
    return std::chrono::microseconds{usec};
}

void Watchdog::stop() {
    period_ = std::chrono::microseconds{0};
    timer_.cancel();
}

void Watchdog::post_probes() {
    answered_->store(0);
    for (std::size_t i = 0; i < workers_.size(); ++i)
        boost::asio::post(workers_.at(i), [answered = answered_] { answered->fetch_add(1); });
}

void Watchdog::schedule() {
    timer_.expires_after(period_);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || period_.count() == 0) return;
        const std::size_t answered = answered_->load();
        if (answered == workers_.size()) {
            sd_notify(0, "WATCHDOG=1");
            withheld_ = false;
            post_probes();
        } else if (!withheld_) {
            // The probes stay queued: once the worker runs again, the next tick pings.
            XLOG(error) << "watchdog: " << workers_.size() - answered << " of " << workers_.size()
                        << " workers have not run for " << period_.count() / 1000
                        << " ms; withholding WATCHDOG=1";
            withheld_ = true;
        }
        schedule();
    });
}

}  // namespace server
