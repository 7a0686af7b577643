#include "server/c2s/stream_management.hpp"

#include "server/c2s/bound_session.hpp"

namespace server {

void StreamManagement::shut_down() {
    for (const auto& session : resumable.shut_down())
        session->close_with(xmpp::StreamError::system_shutdown, "The server is shutting down");
}

}  // namespace server
