// The load generator's side of XMQ acknowledgements (docs/xmq.md, reliable
// queues): reading the delivery tag <xmq xmlns='xmq:delivery' id='D'
// attempt='N'/> that an acked queue adds to each stanza it delivers, and
// writing the ack command that settles a batch of them. Used by the
// xmq-any-acked and xmq-any-durable scenarios' consumers. Pure code over the
// text of one top-level element as xml_split.hpp splits it (the server's own
// serialization: unprefixed elements, either quote); any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen {

struct DeliveryTag {
    std::string id;        // unique per route; the value to ack
    unsigned attempt = 0;  // 1 for a first delivery, + 1 per redelivery
};

// The delivery tag among the children of `stanza`, or nullopt when there is
// none or it is malformed (no id, an id with whitespace, which could not be
// listed in an ack, or an attempt that is not a number from 1). Other <xmq/>
// children (the publisher's xmq:topic) are not it.
std::optional<DeliveryTag> delivery_tag(std::string_view stanza);

// <iq type='set' id='IQ_ID' to='ROUTE'><xmq xmlns='xmq:command' command='ack'
// id='D1 D2 ...'/></iq>, the ids space-separated in the order given (not
// empty), each escaped for an attribute value.
std::string ack_command(std::string_view route, std::string_view iq_id, const std::vector<std::string>& ids);

}  // namespace loadgen
