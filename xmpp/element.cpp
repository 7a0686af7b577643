#include "xmpp/element.hpp"

#include <algorithm>
#include <utility>

namespace xmpp {

Element::Element(std::string name, std::string xmlns)
    : name_(std::move(name)), xmlns_(std::move(xmlns)) {}

Element Element::text_node(std::string text) {
    Element e;
    e.text_ = std::move(text);
    e.is_text_ = true;
    return e;
}

const std::string* Element::attr(std::string_view name) const {
    for (const auto& a : attrs_) {
        if (a.name == name) return &a.value;
    }
    return nullptr;
}

std::string_view Element::attr_or(std::string_view name, std::string_view fallback) const {
    const std::string* v = attr(name);
    return v ? std::string_view(*v) : fallback;
}

Element& Element::set_attr(std::string_view name, std::string value) {
    for (auto& a : attrs_) {
        if (a.name == name) {
            a.value = std::move(value);
            return *this;
        }
    }
    attrs_.push_back(Attribute{std::string(name), std::move(value)});
    return *this;
}

Element& Element::append_attr(std::string name, std::string value) {
    attrs_.push_back(Attribute{std::move(name), std::move(value)});
    return *this;
}

void Element::remove_attr(std::string_view name) {
    std::erase_if(attrs_, [&](const Attribute& a) { return a.name == name; });
}

Element& Element::add_child(Element child) {
    if (child.is_text_ && !children_.empty() && children_.back().is_text_) {
        children_.back().text_ += child.text_;
        return children_.back();
    }
    children_.push_back(std::move(child));
    return children_.back();
}

Element& Element::add_text(std::string text) {
    if (!children_.empty() && children_.back().is_text_) {
        children_.back().text_ += text;
        return children_.back();
    }
    children_.push_back(text_node(std::move(text)));
    return children_.back();
}

const Element* Element::child(std::string_view name, std::string_view xmlns) const {
    for (const auto& c : children_) {
        if (!c.is_text_ && c.name_ == name && (xmlns.empty() || c.xmlns_ == xmlns)) return &c;
    }
    return nullptr;
}

Element* Element::child(std::string_view name, std::string_view xmlns) {
    return const_cast<Element*>(std::as_const(*this).child(name, xmlns));
}

const Element* Element::child_ns(std::string_view xmlns) const {
    for (const auto& c : children_) {
        if (!c.is_text_ && c.xmlns_ == xmlns) return &c;
    }
    return nullptr;
}

std::size_t Element::element_count() const {
    return static_cast<std::size_t>(
        std::count_if(children_.begin(), children_.end(), [](const Element& c) { return !c.is_text_; }));
}

std::string Element::text() const {
    // The common case is a single text run: copy it without a concatenation loop.
    const Element* only = nullptr;
    std::size_t runs = 0;
    for (const auto& c : children_) {
        if (c.is_text_) {
            only = &c;
            ++runs;
        }
    }
    if (runs == 0) return {};
    if (runs == 1) return only->text_;
    std::string out;
    for (const auto& c : children_) {
        if (c.is_text_) out += c.text_;
    }
    return out;
}

std::string Element::child_text(std::string_view name, std::string_view xmlns) const {
    const Element* c = child(name, xmlns);
    return c ? c->text() : std::string{};
}

}  // namespace xmpp
