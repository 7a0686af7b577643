#include "server/admin/control_protocol.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace server {

namespace {

// A deletion waits for the account's sessions to end (at most the close
// grace of a slow reader) and for the storage thread.
constexpr int answer_timeout_seconds = 60;
// The queue table of a server with many routes fits; anything longer is cut.
constexpr std::size_t max_answer_bytes = 1 << 20;

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

ControlAnswer failed(std::string text) { return {ControlAnswer::Kind::failed, std::move(text)}; }

}  // namespace

std::filesystem::path control_socket_path(const conf::Config& config) {
    return std::filesystem::path(config.data_dir) / control_socket_name;
}

ControlAnswer ask_server(const std::filesystem::path& socket_path, std::string_view request) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = socket_path.string();
    if (path.size() >= sizeof(addr.sun_path)) return failed("the path is too long for a local socket");
    std::memcpy(addr.sun_path, path.data(), path.size());

    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return failed(std::strerror(errno));
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
        // No file, or a file nobody listens on (a server that died): no server.
        if (errno == ENOENT || errno == ECONNREFUSED) return {ControlAnswer::Kind::no_server, {}};
        return failed(std::strerror(errno));
    }
    timeval timeout{answer_timeout_seconds, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));

    std::string out(request);
    out += '\n';
    for (std::size_t sent = 0; sent < out.size();) {
        const ssize_t n = ::send(fd.get(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return failed(std::strerror(errno));
        sent += static_cast<std::size_t>(n);
    }
    // The answer is everything up to the server's close (one line, or the
    // lines of a table), ending with a newline.
    std::string answer;
    char buffer[4096];
    while (answer.size() < max_answer_bytes) {
        const ssize_t n = ::recv(fd.get(), buffer, sizeof(buffer), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return failed("no answer from the server in time");
        if (n < 0) return failed(std::strerror(errno));
        if (n == 0) break;
        answer.append(buffer, static_cast<std::size_t>(n));
    }
    if (!answer.ends_with('\n')) return failed("the server closed the connection without a whole answer");
    answer.pop_back();
    return {ControlAnswer::Kind::answered, std::move(answer)};
}

}  // namespace server
