// ControlSocket: the local control channel of a running server, through which
// `xmqd deluser` and `xmqd queues` reach it (so that the account's sessions end and its
// contacts are told, which the store alone cannot do). An AF_UNIX stream
// socket at <data_dir>/xmqd.ctl with mode 0600: only the user the server
// runs as (who owns the store anyway) may use it. Removed at exit; a file
// left by a server that died is replaced at start, and start-up fails when
// another live server answers on it.
//
// Line protocol, one request per connection (control_protocol.hpp); the
// server writes its answer and closes:
//   deluser user@domain\n   ->   ok\n  |  error <message>\n
//   queues\n                ->   the queue table (queue_table.hpp), lines\n
//
// Runs on the control io_context (the main thread); a deletion runs on the
// storage thread and its answer comes back by posting.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <filesystem>
#include <optional>
#include <string>

#include "server/accounts/account_deletion.hpp"
#include "server/core/services.hpp"

namespace server {

class ControlSocket {
public:
    ControlSocket(boost::asio::io_context& control, Services& services, AccountDeletion& deletion);
    ~ControlSocket();  // removes the socket file
    ControlSocket(const ControlSocket&) = delete;
    ControlSocket& operator=(const ControlSocket&) = delete;

    // Creates the socket file; the error is a sentence naming the path.
    std::optional<std::string> bind(const std::filesystem::path& path);
    void start();  // accepts requests
    void stop();   // accepts no more; the file goes

private:
    using Socket = boost::asio::local::stream_protocol::socket;
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> serve(Socket socket);
    boost::asio::awaitable<std::string> answer(const std::string& request);

    boost::asio::io_context& control_;
    Services& services_;
    AccountDeletion& deletion_;
    boost::asio::local::stream_protocol::acceptor acceptor_;
    std::filesystem::path path_;  // empty until bound
};

}  // namespace server
