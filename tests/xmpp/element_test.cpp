#include <doctest/doctest.h>

#include "xmpp/element.hpp"

using xmpp::Element;

TEST_CASE("element: attributes") {
    Element e("message", "jabber:client");
    CHECK(e.attr("to") == nullptr);
    CHECK(e.attr_or("to", "none") == "none");
    e.set_attr("to", "a@b").set_attr("type", "chat");
    REQUIRE(e.attr("to"));
    CHECK(*e.attr("to") == "a@b");
    e.set_attr("to", "c@d");  // replaces, keeps position
    CHECK(e.attributes().size() == 2);
    CHECK(e.attributes()[0].name == "to");
    CHECK(e.attr_or("to") == "c@d");
    e.remove_attr("to");
    CHECK(e.attr("to") == nullptr);
    CHECK(e.attributes().size() == 1);
    e.append_attr("id", "1");
    CHECK(e.attr_or("id") == "1");
}

TEST_CASE("element: children, lookup and text") {
    Element msg("message", "jabber:client");
    msg.add_text("  ");
    Element body("body", "jabber:client");
    body.add_text("Hello");
    body.add_text(", world");  // merged with the previous run
    CHECK(body.children().size() == 1);
    CHECK(body.text() == "Hello, world");
    CHECK(msg.add_child(std::move(body)).name() == "body");
    msg.add_child(Element("x", "urn:x"));
    msg.add_child(Element("body", "urn:other"));
    CHECK(msg.element_count() == 3);
    CHECK(msg.children().size() == 4);
    CHECK(msg.children()[0].is_text());
    CHECK(msg.children()[0].content() == "  ");
    REQUIRE(msg.child("body"));
    CHECK(msg.child("body")->xmlns() == "jabber:client");
    CHECK(msg.child("body", "urn:other")->xmlns() == "urn:other");
    CHECK(msg.child("body", "urn:none") == nullptr);
    CHECK(msg.child("x", "urn:x") != nullptr);
    REQUIRE(msg.child_ns("urn:x"));
    CHECK(msg.child_ns("urn:x")->name() == "x");
    CHECK(msg.child_ns("urn:y") == nullptr);
    CHECK(msg.child_text("body") == "Hello, world");
    CHECK(msg.child_text("nothing").empty());
    CHECK(msg.text() == "  ");
    msg.child("x")->set_attr("k", "v");
    CHECK(msg.child("x")->attr_or("k") == "v");
    msg.clear_children();
    CHECK(msg.children().empty());

    Element t = Element::text_node("abc");
    CHECK(t.is_text());
    CHECK(t.content() == "abc");
}

TEST_CASE("element: equality is deep") {
    Element a("iq", "jabber:client");
    a.set_attr("type", "get");
    a.add_child(Element("query", "urn:q")).add_text("x");
    Element b = a;
    CHECK(a == b);
    b.child("query")->add_text("y");
    CHECK_FALSE(a == b);
}
