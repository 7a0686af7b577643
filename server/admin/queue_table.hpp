// The operator's view of the XMQ queues (`xmqd queues`): one row per
// configured route with its consumers, topics and the reliable-queue counts
// (held, unacked, redelivered, dead-lettered, expired), as the running
// server's engine reports them. Pure: the control socket asks the engine for
// the stats and sends this text back.
#pragma once

#include <string>
#include <vector>

#include "xmq/engine.hpp"

namespace server {

// A header line and one line per queue, columns aligned; a sentence when
// there is no queue.
std::string queue_table(const std::vector<xmq::QueueStats>& queues);

}  // namespace server
