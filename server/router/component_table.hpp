// ComponentTable: the external components (XEP-0114) connected now, by the
// domain each authenticated for. A component's stream (server/component/)
// attaches itself once its handshake succeeded and detaches when it ends;
// the Router looks a stanza's domain up here to hand it over, and the
// disco#items of a host, /status and the metrics list who is connected.
// Owned by ServerParts; one shared mutex (lookups on every stanza routed
// to a component, changes only at connect and disconnect). Thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace server {

// What the Router needs of a connected component, whatever its transport.
class ComponentLink {
public:
    virtual ~ComponentLink() = default;
    // Queues a stanza, serialized for the component's stream, for the
    // component. Safe to call from any thread: the stream hops onto its worker.
    virtual void deliver(std::string xml) = 0;
};

class ComponentTable {
public:
    // Records `link` as the component serving `domain`; false when another
    // is connected for it already (which keeps its place: the newcomer gets
    // <conflict/>, as in Prosody).
    bool attach(const std::string& domain, std::shared_ptr<ComponentLink> link);
    // Forgets `link` for `domain`, if it is still the one there.
    void detach(const std::string& domain, const ComponentLink* link);
    // The component serving `domain`, or null when none is connected.
    std::shared_ptr<ComponentLink> find(std::string_view domain) const;
    // The domains connected now, sorted.
    std::vector<std::string> domains() const;
    std::size_t size() const;

private:
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<ComponentLink>> links_;
};

}  // namespace server
