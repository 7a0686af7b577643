// libFuzzer target: the XEP-0060 request parser (pubsub/request.hpp) on a
// <pubsub/> element parsed as the store parses stanzas, read both as an iq
// get and an iq set, and every request it accepts run through a small PEP
// Service (pubsub/service.hpp) by its owner and by a stranger.
// Invariants: a request is parsed or refused with a condition; an accepted
// publish never carries a payload over the parser's bound nor more ids than
// allowed; the Service never exceeds its bounds (nodes, items per node,
// stored bytes), and every error it returns builds an <error/> element.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pubsub/request.hpp"
#include "pubsub/service.hpp"
#include "xmpp/stored_xml.hpp"

namespace {

pubsub::ServiceOptions small_service() {
    pubsub::ServiceOptions options;
    options.owner = "alice@example.org";
    options.limits.max_nodes = 4;
    options.limits.max_items_per_node = 4;
    options.limits.max_item_bytes = 512;
    options.limits.max_total_bytes = 2048;
    options.limits.max_subscriptions_per_node = 4;
    return options;
}

void check_bounds(const pubsub::Service& service) {
    const auto& limits = service.options().limits;
    if (service.node_count() > limits.max_nodes) std::abort();
    if (service.stored_bytes() > limits.max_total_bytes) std::abort();
    for (const auto& node : service.snapshot()) {
        if (node.items.size() > limits.max_items_per_node) std::abort();
        if (node.subscribers.size() > limits.max_subscriptions_per_node) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto element = xmpp::parse_stored(text);
    if (!element) return 0;
    pubsub::ParseLimits limits;
    limits.max_payload_bytes = 1024;
    limits.max_ids = 8;

    pubsub::Service service(small_service());
    // A node with an item, so that retract, items and the rest find something.
    pubsub::StoredNode seeded{"n", {}, {}, {}, {}};
    seeded.config.max_items = 4;
    seeded.items.push_back(pubsub::Item{"i", std::nullopt, "alice@example.org", 0});
    service.restore(seeded);

    const pubsub::Requester owner{"alice@example.org", true, false, false, {}};
    const pubsub::Requester stranger{"eve@example.net", false, true, true, {"Friends"}};
    for (bool is_set : {false, true}) {
        auto request = pubsub::parse_request(*element, is_set, limits);
        if (!request) {
            if (pubsub::error_element(request.error()).name() != "error") std::abort();
            continue;
        }
        if (auto* publish = std::get_if<pubsub::Publish>(&request.value())) {
            if (publish->item && publish->item->bytes > limits.max_payload_bytes) std::abort();
        }
        if (auto* items = std::get_if<pubsub::GetItems>(&request.value())) {
            if (items->ids.size() > limits.max_ids) std::abort();
        }
        for (const auto* who : {&stranger, &owner}) {
            auto outcome = service.handle(*request, *who);
            if (!outcome && pubsub::error_element(outcome.error()).name() != "error") std::abort();
            check_bounds(service);
        }
    }
    return 0;
}
