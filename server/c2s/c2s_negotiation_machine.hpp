// C2sNegotiationMachine: the negotiation of one client-to-server stream
// (RFC 6120 §4-7) as an explicit state machine, with no I/O. It says which
// element is allowed in which state and what the peer gets otherwise (a
// stream error, a SASL or a TLS <failure/>), which features a stream header
// is answered with, and how the outcomes of STARTTLS, SASL and binding move
// the stream on. C2sNegotiation drives it and does the work (the TLS
// handshake, the SASL mechanism and its failure delay, registration, the
// bind in the session table).
//
//   state                   event or outcome                    next state
//   awaiting_stream_header  header on a plain stream that can   features_before_tls
//                           start TLS; any other header         awaiting_auth
//   features_before_tls     starttls                            tls_handshake
//                           auth (where TLS is optional)        sasl_exchange
//   tls_handshake           TLS established                     awaiting_stream_header
//   awaiting_auth           auth                                sasl_exchange
//   sasl_exchange           SASL success                        awaiting_restart
//                           SASL failure, abort                 awaiting_auth or
//                                                               features_before_tls
//   awaiting_restart        header                              awaiting_bind
//   awaiting_bind           bind, admitted by the session table bound
//                           stream management (when on): the    bound (resumed)
//                           driver answers, <resume/> resumes
//   any                     stream error, TLS failure, the      closing
//                           last SASL failure allowed, close
//
// A verdict that refuses with a stream error or a TLS failure moves the
// machine to closing itself: the stream ends after that answer.
//
// Owned by its C2sNegotiation; used on that stream's worker only.
#pragma once

#include <string>
#include <string_view>

#include "auth/sasl_server.hpp"
#include "conf/config.hpp"
#include "xmpp/element.hpp"
#include "xmpp/errors.hpp"
#include "xmpp/stream_parser.hpp"

namespace server {

class C2sNegotiationMachine {
public:
    enum class State {
        awaiting_stream_header,  // no stream open: the first one, or the one after TLS
        features_before_tls,     // features sent on a plain stream that can start TLS
        tls_handshake,           // <proceed/> sent; the handshake runs
        awaiting_auth,           // features sent on a stream that will not start TLS
        sasl_exchange,           // a mechanism runs: <response/> or <abort/> next
        awaiting_restart,        // <success/> sent: the client opens a new stream
        awaiting_bind,           // the authenticated stream's features sent
        bound,                   // a resource is bound: stanzas go to the bound session
        closing,                 // the stream ends: nothing more is handled
    };

    // What a top-level element asks for, by its name and namespace.
    enum class Event {
        starttls,      // <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>
        auth,          // <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>
        response,      // <response .../> (SASL)
        abort,         // <abort .../> (SASL)
        registration,  // an iq for jabber:iq:register (XEP-0077)
        bind,          // an iq set with <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>
        stream_management,  // a nonza of urn:xmpp:sm:3 (XEP-0198)
        stanza,        // anything else
    };
    static Event event_of(const xmpp::Element& element);

    // What the connection offers when a stream opens.
    struct Security {
        bool encrypted = false;      // TLS runs (or the transport counts as secure)
        bool can_start_tls = false;  // STARTTLS may be offered
    };

    // What a stream header is answered with, after our own header.
    struct Features {
        bool starttls = false;
        bool tls_required = false;
        bool mechanisms = false;    // SASL
        bool registration = false;  // XEP-0077 in-band registration
        bool bind = false;          // resource binding, the legacy session, the modules' features
        friend bool operator==(const Features&, const Features&) = default;
    };

    // The decision on a header or an element: go ahead, or what to answer.
    struct Verdict {
        enum class Kind {
            proceed,
            stream_error,  // `condition` with `text`; the stream ends
            sasl_failure,  // a SASL <failure/> with `failure`; report it with sasl_failed()
            tls_failure,   // <failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>; the stream ends
            ignore,        // the stream is closing
        };
        Kind kind = Kind::proceed;
        xmpp::StreamError condition = xmpp::StreamError::undefined_condition;
        auth::SaslFailure failure = auth::SaslFailure::not_authorized;
        std::string_view text;

        static Verdict proceed() { return {}; }
        static Verdict ignore() { return with(Kind::ignore); }
        static Verdict tls_failure() { return with(Kind::tls_failure); }
        static Verdict sasl_failure(auth::SaslFailure failure) {
            Verdict v = with(Kind::sasl_failure);
            v.failure = failure;
            return v;
        }
        static Verdict stream_error(xmpp::StreamError condition, std::string_view text) {
            Verdict v = with(Kind::stream_error);
            v.condition = condition;
            v.text = text;
            return v;
        }
        bool allowed() const { return kind == Kind::proceed; }

    private:
        static Verdict with(Kind kind) {
            Verdict v;
            v.kind = kind;
            return v;
        }
    };

    // `config`: the stream's configuration snapshot; outlives the machine.
    // `stream_management`: XEP-0198 is on (after authentication, its
    // nonzas go to the driver; off, they are unsupported-stanza-type).
    explicit C2sNegotiationMachine(const conf::Config& config, bool stream_management = false)
        : config_(config), stream_management_(stream_management) {}

    State state() const { return state_; }
    // The virtual host of the stream: empty until a header names a served one.
    const std::string& host() const { return host_; }
    // The authenticated localpart: empty until SASL succeeds.
    const std::string& user() const { return user_; }
    // SASL failures counted on this stream.
    unsigned failures() const { return failures_; }

    // The peer opened a stream (the first, or after TLS or SASL success).
    // The host is taken from it even when the verdict refuses it (our own
    // header names it). On proceed, features() says what to offer.
    Verdict stream_opened(const xmpp::StreamHeader& header, Security security);
    const Features& features() const { return features_; }

    // An element from the peer. Proceeding may move the state: starttls to
    // tls_handshake, auth to sasl_exchange, abort out of it.
    Verdict on(Event event);

    // Outcomes of the work the driver did; each applies where it says and
    // returns false (changing nothing) anywhere else.
    bool tls_established();                 // tls_handshake → awaiting_stream_header, encrypted
    bool sasl_succeeded(std::string user);  // sasl_exchange → awaiting_restart
    bool bound();                           // awaiting_bind → bound (by bind or <resume/>)
    // Before authentication: a SASL <failure/> was answered (an exchange
    // ended, an <auth/> was refused, or an <abort/>), back to the state that
    // awaits <auth/>. Returns whether the stream must end after it (then
    // closing): auth.max_failures reached. <aborted/> and <temporary-auth-failure/> (our storage failed,
    // not the client's credentials) do not count.
    bool sasl_failed(auth::SaslFailure failure);
    void close() { state_ = State::closing; }

private:
    Verdict refuse(xmpp::StreamError condition, std::string_view text);
    bool before_auth() const;
    // awaiting_auth or features_before_tls, as the stream's security says.
    State awaiting_auth_state() const;

    const conf::Config& config_;
    bool stream_management_;
    State state_ = State::awaiting_stream_header;
    Security security_;
    Features features_;
    std::string host_;
    std::string user_;
    unsigned failures_ = 0;
};

}  // namespace server
