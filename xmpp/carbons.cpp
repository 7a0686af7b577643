#include "xmpp/carbons.hpp"

#include <algorithm>

#include "xmpp/namespaces.hpp"

namespace xmpp::carbons {

std::string_view element_name(Direction direction) { return direction == Direction::sent ? "sent" : "received"; }

bool eligible(const Element& message, Direction direction) {
    if (message.name() != "message") return false;
    if (message.child("private", ns::carbons) || message.child("no-copy", ns::hints)) return false;
    // A copy is never copied again, whoever forged it.
    if (message.child("sent", ns::carbons) || message.child("received", ns::carbons)) return false;
    if (direction == Direction::received && message.child("x", ns::muc_user)) return false;
    const std::string_view type = message.attr_or("type", "normal");
    if (type == "chat") return true;
    return type == "normal" && message.child("body", ns::client) != nullptr;
}

Element wrap(const Element& message, Direction direction, const Jid& account, const Jid& to) {
    Element copy("message", std::string(ns::client));
    copy.set_attr("from", account.bare_string());
    copy.set_attr("to", to.full());
    if (const std::string* type = message.attr("type")) copy.set_attr("type", *type);
    Element& side = copy.add_child(Element(std::string(element_name(direction)), std::string(ns::carbons)));
    Element& forwarded = side.add_child(Element("forwarded", std::string(ns::forward)));
    forwarded.add_child(message);
    return copy;
}

bool strip_private(Element& message) {
    auto& children = message.children();
    const auto removed = std::erase_if(children, [](const Element& child) {
        return !child.is_text() && child.name() == "private" && child.xmlns() == ns::carbons;
    });
    return removed > 0;
}

}  // namespace xmpp::carbons
