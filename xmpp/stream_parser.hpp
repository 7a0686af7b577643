// StreamParser: an XMPP stream read incrementally with libxml2's SAX2 push
// interface, delivered as events: stream open, one complete stanza at a time
// (the direct children of <stream:stream>), stream close, or a stream error.
//
// Built for untrusted input (RFC 6120 §11.1 restricted XML): a DOCTYPE, DTD
// subset, entity declaration, comment or processing instruction raises
// restricted_xml; references to anything but the five predefined entities and
// character references are rejected; malformed XML raises not_well_formed;
// no network access, no entity expansion. Own caps: bytes per stanza (the
// stanza is not buffered past the cap: policy_violation), element nesting
// depth and attributes per element (policy_violation).
//
// After an error or stream close no further events are delivered and feed()
// returns false. reset() gives a fresh parser state for a stream restart
// (after STARTTLS or SASL success); it may be called from inside a handler
// callback, in which case the rest of the chunk being fed is discarded (the
// peer must wait for our answer before sending more, RFC 6120 §5.4.3.3, §6.4.6).
//
// Owned by one session, used on that session's thread only.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "xmpp/element.hpp"
#include "xmpp/errors.hpp"

namespace xmpp {

struct StreamHeader {
    std::string name;        // local name of the root element ("stream" or "open")
    std::string xmlns;       // namespace of the root element
    std::string default_ns;  // the content namespace declared (jabber:client)
    std::string prefix;      // prefix used for the root ("stream" or "")
    std::string to, from, id, version, lang;
};

class StreamHandler {
public:
    virtual ~StreamHandler() = default;
    virtual void on_stream_open(const StreamHeader& header) = 0;
    virtual void on_stanza(Element&& stanza) = 0;
    virtual void on_stream_close() = 0;
    virtual void on_stream_error(StreamError condition, std::string_view text) = 0;
};

struct ParserLimits {
    std::size_t max_stanza_bytes = 256 * 1024;
    std::size_t max_depth = 64;
    std::size_t max_attributes = 64;
};

class StreamParser {
public:
    StreamParser(StreamHandler& handler, ParserLimits limits = {});
    ~StreamParser();
    StreamParser(const StreamParser&) = delete;
    StreamParser& operator=(const StreamParser&) = delete;

    // Parses more bytes. Returns false once the stream has failed or closed.
    bool feed(std::string_view bytes);
    void reset();
    void set_limits(ParserLimits limits);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace xmpp
