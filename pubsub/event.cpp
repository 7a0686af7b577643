#include "pubsub/event.hpp"

#include "xmpp/namespaces.hpp"

namespace pubsub {

namespace {

xmpp::Element event_element() { return xmpp::Element("event", std::string(xmpp::ns::pubsub_event)); }

xmpp::Element child(std::string name, std::string_view node) {
    xmpp::Element e(std::move(name), std::string(xmpp::ns::pubsub_event));
    e.append_attr("node", std::string(node));
    return e;
}

}  // namespace

xmpp::Element items_event(std::string_view node, std::string_view id, const xmpp::Element* payload) {
    xmpp::Element item("item", std::string(xmpp::ns::pubsub_event));
    item.append_attr("id", std::string(id));
    if (payload) item.add_child(*payload);
    xmpp::Element items = child("items", node);
    items.add_child(std::move(item));
    xmpp::Element event = event_element();
    event.add_child(std::move(items));
    return event;
}

xmpp::Element retract_event(std::string_view node, std::string_view id) {
    xmpp::Element retract("retract", std::string(xmpp::ns::pubsub_event));
    retract.append_attr("id", std::string(id));
    xmpp::Element items = child("items", node);
    items.add_child(std::move(retract));
    xmpp::Element event = event_element();
    event.add_child(std::move(items));
    return event;
}

xmpp::Element purge_event(std::string_view node) {
    xmpp::Element event = event_element();
    event.add_child(child("purge", node));
    return event;
}

xmpp::Element delete_event(std::string_view node, std::string_view redirect) {
    xmpp::Element del = child("delete", node);
    if (!redirect.empty()) {
        xmpp::Element r("redirect", std::string(xmpp::ns::pubsub_event));
        r.append_attr("uri", std::string(redirect));
        del.add_child(std::move(r));
    }
    xmpp::Element event = event_element();
    event.add_child(std::move(del));
    return event;
}

}  // namespace pubsub
