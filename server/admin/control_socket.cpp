#include "server/admin/control_socket.hpp"

#include <sys/stat.h>
#include <sys/un.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <memory>

#include "server/admin/queue_table.hpp"
#include "server/system/log.hpp"
#include "server/core/use_tuple.hpp"
#include "xmpp/jid.hpp"

namespace server {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace {

constexpr std::size_t max_request_bytes = 1024;
constexpr auto request_timeout = std::chrono::seconds(10);  // to send the request line

std::string_view outcome_answer(AccountDeletion::Outcome outcome) {
    switch (outcome) {
    case AccountDeletion::Outcome::deleted: return "ok";
    case AccountDeletion::Outcome::not_found: return "error no such user";
    case AccountDeletion::Outcome::error: break;
    }
    return "error storage error";
}

}  // namespace

ControlSocket::ControlSocket(asio::io_context& control, Services& services, AccountDeletion& deletion)
    : control_(control), services_(services), deletion_(deletion), acceptor_(control) {}

ControlSocket::~ControlSocket() { stop(); }

std::optional<std::string> ControlSocket::bind(const std::filesystem::path& path) {
    const std::string where = "control socket " + path.string() + ": ";
    if (path.string().size() >= sizeof(sockaddr_un::sun_path))
        return where + "path too long for a local socket (choose a shorter data_dir)";
    boost::system::error_code ec;
    std::error_code fs_ec;
    if (std::filesystem::exists(std::filesystem::symlink_status(path, fs_ec))) {
        local::socket probe(control_);
        probe.connect(local::endpoint(path.string()), ec);
        if (!ec) return where + "another xmqd answers on it (same data_dir)";
        std::filesystem::remove(path, fs_ec);  // left by a server that died
        if (fs_ec) return where + "cannot replace the stale file: " + fs_ec.message();
    }
    acceptor_.open(local(), ec);
    if (!ec) acceptor_.bind(local::endpoint(path.string()), ec);
    if (ec) return where + ec.message();
    path_ = path;
    // Before listen(): until then a connect is refused, so nobody gets in
    // while the file still has the umask's mode.
    if (::chmod(path.c_str(), S_IRUSR | S_IWUSR) != 0) return where + "chmod: " + std::strerror(errno);
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return where + ec.message();
    return std::nullopt;
}

void ControlSocket::start() { asio::co_spawn(control_, accept_loop(), asio::detached); }

void ControlSocket::stop() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    if (path_.empty()) return;
    std::error_code fs_ec;
    std::filesystem::remove(path_, fs_ec);
    path_.clear();
}

asio::awaitable<void> ControlSocket::accept_loop() {
    while (acceptor_.is_open()) {
        auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
            continue;
        }
        asio::co_spawn(control_, serve(std::move(socket)), asio::detached);
    }
}

asio::awaitable<void> ControlSocket::serve(Socket socket) {
    // A client that never finishes its line is cut off.
    asio::steady_timer deadline(control_, request_timeout);
    auto cut = [&socket](const boost::system::error_code& ec) {
        if (!ec) socket.close();
    };
    deadline.async_wait(cut);
    asio::streambuf buffer(max_request_bytes);
    auto [ec, n] = co_await asio::async_read_until(socket, buffer, '\n', use_tuple);
    deadline.cancel();
    if (ec) co_return;
    std::string request(asio::buffers_begin(buffer.data()), asio::buffers_begin(buffer.data()) + n - 1);
    std::string reply = co_await answer(request);
    reply += '\n';
    co_await asio::async_write(socket, asio::buffer(reply), use_tuple);
}

asio::awaitable<std::string> ControlSocket::answer(const std::string& request) {
    if (request == "queues") co_return services_.xmq ? queue_table(services_.xmq->stats()) : queue_table({});
    constexpr std::string_view deluser = "deluser ";
    if (!request.starts_with(deluser)) co_return "error unknown request (expected: deluser user@domain, or queues)";
    const std::string argument = request.substr(deluser.size());
    auto jid = xmpp::Jid::parse(argument);
    if (!jid || jid->local().empty() || !jid->is_bare()) co_return "error bad JID (expected user@domain)";
    if (!services_.current_config()->serves_host(jid->domain())) co_return "error unknown domain";

    // The deletion answers on the storage thread; the result comes back here.
    auto initiate = [this, bare = *jid](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        auto back = [this, shared](AccountDeletion::Outcome outcome) {
            auto resume = [shared, outcome] { std::move(*shared)(outcome); };
            asio::post(control_, std::move(resume));
        };
        deletion_.remove(bare, std::move(back));
    };
    const AccountDeletion::Outcome outcome =
        co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(AccountDeletion::Outcome)>(
            initiate, asio::use_awaitable);
    XLOG(info) << "control: deluser " << jid->bare_string() << ": " << outcome_answer(outcome);
    co_return std::string(outcome_answer(outcome));
}

}  // namespace server
