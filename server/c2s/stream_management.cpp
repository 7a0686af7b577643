#include "server/c2s/stream_management.hpp"

#include "server/c2s/bound_session.hpp"

namespace server {

void StreamManagement::shut_down() {
    resumable.stop_hibernating();
    end_hibernated();
}

void StreamManagement::end_hibernated() {
    for (const auto& session : resumable.hibernated_sessions())
        session->close_with(xmpp::StreamError::system_shutdown, "The server is shutting down");
}

}  // namespace server
