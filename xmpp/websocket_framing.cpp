#include "xmpp/websocket_framing.hpp"

#include <optional>

#include "xmpp/namespaces.hpp"

namespace xmpp::websocket {

namespace {

constexpr std::string_view kInvalid = "</>";  // never well-formed: the parser's not-well-formed

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::size_t skip_space(std::string_view s, std::size_t i) {
    while (i < s.size() && is_space(s[i])) ++i;
    return i;
}

struct Attribute {
    std::string_view name;
    std::string_view value;  // still escaped, without quotes
    std::string_view raw;    // name='value' as written
};

// One markup item starting at a '<'. Only what the framing needs is told
// apart; the session's StreamParser does the real validation.
struct Tag {
    enum Kind { start, end, empty, declaration, text_like } kind = start;
    std::size_t begin = 0, end_pos = 0;  // [begin, end_pos)
    std::string_view name;
    std::vector<Attribute> attributes;
    std::size_t name_end = 0;  // where attributes may be inserted
};

std::optional<Tag> scan_tag(std::string_view s, std::size_t i) {
    Tag t;
    t.begin = i;
    if (i + 1 >= s.size() || s[i] != '<') return std::nullopt;
    auto until = [&](std::string_view terminator, Tag::Kind kind) -> std::optional<Tag> {
        const auto at = s.find(terminator, i + 2);
        if (at == std::string_view::npos) return std::nullopt;
        t.kind = kind;
        t.end_pos = at + terminator.size();
        return t;
    };
    if (s[i + 1] == '?') return until("?>", Tag::declaration);
    if (s.substr(i).starts_with("<![CDATA[")) return until("]]>", Tag::text_like);
    if (s.substr(i).starts_with("<!--")) return until("-->", Tag::text_like);
    if (s[i + 1] == '!') return std::nullopt;  // DOCTYPE and the like: never in XMPP
    std::size_t j = i + 1;
    const bool closing = s[j] == '/';
    if (closing) ++j;
    const std::size_t name_begin = j;
    while (j < s.size() && !is_space(s[j]) && s[j] != '/' && s[j] != '>' && s[j] != '<') ++j;
    if (j == name_begin) return std::nullopt;
    t.name = s.substr(name_begin, j - name_begin);
    t.name_end = j;
    if (closing) {
        j = skip_space(s, j);
        if (j >= s.size() || s[j] != '>') return std::nullopt;
        t.kind = Tag::end;
        t.end_pos = j + 1;
        return t;
    }
    for (;;) {
        const std::size_t k = skip_space(s, j);
        if (k >= s.size()) return std::nullopt;
        if (s[k] == '>') {
            t.kind = Tag::start;
            t.end_pos = k + 1;
            return t;
        }
        if (s[k] == '/') {
            if (k + 1 >= s.size() || s[k + 1] != '>') return std::nullopt;
            t.kind = Tag::empty;
            t.end_pos = k + 2;
            return t;
        }
        if (k == j) return std::nullopt;  // attributes are separated by white space
        std::size_t n = k;
        while (n < s.size() && !is_space(s[n]) && s[n] != '=' && s[n] != '>' && s[n] != '/' && s[n] != '<') ++n;
        if (n == k) return std::nullopt;
        Attribute a;
        a.name = s.substr(k, n - k);
        n = skip_space(s, n);
        if (n >= s.size() || s[n] != '=') return std::nullopt;
        n = skip_space(s, n + 1);
        if (n >= s.size() || (s[n] != '\'' && s[n] != '"')) return std::nullopt;
        const auto close = s.find(s[n], n + 1);
        if (close == std::string_view::npos) return std::nullopt;
        a.value = s.substr(n + 1, close - n - 1);
        if (a.value.find('<') != std::string_view::npos) return std::nullopt;
        a.raw = s.substr(k, close + 1 - k);
        t.attributes.push_back(a);
        j = close + 1;
    }
}

const Attribute* find_attribute(const Tag& t, std::string_view name) {
    for (const auto& a : t.attributes)
        if (a.name == name) return &a;
    return nullptr;
}

// The complete element starting at s[i] == '<': [i, end). Text between child
// tags is skipped; nullopt when incomplete or malformed.
std::optional<std::size_t> element_end(std::string_view s, std::size_t i) {
    std::size_t depth = 0;
    std::size_t j = i;
    do {
        if (depth > 0) {
            j = s.find('<', j);
            if (j == std::string_view::npos) return std::nullopt;
        }
        auto tag = scan_tag(s, j);
        if (!tag) return std::nullopt;
        if (depth == 0 && tag->kind != Tag::start && tag->kind != Tag::empty) return std::nullopt;
        if (tag->kind == Tag::start) ++depth;
        if (tag->kind == Tag::end) --depth;
        j = tag->end_pos;
    } while (depth > 0);
    return j;
}

// Skips white space and an XML declaration at the start of a message.
std::size_t skip_prolog(std::string_view s) {
    std::size_t i = skip_space(s, 0);
    if (s.substr(i).starts_with("<?xml")) {
        if (auto decl = scan_tag(s, i); decl && decl->kind == Tag::declaration) i = skip_space(s, decl->end_pos);
    }
    return i;
}

}  // namespace

std::string frame_to_stream(std::string_view message) {
    const std::size_t i = skip_prolog(message);
    if (i == message.size()) return {};  // white space only: nothing for the parser
    auto tag = scan_tag(message, i);
    if (!tag || (tag->kind != Tag::start && tag->kind != Tag::empty)) return std::string(kInvalid);
    const auto end = element_end(message, i);
    if (!end || skip_space(message, *end) != message.size()) return std::string(kInvalid);

    if (tag->name == "open" || tag->name == "close") {
        const Attribute* xmlns = find_attribute(*tag, "xmlns");
        const bool framing = xmlns && xmlns->value == ns::framing;
        const bool simple = tag->kind == Tag::empty || message.substr(tag->end_pos, *end - tag->end_pos) ==
                                                           "</" + std::string(tag->name) + ">";
        if (framing && simple) {
            if (tag->name == "close") return "</stream:stream>";
            std::string header = "<stream:stream xmlns='";
            header += ns::client;
            header += "' xmlns:stream='";
            header += ns::stream;
            header += '\'';
            for (const auto& a : tag->attributes) {
                if (a.name == "xmlns" || a.name.starts_with("xmlns:")) continue;
                header += ' ';
                header += a.raw;
            }
            header += '>';
            return header;
        }
        if (tag->name == "open" && xmlns && simple) {
            // The wrong namespace: bind it to the root so that the session
            // answers invalid-namespace as it would on TCP.
            std::string header = "<stream:stream xmlns='";
            header += ns::client;
            header += "' xmlns:stream=";
            header += xmlns->raw.substr(xmlns->name.size() + 1);
            header += '>';
            return header;
        }
    }
    return std::string(message.substr(i, *end - i));
}

void stream_to_frames(std::string_view xml, std::vector<std::string>& out, std::vector<std::size_t>* ends) {
    std::size_t i = 0;
    const auto ended = [ends](std::size_t at) {
        if (ends) ends->push_back(at);
    };
    while ((i = skip_space(xml, i)) < xml.size()) {
        auto tag = scan_tag(xml, i);
        if (!tag) {
            out.emplace_back(xml.substr(i));  // not our serializer's output; pass it on whole
            return ended(xml.size());
        }
        if (tag->kind == Tag::declaration) {
            i = tag->end_pos;
            continue;
        }
        if (tag->name == "stream:stream" && tag->kind == Tag::start) {
            std::string open = "<open xmlns='";
            open += ns::framing;
            open += '\'';
            for (const auto& a : tag->attributes) {
                if (a.name == "xmlns" || a.name.starts_with("xmlns:")) continue;
                open += ' ';
                open += a.raw;
            }
            open += "/>";
            out.push_back(std::move(open));
            i = tag->end_pos;
            ended(i);
            continue;
        }
        if (tag->name == "stream:stream" && tag->kind == Tag::end) {
            out.push_back("<close xmlns='" + std::string(ns::framing) + "'/>");
            i = tag->end_pos;
            ended(i);
            continue;
        }
        const auto end = element_end(xml, i);
        if (!end) {
            out.emplace_back(xml.substr(i));
            return ended(xml.size());
        }
        std::string frame;
        frame.reserve(*end - i + 48);
        frame.append(xml.substr(i, tag->name_end - i));
        if (tag->name.starts_with("stream:")) {
            frame += " xmlns:stream='";
            frame += ns::stream;
            frame += '\'';
        } else if (!find_attribute(*tag, "xmlns")) {
            frame += " xmlns='";
            frame += ns::client;
            frame += '\'';
        }
        frame.append(xml.substr(tag->name_end, *end - tag->name_end));
        out.push_back(std::move(frame));
        i = *end;
        ended(i);
    }
}

}  // namespace xmpp::websocket
