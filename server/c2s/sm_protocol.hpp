// Stream management (XEP-0198, urn:xmpp:sm:3) as pure code: what a nonza
// from the client asks (<enable/>, <r/>, <a/>, <resume/>), whether a
// client's h is possible, when the server asks for an ack itself, how long
// a session may wait for resumption, and the elements the server answers
// with. No I/O: BoundSession and C2sNegotiation use it. Stateless functions
// and small values, safe on any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/element.hpp"
#include "xmpp/errors.hpp"

namespace server::sm {

// A top-level element in urn:xmpp:sm:3, as the client sent it.
struct Nonza {
    enum class Kind {
        enable,   // <enable resume='true' max='...'/>
        request,  // <r/>
        ack,      // <a h='...'/>
        resume,   // <resume previd='...' h='...'/>
        unknown,  // any other name in the namespace, or a required attribute missing or malformed
    };
    Kind kind = Kind::unknown;
    bool resume = false;                    // enable: resumption asked for
    std::optional<std::uint32_t> max;       // enable: the client's preferred resumption time, seconds
    std::uint32_t h = 0;                    // ack, resume
    std::string previd;                     // resume
};

// Whether `element` is in urn:xmpp:sm:3.
bool is_nonza(const xmpp::Element& element);
// What an element of urn:xmpp:sm:3 asks. 'h' must be a decimal number that
// fits 32 bits; 'resume' is true for "true" and "1" (xs:boolean).
Nonza parse(const xmpp::Element& element);
// A decimal number in [0, 2^32), or nothing.
std::optional<std::uint32_t> parse_counter(std::string_view text);

// How a client's h relates to what it was sent. Counters wrap at 2^32, so
// "ahead" and "behind" are measured from the last h accepted.
enum class AckCheck {
    ok,        // acknowledges stanzas sent and not acknowledged yet (or none new)
    stale,     // behind the last h accepted: an old ack, nothing to do
    too_high,  // more than was sent: <handled-count-too-high/>
};
AckCheck check_ack(std::uint32_t last_acked, std::uint32_t h, std::uint32_t sent);

// When the server asks for an ack (<r/>) itself: once `after_stanzas`
// stanzas are unacknowledged, or unacknowledged output is `after` old; never
// again until an ack comes.
struct AckRequestPolicy {
    std::uint32_t after_stanzas = 5;
    std::chrono::seconds after{30};

    // `unacked` stanzas are unacknowledged; `requested`: an <r/> is out.
    bool request_now(std::uint32_t unacked, bool requested) const {
        return !requested && after_stanzas > 0 && unacked >= after_stanzas;
    }
};

// The time a session waits for resumption: the client's `max` when it asks
// for less than the server's, else the server's.
std::chrono::seconds resume_timeout(std::optional<std::uint32_t> requested, std::chrono::seconds server_max);

// ---- what the server sends
std::string enabled(std::string_view id, std::chrono::seconds max);  // id empty: no resumption
std::string resumed(std::string_view previd, std::uint32_t h);
// <failed/> with a stanza error condition; `h`: what the server handled
// of the stream that cannot be resumed, when it knows.
std::string failed(xmpp::StanzaError condition, std::optional<std::uint32_t> h = std::nullopt);
std::string ack(std::uint32_t h);
std::string request();
// The stream error for a client's h above what was sent: undefined-condition
// with <handled-count-too-high h='' send-count=''/>.
std::string handled_count_too_high(std::uint32_t h, std::uint32_t sent);

}  // namespace server::sm
