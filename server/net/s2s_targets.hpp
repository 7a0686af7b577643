// Where to connect for a remote XMPP domain (RFC 6120 §3.2, XEP-0368): the
// SRV records of _xmpps-server._tcp (direct TLS) and _xmpp-server._tcp
// merged and ordered by priority, and within a priority by weight (RFC
// 2782: a weighted random draw), or, when the domain has no SRV records,
// the domain itself on port 5269. A lone record with the target "." says
// the service is not offered (RFC 2782): no candidate then. Pure; any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace server {

struct SrvRecord {
    std::string target;  // a host name, without the trailing dot
    std::uint16_t port = 0;
    std::uint16_t priority = 0;
    std::uint16_t weight = 0;
};

struct S2sTarget {
    std::string host;
    std::uint16_t port = 5269;
    bool direct_tls = false;  // from _xmpps-server: TLS from the first byte

    friend bool operator==(const S2sTarget&, const S2sTarget&) = default;
};

// A number in [0, bound] (inclusive), for the weighted draw; tests pass a
// fixed sequence.
using WeightDraw = std::function<std::uint32_t(std::uint32_t bound)>;

// RFC 2782 order of `records`: ascending priority; within one priority,
// repeatedly a record drawn with a chance proportional to its weight (the
// zero-weight ones first in line for a draw of 0, as the RFC says).
std::vector<SrvRecord> order_srv(std::vector<SrvRecord> records, const WeightDraw& draw);

// The connection candidates for `domain`, in order. `direct_tls`: the
// _xmpps-server._tcp records, `starttls`: the _xmpp-server._tcp ones.
std::vector<S2sTarget> s2s_targets(const std::string& domain, const std::vector<SrvRecord>& direct_tls,
                                   const std::vector<SrvRecord>& starttls, const WeightDraw& draw);

}  // namespace server
