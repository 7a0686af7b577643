// StreamManagement: what the c2s needs to run XEP-0198 when the
// stream_management module is on (server/modules/stream_management.cpp
// makes it and sets its settings; C2sNegotiation finds it through the
// ModuleHost, and does without SM when there is none): the settings, and
// the table of sessions that may be resumed (resumption_table.hpp).
// Made at start-up, shared by every worker and by the Server (which tells
// it the server stops); the table is thread-safe, the settings are
// read-only after start-up.
#pragma once

#include <chrono>
#include <cstddef>

#include "server/c2s/resumption_table.hpp"
#include "server/c2s/sm_protocol.hpp"

namespace server {

class BoundSession;

struct StreamManagementSettings {
    std::chrono::seconds max_resume{600};  // upper bound of a hibernation, whatever the client asks
    sm::AckRequestPolicy ack_requests;
    std::size_t max_hibernated_per_account = 10;
};

class StreamManagement {
public:
    StreamManagementSettings settings;
    ResumptionTable<BoundSession> resumable;

    // The server stops: no session hibernates from now on, and each
    // hibernated one ends (its unacknowledged messages go to offline
    // storage on its worker, posted to the storage thread before it stops).
    void shut_down();
    // Ends every hibernated session now (the server stops; a test tears down).
    void end_hibernated();
};

}  // namespace server
