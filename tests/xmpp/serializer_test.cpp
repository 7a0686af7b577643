#include <doctest/doctest.h>

#include <string>

#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

using xmpp::Element;

TEST_CASE("serializer: escaping") {
    std::string out;
    xmpp::escape_text("a<b>&c'\"d", out);
    CHECK(out == "a&lt;b&gt;&amp;c'\"d");
    out.clear();
    xmpp::escape_attr("a<b>&c'\"d", out);
    CHECK(out == "a&lt;b&gt;&amp;c&apos;&quot;d");
    out.clear();
    xmpp::escape_text("plain", out);
    CHECK(out == "plain");
    out = "keep:";
    xmpp::escape_attr("", out);  // appends, never clears
    CHECK(out == "keep:");
}

TEST_CASE("serializer: elements, attributes and namespaces") {
    Element msg("message", "jabber:client");
    msg.set_attr("to", "juliet@example.com");
    msg.set_attr("id", "a'b\"c");
    msg.add_child(Element("body", "jabber:client")).add_text("1 < 2 & 3 > 2");
    Element& x = msg.add_child(Element("x", "urn:x"));
    x.add_child(Element("y", "urn:x"));
    x.add_child(Element("z", "urn:z"));
    CHECK(xmpp::to_string(msg) ==
          "<message to='juliet@example.com' id='a&apos;b&quot;c'>"
          "<body>1 &lt; 2 &amp; 3 &gt; 2</body>"
          "<x xmlns='urn:x'><y/><z xmlns='urn:z'/></x></message>");
    // Outside a jabber:client scope the stanza declares its namespace.
    CHECK(xmpp::to_string(Element("presence", "jabber:client"), "") ==
          "<presence xmlns='jabber:client'/>");
    // Empty xmlns inherits the parent's.
    Element q("query", "jabber:iq:roster");
    q.add_child(Element("item")).set_attr("jid", "a@b");
    CHECK(xmpp::to_string(q) == "<query xmlns='jabber:iq:roster'><item jid='a@b'/></query>");
    // Stream-namespace elements take the stream prefix.
    Element features("features", std::string(xmpp::ns::stream));
    features.add_child(Element("bind", std::string(xmpp::ns::bind)));
    CHECK(xmpp::to_string(features) ==
          "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>");
    // serialize() appends.
    std::string out = "X";
    xmpp::serialize(Element("a", "jabber:client"), out);
    CHECK(out == "X<a/>");
}

TEST_CASE("serializer: stream header") {
    CHECK(xmpp::stream_header("example.com", "juliet@example.com", "abc") ==
          "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='example.com' "
          "to='juliet@example.com' version='1.0' xml:lang='en'>");
    CHECK(xmpp::stream_header("example.com", "", "i'd") ==
          "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams' id='i&apos;d' from='example.com' "
          "version='1.0' xml:lang='en'>");
    CHECK(xmpp::stream_close == "</stream:stream>");
}
