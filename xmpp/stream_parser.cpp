// StreamParser on libxml2's SAX2 push parser.
//
// Safety notes (libxml2 is "not made for untrusted input"):
// - Every SAX callback that would let a DTD, an entity or markup we refuse take
//   effect is ours and ends the stream; getEntity only knows the five
//   predefined entities, so nothing can expand. Options: NONET only (never
//   NOENT, DTDLOAD, DTDATTR, HUGE).
// - A callback never frees libxml2 state: to stop, it marks the context halted
//   (instate EOF, SAX disabled, as xmlStopParser does minus freeing the input
//   buffers libxml2 may still point into) and feed() destroys the context
//   once xmlParseChunk has returned.
// - Bytes reach libxml2 only while the current stanza (everything since the
//   last top-level boundary) stays within max_stanza_bytes, so a huge chunk is
//   refused after at most that many bytes were buffered.
#include "xmpp/stream_parser.hpp"

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <vector>

#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

namespace xmpp {
namespace {

using Chars = const xmlChar*;

inline std::string_view sv(Chars s) {
    return s ? std::string_view(reinterpret_cast<const char*>(s)) : std::string_view{};
}
inline std::string str(Chars s) { return std::string(sv(s)); }

inline bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// With entity substitution off, libxml2 hands attribute values over with an
// escaped ampersand re-encoded as "&#38;" (every other reference is already
// replaced). A '&' can come from nowhere else, so undo exactly that.
std::string attr_value(Chars begin, Chars end) {
    const char* b = reinterpret_cast<const char*>(begin);
    const char* e = reinterpret_cast<const char*>(end);
    const void* amp = std::memchr(b, '&', static_cast<std::size_t>(e - b));
    if (!amp) return std::string(b, e);
    std::string out;
    out.reserve(static_cast<std::size_t>(e - b));
    for (const char* p = b; p < e;) {
        if (*p == '&' && e - p >= 5 && std::memcmp(p, "&#38;", 5) == 0) {
            out += '&';
            p += 5;
        } else {
            out += *p++;
        }
    }
    return out;
}

void init_libxml2() {
    static std::once_flag once;
    std::call_once(once, [] { xmlInitParser(); });
}

}  // namespace

struct StreamParser::Impl {
    enum class State : unsigned char { before_header, open, done };

    StreamHandler& handler;
    ParserLimits limits;
    xmlParserCtxtPtr ctxt = nullptr;
    State state = State::before_header;
    bool in_feed = false;
    bool reset_pending = false;  // reset() called from a handler
    bool orphaned = false;       // the owning StreamParser was destroyed from a handler
    bool resuming = false;       // replaying the stream header after release_idle_memory()
    std::size_t depth = 0;       // open elements, the stream root included
    std::size_t fed = 0;         // bytes given to the current context
    std::size_t boundary = 0;    // context offset of the last top-level boundary
    std::size_t ws_tail = 0;     // trailing whitespace bytes among those fed
    Element stanza;              // the stanza being built
    // Its open elements, outermost first. Only the innermost one's children
    // change while it is open, so these pointers stay valid.
    std::vector<Element*> open;
    std::string root_tag;        // start tag that re-creates the root's namespace scope

    Impl(StreamHandler& h, ParserLimits l) : handler(h), limits(l) {}
    ~Impl() { destroy_context(); }

    // True once nothing more may reach the handler (it may even be gone).
    bool halted() const { return state == State::done || reset_pending || orphaned; }

    std::size_t offset() const {
        const xmlParserInputPtr in = ctxt->input;
        return static_cast<std::size_t>(in->consumed) + static_cast<std::size_t>(in->cur - in->base);
    }

    // Bytes fed since the last top-level boundary: the current stanza's size so far.
    std::size_t pending() const { return fed > boundary ? fed - boundary : 0; }

    // Stops libxml2 from inside a callback without freeing anything it uses
    // (xmlStopParser would free the input buffer). Some libxml2 paths set
    // instate again after a callback returns (startDocument is followed by
    // "instate = MISC"), so the error number is set as well: the push loop
    // gives up at its next step when errNo is set and SAX is disabled.
    void halt() {
        if (!ctxt) return;
        ctxt->disableSAX = 1;
        ctxt->wellFormed = 0;
        ctxt->instate = XML_PARSER_EOF;
        if (ctxt->errNo == XML_ERR_OK) ctxt->errNo = XML_ERR_USER_STOP;
    }

    void fail(StreamError condition, std::string_view text) {
        if (halted()) return;
        state = State::done;
        halt();
        open.clear();
        stanza = Element();
        handler.on_stream_error(condition, text);
    }

    void destroy_context() {
        if (!ctxt) return;
        // libxml2 builds a document on its own for an entity declaration
        // ("expat compatibility"), even in SAX mode; the context does not own it.
        if (ctxt->myDoc) xmlFreeDoc(ctxt->myDoc);
        xmlFreeParserCtxt(ctxt);
        ctxt = nullptr;
    }

    void drop_buffers() {
        std::vector<Element*>().swap(open);  // "open = {}" would keep the capacity
        stanza = Element();
    }

    void clear_stream() {
        destroy_context();
        state = State::before_header;
        reset_pending = false;
        resuming = false;
        depth = fed = boundary = ws_tail = 0;
        open.clear();
        stanza = Element();
        root_tag.clear();
    }

    bool create_context();
    bool feed(std::string_view bytes);
    bool push(std::string_view bytes);
    bool release_idle_memory();

    // SAX2 callbacks; ctx is the Impl (the context's user data).
    static Impl& self(void* ctx) { return *static_cast<Impl*>(ctx); }
    static void on_start_document(void* ctx);
    static void on_start(void* ctx, Chars localname, Chars prefix, Chars uri, int nb_ns, Chars* nss,
                         int nb_attrs, int nb_defaulted, Chars* attrs);
    static void on_end(void* ctx, Chars localname, Chars prefix, Chars uri);
    static void on_characters(void* ctx, Chars ch, int len);
    static void on_error(void* ctx, xmlErrorPtr err);
    static xmlEntityPtr on_get_entity(void* ctx, Chars name);
    static xmlEntityPtr on_get_parameter_entity(void* ctx, Chars name);
    static xmlParserInputPtr on_resolve_entity(void* ctx, Chars public_id, Chars system_id);
    static void on_reference(void* ctx, Chars name);
    static void on_dtd(void* ctx, Chars name, Chars external_id, Chars system_id);
    static void on_entity_decl(void* ctx, Chars name, int type, Chars public_id, Chars system_id,
                               xmlChar* content);
    static void on_notation_decl(void* ctx, Chars name, Chars public_id, Chars system_id);
    static void on_attribute_decl(void* ctx, Chars elem, Chars fullname, int type, int def,
                                  Chars default_value, xmlEnumerationPtr tree);
    static void on_element_decl(void* ctx, Chars name, int type, xmlElementContentPtr content);
    static void on_unparsed_entity_decl(void* ctx, Chars name, Chars public_id, Chars system_id,
                                        Chars notation);
    static void on_pi(void* ctx, Chars target, Chars data);
    static void on_comment(void* ctx, Chars value);

    void start_root(Chars localname, Chars prefix, Chars uri, int nb_ns, Chars* nss, int nb_attrs,
                    Chars* attrs);
};

void StreamParser::Impl::on_start_document(void* ctx) {
    Impl& p = self(ctx);
    if (p.halted()) return;
    // XMPP is UTF-8 only (RFC 6120 §11.6). libxml2 has already looked at the
    // byte order and the XML declaration: refuse anything it would transcode.
    xmlParserInputPtr in = p.ctxt->input;
    bool transcoding = in && in->buf && in->buf->encoder;
    Chars declared = p.ctxt->encoding ? p.ctxt->encoding : (in ? in->encoding : nullptr);
    bool utf8 = !declared || xmlStrcasecmp(declared, BAD_CAST "UTF-8") == 0;
    if (transcoding || !utf8) p.fail(StreamError::unsupported_encoding, "only UTF-8 is supported");
}

void StreamParser::Impl::start_root(Chars localname, Chars prefix, Chars uri, int nb_ns, Chars* nss,
                                    int nb_attrs, Chars* attrs) {
    if (sv(uri) != ns::stream) {
        fail(StreamError::invalid_namespace, "the stream root must be in http://etherx.jabber.org/streams");
        return;
    }
    if (sv(localname) != "stream") {
        fail(StreamError::bad_format, "the stream root must be <stream:stream>");
        return;
    }
    StreamHeader h;
    h.name = str(localname);
    h.xmlns = str(uri);
    h.prefix = str(prefix);
    root_tag.clear();
    root_tag += '<';
    if (prefix) {
        root_tag += h.prefix;
        root_tag += ':';
    }
    root_tag += h.name;
    for (std::ptrdiff_t i = 0; i < nb_ns; ++i) {
        Chars p = nss[2 * i];
        Chars u = nss[2 * i + 1];
        if (!p) h.default_ns = str(u);
        root_tag += p ? " xmlns:" : " xmlns";
        if (p) root_tag += sv(p);
        root_tag += "='";
        escape_attr(sv(u), root_tag);
        root_tag += '\'';
    }
    root_tag += '>';
    for (std::ptrdiff_t i = 0; i < nb_attrs; ++i) {
        Chars* a = attrs + 5 * i;
        std::string_view name = sv(a[0]);
        std::string_view pfx = sv(a[1]);
        std::string* field = nullptr;
        if (pfx.empty()) {
            if (name == "to") field = &h.to;
            else if (name == "from") field = &h.from;
            else if (name == "id") field = &h.id;
            else if (name == "version") field = &h.version;
        } else if (pfx == "xml" && name == "lang") {
            field = &h.lang;
        }
        if (field) *field = attr_value(a[3], a[4]);
    }
    depth = 1;
    state = State::open;
    boundary = offset() + 1;  // libxml2 reports a start tag before consuming its '>'
    if (resuming) {
        resuming = false;
        return;
    }
    handler.on_stream_open(h);
}

void StreamParser::Impl::on_start(void* ctx, Chars localname, Chars prefix, Chars uri, int nb_ns,
                                  Chars* nss, int nb_attrs, int /*nb_defaulted*/, Chars* attrs) {
    Impl& p = self(ctx);
    if (p.halted()) return;
    if (p.depth == 0) {
        p.start_root(localname, prefix, uri, nb_ns, nss, nb_attrs, attrs);
        return;
    }
    if (p.depth > p.limits.max_depth) {  // the new element sits at depth p.depth
        p.fail(StreamError::policy_violation, "elements nested too deeply");
        return;
    }
    if (static_cast<std::size_t>(nb_attrs) + static_cast<std::size_t>(nb_ns) > p.limits.max_attributes) {
        p.fail(StreamError::policy_violation, "too many attributes");
        return;
    }
    if (p.depth == 1 && sv(uri) == ns::stream && sv(localname) == "stream") {
        p.fail(StreamError::bad_format, "stream header inside the stream");
        return;
    }
    if (prefix && !uri) {  // libxml2 reports it too; never build an unbound prefix
        p.fail(StreamError::not_well_formed, "unbound namespace prefix");
        return;
    }
    Element* e;
    if (p.depth == 1) {
        p.stanza = Element(str(localname), str(uri));
        e = &p.stanza;
        if (p.open.capacity() == 0) p.open.reserve(4);
    } else {
        e = &p.open.back()->children().emplace_back(str(localname), str(uri));
    }
    std::size_t prefixed_ns = 0;
    for (std::ptrdiff_t i = 0; i < nb_ns; ++i) prefixed_ns += nss[2 * i] != nullptr;
    e->reserve_attributes(prefixed_ns + static_cast<std::size_t>(nb_attrs));
    for (std::ptrdiff_t i = 0; i < nb_ns; ++i) {
        // The default namespace is xmlns(); prefixed declarations stay as
        // attributes so that prefixed attribute names keep their binding.
        if (Chars pfx = nss[2 * i]) {
            std::string name = "xmlns:";
            name += sv(pfx);
            e->append_attr(std::move(name), str(nss[2 * i + 1]));
        }
    }
    for (std::ptrdiff_t i = 0; i < nb_attrs; ++i) {
        Chars* a = attrs + 5 * i;
        std::string name;
        if (a[1]) {
            name.reserve(std::strlen(reinterpret_cast<const char*>(a[1])) + 1 +
                         std::strlen(reinterpret_cast<const char*>(a[0])));
            name += sv(a[1]);
            name += ':';
        }
        name += sv(a[0]);
        e->append_attr(std::move(name), attr_value(a[3], a[4]));
    }
    p.open.push_back(e);
    ++p.depth;
}

void StreamParser::Impl::on_end(void* ctx, Chars, Chars, Chars) {
    Impl& p = self(ctx);
    if (p.halted()) return;
    if (p.depth == 1) {  // </stream:stream>
        p.depth = 0;
        p.state = State::done;
        p.halt();
        p.handler.on_stream_close();
        return;
    }
    --p.depth;
    p.open.pop_back();
    if (p.depth > 1) return;
    p.boundary = p.offset();
    p.handler.on_stanza(std::move(p.stanza));
}

void StreamParser::Impl::on_characters(void* ctx, Chars ch, int len) {
    Impl& p = self(ctx);
    if (p.halted() || len <= 0) return;
    const char* s = reinterpret_cast<const char*>(ch);
    if (p.depth <= 1) {
        // Between stanzas only whitespace (keepalives) may appear; it closes the
        // previous stanza's byte count like a stanza end does.
        for (int i = 0; i < len; ++i) {
            if (!is_xml_space(s[i])) {
                p.fail(StreamError::bad_format, "text at the stream level");
                return;
            }
        }
        if (p.depth == 1) p.boundary = std::max(p.boundary, p.offset());
        return;
    }
    // libxml2 may split one text run over several calls: add_text() merges them.
    p.open.back()->add_text(std::string(s, static_cast<std::size_t>(len)));
}

void StreamParser::Impl::on_error(void* ctx, xmlErrorPtr err) {
    Impl& p = self(ctx);
    if (p.halted() || !err || err->level == XML_ERR_WARNING) return;
    // A namespace name that is not a URI is a namespace-validity warning in
    // libxml2's eyes, not malformed XML; mod_xmq clients use such names
    // ("::cusom_xml_ns" in its README), so the stanza stands.
    if (err->code == XML_WAR_NS_URI || err->code == XML_WAR_NS_URI_RELATIVE) return;
    std::string_view msg = err->message ? std::string_view(err->message) : std::string_view("malformed XML");
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.remove_suffix(1);
    StreamError cond = StreamError::not_well_formed;
    switch (err->code) {
        case XML_ERR_UNSUPPORTED_ENCODING:
        case XML_ERR_UNKNOWN_ENCODING:
            cond = StreamError::unsupported_encoding;
            break;
        case XML_ERR_UNDECLARED_ENTITY:
        case XML_WAR_UNDECLARED_ENTITY:
        case XML_ERR_UNPARSED_ENTITY:
        case XML_ERR_ENTITY_LOOP:
        case XML_ERR_ENTITY_BOUNDARY:
        case XML_ERR_ENTITY_IS_EXTERNAL:
        case XML_ERR_ENTITY_IS_PARAMETER:
        case XML_ERR_ENTITY_PE_INTERNAL:
        case XML_ERR_PEREF_IN_PROLOG:
        case XML_ERR_PEREF_IN_EPILOG:
        case XML_ERR_PEREF_IN_INT_SUBSET:
        case XML_ERR_NOT_STANDALONE:
            cond = StreamError::restricted_xml;
            break;
        default:
            break;
    }
    p.fail(cond, msg);
}

xmlEntityPtr StreamParser::Impl::on_get_entity(void*, Chars name) {
    return xmlGetPredefinedEntity(name);
}

xmlEntityPtr StreamParser::Impl::on_get_parameter_entity(void* ctx, Chars) {
    self(ctx).fail(StreamError::restricted_xml, "parameter entity reference");
    return nullptr;
}

xmlParserInputPtr StreamParser::Impl::on_resolve_entity(void* ctx, Chars, Chars) {
    self(ctx).fail(StreamError::restricted_xml, "external entity");
    return nullptr;
}

void StreamParser::Impl::on_reference(void* ctx, Chars) {
    self(ctx).fail(StreamError::restricted_xml, "entity reference");
}

void StreamParser::Impl::on_dtd(void* ctx, Chars, Chars, Chars) {
    self(ctx).fail(StreamError::restricted_xml, "document type declaration");
}

void StreamParser::Impl::on_entity_decl(void* ctx, Chars, int, Chars, Chars, xmlChar*) {
    self(ctx).fail(StreamError::restricted_xml, "entity declaration");
}

void StreamParser::Impl::on_notation_decl(void* ctx, Chars, Chars, Chars) {
    self(ctx).fail(StreamError::restricted_xml, "notation declaration");
}

void StreamParser::Impl::on_attribute_decl(void* ctx, Chars, Chars, int, int, Chars,
                                           xmlEnumerationPtr tree) {
    if (tree) xmlFreeEnumeration(tree);  // the callback owns it (as xmlSAX2AttributeDecl does)
    self(ctx).fail(StreamError::restricted_xml, "attribute declaration");
}

void StreamParser::Impl::on_element_decl(void* ctx, Chars, int, xmlElementContentPtr) {
    self(ctx).fail(StreamError::restricted_xml, "element declaration");
}

void StreamParser::Impl::on_unparsed_entity_decl(void* ctx, Chars, Chars, Chars, Chars) {
    self(ctx).fail(StreamError::restricted_xml, "entity declaration");
}

void StreamParser::Impl::on_pi(void* ctx, Chars, Chars) {
    self(ctx).fail(StreamError::restricted_xml, "processing instruction");
}

void StreamParser::Impl::on_comment(void* ctx, Chars) {
    self(ctx).fail(StreamError::restricted_xml, "comment");
}

bool StreamParser::Impl::create_context() {
    init_libxml2();
    xmlSAXHandler sax;
    std::memset(&sax, 0, sizeof sax);
    sax.initialized = XML_SAX2_MAGIC;
    sax.startDocument = &on_start_document;
    sax.startElementNs = &on_start;
    sax.endElementNs = &on_end;
    sax.characters = &on_characters;
    sax.ignorableWhitespace = &on_characters;
    sax.cdataBlock = &on_characters;
    sax.serror = &on_error;
    sax.getEntity = &on_get_entity;
    sax.getParameterEntity = &on_get_parameter_entity;
    sax.resolveEntity = &on_resolve_entity;
    sax.reference = &on_reference;
    sax.internalSubset = &on_dtd;
    sax.externalSubset = &on_dtd;
    sax.entityDecl = &on_entity_decl;
    sax.notationDecl = &on_notation_decl;
    sax.attributeDecl = &on_attribute_decl;
    sax.elementDecl = &on_element_decl;
    sax.unparsedEntityDecl = &on_unparsed_entity_decl;
    sax.processingInstruction = &on_pi;
    sax.comment = &on_comment;
    // libxml2 sizes the input buffer from a per-thread default (2 x 4 KiB);
    // start small instead: the buffer grows on demand and most streams carry
    // small stanzas, so an active parser costs less than half as much.
    const int saved_buffer_size = xmlDefaultBufferSize;
    xmlDefaultBufferSize = 256;
    ctxt = xmlCreatePushParserCtxt(&sax, this, nullptr, 0, nullptr);
    xmlDefaultBufferSize = saved_buffer_size;
    if (!ctxt) return false;
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOWARNING);
    fed = boundary = ws_tail = 0;
    if (!root_tag.empty()) {
        // Re-open the root's namespace scope after release_idle_memory().
        resuming = true;
        depth = 0;
        fed = root_tag.size();
        xmlParseChunk(ctxt, root_tag.data(), static_cast<int>(root_tag.size()), 0);
        if (state != State::open || depth != 1 || resuming) {
            resuming = false;
            return false;
        }
    }
    return true;
}

bool StreamParser::Impl::push(std::string_view bytes) {
    while (!bytes.empty()) {
        std::size_t pending = this->pending();
        if (pending >= limits.max_stanza_bytes) {
            fail(StreamError::policy_violation, "stanza too large");
            return false;
        }
        std::size_t n = std::min(bytes.size(), limits.max_stanza_bytes - pending);
        n = std::min<std::size_t>(n, 1u << 30);  // xmlParseChunk takes an int
        fed += n;
        int rc = xmlParseChunk(ctxt, bytes.data(), static_cast<int>(n), 0);
        std::string_view part = bytes.substr(0, n);
        bytes.remove_prefix(n);
        if (halted()) return false;
        if (rc != XML_ERR_OK || !ctxt->wellFormed) {
            fail(StreamError::not_well_formed, "malformed XML");
            return false;
        }
        std::size_t ws = 0;
        while (ws < part.size() && is_xml_space(part[part.size() - 1 - ws])) ++ws;
        ws_tail = ws == part.size() ? ws_tail + ws : ws;
    }
    return true;
}

bool StreamParser::Impl::feed(std::string_view bytes) {
    if (in_feed) return false;  // no re-entrance from a handler
    if (state == State::done) return false;
    if (bytes.empty()) return true;
    in_feed = true;
    if (!ctxt && !create_context()) {
        if (!halted()) fail(StreamError::internal_server_error, "parser unavailable");
    } else if (!halted()) {
        push(bytes);
    }
    in_feed = false;
    if (orphaned) {
        std::unique_ptr<Impl> owner(this);  // released by ~StreamParser during the callback
        return false;
    }
    if (reset_pending) {
        clear_stream();
        return true;
    }
    if (state == State::done) {
        destroy_context();  // give the memory back now; nothing more will be parsed
        drop_buffers();
        return false;
    }
    return true;
}

bool StreamParser::Impl::release_idle_memory() {
    if (in_feed || state == State::done) return false;
    if (!ctxt) {
        drop_buffers();
        return true;
    }
    // Only between stanzas, with nothing but whitespace waiting in libxml2.
    if (state != State::open || depth != 1 || !open.empty() || pending() > ws_tail) return false;
    destroy_context();
    drop_buffers();
    return true;
}

StreamParser::StreamParser(StreamHandler& handler, ParserLimits limits)
    : impl_(std::make_unique<Impl>(handler, limits)) {}

StreamParser::~StreamParser() {
    if (impl_ && impl_->in_feed) {
        // Destroyed from inside a handler: feed() frees the state once
        // libxml2 has unwound.
        impl_->orphaned = true;
        impl_->halt();
        (void)impl_.release();
    }
}

bool StreamParser::feed(std::string_view bytes) {
    // After a callback destroyed *this, Impl::feed must not touch the
    // StreamParser, only itself.
    return impl_->feed(bytes);
}

void StreamParser::reset() {
    if (impl_->in_feed) {
        impl_->reset_pending = true;
        impl_->halt();
        return;
    }
    impl_->clear_stream();
}

void StreamParser::set_limits(ParserLimits limits) { impl_->limits = limits; }

bool StreamParser::release_idle_memory() { return impl_->release_idle_memory(); }

}  // namespace xmpp
