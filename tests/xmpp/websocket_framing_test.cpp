// RFC 7395 framing: WebSocket messages to stream text for the session's
// parser, and the session's output to one message per top-level element.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "xmpp/websocket_framing.hpp"

using xmpp::websocket::frame_to_stream;
using xmpp::websocket::stream_to_frames;

namespace {
std::vector<std::string> frames(std::string_view xml) {
    std::vector<std::string> out;
    stream_to_frames(xml, out);
    return out;
}
}  // namespace

TEST_CASE("an <open/> becomes a stream header with its attributes") {
    CHECK(frame_to_stream("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>") ==
          "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' "
          "version='1.0'>");
    CHECK(frame_to_stream("<?xml version='1.0'?>\n<open xmlns=\"urn:ietf:params:xml:ns:xmpp-framing\" "
                          "to=\"a.example\" xml:lang=\"en\"></open>") ==
          "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to=\"a.example\" "
          "xml:lang=\"en\">");
}

TEST_CASE("an <open/> in another namespace binds that namespace to the root (invalid-namespace)") {
    CHECK(frame_to_stream("<open xmlns='urn:example:wrong' to='example.com'/>") ==
          "<stream:stream xmlns='jabber:client' xmlns:stream='urn:example:wrong'>");
}

TEST_CASE("<close/> ends the stream; a stanza passes through whole") {
    CHECK(frame_to_stream("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>") == "</stream:stream>");
    const std::string message = "<message xmlns='jabber:client' to='b@x' type='chat'><body>a &lt; b &amp; "
                                "&quot;c&quot; &gt;</body></message>";
    CHECK(frame_to_stream(message) == message);
    CHECK(frame_to_stream("  \n") == "");
}

TEST_CASE("a message that is not exactly one complete element is not well-formed") {
    CHECK(frame_to_stream("<message xmlns='jabber:client'><body>cut") == "</>");
    CHECK(frame_to_stream("<iq xmlns='jabber:client' id='1'/><iq xmlns='jabber:client' id='2'/>") == "</>");
    CHECK(frame_to_stream("text") == "</>");
    CHECK(frame_to_stream("<!DOCTYPE x><x/>") == "</>");
    CHECK(frame_to_stream("<a b='1'c='2'/>") == "</>");
}

TEST_CASE("session output is split into one message per element") {
    const auto out = frames(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'"
        " id='abc' from='example.com' version='1.0' xml:lang='en'>"
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism>"
        "</mechanisms></stream:features>");
    REQUIRE(out.size() == 2);
    CHECK(out[0] == "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='abc' from='example.com' version='1.0' "
                    "xml:lang='en'/>");
    CHECK(out[1] == "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><mechanisms "
                    "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism></mechanisms>"
                    "</stream:features>");
}

TEST_CASE("stanzas get jabber:client, other namespaces stay, the end tag becomes <close/>") {
    const auto out = frames("<message to='a@b' from='c@d/e'><body>x &gt; y</body></message><presence/>"
                            "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>dj1=</success>"
                            "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
                            "</stream:stream>");
    REQUIRE(out.size() == 5);
    CHECK(out[0] == "<message xmlns='jabber:client' to='a@b' from='c@d/e'><body>x &gt; y</body></message>");
    CHECK(out[1] == "<presence xmlns='jabber:client'/>");
    CHECK(out[2] == "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>dj1=</success>");
    CHECK(out[3] == "<stream:error xmlns:stream='http://etherx.jabber.org/streams'><not-authorized "
                    "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
    CHECK(out[4] == "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
}

TEST_CASE("attribute values with '>' and '/' do not confuse the splitter") {
    const auto out = frames("<message to='a@b/x>y'><body>1</body></message><iq id='a/>' type='get'/>");
    REQUIRE(out.size() == 2);
    CHECK(out[0] == "<message xmlns='jabber:client' to='a@b/x>y'><body>1</body></message>");
    CHECK(out[1] == "<iq xmlns='jabber:client' id='a/>' type='get'/>");
}
