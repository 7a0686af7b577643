// The systemd watchdog keep-alives: sent every half WATCHDOG_USEC while every
// worker runs, withheld while one is stuck, resumed when it runs again. The
// test plays systemd: it sets WATCHDOG_USEC and NOTIFY_SOCKET (an abstract
// AF_UNIX datagram socket it reads).
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>

#include "server/system/watchdog.hpp"

namespace {

// The notification socket systemd would listen on, named in NOTIFY_SOCKET.
class FakeServiceManager {
public:
    FakeServiceManager() {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        const std::string name = "xmqd-watchdog-test-" + std::to_string(::getpid());
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path + 1, name.data(), name.size());  // abstract: leading NUL
        const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) == 0);
        ::setenv("NOTIFY_SOCKET", ("@" + name).c_str(), 1);
    }
    ~FakeServiceManager() {
        ::unsetenv("NOTIFY_SOCKET");
        ::close(fd_);
    }
    // WATCHDOG=1 datagrams received since the last call.
    int keep_alives() {
        int count = 0;
        char buffer[256];
        for (ssize_t n; (n = ::recv(fd_, buffer, sizeof buffer, 0)) > 0;)
            if (std::string(buffer, static_cast<std::size_t>(n)).find("WATCHDOG=1") != std::string::npos) ++count;
        return count;
    }

private:
    int fd_ = -1;
};

}  // namespace

TEST_CASE("watchdog keep-alives stop while a worker is stuck and resume when it runs again") {
    FakeServiceManager systemd;
    ::setenv("WATCHDOG_USEC", "100000", 1);  // a keep-alive every 50 ms
    boost::asio::io_context control(1);
    server::WorkerPool workers(2);
    workers.start();
    server::Watchdog watchdog(control, workers);
    CHECK(watchdog.start() == std::chrono::microseconds(100000));
    ::unsetenv("WATCHDOG_USEC");

    control.run_for(std::chrono::milliseconds(500));
    CHECK(systemd.keep_alives() >= 2);

    std::promise<void> release;
    boost::asio::post(workers.at(1), [stuck = release.get_future().share()] { stuck.wait(); });
    control.run_for(std::chrono::milliseconds(100));
    systemd.keep_alives();  // at most one more: probes answered just before the worker stuck
    control.run_for(std::chrono::milliseconds(500));
    CHECK(systemd.keep_alives() == 0);

    release.set_value();
    control.run_for(std::chrono::milliseconds(500));
    CHECK(systemd.keep_alives() >= 2);

    watchdog.stop();
    workers.stop();
}

TEST_CASE("without WATCHDOG_USEC no keep-alive is sent") {
    FakeServiceManager systemd;
    ::unsetenv("WATCHDOG_USEC");
    boost::asio::io_context control(1);
    server::WorkerPool workers(1);
    workers.start();
    server::Watchdog watchdog(control, workers);
    CHECK(watchdog.start() == std::chrono::microseconds(0));
    control.run_for(std::chrono::milliseconds(100));
    CHECK(systemd.keep_alives() == 0);
    workers.stop();
}
