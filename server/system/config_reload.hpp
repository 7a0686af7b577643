// What a reload (SIGHUP) may change. The new file is read and validated
// whole; the keys below need a restart, because they are bound to
// resources made once at start-up, so they keep their running values and
// the reload names them:
//   listeners  sockets are bound at start-up (and may be systemd's)
//   data_dir   the open database and the generated certificate live there
//   workers    the worker threads are started once
//   modules_enabled, modules_disabled, [modules.NAME]
//              modules register their handlers and hooks, with their
//              options, once at start-up
//   external_services, contact_addresses
//              read by their modules (XEP-0215, XEP-0157) when they load; the
//              server's disco#info and its caps hash are made from them then
// Everything else takes effect on reload: the log level and format, every
// certificate (files are re-read, so renewed ones are served to new
// connections), the XMQ queues and their limits, and the [limits], [auth]
// and [http] keys, which apply to connections, streams and requests that
// start after the reload (a running session keeps the limits it began with).
// Pure functions; any thread.
#pragma once

#include <string>
#include <vector>

#include "conf/config.hpp"

namespace server {

struct ReloadPlan {
    conf::Config config;               // the new file, with restart-only keys as they run
    std::vector<std::string> ignored;  // restart-only keys that the new file changes
};

// `modules`: the catalog both configurations were loaded with. A module key
// counts as changed when it changes which modules run or an option's value,
// not when it merely spells out a default.
ReloadPlan plan_reload(const conf::Config& running, conf::Config fresh, const conf::ModuleCatalog& modules);

}  // namespace server
