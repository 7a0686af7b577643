// The admin sub-commands `xmqd import FILE...` and `xmqd export [HOST...]`
// (XEP-0227 migration from and to ejabberd, Prosody or another xmqd).
//
// import: reads and checks every file first (a malformed one stops it before
// anything is written), then imports all of them in one transaction, prints
// what it imported on stdout and what it skipped on stderr. Refused while a
// server runs on the same data directory (its caches would not see the new
// data). --replace overwrites existing accounts; by default they are skipped.
// Exit codes: 0 done, 1 bad file or storage error (nothing imported), 2 usage.
//
// export: every served host, or the HOSTs given, to stdout or to --output
// FILE (written as FILE.tmp with mode 0600, it holds SCRAM secrets, then
// renamed, so FILE is never half-written). Counts go to stderr.
#pragma once

#include "conf/config.hpp"
#include "server/admin/command_line.hpp"

namespace server::migration {

int run_import(const CommandLine& line, const conf::Config& config);
int run_export(const CommandLine& line, const conf::Config& config);

}  // namespace server::migration
