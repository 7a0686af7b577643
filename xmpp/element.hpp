// Element: the in-memory XML tree of one stanza (or of any child of one).
//
// A node is either an element (name, namespace, attributes, children) or a text
// run (is_text()). The namespace of every element is resolved at parse time and
// stored in xmlns(); the serializer writes an xmlns attribute only where an
// element's namespace differs from its parent's. Attribute names are kept as
// written, prefixed ones included ("xml:lang"); an element that declared a
// prefix keeps its "xmlns:p" declaration as an ordinary attribute.
// A plain value type: copyable, movable, no thread affinity.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace xmpp {

struct Attribute {
    std::string name;
    std::string value;
    friend bool operator==(const Attribute&, const Attribute&) = default;
};

class Element {
public:
    Element() = default;
    explicit Element(std::string name, std::string xmlns = {});
    static Element text_node(std::string text);

    bool is_text() const { return is_text_; }
    const std::string& name() const { return name_; }
    const std::string& xmlns() const { return xmlns_; }
    void set_name(std::string name) { name_ = std::move(name); }
    void set_xmlns(std::string xmlns) { xmlns_ = std::move(xmlns); }

    // Attributes. attr() returns nullptr when absent.
    const std::string* attr(std::string_view name) const;
    std::string_view attr_or(std::string_view name, std::string_view fallback = {}) const;
    Element& set_attr(std::string_view name, std::string value);
    // Appends without looking for an existing attribute of that name: for
    // builders (the parser among them) that know the name is new.
    Element& append_attr(std::string name, std::string value);
    void reserve_attributes(std::size_t n) { attrs_.reserve(n); }
    void remove_attr(std::string_view name);
    const std::vector<Attribute>& attributes() const { return attrs_; }

    // Children in document order, text runs included.
    const std::vector<Element>& children() const { return children_; }
    std::vector<Element>& children() { return children_; }
    Element& add_child(Element child);  // returns the stored child
    // Appends a text run; merged into the last child when that is text too, so
    // a tree has no two adjacent text runs (what a parser would rebuild).
    Element& add_text(std::string text);
    void clear_children() { children_.clear(); }

    // First child element with this name and namespace (empty xmlns = any namespace).
    const Element* child(std::string_view name, std::string_view xmlns = {}) const;
    Element* child(std::string_view name, std::string_view xmlns = {});
    // First child element in this namespace, whatever its name.
    const Element* child_ns(std::string_view xmlns) const;
    // Number of child elements (text runs not counted).
    std::size_t element_count() const;
    // Concatenation of the direct text children.
    std::string text() const;
    // The text of the first child element name/xmlns, or empty.
    std::string child_text(std::string_view name, std::string_view xmlns = {}) const;

    // Text content of a text node.
    const std::string& content() const { return text_; }

    // Deep, order-sensitive equality (attribute order included).
    friend bool operator==(const Element&, const Element&) = default;

private:
    std::string name_;
    std::string xmlns_;
    std::vector<Attribute> attrs_;
    std::vector<Element> children_;
    std::string text_;
    bool is_text_ = false;
};

}  // namespace xmpp
