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
// Conditions: restricted_xml (DOCTYPE, DTD, entity declarations or undeclared
// entity references, comments, processing instructions), not_well_formed
// (malformed XML or XML namespaces, bad UTF-8, text before the header),
// unsupported_encoding (anything but UTF-8 declared or detected),
// invalid_namespace (root not in the streams namespace), bad_format (root not
// named "stream", a second stream header, text between stanzas), and
// policy_violation (limits). Whitespace between stanzas is ignored.
//
// After an error or stream close no further events are delivered and feed()
// returns false. reset() gives a fresh parser state for a stream restart
// (after STARTTLS or SASL success); it may be called from inside a handler
// callback, in which case the rest of the chunk being fed is discarded (the
// peer must wait for our answer before sending more, RFC 6120 §5.4.3.3, §6.4.6).
//
// Handlers may call reset() or destroy the parser from inside a callback (the
// rest of the chunk is then dropped); they must not call feed() from one.
//
// Memory: the libxml2 context is created on the first feed() and freed when
// the stream ends; release_idle_memory() frees it between stanzas as well, and
// the next feed() re-creates it transparently (re-entering the stream root's
// namespace scope without a second on_stream_open).
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
    // Bytes from the end of the previous stanza (or of the stream header, or
    // of whitespace between stanzas) to the end of this one; before the stream
    // opens, the bytes of the prolog and header. Never buffered beyond this.
    std::size_t max_stanza_bytes = 256 * 1024;
    // Element nesting: a stanza is at depth 1, its children at depth 2, ...
    std::size_t max_depth = 64;
    // Attributes plus namespace declarations on one element.
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
    // Frees the libxml2 context (the bulk of the parser's memory) while the
    // stream sits between stanzas with at most whitespace buffered, e.g. when
    // the session goes idle. Returns false, changing nothing, inside a stanza.
    bool release_idle_memory();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace xmpp
