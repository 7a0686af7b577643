// The XEP-0060 requests a client sends in an iq, read from the <pubsub/>
// (http://jabber.org/protocol/pubsub) or <pubsub/> (…pubsub#owner) child into
// typed values, and nothing else: whether the requester may do it is the
// Service's business (pubsub/service.hpp). Untrusted input, bounded by
// ParseLimits; every malformed request is the error XEP-0060 names for it
// (bad-request with <nodeid-required/>, <item-required/>, <invalid-payload/>, …;
// feature-not-implemented with <unsupported feature='…'/> for what is not offered).
// Pure functions; any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "pubsub/config.hpp"
#include "pubsub/error.hpp"
#include "xmpp/element.hpp"
#include "xmpp/result.hpp"

namespace pubsub {

enum class Affiliation { none, owner, publisher, member, outcast };
std::string_view to_string(Affiliation);
std::optional<Affiliation> affiliation_from_string(std::string_view);

struct PublishItem {
    std::string id;                        // empty: the service makes one
    std::optional<xmpp::Element> payload;  // the one child element of <item/>
    std::size_t bytes = 0;                 // the payload's serialized size
};

struct Publish {
    std::string node;
    std::optional<PublishItem> item;     // absent: <publish/> without <item/>
    std::optional<ConfigPatch> options;  // <publish-options/>
};

struct Retract {
    std::string node;
    std::string item_id;
    std::optional<bool> notify;  // the 'notify' attribute
};

struct GetItems {
    std::string node;
    std::optional<std::size_t> max_items;
    std::vector<std::string> ids;  // empty: by max_items, or all
};

struct Subscribe {
    std::string node;
    std::string jid;  // as written; the Service compares its bare JID
};

struct Unsubscribe {
    std::string node;
    std::string jid;
};

struct Create {
    std::string node;  // never empty: instant nodes are refused while parsing
    std::optional<ConfigPatch> config;
};

struct ConfigureGet {
    std::string node;
};

struct ConfigureSet {
    std::string node;
    std::optional<ConfigPatch> config;  // nullopt with cancel
    bool cancel = false;                // a form of type 'cancel': no change
};

struct Delete {
    std::string node;
    std::string redirect;  // a URI, or empty
};

struct Purge {
    std::string node;
};

struct GetDefault {};

// The requester's own subscriptions / affiliations (pubsub namespace).
struct GetSubscriptions {
    std::optional<std::string> node;
};
struct GetAffiliations {
    std::optional<std::string> node;
};

// The owner's view of one node (pubsub#owner namespace).
struct OwnerGetSubscriptions {
    std::string node;
};
struct OwnerGetAffiliations {
    std::string node;
};
struct OwnerSetAffiliations {
    std::string node;
    std::vector<std::pair<std::string, Affiliation>> changes;  // bare JID, new affiliation
};

using Request = std::variant<Publish, Retract, GetItems, Subscribe, Unsubscribe, Create, ConfigureGet, ConfigureSet,
                             Delete, Purge, GetDefault, GetSubscriptions, GetAffiliations, OwnerGetSubscriptions,
                             OwnerGetAffiliations, OwnerSetAffiliations>;

struct ParseLimits {
    std::size_t max_node_bytes = 1024;  // node names and item ids
    std::size_t max_payload_bytes = 256 * 1024;
    std::size_t max_ids = 100;  // item ids of one items request, affiliations of one set
    FormLimits form;
};

// `pubsub` is the child of an iq of type get (is_set false) or set.
xmpp::Result<Request, Error> parse_request(const xmpp::Element& pubsub, bool is_set, const ParseLimits& = {});

}  // namespace pubsub
