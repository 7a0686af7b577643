// CsiBuffer: what a bound session holds back from its client while the
// client says it is inactive (Client State Indication, XEP-0352), and when
// it lets it go. Pure: no I/O; the session (bound_session.hpp) owns one
// when the csi module is on, and uses it on its worker only.
//
// While inactive, the stanzas that only keep a screen up to date wait:
//   - available and unavailable presence: only the latest from each sender
//     (its full JID) is kept, the earlier one dropped (the one thing ever
//     dropped: it is superseded);
//   - standalone chat states (XEP-0085: a message with a chat state and no
//     body, nothing else but a thread, hints, stanza ids or a delay stamp,
//     or the received carbon of one), each kept, in order.
// Everything else is urgent and goes out at once, after everything held, in
// the order it all came: a message with a body (or any other payload),
// carbons of sent messages, iq, errors, subscription requests and answers.
// Past `max_held` stanzas held, everything held goes out too. <active/>
// lets everything held go, in order. What is held when the session ends is
// transient (presence, chat states) and needs no offline storage.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "xmpp/element.hpp"

namespace server {

// What the buffer does with a stanza while its client is inactive.
struct CsiClass {
    enum class Kind { presence, chat_state, urgent };
    Kind kind = Kind::urgent;
    std::string sender;  // presence: the 'from' the latest one per sender is kept for
};

CsiClass classify_for_csi(const xmpp::Element& stanza);

class CsiBuffer {
public:
    struct Stanza {
        std::string xml;
        bool keep = false;  // the session's flag: offline storage if never written
    };

    explicit CsiBuffer(std::size_t max_held) : max_held_(max_held) {}

    bool inactive() const { return inactive_; }
    std::size_t held() const { return held_.size(); }

    // The client sent <inactive/>.
    void set_inactive() { inactive_ = true; }
    // The client sent <active/> (or its stream resumed): everything held, in order.
    std::vector<Stanza> set_active();

    // A stanza (serialized; `stanza` is it parsed, or null if it did not
    // parse, which makes it urgent) for the client while it is inactive:
    // what to write now, in order; empty when it is held.
    std::vector<Stanza> offer(const xmpp::Element* stanza, std::string xml, bool keep);

    // The session ends: what is held is dropped; returns how many.
    std::size_t drop_held();

private:
    struct Held {
        std::string sender;  // presence: its sender; empty for chat states
        Stanza stanza;
    };
    std::vector<Stanza> take_all();

    std::size_t max_held_;
    bool inactive_ = false;
    std::vector<Held> held_;
};

}  // namespace server
