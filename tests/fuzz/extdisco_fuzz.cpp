// libFuzzer target: the XEP-0215 requests a client sends (xmpp/
// external_services.hpp), a <services/> or <credentials/> element parsed as
// the store parses stanzas, answered against a STUN and a TURN service.
// Invariants: an answer is a result or a condition; a result lists at most
// the configured services; no answer carries the shared secret (unless the
// request itself did, and the answer repeats it).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/external_services.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stored_xml.hpp"

namespace {

constexpr std::string_view kSecret = "fuzz-shared-secret";

const std::vector<xmpp::extdisco::Service>& services() {
    static const std::vector<xmpp::extdisco::Service> configured = [] {
        xmpp::extdisco::Service stun;
        stun.host = "stun.example.org";
        xmpp::extdisco::Service turn;
        turn.type = xmpp::extdisco::ServiceType::turn;
        turn.host = "turn.example.org";
        turn.secret = std::string(kSecret);
        return std::vector<xmpp::extdisco::Service>{stun, turn};
    }();
    return configured;
}

// `request`: the client's bytes. An answer may repeat what the client sent
// (the type it asked for), so the secret in an answer is a leak only when
// the request did not carry it.
void check(const xmpp::Result<xmpp::Element, xmpp::StanzaError>& answer, std::string_view request) {
    if (!answer.ok()) return;
    if (answer.value().children().size() > services().size()) std::abort();
    std::string wire;
    xmpp::serialize(answer.value(), wire);
    if (wire.find(kSecret) != std::string::npos && request.find(kSecret) == std::string_view::npos) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto element = xmpp::parse_stored(text)) {
        check(xmpp::extdisco::answer_services(*element, services(), 1700000000, "juliet@localhost"), text);
        check(xmpp::extdisco::answer_credentials(*element, services(), 1700000000, "juliet@localhost"), text);
    }
    return 0;
}
