// CsiBuffer (XEP-0352): what waits while the client is inactive (presence,
// only the latest per sender; standalone chat states), what goes at once
// (everything else, after what waited), the bound, and <active/>.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "server/c2s/csi_buffer.hpp"
#include "xmpp/stored_xml.hpp"

namespace {

using server::CsiBuffer;
using server::CsiClass;

CsiClass::Kind kind_of(std::string_view xml) {
    auto stanza = xmpp::parse_stored(xml);
    REQUIRE(stanza.has_value());
    return server::classify_for_csi(*stanza).kind;
}

// Offers `xml`; the XML of what goes out now.
std::vector<std::string> offer(CsiBuffer& buffer, const std::string& xml, bool keep = false) {
    auto stanza = xmpp::parse_stored(xml);
    std::vector<std::string> out;
    for (auto& s : buffer.offer(stanza ? &*stanza : nullptr, xml, keep)) out.push_back(s.xml);
    return out;
}

std::vector<std::string> xml_of(std::vector<CsiBuffer::Stanza> stanzas) {
    std::vector<std::string> out;
    for (auto& s : stanzas) out.push_back(s.xml);
    return out;
}

const std::string romeo_away = "<presence from='romeo@localhost/garden'><show>away</show></presence>";
const std::string romeo_back = "<presence from='romeo@localhost/garden'/>";
const std::string romeo_other = "<presence from='romeo@localhost/orchard'/>";
const std::string nurse_off = "<presence from='nurse@localhost/hall' type='unavailable'/>";
const std::string composing = "<message from='romeo@localhost/garden' type='chat'>"
                              "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>";
const std::string paused = "<message from='romeo@localhost/garden' type='chat'>"
                           "<paused xmlns='http://jabber.org/protocol/chatstates'/></message>";
const std::string hello = "<message from='romeo@localhost/garden' type='chat'><body>hi</body>"
                          "<active xmlns='http://jabber.org/protocol/chatstates'/></message>";

// `inner` as a carbon forwards it (the serializer names jabber:client again inside <forwarded/>).
std::string carbon(std::string_view side, const std::string& inner) {
    return "<message type='chat'><" + std::string(side) +
           " xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>" +
           inner.substr(0, 8) + " xmlns='jabber:client'" + inner.substr(8) + "</forwarded></" + std::string(side) +
           "></message>";
}

}  // namespace

TEST_CASE("csi: presence and standalone chat states wait, the rest is urgent") {
    using K = CsiClass::Kind;
    CHECK(kind_of(romeo_away) == K::presence);
    CHECK(kind_of(nurse_off) == K::presence);
    CHECK(kind_of("<presence from='romeo@localhost' type='subscribe'/>") == K::urgent);
    CHECK(kind_of("<presence from='romeo@localhost' type='error'/>") == K::urgent);
    CHECK(kind_of(composing) == K::chat_state);
    CHECK(kind_of("<message><gone xmlns='http://jabber.org/protocol/chatstates'/><thread>t</thread>"
                  "<no-store xmlns='urn:xmpp:hints'/><stanza-id xmlns='urn:xmpp:sid:0' id='1' by='x'/></message>") ==
          K::chat_state);
    CHECK(kind_of(hello) == K::urgent);
    CHECK(kind_of("<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/>"
                  "<request xmlns='urn:xmpp:receipts'/></message>") == K::urgent);  // not standalone
    CHECK(kind_of("<message type='error'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>") ==
          K::urgent);
    CHECK(kind_of("<message><received xmlns='urn:xmpp:receipts' id='m1'/></message>") == K::urgent);
    CHECK(kind_of("<iq type='set' id='p'><query xmlns='jabber:iq:roster'/></iq>") == K::urgent);
    // Carbons: a received copy is what it carries; a sent copy is the user at another device.
    CHECK(kind_of(carbon("received", composing)) == K::chat_state);
    CHECK(kind_of(carbon("received", hello)) == K::urgent);
    CHECK(kind_of(carbon("sent", composing)) == K::urgent);
}

TEST_CASE("csi: only the latest presence per sender is kept; an urgent stanza goes after what waited, in order") {
    CsiBuffer buffer(100);
    buffer.set_inactive();
    CHECK(offer(buffer, romeo_away).empty());
    CHECK(offer(buffer, composing).empty());
    CHECK(offer(buffer, nurse_off).empty());
    CHECK(offer(buffer, paused).empty());
    CHECK(offer(buffer, romeo_back).empty());  // replaces romeo_away, at the end
    CHECK(offer(buffer, romeo_other).empty());  // another resource: its own
    CHECK(buffer.held() == 5);
    CHECK(offer(buffer, hello) == std::vector<std::string>{composing, nurse_off, paused, romeo_back, romeo_other, hello});
    CHECK(buffer.held() == 0);
    CHECK(buffer.inactive());
}

TEST_CASE("csi: <active/> lets everything held go in order, and later stanzas pass") {
    CsiBuffer buffer(100);
    CHECK_FALSE(buffer.inactive());
    buffer.set_inactive();
    offer(buffer, composing);
    offer(buffer, romeo_away);
    offer(buffer, paused);
    CHECK(xml_of(buffer.set_active()) == std::vector<std::string>{composing, romeo_away, paused});
    CHECK_FALSE(buffer.inactive());
    CHECK(buffer.set_active().empty());
}

TEST_CASE("csi: past max_held everything held goes out") {
    CsiBuffer buffer(3);
    buffer.set_inactive();
    CHECK(offer(buffer, composing).empty());
    CHECK(offer(buffer, paused).empty());
    CHECK(offer(buffer, romeo_away).empty());
    CHECK(offer(buffer, romeo_back).empty());  // collapses: still 3
    CHECK(buffer.held() == 3);
    CHECK(offer(buffer, nurse_off) == std::vector<std::string>{composing, paused, romeo_back, nurse_off});
    CHECK(buffer.held() == 0);
}

TEST_CASE("csi: what does not parse is urgent; the keep flag travels; the end drops what waits") {
    CsiBuffer buffer(10);
    buffer.set_inactive();
    offer(buffer, romeo_away);
    auto out = buffer.offer(nullptr, "<garbage", true);
    REQUIRE(out.size() == 2);
    CHECK(out[0].xml == romeo_away);
    CHECK_FALSE(out[0].keep);
    CHECK(out[1].keep);
    offer(buffer, composing, true);
    CHECK(buffer.drop_held() == 1);
    CHECK(buffer.held() == 0);
}
