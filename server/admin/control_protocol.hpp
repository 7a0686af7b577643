// The control socket's location and its admin-side client (`xmqd deluser`,
// `xmqd queues`).
// The server side is control_socket.hpp. Blocking calls: for the admin
// sub-commands only, never a worker.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "conf/config.hpp"

namespace server {

inline constexpr std::string_view control_socket_name = "xmqd.ctl";

std::filesystem::path control_socket_path(const conf::Config& config);

struct ControlAnswer {
    enum class Kind {
        no_server,  // nothing listens (no file, or a stale one): no server runs on this data_dir
        answered,   // `text` is the server's answer (one or more lines), without its last newline
        failed,     // the server could not be asked or did not answer; `text` says why
    };
    Kind kind = Kind::failed;
    std::string text;
};

// Sends one request line (without its newline) and reads the answer until
// the server closes.
ControlAnswer ask_server(const std::filesystem::path& socket, std::string_view request);

}  // namespace server
