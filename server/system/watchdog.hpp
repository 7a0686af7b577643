// Watchdog: keep-alives for systemd's service watchdog (WatchdogSec=,
// sd_watchdog_enabled(3)). When the service manager asks for them, a timer on
// the control context sends WATCHDOG=1 every half interval, but only once
// every worker context has run the probe posted to it at the previous tick:
// a worker stuck in a loop or a blocking call (or a stuck control thread)
// stops the keep-alives, and systemd kills and restarts the service.
// Owned by the Server; start() and stop() on the control thread, before the
// workers stop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <memory>

#include "server/system/worker_pool.hpp"

namespace server {

class Watchdog {
public:
    Watchdog(boost::asio::io_context& control, WorkerPool& workers);

    // Starts the keep-alives when systemd asked for them (WATCHDOG_USEC set
    // for this process); their interval, or zero when it did not.
    std::chrono::microseconds start();
    void stop();

private:
    void post_probes();
    void schedule();

    WorkerPool& workers_;
    boost::asio::steady_timer timer_;
    std::chrono::microseconds period_{0};
    // Workers that ran the current round's probe. Shared with the probes, which
    // may still sit in a worker's queue when the Watchdog is gone.
    std::shared_ptr<std::atomic<std::size_t>> answered_ = std::make_shared<std::atomic<std::size_t>>(0);
    bool withheld_ = false;  // the last tick sent nothing (logged once per stall)
};

}  // namespace server
