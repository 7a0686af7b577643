// The server-to-server stream negotiation (RFC 6120 §5, §4.9; XEP-0220
// dialback) as pure state machines, one per direction: what each element
// the peer sends means at the point the stream is at, as a Step for the
// stream (server/s2s/) to carry out. No I/O, no clock; tested without
// sockets and fuzzed (tests/fuzz/s2s_stream_fuzz). One per stream, on its
// worker.
//
// Incoming (we are the receiving server): header, features (STARTTLS first
// when TLS is required, dialback once secure), then <db:result/> claims of
// remote domains, each verified with the authoritative server before it is
// accepted, and <db:verify/> questions about our own keys; stanzas only
// from an accepted domain ('from' of it, else invalid-from) to one of ours
// (else host-unknown).
//
// Outgoing (we are the originating server): our header, the peer's, its
// features, STARTTLS, the new stream's features, our <db:result/>, the
// peer's verdict; the answers to the <db:verify/> we ask on it.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "xmpp/element.hpp"
#include "xmpp/errors.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/stream_parser.hpp"

namespace server {

// What the stream does with an element, both directions.
struct S2sStep {
    enum class Kind {
        ignore,          // nothing to do (whitespace, a duplicate answer)
        send_features,   // incoming: after a header, send features (secure or not)
        proceed_tls,     // incoming: <proceed/>, then the TLS handshake and a new stream
        request_tls,     // outgoing: send <starttls/>
        start_tls,       // outgoing: <proceed/> came: TLS handshake, then a new header
        send_dialback,   // outgoing: send our <db:result/> claim
        verify_claim,    // incoming: ask the authoritative server for `remote` about `key` (db:verify)
        claim_accepted,  // incoming: a claim for a pair accepted already: answer valid at once
        answer_verify,   // incoming: a peer asks whether `key` is ours for (`local`, `remote`, `id`)
        verify_answered, // outgoing: the authoritative server answered a db:verify (`valid`, `id`)
        established,     // outgoing: the peer accepted our claim
        rejected,        // outgoing: the peer refused our claim (not-authorized bounces)
        stanza,          // a stanza to route, renamed into jabber:client; `remote`, `local` checked
        stanza_error,    // answer `reply` (a stanza error) and carry on
        stream_error,    // end the stream with `error`
    };
    Kind kind = Kind::ignore;
    std::string local;   // our domain
    std::string remote;  // the peer's domain
    std::string id;      // a stream id (db:verify)
    std::string key;     // a dialback key
    bool valid = false;  // a verdict
    xmpp::Element reply;
    xmpp::StreamError error = xmpp::StreamError::undefined_condition;
    std::string text;
};

// Whether `domain` (normalised) is served here: a host, a service domain
// (conference.HOST) or a component.
using IsLocalDomain = std::function<bool(std::string_view domain)>;

class S2sIncomingMachine {
public:
    S2sIncomingMachine(bool require_tls, IsLocalDomain is_local)
        : require_tls_(require_tls), is_local_(std::move(is_local)) {}

    // The peer's stream header (the first, or after TLS). send_features, or
    // a stream error (invalid-namespace, host-unknown for a 'to' not ours).
    S2sStep on_header(const xmpp::StreamHeader& header, bool secure);
    // A top-level element of the peer.
    S2sStep on_element(xmpp::Element& element, bool secure);
    // The authoritative server's answer to our question about a claim.
    // Valid: `remote` may send for `local` from now on.
    void claim_decided(const std::string& local, const std::string& remote, bool valid);
    bool accepts(const std::string& local, const std::string& remote) const {
        return accepted_.count({local, remote}) != 0;
    }

private:
    S2sStep stanza(xmpp::Element& element);

    bool require_tls_;
    IsLocalDomain is_local_;
    bool opened_ = false;
    std::set<std::pair<std::string, std::string>> accepted_;  // (local, remote)
    std::set<std::pair<std::string, std::string>> pending_;   // claims being verified
};

class S2sOutgoingMachine {
public:
    S2sOutgoingMachine(std::string local, std::string remote, bool require_tls)
        : local_(std::move(local)), remote_(std::move(remote)), require_tls_(require_tls) {}

    // The peer's stream header: ignore (its id recorded), or a stream error.
    S2sStep on_header(const xmpp::StreamHeader& header);
    S2sStep on_element(xmpp::Element& element, bool secure);

    // The id of the peer's current stream: what our dialback key covers.
    const std::string& stream_id() const { return stream_id_; }
    // Features were seen on a stream we may ask db:verify on (secure, or TLS
    // not required).
    bool can_verify() const { return can_verify_; }
    bool established() const { return state_ == State::established; }

private:
    enum class State { header, features, proceed, result, established };

    std::string local_;
    std::string remote_;
    bool require_tls_;
    State state_ = State::header;
    std::string stream_id_;
    bool can_verify_ = false;
};

}  // namespace server
