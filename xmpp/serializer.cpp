#include "xmpp/serializer.hpp"

#include <array>

#include "xmpp/namespaces.hpp"

namespace xmpp {
namespace {

// Replacement for each byte that must not appear literally, or nullptr.
// Text: & < > and CR (a parser would turn a literal CR into LF).
// Attributes: also ' " and TAB, LF (attribute-value normalisation would turn
// them into spaces), so that parse -> serialize -> parse is the identity.
struct EscapeTable {
    std::array<const char*, 256> text{};
    std::array<const char*, 256> attr{};
    constexpr EscapeTable() {
        text['&'] = "&amp;";
        text['<'] = "&lt;";
        text['>'] = "&gt;";
        text['\r'] = "&#xD;";
        attr = text;
        attr['\''] = "&apos;";
        attr['"'] = "&quot;";
        attr['\t'] = "&#x9;";
        attr['\n'] = "&#xA;";
    }
};
constexpr EscapeTable kEscape;

inline void escape(std::string_view in, std::string& out, const std::array<const char*, 256>& table) {
    const char* run = in.data();
    const char* end = in.data() + in.size();
    for (const char* p = run; p != end; ++p) {
        const char* rep = table[static_cast<unsigned char>(*p)];
        if (rep) {
            out.append(run, p);
            out.append(rep);
            run = p + 1;
        }
    }
    out.append(run, end);
}

void write(const Element& e, std::string& out, std::string_view parent_ns) {
    if (e.is_text()) {
        escape(e.content(), out, kEscape.text);
        return;
    }
    // Elements of the stream namespace (features, error) use the "stream"
    // prefix the stream header binds; they do not change the default namespace.
    const bool stream_prefixed = e.xmlns() == ns::stream;
    std::string_view scope_ns = parent_ns;
    out += '<';
    if (stream_prefixed) out += "stream:";
    out += e.name();
    if (!stream_prefixed && !e.xmlns().empty() && e.xmlns() != parent_ns) {
        out += " xmlns='";
        escape(e.xmlns(), out, kEscape.attr);
        out += '\'';
        scope_ns = e.xmlns();
    }
    for (const auto& a : e.attributes()) {
        if (a.name == "xmlns") continue;  // the namespace lives in xmlns()
        out += ' ';
        out += a.name;
        out += "='";
        escape(a.value, out, kEscape.attr);
        out += '\'';
    }
    if (e.children().empty()) {
        out += "/>";
        return;
    }
    out += '>';
    for (const auto& c : e.children()) write(c, out, scope_ns);
    out += "</";
    if (stream_prefixed) out += "stream:";
    out += e.name();
    out += '>';
}

void append_attr(std::string& out, std::string_view name, std::string_view value) {
    if (value.empty()) return;
    out += ' ';
    out += name;
    out += "='";
    escape(value, out, kEscape.attr);
    out += '\'';
}

}  // namespace

void escape_text(std::string_view in, std::string& out) { escape(in, out, kEscape.text); }

void escape_attr(std::string_view in, std::string& out) { escape(in, out, kEscape.attr); }

void serialize(const Element& e, std::string& out, std::string_view parent_ns) {
    write(e, out, parent_ns);
}

std::string to_string(const Element& e, std::string_view parent_ns) {
    std::string out;
    out.reserve(256);
    write(e, out, parent_ns);
    return out;
}

std::string stream_header(std::string_view from, std::string_view to, std::string_view id,
                          std::string_view version, std::string_view lang, std::string_view content_ns) {
    std::string out;
    out.reserve(192 + from.size() + to.size() + id.size());
    out += "<?xml version='1.0'?><stream:stream xmlns='";
    out += content_ns;
    out += "' xmlns:stream='";
    out += ns::stream;
    out += '\'';
    append_attr(out, "id", id);
    append_attr(out, "from", from);
    append_attr(out, "to", to);
    append_attr(out, "version", version);
    append_attr(out, "xml:lang", lang);
    out += '>';
    return out;
}

std::string server_stream_header(std::string_view from, std::string_view to, std::string_view id) {
    std::string out;
    out.reserve(224 + from.size() + to.size() + id.size());
    out += "<?xml version='1.0'?><stream:stream xmlns='";
    out += ns::server;
    out += "' xmlns:stream='";
    out += ns::stream;
    out += "' xmlns:db='";
    out += ns::dialback;
    out += '\'';
    append_attr(out, "id", id);
    append_attr(out, "from", from);
    append_attr(out, "to", to);
    append_attr(out, "version", "1.0");
    out += '>';
    return out;
}

}  // namespace xmpp
